//! Actions as data: what an operator asked for, the plan that says what
//! will happen, and the jobs that carry plans out.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

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
    Scale { replicas: i32 },
    /// `kubectl rollout restart`.
    Restart,
    /// `kubectl rollout undo [--to-revision]`.
    Rollback { to_revision: Option<i64> },
    /// Delete one pod; its controller replaces it.
    DeletePod { pod: String },
    /// Stop a container.
    Stop,
    /// Start a stopped container.
    Start,
    /// Create an Alertmanager silence.
    Silence,
    /// Expire an Alertmanager silence.
    ExpireSilence,
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
        use super::text::safe;
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

/// `run X`, `run X on S`, `run X on host H`, `run X on host H (service S)`.
fn runbook_summary(runbook: &str, service: Option<&str>, host: Option<&str>) -> String {
    match (host, service) {
        (Some(h), Some(s)) => format!("run {runbook} on host {h} (service {s})"),
        (Some(h), None) => format!("run {runbook} on host {h}"),
        (None, Some(s)) => format!("run {runbook} on {s}"),
        (None, None) => format!("run {runbook}"),
    }
}

/// A confirmed plan being carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Progress of a running job; each field is shown when present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub bytes: Option<u64>,
    /// `(done, total)` steps.
    pub step: Option<(u32, u32)>,
    /// What the job is doing now, e.g. "verifying checksum".
    pub phase: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    Cancelled,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// The result of a follow-up check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpResult {
    pub passed: bool,
    pub detail: String,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobResult {
    pub outcome: Outcome,
    /// On success what was done (e.g. the file written); on failure the
    /// exact error.
    pub message: String,
    pub follow_up: Option<FollowUpResult>,
    /// Exit status of a command, when there was one.
    pub exit_code: Option<i32>,
}

/// Lines of output kept per job.
pub const OUTPUT_LINES: usize = 2000;

/// A job as the board shows it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub plan: ActionPlan,
    pub started: SystemTime,
    pub progress: Progress,
    /// Bounded output (stdout and stderr interleaved), oldest dropped first.
    pub output: std::collections::VecDeque<String>,
    pub dropped_lines: u64,
    pub finished: Option<(SystemTime, JobResult)>,
    /// The operator has acknowledged the result.
    pub dismissed: bool,
}

impl Job {
    pub fn new(id: JobId, plan: ActionPlan, started: SystemTime) -> Job {
        Job {
            id,
            plan,
            started,
            progress: Progress::default(),
            output: std::collections::VecDeque::new(),
            dropped_lines: 0,
            finished: None,
            dismissed: false,
        }
    }

    pub fn push_output(&mut self, line: String) {
        if self.output.len() == OUTPUT_LINES {
            self.output.pop_front();
            self.dropped_lines += 1;
        }
        self.output.push_back(line);
    }

    pub fn is_running(&self) -> bool {
        self.finished.is_none()
    }

    pub fn elapsed(&self, now: SystemTime) -> Duration {
        let end = self.finished.as_ref().map_or(now, |(t, _)| *t);
        end.duration_since(self.started).unwrap_or_default()
    }
}

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
        workload: super::WorkloadRef,
        replicas: i32,
    },
    Restart {
        workload: super::WorkloadRef,
    },
    Rollback {
        workload: super::WorkloadRef,
        to_revision: Option<i64>,
    },
    DeletePod {
        workload: super::WorkloadRef,
        pod: String,
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
        service: super::ComposeRef,
        replicas: u32,
    },
    /// Recreate with the image it ran before.
    DockerRollback {
        target: DockerTarget,
    },
    /// Create an Alertmanager silence.
    Silence {
        server: String,
        matchers: Vec<super::Matcher>,
        duration: Duration,
        comment: String,
    },
    /// Expire an Alertmanager silence now.
    ExpireSilence {
        server: String,
        id: String,
        /// What it matched, to say so in the plan.
        matchers: Vec<super::Matcher>,
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
    Compose(super::ComposeRef),
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
    pub fn workload(&self) -> Option<&super::WorkloadRef> {
        match self {
            ActionRequest::Scale { workload, .. }
            | ActionRequest::Restart { workload }
            | ActionRequest::Rollback { workload, .. }
            | ActionRequest::DeletePod { workload, .. } => Some(workload),
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
            ActionRequest::DockerRestart { .. } => Verb::Restart,
            ActionRequest::DockerStop { .. } => Verb::Stop,
            ActionRequest::DockerStart { .. } => Verb::Start,
            ActionRequest::DockerScale { replicas, .. } => Verb::Scale {
                replicas: *replicas as i32,
            },
            ActionRequest::DockerRollback { .. } => Verb::Rollback { to_revision: None },
            ActionRequest::Silence { .. } => Verb::Silence,
            ActionRequest::ExpireSilence { .. } => Verb::ExpireSilence,
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
                super::Matcher::format_list(matchers)
            ),
            ActionRequest::ExpireSilence { server, id, .. } => {
                format!("expire silence {id} on {server}")
            }
        }
    }
}
