//! What the audit log says, for the summary: the recent entries and
//! whether the hash chain verifies.

use std::time::{Duration, SystemTime};

/// How far back the snapshot lists actions.
pub const RECENT_ACTIONS: Duration = Duration::from_secs(24 * 3600);

/// What the audit log says: the actions of the last [`RECENT_ACTIONS`]
/// and whether the chain verifies (as `opsboard audit verify` checks it).
#[derive(Debug)]
pub enum AuditSummary {
    /// No audit log location (no home directory and no `[audit] path`).
    NoLocation,
    /// No file there: nothing was ever recorded.
    Missing { path: std::path::PathBuf },
    Read {
        path: std::path::PathBuf,
        /// The recent entries in file order, or why they cannot be read.
        recent: Result<Vec<crate::ops::audit::AuditEntry>, String>,
        verify: Result<Box<crate::ops::audit::VerifyReport>, String>,
    },
}

/// Reads and verifies the audit log (blocking: file locks and reads).
pub fn audit_summary(log: Option<&crate::ops::audit::AuditLog>, now: SystemTime) -> AuditSummary {
    let Some(log) = log else {
        return AuditSummary::NoLocation;
    };
    let path = log.path().to_path_buf();
    if !path.exists() {
        return AuditSummary::Missing { path };
    }
    let from = chrono::DateTime::<chrono::Utc>::from(now)
        - chrono::Duration::from_std(RECENT_ACTIONS).unwrap_or_default();
    AuditSummary::Read {
        recent: log.read(Some(from)).map_err(|e| e.to_string()),
        verify: log.verify().map(Box::new).map_err(|e| e.to_string()),
        path,
    }
}
