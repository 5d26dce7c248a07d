//! [`AuditLog`]: one file, read and verified here, appended to in
//! `append.rs`.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::FILE_NAME;
use super::entry::{AuditEntry, AuditLine, parse_line};
use super::error::{AuditError, io_err};
use super::head::{self, HeadDir};
use super::jobs::unfinished;
use super::lines::{is_torn, parse_reason, split_lines};
use super::report::{RecordedHead, VerifyReport};
use super::verify::verify_bytes;
use crate::ops::private_file;

/// The audit log file. Cheap to create; every call opens the file anew, so
/// several `AuditLog`s (threads, processes) can share one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLog {
    pub(super) path: PathBuf,
    pub(super) heads: HeadDir,
}

impl AuditLog {
    /// The log at `path`, its head recorded in the XDG state dir (see
    /// [`head`](super::head)).
    pub fn new(path: PathBuf) -> AuditLog {
        AuditLog {
            path,
            heads: HeadDir::Default,
        }
    }

    /// Keeps head records in `dir` instead of the state dir (tests, or a
    /// directory only root can write).
    pub fn with_head_dir(mut self, dir: PathBuf) -> AuditLog {
        self.heads = HeadDir::At(dir);
        self
    }

    /// `$XDG_DATA_HOME/opsboard/audit.jsonl` (or the platform's data dir);
    /// `None` without a home directory.
    pub fn default_path() -> Option<PathBuf> {
        let dirs = directories::ProjectDirs::from("", "", "opsboard")?;
        Some(dirs.data_dir().join(FILE_NAME))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry, or those at or after `since`, in file order. A missing
    /// file is an empty log. Anchors and torn fragments (interrupted
    /// writes) are skipped; any other line that is not an entry is
    /// [`AuditError::Corrupt`]. Does not check hashes: that is
    /// [`verify`](Self::verify).
    pub fn read(&self, since: Option<DateTime<Utc>>) -> Result<Vec<AuditEntry>, AuditError> {
        let data = match self.read_all() {
            Ok(d) => d,
            Err(AuditError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for raw in split_lines(&data) {
            let entry = match parse_line(raw.bytes) {
                Ok(AuditLine::Entry(e)) => e,
                Ok(AuditLine::Anchor(_)) => continue,
                Err(e) if is_torn(raw.bytes, &e) => continue,
                Err(e) => {
                    return Err(AuditError::Corrupt {
                        path: self.path.clone(),
                        line: raw.number,
                        reason: parse_reason(raw.bytes, &e),
                    });
                }
            };
            if let Some(since) = since {
                let Some(t) = entry.timestamp() else {
                    return Err(AuditError::Corrupt {
                        path: self.path.clone(),
                        line: raw.number,
                        reason: crate::model::text::clean(&format!(
                            "`{}` is not an RFC 3339 time",
                            entry.time
                        ))
                        .into_owned(),
                    });
                };
                if t < since {
                    continue;
                }
            }
            out.push(entry);
        }
        Ok(out)
    }

    /// Checks the whole chain, and the file against the head recorded after
    /// the last append. `Err` only when the file cannot be read (a missing
    /// file is an error here: verifying nothing proves nothing); everything
    /// wrong with the content is in [`VerifyReport::problems`].
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        self.verify_expecting(None)
    }

    /// [`verify`](Self::verify), and check that `expect_head` (a head kept
    /// elsewhere) is on the chain: the head itself, or an earlier line
    /// with the entries after it listed. Not on the chain is a
    /// [`ProblemKind::ExpectedHead`](super::ProblemKind::ExpectedHead)
    /// problem.
    pub fn verify_expecting(&self, expect_head: Option<&str>) -> Result<VerifyReport, AuditError> {
        // The record is read under the same lock as the file: an append
        // between the two would look like a cut tail.
        let (data, recorded) = self.read_locked(|| {
            let dir = self.heads.resolve()?;
            Some(head::record_path(&dir, &self.path).map(|(record, _)| {
                let loaded = head::load(&record);
                (record, loaded)
            }))
        })?;
        let mut walked = verify_bytes(&data);
        walked.report.unfinished = unfinished(&walked.chain);
        match recorded.transpose().map_err(io_err(&self.path))? {
            None => {}
            Some((record, Ok(Some(rec)))) => head::check_recorded(&mut walked, record, rec),
            Some((record, Ok(None))) => walked.report.recorded = RecordedHead::Missing { record },
            Some((record, Err(error))) => {
                walked.report.recorded = RecordedHead::Unreadable { record, error };
            }
        }
        if let Some(h) = expect_head {
            head::check_expected(&mut walked, &h.to_ascii_lowercase());
        }
        Ok(walked.report)
    }

    /// The whole file, under a shared lock so a concurrent append is never
    /// seen half-written.
    fn read_all(&self) -> Result<Vec<u8>, AuditError> {
        self.read_locked(|| ()).map(|(data, ())| data)
    }

    /// The whole file and what `also` reads, both under a shared lock.
    fn read_locked<T>(&self, also: impl FnOnce() -> T) -> Result<(Vec<u8>, T), AuditError> {
        let path = self.path.as_path();
        let mut file = private_file::open_read(path).map_err(io_err(path))?;
        file.lock_shared().map_err(io_err(path))?;
        let mut data = Vec::new();
        let read = file.read_to_end(&mut data).map_err(io_err(path));
        let other = also();
        let _ = file.unlock();
        read?;
        Ok((data, other))
    }
}
