//! Domain data. Plain structs and enums: no IO, no drawing.

pub mod action;
pub mod alert;
pub mod backup;
pub mod cluster_event;
pub mod docker;
pub mod document;
pub mod fault;
pub mod fleet;
pub mod fleet_spec;
pub mod health;
pub mod keys;
pub mod kube;
pub mod kube_scope;
pub mod logs;
pub mod metrics;
pub mod probe;
pub mod probe_url;
pub mod redirect_host;
pub mod release;
pub mod secret;
pub mod selector;
pub mod service;
pub mod text;

pub use action::{
    ActionPlan, ActionRequest, Confirmation, DockerTarget, DryRun, ExecTarget, FollowUp,
    FollowUpResult, Job, JobId, JobResult, Outcome, Progress, Risk, RunbookScope, Target, Verb,
    command_label, command_line, default_shell,
};
pub use alert::{
    Alert, AlertSource, AlertState, Matcher, RuleHealth, ScrapeTarget, Severity, Silence,
    SilenceState,
};
pub use backup::{BackupFile, BackupJob, BackupKind, LastRun, RpoStatus};
pub use cluster_event::{ClusterEvent, EventType};
pub use docker::{
    ComposeLabels, ComposeRef, ContainerHealth, ContainerInfo, ContainerStats, DockerSnapshot,
};
pub use fault::{Fault, Stale};
pub use health::{DependencyCheck, Health, HealthReport};
pub use kube::{
    ClusterSnapshot, EventInfo, HpaInfo, NodeInfo, NodeRef, PodInfo, ResourceStatus, RevisionInfo,
    RolloutState, Workload, WorkloadKind, WorkloadRef,
};
pub use logs::{LogEntry, LogRequest, LogSource, LogTarget};
pub use metrics::{CustomValue, METRIC_HISTORY, MetricPoint, ServiceMetrics};
pub use probe::{HISTORY_LEN, ProbeFailure, ProbeId, ProbeOutcome, ProbeSample, ProbeState};
pub use probe_url::ProbeUrl;
pub use redirect_host::RedirectHost;
pub use release::{BlueGreen, Change, ChangeKind, RollbackMode, RollbackOn, ServiceRef, Slot};
pub use service::{DockerBinding, Service, ServiceOrigin};

use std::time::Duration;

/// A duration as config and dialogs write it (`500ms`, `10s`, `5m`);
/// zero is refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        format!("`{s}` is not a duration ({e}); write e.g. \"500ms\", \"10s\", \"5m\"")
    })?;
    if d.is_zero() {
        return Err(format!("`{s}` is zero; a duration here must be positive"));
    }
    Ok(d)
}

/// Formats a duration compactly for tables: `850ms`, `1.2s`, `12s`, `3m`, `2h`, `4d`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        "<1ms".into()
    } else if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 120_000 {
        format!("{}s", ms / 1000)
    } else if ms < 3_600_000 || (ms < 2 * 3_600_000 && !ms.is_multiple_of(3_600_000)) {
        format!("{}m", ms / 60_000)
    } else if ms < 48 * 3_600_000 {
        format!("{}h", ms / 3_600_000)
    } else {
        format!("{}d", ms / 86_400_000)
    }
}

/// Formats a byte count: `900 B`, `64 KiB`, `1.5 MiB`, `2.0 GiB`.
pub fn fmt_bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if n < 1024 {
        format!("{n} B")
    } else if f < K * K {
        let k = f / K;
        if k < 10.0 {
            format!("{k:.1} KiB")
        } else {
            format!("{k:.0} KiB")
        }
    } else if f < K * K * K {
        let m = f / (K * K);
        if m < 10.0 {
            format!("{m:.1} MiB")
        } else {
            format!("{m:.0} MiB")
        }
    } else {
        let g = f / (K * K * K);
        if g < 10.0 {
            format!("{g:.1} GiB")
        } else {
            format!("{g:.0} GiB")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(fmt_bytes(1000), "1000 B");
        assert_eq!(fmt_bytes(64 * 1024), "64 KiB");
        assert_eq!(fmt_bytes(1536), "1.5 KiB");
        assert_eq!(fmt_bytes(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(fmt_bytes(2 * 1024 * 1024 * 1024), "2.0 GiB");
        assert_eq!(fmt_bytes(310 * 1024 * 1024), "310 MiB");
    }

    #[test]
    fn durations() {
        assert_eq!(fmt_duration(Duration::from_micros(300)), "<1ms");
        assert_eq!(fmt_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(fmt_duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(fmt_duration(Duration::from_secs(42)), "42s");
        assert_eq!(fmt_duration(Duration::from_secs(600)), "10m");
        assert_eq!(fmt_duration(Duration::from_secs(3 * 3600)), "3h");
        assert_eq!(fmt_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(fmt_duration(Duration::from_secs(5400)), "90m");
        assert_eq!(fmt_duration(Duration::from_secs(3 * 86400)), "3d");
    }
}
