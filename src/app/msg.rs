//! Messages into the reducer and effects out of it.

use std::time::SystemTime;

use crossterm::event::KeyEvent;

use crate::model::{ActionPlan, BackupFile, JobId, JobResult, ProbeId, ProbeOutcome, Progress};

/// Everything that can change [`super::State`].
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved; time arrives in the message so `update` stays pure.
    Tick(SystemTime),
    /// A probe finished. `generation` tells late answers from a replaced
    /// config apart.
    Probe {
        id: ProbeId,
        generation: u64,
        outcome: ProbeOutcome,
    },
    /// SIGTERM / SIGHUP: leave cleanly.
    Shutdown,
    /// A frame reached the terminal at this time: a confirm dialog counts
    /// as seen from here on.
    Drawn(SystemTime),
    /// News from the action layer.
    Ops(OpsEvent),
    /// New log lines for the logs view.
    LogLines(Vec<crate::model::LogEntry>),
    /// A Docker host's containers, rebuilt.
    Docker(Box<crate::model::DockerSnapshot>),
    /// A Kubernetes context's state, rebuilt.
    Kube(Box<crate::model::ClusterSnapshot>),
    /// The Kubernetes source has (re)connected for a scope: what it
    /// watches, the kubeconfig's contexts. Snapshots after it are of that
    /// scope.
    KubeScope(crate::model::kube_scope::ScopeReport),
    /// A service's metrics: new points (one per scrape, or a backfill from
    /// `query_range`), or why they could not be had.
    Metrics {
        service: usize,
        generation: u64,
        update: MetricsUpdate,
    },
    /// Alerts from one Prometheus or Alertmanager, or why not.
    RemoteAlerts {
        source: crate::model::AlertSource,
        server: String,
        at: SystemTime,
        alerts: Result<Vec<crate::model::Alert>, String>,
    },
    /// An Alertmanager's silences.
    Silences {
        server: String,
        silences: Result<Vec<crate::model::Silence>, String>,
    },
    /// A Prometheus server's scrape targets and rule health.
    PromTargets {
        server: String,
        at: SystemTime,
        targets: Result<Vec<crate::model::ScrapeTarget>, String>,
        rules: Result<Vec<crate::model::RuleHealth>, String>,
    },
    /// A batch of one endpoint fleet's device polls.
    DevicePolls {
        fleet: usize,
        generation: u64,
        results: Vec<crate::model::fleet::DevicePoll>,
    },
    /// A query-backed fleet's devices (the whole set), or why not.
    FleetQuery {
        fleet: usize,
        generation: u64,
        at: SystemTime,
        devices: Result<Vec<crate::model::fleet::QueriedDevice>, String>,
    },
    /// The document of a describe, YAML or inspect view (`request` tells a
    /// late answer for a view since closed apart), or why it could not be
    /// read.
    Document {
        request: u64,
        result: Result<crate::model::document::Document, String>,
    },
    /// A backup job's directory was (re)read.
    BackupsScanned {
        job: String,
        files: Result<Vec<BackupFile>, String>,
    },
}

/// What one round of a service's metrics brought.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsUpdate {
    /// Oldest first; many for a backfill.
    pub points: Vec<crate::model::metrics::MetricPoint>,
    /// The latest value of each configured custom metric.
    pub custom: Option<Vec<crate::model::metrics::CustomValue>>,
    /// Share of disk used, when a query gives it.
    pub disk_ratio: Option<f64>,
    /// The round failed: why (the points, if any, are still used).
    pub error: Option<String>,
    /// Malformed lines, Prometheus warnings.
    pub warnings: Vec<String>,
    pub at: Option<SystemTime>,
}

/// What the action layer reports back.
#[derive(Debug, Clone)]
pub enum OpsEvent {
    /// A request became a plan; nothing runs until it is confirmed.
    Planned(ActionPlan),
    /// A request or plan was refused (read-only, busy target, protection,
    /// unknown target…). The refusal is already in the audit log.
    Refused {
        what: String,
        reason: String,
    },
    JobStarted {
        job: JobId,
        plan: ActionPlan,
        at: SystemTime,
    },
    JobProgress {
        job: JobId,
        progress: Progress,
    },
    JobOutput {
        job: JobId,
        line: String,
    },
    JobFinished {
        job: JobId,
        at: SystemTime,
        result: JobResult,
    },
    /// Writing the audit log failed: actions are stopped until it works.
    AuditFailed(String),
    /// Revealing the masked values of view `request` is in the audit log:
    /// they may be shown now.
    Revealed {
        request: u64,
    },
}

/// Work the reducer asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run these services' probes now instead of waiting for the interval
    /// (`None`: every service).
    PollNow(Option<Vec<usize>>),
    /// Turn a request into a plan (or a refusal).
    Plan(crate::model::ActionRequest),
    /// `rollback_on.mode = "act"`: the board asks the action layer to roll
    /// back `workload`'s `revision` by itself, with the evidence.
    AutoRollback {
        workload: crate::model::WorkloadRef,
        revision: i64,
        evidence: String,
    },
    /// The operator confirmed; `typed` is what they typed for a protected
    /// target. The action layer checks it again.
    Execute {
        plan: Box<ActionPlan>,
        typed: Option<String>,
    },
    /// The operator said no at the confirm dialog (audited).
    Decline(Box<ActionPlan>),
    CancelJob(JobId),
    /// Follow these streams (containers, pods' containers), replacing
    /// any feed already running.
    FollowLogs(crate::model::LogRequest),
    /// The streams the open logs view shows now (pods came or went).
    LogTargets(Vec<crate::model::LogTarget>),
    StopLogs,
    /// Put this text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// A critical alert started firing and the bell is on.
    Bell,
    /// Fetch Alertmanager alerts and silences now.
    PollAlerts,
    /// Read `object` for a describe, YAML or inspect view; the answer
    /// comes back as `Msg::Document` with this `request`.
    FetchDocument {
        request: u64,
        object: crate::model::document::ObjectRef,
        rendering: crate::model::document::Rendering,
    },
    /// Watch this Kubernetes scope instead (`:ctx`, `:ns`): the source
    /// starts again with it and answers with `Msg::KubeScope` carrying
    /// `generation`.
    KubeScope {
        generation: u64,
        scope: crate::model::kube_scope::KubeScope,
    },
    /// The operator asked to see the masked values (`variables`, by name)
    /// of view `request`: audited first, shown on `OpsEvent::Revealed`.
    Reveal {
        request: u64,
        object: crate::model::document::ObjectRef,
        variables: Vec<String>,
    },
}
