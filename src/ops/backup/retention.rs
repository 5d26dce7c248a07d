//! Retention: `keep_last` and `max_age`. Never deleted: the file the run
//! just wrote, the newest verified file, a file dated in the future (its
//! name cannot be trusted for ordering, so it is reported instead), and any
//! file opsboard did not write.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::BackupSpec;
use super::scan::entries;
use super::store::{parse_name, sidecar_path, verified_path};
use crate::model::text;

/// Partial files and orphaned sidecars younger than this may belong to a
/// run in progress.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// File names quoted in a summary before "and N more".
const NAMES_SHOWN: usize = 3;

/// What one retention pass did and saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Backup files (with their sidecars) and stale partial files deleted.
    pub deleted: Vec<PathBuf>,
    /// Backup files whose name is dated in the future: kept, listed last,
    /// never taken for the newest.
    pub future_dated: Vec<PathBuf>,
    /// `path: error` for each file that could not be deleted.
    pub failed: Vec<String>,
}

impl RetentionReport {
    /// What the job message should add, e.g. `retention removed 2 ·
    /// retention: 1 file dated in the future (job_20991231T000000Z.rdb), not
    /// trusted for ordering and not deleted`; `None` when there is nothing
    /// to say.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.deleted.is_empty() {
            parts.push(format!("retention removed {}", self.deleted.len()));
        }
        if !self.future_dated.is_empty() {
            let n = self.future_dated.len();
            parts.push(format!(
                "retention: {n} file{} dated in the future ({}), not trusted for ordering and not deleted",
                if n == 1 { "" } else { "s" },
                names(&self.future_dated)
            ));
        }
        if !self.failed.is_empty() {
            parts.push(format!(
                "retention could not delete {}",
                text::safe(&self.failed.join("; "))
            ));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

fn names(paths: &[PathBuf]) -> String {
    let mut shown: Vec<String> = paths
        .iter()
        .take(NAMES_SHOWN)
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            text::safe(&name)
        })
        .collect();
    if paths.len() > NAMES_SHOWN {
        shown.push(format!("and {} more", paths.len() - NAMES_SHOWN));
    }
    shown.join(", ")
}

/// Retention right after a run that wrote `just_written`: that file is
/// never deleted, whatever the other names say. `Err` only when the
/// directory cannot be read; files that could not be deleted are in the
/// report.
pub fn apply_retention_after(
    spec: &BackupSpec,
    just_written: &Path,
    now: SystemTime,
) -> Result<RetentionReport, String> {
    retain(spec, now, Some(just_written))
}

/// Retention without a run: deletes the files beyond the newest
/// `keep_last` and those older than `max_age` (either rule deletes), with
/// their sidecars, and stale `.partial` files; returns what it deleted.
/// After a run use [`apply_retention_after`], which also protects the new
/// file and reports future-dated names.
pub fn apply_retention(spec: &BackupSpec, now: SystemTime) -> Result<Vec<PathBuf>, String> {
    let report = retain(spec, now, None)?;
    if report.failed.is_empty() {
        Ok(report.deleted)
    } else {
        Err(format!(
            "retention deleted {} file(s) but could not delete {}",
            report.deleted.len(),
            report.failed.join("; ")
        ))
    }
}

fn retain(
    spec: &BackupSpec,
    now: SystemTime,
    just_written: Option<&Path>,
) -> Result<RetentionReport, String> {
    let all = entries(spec, now)?;
    let mut report = RetentionReport::default();
    let (future, trusted): (Vec<_>, Vec<_>) = all.into_iter().partition(|f| f.future);
    report.future_dated = future.into_iter().map(|f| f.path).collect();
    let protected = trusted.iter().position(|f| f.verified == Some(true));
    let just_name = just_written.and_then(Path::file_name);
    for (i, f) in trusted.iter().enumerate() {
        if Some(i) == protected || (just_name.is_some() && f.path.file_name() == just_name) {
            continue;
        }
        let beyond = spec.keep_last.is_some_and(|k| i >= k as usize);
        let too_old = spec
            .max_age
            .is_some_and(|max| now.duration_since(f.taken).is_ok_and(|age| age > max));
        if !(beyond || too_old) {
            continue;
        }
        // Data first: a crash in between leaves only sidecars, never a
        // file that stopped looking like ours.
        match remove(&f.path) {
            Ok(()) => {
                report.deleted.push(f.path.clone());
                for side in [sidecar_path(&f.path), verified_path(&f.path)] {
                    if let Err(e) = remove(&side) {
                        report.failed.push(format!("{}: {e}", side.display()));
                    }
                }
            }
            Err(e) => report.failed.push(format!("{}: {e}", f.path.display())),
        }
    }
    clean_leftovers(spec, now, &mut report.deleted, &mut report.failed);
    Ok(report)
}

fn remove(p: &Path) -> io::Result<()> {
    match fs::remove_file(p) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

/// Stale `.partial` files of this job, and sidecars whose file is gone,
/// once older than an hour.
fn clean_leftovers(
    spec: &BackupSpec,
    now: SystemTime,
    deleted: &mut Vec<PathBuf>,
    failed: &mut Vec<String>,
) {
    let Ok(read) = fs::read_dir(&spec.dir) else {
        return;
    };
    let ext = spec.extension();
    let partial_prefix = format!(".{}_", spec.name);
    for entry in read.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let partial = name.starts_with(&partial_prefix) && name.ends_with(".partial");
        let orphan = [".sha256", ".verified"].iter().any(|suffix| {
            name.strip_suffix(suffix).is_some_and(|data| {
                parse_name(&spec.name, &ext, data).is_some()
                    && fs::symlink_metadata(spec.dir.join(data)).is_err()
            })
        });
        if !(partial || orphan) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if !meta.is_file() || !old {
            continue;
        }
        let path = entry.path();
        match remove(&path) {
            Ok(()) if partial => deleted.push(path),
            Ok(()) => {}
            Err(e) => failed.push(format!("{}: {e}", path.display())),
        }
    }
}
