//! One line of the command palette and what choosing it does.

use crate::app::kube_scope::ScopeChange;
use crate::app::state::Pane;
use crate::model::ActionRequest;
use crate::model::document::{ObjectRef, Rendering};

/// One line of the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteEntry {
    pub label: String,
    pub detail: String,
    pub request: PaletteAction,
    pub dangerous: bool,
}

/// What choosing a palette entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteAction {
    /// Plans an action (confirmed in the dialog that follows).
    Plan(Box<ActionRequest>),
    /// Switches to a pane.
    Show(Pane),
    /// Opens the describe, YAML or inspect view of an object.
    View(ObjectRef, Rendering),
    /// Switches the Kubernetes scope (`:ctx`, `:ns`).
    Scope(ScopeChange),
}
