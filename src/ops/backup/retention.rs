//! Retention: `keep_last` and `max_age`, never the newest verified file,
//! never a file opsboard did not write.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::BackupSpec;
use super::scan::entries;
use super::store::{parse_name, sidecar_path, verified_path};

/// Partial files and orphaned sidecars younger than this may belong to a
/// run in progress.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Deletes the files beyond the newest `keep_last` and those older than
/// `max_age` (either rule deletes), except the newest verified file, with
/// their sidecars; removes stale `.partial` files. Returns the deleted
/// backup and partial files.
pub fn apply_retention(spec: &BackupSpec, now: SystemTime) -> Result<Vec<PathBuf>, String> {
    let files = entries(spec)?;
    let protected = files.iter().position(|f| f.verified == Some(true));
    let mut deleted = Vec::new();
    let mut failed = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if Some(i) == protected {
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
                deleted.push(f.path.clone());
                for side in [sidecar_path(&f.path), verified_path(&f.path)] {
                    if let Err(e) = remove(&side) {
                        failed.push(format!("{}: {e}", side.display()));
                    }
                }
            }
            Err(e) => failed.push(format!("{}: {e}", f.path.display())),
        }
    }
    clean_leftovers(spec, now, &mut deleted, &mut failed);
    if failed.is_empty() {
        Ok(deleted)
    } else {
        Err(format!(
            "retention deleted {} file(s) but could not delete {}",
            deleted.len(),
            failed.join("; ")
        ))
    }
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
