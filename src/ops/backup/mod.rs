//! The backup engine: takes a backup of one job into its own directory,
//! verifies files, lists what opsboard wrote and applies retention.
//!
//! Every run writes `<dir>/<job>_<YYYYMMDDTHHMMSSZ>[-N].<ext>` through a
//! dot-named `.partial` temp file that is fsynced and renamed into place,
//! with a `sha256sum`-format `<file>.sha256` sidecar written first. A file
//! without a sidecar naming it was not written by opsboard (or never
//! completed) and is neither listed nor deleted.

mod command;
mod files;
mod pg_conn;
mod postgres;
mod redis;
mod retention;
mod safe_fs;
mod scan;
mod store;
mod verify;

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::model::secret::Secret;
use crate::model::{BackupKind, Progress};

pub use retention::{RetentionReport, apply_retention, apply_retention_after};
pub use scan::scan;
pub use verify::verify;

/// One configured backup job, resolved (secrets already read).
#[derive(Debug, Clone)]
pub struct BackupSpec {
    pub name: String,
    pub service: String,
    pub source: BackupSource,
    /// The job's own directory: `<base>/<job name>`.
    pub dir: PathBuf,
    pub keep_last: Option<u32>,
    pub max_age: Option<Duration>,
    /// Applies to the whole run, connection included (and to each external
    /// verification tool).
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum BackupSource {
    /// An RDB snapshot over the replication protocol, like `redis-cli --rdb`.
    Redis {
        /// `host:port`.
        address: String,
        username: Option<String>,
        password: Option<Secret>,
    },
    /// `pg_dump --format=custom`.
    Postgres {
        /// `postgres://user:pw@host:port/db`.
        url: Secret,
    },
    /// A tar.gz of a directory, paths relative to it.
    Files { path: PathBuf },
    /// Any argv (no shell) whose stdout is the backup.
    Command {
        argv: Vec<String>,
        extension: String,
        compress: bool,
        /// Its environment beyond the allowlist (values may be secrets).
        env: Vec<(String, crate::model::secret::HeaderValue)>,
    },
}

impl BackupSpec {
    pub fn kind(&self) -> BackupKind {
        match self.source {
            BackupSource::Redis { .. } => BackupKind::Redis,
            BackupSource::Postgres { .. } => BackupKind::Postgres,
            BackupSource::Files { .. } => BackupKind::Files,
            BackupSource::Command { .. } => BackupKind::Command,
        }
    }

    /// The file extension without the leading dot: `rdb`, `dump`, `tar.gz`,
    /// `<ext>` or `<ext>.gz`.
    pub fn extension(&self) -> String {
        match &self.source {
            BackupSource::Redis { .. } => "rdb".into(),
            BackupSource::Postgres { .. } => "dump".into(),
            BackupSource::Files { .. } => "tar.gz".into(),
            BackupSource::Command {
                extension,
                compress,
                ..
            } => {
                let ext = extension.strip_prefix('.').unwrap_or(extension);
                if *compress {
                    format!("{ext}.gz")
                } else {
                    ext.to_string()
                }
            }
        }
    }

    /// Refuses names that would escape the directory or hide the file.
    fn check(&self) -> Result<(), BackupError> {
        let name_ok = !self.name.is_empty()
            && !self.name.starts_with('.')
            && !self.name.contains(['/', '\0', '\\']);
        if !name_ok {
            return Err(BackupError::Config(format!(
                "backup job name {:?} must be non-empty, must not start with `.` and must not contain `/`",
                self.name
            )));
        }
        let ext = self.extension();
        let ext_ok = !ext.is_empty()
            && !ext.starts_with('.')
            && !ext.ends_with('.')
            && !ext.contains(['/', '\0', '\\', ' ']);
        if !ext_ok {
            let configured = match &self.source {
                BackupSource::Command { extension, .. } => extension.clone(),
                _ => ext,
            };
            return Err(BackupError::Config(format!(
                "backup extension {configured:?} for job {:?} is not a usable file extension",
                self.name
            )));
        }
        if self.timeout.is_zero() {
            return Err(BackupError::Config(format!(
                "backup job {:?} has a zero timeout",
                self.name
            )));
        }
        Ok(())
    }
}

/// A completed backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub duration: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Every check passed. A check that could not run (its tool missing)
    /// makes this false too: an unchecked file is not a verified one.
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Verification {
    /// No check failed, but one could not run: the file is neither known
    /// good nor known bad, and does not count as a verified backup.
    pub fn not_verified(&self) -> bool {
        !self.checks.iter().any(|c| c.outcome.is_failed())
            && self
                .checks
                .iter()
                .any(|c| matches!(c.outcome, CheckOutcome::NotVerified(_)))
    }

    /// One line for a job message: every check with its outcome, and the
    /// reason of each that did not pass, e.g. `checksum passed,
    /// redis-check-rdb NOT VERIFIED (redis-check-rdb not found on PATH …)`.
    pub fn summary(&self) -> String {
        self.checks
            .iter()
            .map(|c| match &c.outcome {
                CheckOutcome::Passed(_) => format!("{} passed", c.name),
                CheckOutcome::Failed(why) => format!("{} FAILED ({why})", c.name),
                CheckOutcome::NotVerified(why) => format!("{} NOT VERIFIED ({why})", c.name),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `checksum`, `gzip`, `tar listing`, `redis-check-rdb`,
    /// `pg_restore --list`, `record`.
    pub name: String,
    pub outcome: CheckOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    Passed(String),
    Failed(String),
    /// The check could not run (its tool is not installed or cannot be
    /// executed): says nothing about the file either way.
    NotVerified(String),
}

impl CheckOutcome {
    pub fn word(&self) -> &'static str {
        match self {
            CheckOutcome::Passed(_) => "passed",
            CheckOutcome::Failed(_) => "failed",
            CheckOutcome::NotVerified(_) => "not verified",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            CheckOutcome::Passed(d) | CheckOutcome::Failed(d) | CheckOutcome::NotVerified(d) => d,
        }
    }

    pub fn is_failed(&self) -> bool {
        matches!(self, CheckOutcome::Failed(_))
    }
}

/// Why a backup run failed. Messages name the thing and quote the bad
/// value; they never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("authentication to {target} failed: {message}")]
    Auth { target: String, message: String },
    #[error("unexpected reply from {target}: {message}")]
    Protocol { target: String, message: String },
    #[error("`{program}` failed ({status}){}", tail_suffix(stderr_tail))]
    Command {
        program: String,
        status: ExitStatus,
        /// The last lines of its stderr.
        stderr_tail: String,
    },
    #[error("`{program}` exited 0 but the command wrote nothing to stdout; no backup was kept")]
    Empty { program: String },
    /// The path may come from the tree being archived: shown cleaned.
    #[error("{}: {source}", crate::model::text::safe(&path.display().to_string()))]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("backup timed out after {}; the partial file was removed", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("backup cancelled; the partial file was removed")]
    Cancelled,
    #[error("{0}")]
    Config(String),
}

fn tail_suffix(tail: &str) -> String {
    if tail.trim().is_empty() {
        " with no stderr output".into()
    } else {
        format!(": {}", tail.trim_end())
    }
}

impl BackupError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> BackupError {
        BackupError::Io {
            path: path.into(),
            source,
        }
    }

    /// The exit code of a failed command, when there was one.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            BackupError::Command { status, .. } => status.code(),
            _ => None,
        }
    }
}

/// Receives progress; called from the task running the backup.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// Takes one backup of `spec` into `spec.dir`.
///
/// On any error, timeout or cancellation the partial file is removed and
/// nothing that looks like a complete backup is left behind.
pub async fn run(
    spec: &BackupSpec,
    progress: ProgressFn<'_>,
    cancel: CancellationToken,
) -> Result<Written, BackupError> {
    spec.check()?;
    let started = Instant::now();
    let mut out = store::Partial::create(spec, progress).await?;
    let work = async {
        match &spec.source {
            BackupSource::Redis {
                address,
                username,
                password,
            } => redis::dump(address, username.as_deref(), password.as_ref(), &mut out).await,
            BackupSource::Postgres { url } => postgres::dump(url, &mut out).await,
            BackupSource::Files { path } => files::archive(path, &mut out).await,
            BackupSource::Command {
                argv,
                compress,
                env,
                extension: _,
            } => command::capture(argv, env, *compress, &mut out).await,
        }
    };
    let result = tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(BackupError::Cancelled),
        r = tokio::time::timeout(spec.timeout, work) => {
            r.unwrap_or(Err(BackupError::Timeout(spec.timeout)))
        }
    };
    match result {
        Ok(()) => out.finish(started).await,
        Err(e) => {
            out.abandon().await;
            Err(e)
        }
    }
}

/// Fixed-size chunks for streaming.
pub(crate) const CHUNK: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    /// The actor spawns these futures.
    #[allow(dead_code)]
    fn futures_are_send(spec: &BackupSpec, progress: ProgressFn<'_>) {
        fn send<T: Send>(_: T) {}
        send(run(spec, progress, CancellationToken::new()));
        send(verify(spec, std::path::Path::new("x"), progress));
    }

    #[test]
    fn extensions_and_names_are_checked() {
        let mut spec = BackupSpec {
            name: "job".into(),
            service: "svc".into(),
            source: BackupSource::Command {
                argv: vec!["true".into()],
                extension: ".sql".into(),
                compress: true,
                env: vec![],
            },
            dir: "/b/job".into(),
            keep_last: None,
            max_age: None,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(spec.extension(), "sql.gz");
        assert_eq!(spec.kind(), BackupKind::Command);
        assert!(spec.check().is_ok());
        for bad in ["", ".hidden", "a/b"] {
            spec.name = bad.into();
            let e = spec.check().unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
        spec.name = "job".into();
        spec.source = BackupSource::Command {
            argv: vec!["true".into()],
            extension: "../x".into(),
            compress: false,
            env: vec![],
        };
        assert!(spec.check().unwrap_err().to_string().contains("\"../x\""));
    }
}
