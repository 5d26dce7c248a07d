//! What the board knows of each Kubernetes context besides its workloads
//! (`ClusterInfo`: nodes, events, watched resources, the context's error).

/// What the board knows of one Kubernetes context besides its workloads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterInfo {
    pub nodes: Vec<crate::model::NodeInfo>,
    /// Its events, folded, newest first (bounded by the source).
    pub events: Vec<crate::model::ClusterEvent>,
    /// The cluster's namespaces (for `:ns`).
    pub namespaces: Vec<String>,
    pub resources: Vec<(String, crate::model::ResourceStatus)>,
    pub error: Option<String>,
}
