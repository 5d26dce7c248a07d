//! What the board knows of its Kubernetes scope (`:ctx`, `:ns`): what it
//! watches or is switching to, the kubeconfig's contexts, and whether a
//! switch is still waiting for the source's answer. How a switch changes
//! the board is in `scope_switch`.

use crate::model::kube_scope::KubeScope;

/// The Kubernetes scope as the board knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeState {
    /// What is watched, or being switched to.
    pub scope: KubeScope,
    /// The kubeconfig's contexts.
    pub contexts: Vec<String>,
    /// The kubeconfig's `current-context`.
    pub current: Option<String>,
    /// The last switch asked for (0: the scope the board started with).
    pub generation: u64,
    /// A switch was asked for and the source has not answered it yet:
    /// every snapshot until then is of the old scope.
    pub switching: bool,
}

/// What a `:ctx` or `:ns` entry switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeChange {
    /// Watch these contexts (instead of the ones watched).
    Contexts(Vec<String>),
    /// Narrow to these namespaces; empty: all of them.
    Namespaces(Vec<String>),
}
