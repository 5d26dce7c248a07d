//! Release safety as plain data: what changed on a service (its
//! timeline), when a rollout counts as regressed (`rollback_on`), and a
//! blue-green pair behind one Kubernetes Service.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::WorkloadRef;

/// What kind of change a timeline entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A Kubernetes revision rolled out.
    Rollout,
    /// A container of the service came back with another image (Docker).
    Image,
    /// The HorizontalPodAutoscaler (or someone) changed the replica count.
    Scale,
    /// An action opsboard ran (from this board's jobs or the audit log).
    Action,
    /// Traffic moved to the other slot of a blue-green pair.
    Switch,
    AlertStarted,
    AlertResolved,
}

impl ChangeKind {
    /// The short word the timeline's first column shows.
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::Rollout => "rollout",
            ChangeKind::Image => "image",
            ChangeKind::Scale => "scale",
            ChangeKind::Action => "action",
            ChangeKind::Switch => "switch",
            ChangeKind::AlertStarted => "alert",
            ChangeKind::AlertResolved => "resolved",
        }
    }

    /// Whether the change is one an alert may be blamed on (a release).
    pub fn is_release(self) -> bool {
        matches!(
            self,
            ChangeKind::Rollout | ChangeKind::Image | ChangeKind::Switch
        )
    }
}

/// One entry of a service's change timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub at: SystemTime,
    pub kind: ChangeKind,
    /// What changed, one line: `api:1.4.3 (rev 4)`, `3 → 5 replicas`.
    pub what: String,
    /// Who made it, when known: a field manager (`kubectl-set`,
    /// `helm`), `opsboard`, `automatic`.
    pub who: Option<String>,
    /// The release it names, for the after-change hint:
    /// `rolled out 1.4.3 (rev 4)`.
    pub release: Option<String>,
}

/// How a service responds to a regressed rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackMode {
    /// Not judged.
    Off,
    /// A critical `RolloutRegressed` alert that names the key to roll back.
    Suggest,
    /// The board plans and runs the rollback itself (audited as automatic).
    Act,
}

impl RollbackMode {
    pub fn word(self) -> &'static str {
        match self {
            RollbackMode::Off => "off",
            RollbackMode::Suggest => "suggest",
            RollbackMode::Act => "act",
        }
    }
}

/// When a rollout counts as regressed: the deployment guides' automated
/// rollback conditions, judged within `window` after the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RollbackOn {
    /// Share of requests failing (0–1) above which it regressed.
    pub error_rate: Option<f64>,
    /// p95 latency above this many times the pre-rollout baseline.
    pub latency_factor: Option<f64>,
    /// The service's health checks failing (Down).
    pub health: bool,
    /// How long after a rollout it is judged.
    pub window: Duration,
    /// How long the evidence must hold before it counts.
    pub hold_for: Duration,
    pub mode: RollbackMode,
}

impl Default for RollbackOn {
    /// The guides' values: errors above 10 %, p95 above 2× the baseline,
    /// health failing, within 30 minutes; suggested, not acted on.
    fn default() -> Self {
        RollbackOn {
            error_rate: Some(0.10),
            latency_factor: Some(2.0),
            health: true,
            window: Duration::from_secs(30 * 60),
            hold_for: Duration::from_secs(60),
            mode: RollbackMode::Suggest,
        }
    }
}

/// How far back an alert is blamed on a change by default.
pub const CHANGE_WINDOW: Duration = Duration::from_secs(30 * 60);

/// One slot of a blue-green pair: a workload behind the Service's selector
/// when live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    /// The slot label's value: `blue`, `green`.
    pub name: String,
    pub workload: WorkloadRef,
    pub desired: i32,
    pub ready: i32,
    pub images: Vec<String>,
    /// The rollout of this slot's workload is complete.
    pub settled: bool,
}

impl Slot {
    /// Every desired pod is ready and the rollout is complete: traffic
    /// may move here.
    pub fn fully_ready(&self) -> bool {
        self.desired > 0 && self.ready >= self.desired && self.settled
    }
}

/// A Kubernetes Service whose selector picks one of two workloads that
/// differ only in a slot label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlueGreen {
    pub context: String,
    pub namespace: String,
    /// The Service's name.
    pub service: String,
    /// The label telling the slots apart: `slot`, `color`, `version`.
    pub key: String,
    /// The slot the selector picks now.
    pub live: Slot,
    pub idle: Slot,
}

impl BlueGreen {
    /// `context/namespace/name` of the Service.
    pub fn service_ref(&self) -> String {
        format!("{}/{}/{}", self.context, self.namespace, self.service)
    }
}

/// A Kubernetes Service, as a blue-green switch names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ServiceRef {
    pub context: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for ServiceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/service/{}",
            self.context, self.namespace, self.name
        )
    }
}

impl ServiceRef {
    /// Parses `context/namespace/name` (config's `blue_green = …`).
    pub fn parse(s: &str) -> Result<ServiceRef, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [c, n, name] if !c.is_empty() && !n.is_empty() && !name.is_empty() => Ok(ServiceRef {
                context: c.to_string(),
                namespace: n.to_string(),
                name: name.to_string(),
            }),
            _ => Err(format!(
                "`{s}` is not context/namespace/service (e.g. \"prod/shop/doorbell\")"
            )),
        }
    }

    /// Whether this binding (`*` context = any) names the pair's Service.
    pub fn binds(&self, p: &BlueGreen) -> bool {
        (self.context == "*" || self.context == p.context)
            && self.namespace == p.namespace
            && self.name == p.service
    }
}
