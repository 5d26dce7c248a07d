//! What opsboard wrote in a job's directory: files named
//! `<job>_<ts>[-N].<ext>` with a `.sha256` sidecar naming them.
//!
//! The name's timestamp orders the files — unless it lies in the future
//! (written while the clock was wrong, or by a host whose clock is): such a
//! file is listed after every other, so it is never taken for the newest
//! backup, and retention leaves it alone and reports it.

use std::fs;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::BackupSpec;
use super::store::{parse_name, read_sidecar, sidecar_path};
use crate::model::BackupFile;

/// How far past the clock a name may be dated and still be trusted: clock
/// adjustments and hosts sharing a directory are seldom further apart.
pub(crate) const FUTURE_SKEW: Duration = crate::model::backup::FUTURE_SKEW;

/// A file opsboard wrote.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub path: PathBuf,
    pub taken: SystemTime,
    pub n: u32,
    pub size: u64,
    pub verified: Option<bool>,
    /// Dated later than `now + FUTURE_SKEW`: not trusted for ordering.
    pub future: bool,
}

/// The files opsboard wrote for `spec`: newest first by the name's
/// timestamp, then those dated in the future (newest first among them). A
/// missing directory has none.
pub(crate) fn entries(spec: &BackupSpec, now: SystemTime) -> Result<Vec<Entry>, String> {
    let horizon = now + FUTURE_SKEW;
    let ext = spec.extension();
    let read = match fs::read_dir(&spec.dir) {
        Ok(r) => r,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(format!(
                "cannot read backup directory {}: {e}",
                spec.dir.display()
            ));
        }
    };
    let mut out = Vec::new();
    for entry in read {
        let entry = entry
            .map_err(|e| format!("cannot read backup directory {}: {e}", spec.dir.display()))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Some((taken, n)) = parse_name(&spec.name, &ext, &name) else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        match read_sidecar(&sidecar_path(&path)) {
            Ok(Some((_, named))) if named == name => {}
            _ => continue,
        }
        out.push(Entry {
            verified: super::verify::read_record(&path),
            path,
            taken,
            n,
            size: meta.len(),
            future: taken > horizon,
        });
    }
    out.sort_by_key(|e| (e.future, std::cmp::Reverse((e.taken, e.n))));
    Ok(out)
}

/// Backup files opsboard wrote for this job, newest first, those dated in
/// the future last. Files without a `.sha256` sidecar naming them, partial
/// files and foreign files are not listed.
pub fn scan(spec: &BackupSpec) -> Result<Vec<BackupFile>, String> {
    Ok(entries(spec, SystemTime::now())?
        .into_iter()
        .map(|e| BackupFile {
            path: e.path,
            taken: e.taken,
            size: e.size,
            verified: e.verified,
        })
        .collect())
}
