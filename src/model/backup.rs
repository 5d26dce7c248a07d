//! Backup jobs and the files they have written, as the board shows them.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// An RDB snapshot taken over the network (what `redis-cli --rdb` does).
    Redis,
    /// `pg_dump` in custom format.
    Postgres,
    /// A tar.gz of a directory.
    Files,
    /// Any argv whose stdout is the backup.
    Command,
}

impl BackupKind {
    pub fn word(self) -> &'static str {
        match self {
            BackupKind::Redis => "redis",
            BackupKind::Postgres => "postgres",
            BackupKind::Files => "files",
            BackupKind::Command => "command",
        }
    }
}

/// One backup file opsboard wrote (it has a checksum sidecar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupFile {
    pub path: PathBuf,
    /// From the UTC timestamp in the file name.
    pub taken: SystemTime,
    pub size: u64,
    /// `Some(true)` once verification passed, `Some(false)` when it failed,
    /// `None` when never verified.
    pub verified: Option<bool>,
}

/// The newest-verified-file age against the job's RPO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpoStatus {
    /// No RPO declared.
    NotSet,
    Met {
        age: Duration,
        rpo: Duration,
    },
    /// Newest verified backup is older than the RPO.
    Breached {
        age: Duration,
        rpo: Duration,
    },
    /// RPO declared but no verified backup exists.
    NoBackup {
        rpo: Duration,
    },
}

impl RpoStatus {
    pub fn is_breached(self) -> bool {
        matches!(
            self,
            RpoStatus::Breached { .. } | RpoStatus::NoBackup { .. }
        )
    }
}

/// The last run of a job seen by this board (runs survive in the files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    pub at: SystemTime,
    pub ok: bool,
    pub duration: Duration,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct BackupJob {
    pub name: String,
    pub service: String,
    pub kind: BackupKind,
    pub dir: PathBuf,
    pub rpo: Option<Duration>,
    pub keep_last: Option<u32>,
    pub max_age: Option<Duration>,
    /// Newest first.
    pub files: Vec<BackupFile>,
    /// Why the directory could not be read, if it could not.
    pub scan_error: Option<String>,
    pub last_run: Option<LastRun>,
}

/// How far in the future a backup's date may be before it is not trusted
/// (clocks of the host that wrote it and of this one differ a little).
pub const FUTURE_SKEW: std::time::Duration = std::time::Duration::from_secs(300);

impl BackupJob {
    pub fn newest_verified(&self) -> Option<&BackupFile> {
        self.files.iter().find(|f| f.verified == Some(true))
    }

    pub fn newest(&self) -> Option<&BackupFile> {
        self.files.first()
    }

    pub fn rpo_status(&self, now: SystemTime) -> RpoStatus {
        let Some(rpo) = self.rpo else {
            return RpoStatus::NotSet;
        };
        // A file dated in the future (a clock jump, a copied-in name) says
        // nothing about how recent the last good backup is.
        let horizon = now + FUTURE_SKEW;
        let newest = self
            .files
            .iter()
            .find(|f| f.verified == Some(true) && f.taken <= horizon);
        match newest {
            None => RpoStatus::NoBackup { rpo },
            Some(f) => {
                let age = now.duration_since(f.taken).unwrap_or_default();
                if age > rpo {
                    RpoStatus::Breached { age, rpo }
                } else {
                    RpoStatus::Met { age, rpo }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(files: Vec<BackupFile>) -> BackupJob {
        BackupJob {
            name: "redis-nightly".into(),
            service: "redis".into(),
            kind: BackupKind::Redis,
            dir: "/b".into(),
            rpo: Some(Duration::from_secs(3600)),
            keep_last: None,
            max_age: None,
            files,
            scan_error: None,
            last_run: None,
        }
    }

    fn file(age: u64, verified: Option<bool>, now: SystemTime) -> BackupFile {
        BackupFile {
            path: format!("/b/f{age}").into(),
            taken: now - Duration::from_secs(age),
            size: 10,
            verified,
        }
    }

    #[test]
    fn a_future_dated_backup_does_not_meet_the_rpo() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut future = file(0, Some(true), now);
        future.taken = now + Duration::from_secs(86_400);
        let mut j = job(vec![future, file(100_000, Some(true), now)]);
        j.rpo = Some(Duration::from_secs(3600));
        assert!(matches!(j.rpo_status(now), RpoStatus::Breached { .. }));
        j.files.truncate(1);
        assert!(matches!(j.rpo_status(now), RpoStatus::NoBackup { .. }));
    }

    #[test]
    fn rpo_uses_the_newest_verified_file() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(matches!(
            job(vec![]).rpo_status(now),
            RpoStatus::NoBackup { .. }
        ));
        // The newest file failed verification; the verified one is too old.
        let j = job(vec![
            file(60, Some(false), now),
            file(7200, Some(true), now),
        ]);
        assert!(matches!(j.rpo_status(now), RpoStatus::Breached { .. }));
        let j = job(vec![file(60, Some(true), now)]);
        assert!(matches!(j.rpo_status(now), RpoStatus::Met { .. }));
        assert!(!j.rpo_status(now).is_breached());
    }
}
