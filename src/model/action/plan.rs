//! The plan: what will happen, at what risk, what confirming it takes,
//! the dry run and the follow-up check; shown to the operator before
//! anything runs.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::request::runbook_summary;
use super::{Risk, Target, Verb};

/// What confirming a plan takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    /// Runs without asking (a runbook with `confirm = false`).
    None,
    /// Enter / `y`.
    YesNo,
    /// The target is protected: its name must be typed.
    TypeName(String),
}

/// How an action proves it worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// The service's health probes all return Up within the duration.
    HealthUp { service: String, within: Duration },
}

impl fmt::Display for FollowUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FollowUp::HealthUp { service, within } => write!(
                f,
                "{service} health returns to Up within {}",
                humantime::format_duration(*within)
            ),
        }
    }
}

/// A backend's dry run of a plan, shown in the confirm dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DryRun {
    pub ok: bool,
    pub text: String,
}

/// Where a runbook's service or instance lives, as the board knows it:
/// fills `{context}`, `{namespace}` and `{container}` where config binds
/// nothing, and puts a target opsboard discovered (a workload in a
/// protected context, a container on a Docker host, a fleet's device) in
/// its environment. The action layer checks every value it uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunbookScope {
    /// Kubernetes context.
    pub context: Option<String>,
    pub namespace: Option<String>,
    /// A container name (Docker) for `{container}`.
    pub container: Option<String>,
    /// The Docker host (board name) the container runs on.
    pub docker_host: Option<String>,
    /// The device fleet the host belongs to.
    pub fleet: Option<String>,
    /// The Prometheus server whose scrape target the host is.
    pub prometheus: Option<String>,
}

/// A key press produces a plan; nothing runs until it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionPlan {
    pub id: u64,
    pub target: Target,
    pub verb: Verb,
    /// Secrets never appear here: only their references.
    pub parameters: BTreeMap<String, String>,
    pub what_will_happen: Vec<String>,
    pub risk: Risk,
    pub confirmation: Confirmation,
    pub dry_run: Option<DryRun>,
    pub follow_up: Option<FollowUp>,
    /// Whether a running job can be cancelled.
    pub cancellable: bool,
}

impl ActionPlan {
    /// The plan as it may be shown and recorded: every registered secret
    /// value masked and every control character removed, in every text
    /// it carries (names of discovered things and dry-run answers come
    /// from outside).
    pub fn made_safe(mut self) -> ActionPlan {
        use crate::model::text::safe;
        self.target.name = safe(&self.target.name);
        self.parameters = self
            .parameters
            .into_iter()
            .map(|(k, v)| (safe(&k), safe(&v)))
            .collect();
        for step in &mut self.what_will_happen {
            *step = safe(step);
        }
        if let Some(d) = &mut self.dry_run {
            d.text = safe(&d.text);
        }
        self
    }

    /// One line: `backup redis-nightly`, `run flush-cache on api`,
    /// `run ping on host rpi-007`.
    pub fn summary(&self) -> String {
        match (&self.verb, &self.target.service) {
            (Verb::Runbook(name), service) => runbook_summary(
                name,
                service.as_deref(),
                self.parameters.get("host").map(String::as_str),
            ),
            (Verb::Scale { replicas }, _) => format!("scale {} to {replicas}", self.target.name),
            (Verb::DeletePod { pod }, _) => format!("delete pod {pod}"),
            (Verb::Switch { to }, _) => format!("switch {} to {to}", self.target.name),
            (
                Verb::Rollback {
                    to_revision: Some(r),
                },
                _,
            ) => {
                format!("roll back {} to revision {r}", self.target.name)
            }
            _ => format!("{} {}", self.verb, self.target.name),
        }
    }
}
