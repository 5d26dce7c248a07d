//! Kubernetes workloads, pods and nodes as the board shows them: plain data
//! built by `sources/kube` from the API objects.

use std::fmt;
use std::time::SystemTime;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    /// As kubectl writes it: `deployment`, `statefulset`, `daemonset`.
    pub fn word(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
            WorkloadKind::DaemonSet => "daemonset",
        }
    }

    /// The API resource: `deployments`.
    pub fn plural(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployments",
            WorkloadKind::StatefulSet => "statefulsets",
            WorkloadKind::DaemonSet => "daemonsets",
        }
    }

    pub fn parse(s: &str) -> Option<WorkloadKind> {
        match s.to_ascii_lowercase().as_str() {
            "deployment" | "deployments" | "deploy" => Some(WorkloadKind::Deployment),
            "statefulset" | "statefulsets" | "sts" => Some(WorkloadKind::StatefulSet),
            "daemonset" | "daemonsets" | "ds" => Some(WorkloadKind::DaemonSet),
            _ => None,
        }
    }
}

/// `context/namespace/kind/name`: one workload in one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct WorkloadRef {
    pub context: String,
    pub namespace: String,
    pub kind: WorkloadKind,
    pub name: String,
}

impl fmt::Display for WorkloadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.context,
            self.namespace,
            self.kind.word(),
            self.name
        )
    }
}

impl WorkloadRef {
    /// Whether this binding (from config, where the context `*` matches
    /// every context) names workload `w`.
    pub fn binds(&self, w: &WorkloadRef) -> bool {
        (self.context == "*" || self.context == w.context)
            && self.namespace == w.namespace
            && self.kind == w.kind
            && self.name == w.name
    }

    /// Parses `context/namespace/kind/name`.
    pub fn parse(s: &str) -> Result<WorkloadRef, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let [context, namespace, kind, name] = parts.as_slice() else {
            return Err(format!(
                "`{s}` is not context/namespace/kind/name (e.g. \"prod/shop/deployment/api\")"
            ));
        };
        if [context, namespace, name].iter().any(|p| p.is_empty()) {
            return Err(format!("`{s}` has an empty part"));
        }
        let kind = WorkloadKind::parse(kind).ok_or_else(|| {
            format!("`{kind}` in `{s}` is not deployment, statefulset or daemonset")
        })?;
        Ok(WorkloadRef {
            context: context.to_string(),
            namespace: namespace.to_string(),
            kind,
            name: name.to_string(),
        })
    }

    /// `deployment/api` as kubectl names it.
    pub fn short(&self) -> String {
        format!("{}/{}", self.kind.word(), self.name)
    }
}

/// `context/node`: one node in one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NodeRef {
    pub context: String,
    pub name: String,
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/node/{}", self.context, self.name)
    }
}

/// Where a rollout stands, in `kubectl rollout status` terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "message", rename_all = "snake_case")]
pub enum RolloutState {
    Complete,
    /// kubectl's waiting message, e.g. "1 out of 3 new replicas have been updated".
    Progressing(String),
    /// `ProgressDeadlineExceeded`.
    Stalled(String),
    Paused,
}

impl RolloutState {
    pub fn short(&self) -> &'static str {
        match self {
            RolloutState::Complete => "complete",
            RolloutState::Progressing(_) => "progressing",
            RolloutState::Stalled(_) => "STALLED",
            RolloutState::Paused => "paused",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HpaInfo {
    pub name: String,
    pub min: i32,
    pub max: i32,
    pub current: i32,
    pub desired: i32,
    /// Current average CPU utilisation, percent of request.
    pub cpu_percent: Option<i32>,
    pub cpu_target: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodInfo {
    pub name: String,
    pub namespace: String,
    pub phase: String,
    pub ready_containers: u32,
    pub containers: u32,
    /// The containers' names, in the pod spec's order (for logs and exec).
    pub container_names: Vec<String>,
    pub restarts: i32,
    /// `CrashLoopBackOff`, `ImagePullBackOff`, … while waiting.
    pub waiting_reason: Option<String>,
    /// `OOMKilled`, `Error`, … of the last termination.
    pub last_termination: Option<String>,
    pub node: Option<String>,
    pub created: Option<SystemTime>,
    pub deleting: bool,
}

impl PodInfo {
    pub fn is_ready(&self) -> bool {
        self.containers > 0 && self.ready_containers == self.containers && self.phase == "Running"
    }

    /// The status kubectl's STATUS column would show.
    pub fn status(&self) -> String {
        if self.deleting {
            return "Terminating".into();
        }
        self.waiting_reason
            .clone()
            .unwrap_or_else(|| self.phase.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionInfo {
    pub revision: i64,
    pub images: Vec<String>,
    pub change_cause: Option<String>,
    pub created: Option<SystemTime>,
    /// Who made it: the field manager that last wrote the pod template
    /// (`kubectl-set`, `helm`), when the API server says so.
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventInfo {
    pub reason: String,
    pub message: String,
    pub count: i32,
    pub last: Option<SystemTime>,
    /// `Pod/api-7f…`.
    pub object: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub id: WorkloadRef,
    pub desired: i32,
    pub ready: i32,
    pub updated: i32,
    pub available: i32,
    pub images: Vec<String>,
    /// Deployment revision, or the StatefulSet/DaemonSet update revision.
    pub revision: Option<String>,
    pub paused: bool,
    pub rollout: RolloutState,
    pub hpa: Option<HpaInfo>,
    pub pods: Vec<PodInfo>,
    pub history: Vec<RevisionInfo>,
    pub events: Vec<EventInfo>,
    /// Set while the cluster cannot be reached: this is the last known state.
    pub stale: Option<super::Stale>,
}

impl Workload {
    pub fn restarts(&self) -> i32 {
        self.pods.iter().map(|p| p.restarts).sum()
    }

    /// The workload's health, with the reason when not Up.
    pub fn health(&self) -> (super::Health, Option<String>) {
        use super::Health;
        if let Some(s) = &self.stale {
            return (Health::Unknown, Some(s.reason()));
        }
        let crash = self.pods.iter().find(|p| {
            p.waiting_reason
                .as_deref()
                .is_some_and(|r| r.contains("BackOff") || r.contains("Err"))
        });
        if self.desired > 0 && self.ready == 0 {
            let why = crash
                .and_then(|p| p.waiting_reason.clone())
                .unwrap_or_else(|| "no pod ready".into());
            return (
                Health::Down,
                Some(format!("0/{} ready · {why}", self.desired)),
            );
        }
        if let RolloutState::Stalled(_) = &self.rollout {
            return (
                Health::Degraded,
                Some("rollout stalled (progress deadline)".into()),
            );
        }
        if let Some(p) = crash {
            let last = p
                .last_termination
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            return (
                Health::Degraded,
                Some(format!(
                    "{} {}{last}",
                    p.name,
                    p.waiting_reason.as_deref().unwrap_or("")
                )),
            );
        }
        if self.ready < self.desired {
            return (
                Health::Degraded,
                Some(format!("{}/{} ready", self.ready, self.desired)),
            );
        }
        (Health::Up, None)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    pub context: String,
    pub name: String,
    pub ready: bool,
    /// `MemoryPressure`, `DiskPressure`, `PIDPressure` that are True.
    pub pressures: Vec<String>,
    pub unschedulable: bool,
    pub pods: u32,
    pub kubelet: Option<String>,
    pub roles: Vec<String>,
    pub created: Option<SystemTime>,
}

/// How one watched resource type of one cluster is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ResourceStatus {
    Syncing,
    Ok,
    /// RBAC refused it (403): `cannot watch pods in kube-system (RBAC)`.
    Forbidden(String),
    /// Anything else; the watcher retries with a capped backoff.
    Failing(super::Fault),
}

/// The resources a workload row is built from: while one of them cannot be
/// watched, the rows are the last known state.
pub const WORKLOAD_RESOURCES: &[&str] = &[
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "pods",
];

/// Everything one cluster context shows, rebuilt as its objects change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSnapshot {
    pub context: String,
    pub workloads: Vec<Workload>,
    pub nodes: Vec<NodeInfo>,
    /// Events of every type, folded, newest first, at most
    /// [`super::cluster_event::EVENTS_PER_CONTEXT`].
    pub events: Vec<super::ClusterEvent>,
    /// The cluster's namespaces, sorted (its Namespace objects; empty while
    /// they cannot be listed), for `:ns`.
    pub namespaces: Vec<String>,
    /// `(resource, status)` per watched resource type.
    pub resources: Vec<(String, ResourceStatus)>,
    /// Services whose selector picks one of two slot workloads.
    pub pairs: Vec<super::BlueGreen>,
    /// Set when the context could not be used at all (bad kubeconfig …).
    pub error: Option<String>,
}

impl ClusterSnapshot {
    /// One line on how the source is doing, for the header or notice.
    pub fn problem(&self) -> Option<String> {
        if let Some(e) = &self.error {
            return Some(format!("{}: {e}", self.context));
        }
        let parts = resource_problems(&self.context, &self.resources);
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// Since when the workload rows of a context have been stale: the start
/// of the oldest fault among [`WORKLOAD_RESOURCES`].
pub fn workloads_stale_since(resources: &[(String, ResourceStatus)]) -> Option<SystemTime> {
    resources
        .iter()
        .filter(|(r, _)| WORKLOAD_RESOURCES.contains(&r.as_str()))
        .filter_map(|(_, s)| match s {
            ResourceStatus::Failing(f) => Some(f.since),
            _ => None,
        })
        .min()
}

/// The notice phrases for one context, in words: one line for the API
/// server when every failing resource fails the same way
/// (`API server prod: connection refused`), else one per resource
/// (`k8s prod: pods HTTP 500`), and RBAC refusals as
/// `k8s prod: Forbidden: cannot watch pods in kube-system (RBAC)`.
pub fn resource_problems(context: &str, resources: &[(String, ResourceStatus)]) -> Vec<String> {
    let mut out = Vec::new();
    let failing: Vec<(&str, &super::Fault)> = resources
        .iter()
        .filter_map(|(r, s)| match s {
            ResourceStatus::Failing(f) => Some((r.as_str(), f)),
            _ => None,
        })
        .collect();
    let same = failing
        .first()
        .is_some_and(|(_, f0)| failing.iter().all(|(_, f)| f.words == f0.words));
    if same && (failing.len() > 1 || failing.len() == resources.len()) {
        out.push(format!("API server {context}: {}", failing[0].1.words));
    } else {
        for (r, f) in &failing {
            out.push(format!("k8s {context}: {r} {}", f.words));
        }
    }
    let forbidden: Vec<&str> = resources
        .iter()
        .filter_map(|(_, s)| match s {
            ResourceStatus::Forbidden(m) => Some(m.as_str()),
            _ => None,
        })
        .collect();
    if !forbidden.is_empty() {
        out.push(format!(
            "k8s {context}: Forbidden: {}",
            forbidden.join("; ")
        ));
    }
    out
}

/// The image's tag (`1.4.2`), else the short image (`api@sha256:…`).
pub fn image_tag(image: &str) -> &str {
    let short = short_image(image);
    match short.rsplit_once(':') {
        Some((name, t)) if !name.contains('@') => t,
        _ => short,
    }
}

/// `registry.local/team/api:1.4.2` → `api:1.4.2`.
pub fn short_image(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_workload_refs() {
        let r = WorkloadRef::parse("prod/shop/deploy/api").unwrap();
        assert_eq!(r.kind, WorkloadKind::Deployment);
        assert_eq!(r.to_string(), "prod/shop/deployment/api");
        assert!(WorkloadRef::parse("prod/shop/api").is_err());
        assert!(
            WorkloadRef::parse("prod/shop/cronjob/x")
                .unwrap_err()
                .contains("cronjob")
        );
    }
}
