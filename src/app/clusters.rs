//! What the board knows of each Kubernetes context besides its workloads
//! (`ClusterInfo`: nodes, watched resources, the context's error).

/// What the board knows of one Kubernetes context besides its workloads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterInfo {
    pub nodes: Vec<crate::model::NodeInfo>,
    pub resources: Vec<(String, crate::model::ResourceStatus)>,
    pub error: Option<String>,
}
