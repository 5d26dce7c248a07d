//! What an operator asked for, before any planning: the request, the
//! Docker target it may name, and the one-line summary of each.

use std::time::Duration;

use serde::Serialize;

use super::{RunbookScope, Verb};

/// What an operator asked for, before any planning. Made by the reducer
/// from a key press; `ops` turns it into an [`ActionPlan`] or a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verb", rename_all = "snake_case")]
pub enum ActionRequest {
    Backup {
        job: String,
    },
    Verify {
        job: String,
    },
    Runbook {
        runbook: String,
        service: Option<String>,
        /// The instance the runbook runs against, for `{host}`.
        host: Option<String>,
        /// Where the service or instance lives, as the board saw it.
        scope: RunbookScope,
    },
    Scale {
        workload: crate::model::WorkloadRef,
        replicas: i32,
    },
    Restart {
        workload: crate::model::WorkloadRef,
    },
    Rollback {
        workload: crate::model::WorkloadRef,
        to_revision: Option<i64>,
    },
    DeletePod {
        workload: crate::model::WorkloadRef,
        pod: String,
    },
    /// `kubectl cordon`: no new pods on the node.
    Cordon {
        node: crate::model::NodeRef,
    },
    /// `kubectl uncordon`.
    Uncordon {
        node: crate::model::NodeRef,
    },
    /// `kubectl drain --ignore-daemonsets`: cordon, then evict every pod
    /// but DaemonSet and mirror pods through the Eviction API (so
    /// PodDisruptionBudgets hold), and wait for them to go.
    Drain {
        node: crate::model::NodeRef,
    },
    /// Move a blue-green Service's traffic to the slot `slot` (its
    /// workload `to`): the selector's `key` label becomes `slot`.
    Switch {
        service: crate::model::ServiceRef,
        to: crate::model::WorkloadRef,
        key: String,
        slot: String,
    },
    /// Restart a container, or roll a Compose service's replicas one by one.
    DockerRestart {
        target: DockerTarget,
    },
    DockerStop {
        target: DockerTarget,
    },
    DockerStart {
        target: DockerTarget,
    },
    /// Scale a Compose service to `replicas` containers.
    DockerScale {
        service: crate::model::ComposeRef,
        replicas: u32,
    },
    /// Recreate with the image it ran before.
    DockerRollback {
        target: DockerTarget,
    },
    /// Create an Alertmanager silence.
    Silence {
        server: String,
        matchers: Vec<crate::model::Matcher>,
        duration: Duration,
        comment: String,
    },
    /// Run `command` in a container with the terminal handed over to it
    /// (`x`: a shell unless configured otherwise).
    Exec {
        target: super::ExecTarget,
        command: Vec<String>,
    },
    /// Expire an Alertmanager silence now.
    ExpireSilence {
        server: String,
        id: String,
        /// What it matched, to say so in the plan.
        matchers: Vec<crate::model::Matcher>,
    },
}

/// A container, or all containers of a Compose service, on one host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DockerTarget {
    Container {
        host: String,
        id: String,
        name: String,
    },
    Compose(crate::model::ComposeRef),
}

impl DockerTarget {
    pub fn host(&self) -> &str {
        match self {
            DockerTarget::Container { host, .. } => host,
            DockerTarget::Compose(c) => &c.host,
        }
    }

    /// `container web-1` or `compose shop/web`.
    pub fn describe(&self) -> String {
        match self {
            DockerTarget::Container { name, .. } => format!("container {name}"),
            DockerTarget::Compose(c) => format!("compose service {c}"),
        }
    }
}

impl ActionRequest {
    /// The Kubernetes workload this request acts on, if it is one.
    pub fn workload(&self) -> Option<&crate::model::WorkloadRef> {
        match self {
            ActionRequest::Scale { workload, .. }
            | ActionRequest::Restart { workload }
            | ActionRequest::Rollback { workload, .. }
            | ActionRequest::DeletePod { workload, .. } => Some(workload),
            ActionRequest::Switch { to, .. } => Some(to),
            _ => None,
        }
    }

    /// The node this request acts on, if it is one.
    pub fn node(&self) -> Option<&crate::model::NodeRef> {
        match self {
            ActionRequest::Cordon { node }
            | ActionRequest::Uncordon { node }
            | ActionRequest::Drain { node } => Some(node),
            _ => None,
        }
    }

    /// Whether this request acts on Docker.
    pub fn is_docker(&self) -> bool {
        matches!(
            self,
            ActionRequest::DockerRestart { .. }
                | ActionRequest::DockerStop { .. }
                | ActionRequest::DockerStart { .. }
                | ActionRequest::DockerScale { .. }
                | ActionRequest::DockerRollback { .. }
        )
    }

    /// The verb this request asks for.
    pub fn verb(&self) -> Verb {
        match self {
            ActionRequest::Backup { .. } => Verb::Backup,
            ActionRequest::Verify { .. } => Verb::Verify,
            ActionRequest::Runbook { runbook, .. } => Verb::Runbook(runbook.clone()),
            ActionRequest::Scale { replicas, .. } => Verb::Scale {
                replicas: *replicas,
            },
            ActionRequest::Restart { .. } => Verb::Restart,
            ActionRequest::Rollback { to_revision, .. } => Verb::Rollback {
                to_revision: *to_revision,
            },
            ActionRequest::DeletePod { pod, .. } => Verb::DeletePod { pod: pod.clone() },
            ActionRequest::Switch { slot, .. } => Verb::Switch { to: slot.clone() },
            ActionRequest::Cordon { .. } => Verb::Cordon,
            ActionRequest::Uncordon { .. } => Verb::Uncordon,
            ActionRequest::Drain { .. } => Verb::Drain,
            ActionRequest::DockerRestart { .. } => Verb::Restart,
            ActionRequest::DockerStop { .. } => Verb::Stop,
            ActionRequest::DockerStart { .. } => Verb::Start,
            ActionRequest::DockerScale { replicas, .. } => Verb::Scale {
                replicas: *replicas as i32,
            },
            ActionRequest::DockerRollback { .. } => Verb::Rollback { to_revision: None },
            ActionRequest::Silence { .. } => Verb::Silence,
            ActionRequest::ExpireSilence { .. } => Verb::ExpireSilence,
            ActionRequest::Exec { command, .. } => Verb::Exec {
                command: super::command_label(command),
            },
        }
    }

    /// One line for messages: `backup redis-nightly`.
    pub fn summary(&self) -> String {
        match self {
            ActionRequest::Backup { job } => format!("backup {job}"),
            ActionRequest::Verify { job } => format!("verify {job}"),
            ActionRequest::Runbook {
                runbook,
                service,
                host,
                ..
            } => runbook_summary(runbook, service.as_deref(), host.as_deref()),
            ActionRequest::Scale { workload, replicas } => {
                format!("scale {} to {replicas}", workload.short())
            }
            ActionRequest::Restart { workload } => format!("restart {}", workload.short()),
            ActionRequest::Rollback {
                workload,
                to_revision: Some(r),
            } => {
                format!("roll back {} to revision {r}", workload.short())
            }
            ActionRequest::Rollback {
                workload,
                to_revision: None,
            } => format!("roll back {}", workload.short()),
            ActionRequest::DeletePod { pod, .. } => format!("delete pod {pod}"),
            ActionRequest::Cordon { node } => format!("cordon node {}", node.name),
            ActionRequest::Uncordon { node } => format!("uncordon node {}", node.name),
            ActionRequest::Drain { node } => format!("drain node {}", node.name),
            ActionRequest::Switch { service, slot, .. } => {
                format!("switch service/{} to {slot}", service.name)
            }
            ActionRequest::DockerRestart { target } => format!("restart {}", target.describe()),
            ActionRequest::DockerStop { target } => format!("stop {}", target.describe()),
            ActionRequest::DockerStart { target } => format!("start {}", target.describe()),
            ActionRequest::DockerScale { service, replicas } => {
                format!("scale {service} to {replicas}")
            }
            ActionRequest::DockerRollback { target } => format!("roll back {}", target.describe()),
            ActionRequest::Silence {
                server, matchers, ..
            } => format!(
                "silence {} on {server}",
                crate::model::Matcher::format_list(matchers)
            ),
            ActionRequest::ExpireSilence { server, id, .. } => {
                format!("expire silence {id} on {server}")
            }
            ActionRequest::Exec { target, command } => {
                match super::command_label(command).as_str() {
                    "shell" => format!("shell in {target}"),
                    c => format!("exec {c} in {target}"),
                }
            }
        }
    }
}

/// `run X`, `run X on S`, `run X on host H`, `run X on host H (service S)`.
pub(super) fn runbook_summary(runbook: &str, service: Option<&str>, host: Option<&str>) -> String {
    match (host, service) {
        (Some(h), Some(s)) => format!("run {runbook} on host {h} (service {s})"),
        (Some(h), None) => format!("run {runbook} on host {h}"),
        (None, Some(s)) => format!("run {runbook} on {s}"),
        (None, None) => format!("run {runbook}"),
    }
}
