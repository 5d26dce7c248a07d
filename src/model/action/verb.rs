//! What an action does ([`Verb`]), to what ([`Target`]), and how risky it
//! is ([`Risk`]).

use std::fmt;

use serde::Serialize;

/// What an action acts on. `key` identifies it for "one in flight per
/// target" and for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Target {
    /// Stable identity, e.g. `backup/redis-nightly`, `service/api`.
    pub key: String,
    /// The name an operator types to confirm a protected target.
    pub name: String,
    pub service: Option<String>,
    pub environment: Option<String>,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// What is done to the target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    /// Run a backup job now.
    Backup,
    /// Re-verify a backup job's newest file.
    Verify,
    /// Run a configured runbook command.
    Runbook(String),
    /// Scale a workload to a replica count.
    Scale {
        replicas: i32,
    },
    /// `kubectl rollout restart`.
    Restart,
    /// `kubectl rollout undo [--to-revision]`.
    Rollback {
        to_revision: Option<i64>,
    },
    /// Delete one pod; its controller replaces it.
    DeletePod {
        pod: String,
    },
    /// Stop a container.
    Stop,
    /// Start a stopped container.
    Start,
    /// Create an Alertmanager silence.
    Silence,
    /// Expire an Alertmanager silence.
    ExpireSilence,
    /// Run a command in a container, the terminal handed over to it.
    Exec {
        command: String,
    },
    /// Move a blue-green Service's traffic to another slot.
    Switch {
        to: String,
    },
    /// Mark a node unschedulable.
    Cordon,
    Uncordon,
    /// Cordon a node and evict its pods.
    Drain,
}

impl Verb {
    pub fn word(&self) -> String {
        match self {
            Verb::Backup => "backup".into(),
            Verb::Verify => "verify".into(),
            Verb::Runbook(name) => format!("run {name}"),
            Verb::Scale { replicas } => format!("scale to {replicas}"),
            Verb::Restart => "restart".into(),
            Verb::Rollback {
                to_revision: Some(r),
            } => format!("roll back to revision {r}"),
            Verb::Rollback { to_revision: None } => "roll back".into(),
            Verb::DeletePod { pod } => format!("delete pod {pod} of"),
            Verb::Stop => "stop".into(),
            Verb::Start => "start".into(),
            Verb::Silence => "silence".into(),
            Verb::ExpireSilence => "expire silence".into(),
            Verb::Exec { command } if command == "shell" => "shell in".into(),
            Verb::Exec { command } => format!("exec {command} in"),
            Verb::Switch { to } => format!("switch to {to}"),
            Verb::Cordon => "cordon".into(),
            Verb::Uncordon => "uncordon".into(),
            Verb::Drain => "drain".into(),
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.word())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Reads or copies; changes nothing that serves traffic.
    Low,
    /// Changes something, recoverably.
    Medium,
    /// Could take something down or lose data.
    High,
}

impl Risk {
    pub fn word(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}
