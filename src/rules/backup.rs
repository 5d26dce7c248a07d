//! Backups older than their RPO (or missing) raise an alert.

use std::time::SystemTime;

use crate::model::{Alert, BackupJob, RpoStatus, Severity, fmt_duration};

/// One `BackupRpoBreached` alert per job whose newest verified backup is
/// older than its RPO, or that has none. Critical once the age is twice the
/// RPO (or there is no backup at all).
pub fn rpo_alerts(jobs: &[BackupJob], now: SystemTime) -> Vec<Alert> {
    let mut out = Vec::new();
    for j in jobs {
        let (severity, summary, since) = match j.rpo_status(now) {
            RpoStatus::Breached { age, rpo } => (
                if age > rpo * 2 {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                format!(
                    "newest verified backup of {} is {} old (RPO {})",
                    j.name,
                    fmt_duration(age),
                    fmt_duration(rpo)
                ),
                j.newest_verified().map(|f| f.taken + rpo),
            ),
            RpoStatus::NoBackup { rpo } => (
                Severity::Critical,
                format!(
                    "{} has no verified backup (RPO {})",
                    j.name,
                    fmt_duration(rpo)
                ),
                None,
            ),
            RpoStatus::NotSet | RpoStatus::Met { .. } => continue,
        };
        let mut a = Alert::local("BackupRpoBreached", severity, summary);
        a.labels.insert("job".into(), j.name.clone());
        a.labels.insert("service".into(), j.service.clone());
        a.labels.insert("kind".into(), j.kind.word().into());
        a.service = Some(j.service.clone());
        a.since = since;
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::{BackupFile, BackupKind};

    fn job(age: Option<u64>, rpo: Option<u64>, now: SystemTime) -> BackupJob {
        BackupJob {
            name: "db".into(),
            service: "postgres".into(),
            kind: BackupKind::Postgres,
            dir: "/b".into(),
            rpo: rpo.map(Duration::from_secs),
            keep_last: None,
            max_age: None,
            files: age
                .map(|a| BackupFile {
                    path: "/b/f".into(),
                    taken: now - Duration::from_secs(a),
                    size: 1,
                    verified: Some(true),
                })
                .into_iter()
                .collect(),
            scan_error: None,
            last_run: None,
        }
    }

    #[test]
    fn severity_follows_age() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000_000);
        assert!(rpo_alerts(&[job(Some(100), Some(3600), now)], now).is_empty());
        assert!(rpo_alerts(&[job(Some(100), None, now)], now).is_empty());
        let a = rpo_alerts(&[job(Some(5000), Some(3600), now)], now);
        assert_eq!(a[0].severity, Severity::Warning);
        assert_eq!(a[0].labels["alertname"], "BackupRpoBreached");
        assert!(a[0].summary.contains("RPO 1h"), "{}", a[0].summary);
        let a = rpo_alerts(&[job(Some(9000), Some(3600), now)], now);
        assert_eq!(a[0].severity, Severity::Critical);
        let a = rpo_alerts(&[job(None, Some(3600), now)], now);
        assert_eq!(a[0].severity, Severity::Critical);
        assert!(a[0].summary.contains("no verified backup"));
    }
}
