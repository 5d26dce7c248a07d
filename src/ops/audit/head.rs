//! The head of each audit log, recorded outside it.
//!
//! The chain alone cannot show that its last lines were cut off, or that
//! the whole file was swapped for another valid chain. So after every
//! append, [`HeadRecord`] — the file's anchor, its line count and byte
//! size, the last entry's seq and hash — is written to
//! `$XDG_STATE_HOME/opsboard/audit-heads/<sha256 of the log's canonical
//! path>.json` (0600, in a 0700 directory, through temp + fsync + rename,
//! never through a symlink), and `verify` compares the file with it.
//!
//! An append that finds the file no longer holding the recorded head (cut,
//! replaced) appends anyway (the audit log keeps working) but leaves the
//! record alone, so the evidence survives until someone looks; removing the
//! record file accepts the log as it is. The record lives with the same
//! user's files, so it stops a careless edit or a crude cover-up, not
//! someone who can also rewrite the record: for that, ship the head that
//! `audit verify` prints elsewhere and check it with `--expect-head`.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::entry::{AuditLine, parse_line, sha256_hex};
use super::lines::split_lines;
use super::report::{ExpectedHead, Problem, ProblemKind, RecordedHead};
use super::verify::{Walked, short};
use crate::ops::private_file;

/// The directory under the state dir that holds the records.
pub const HEADS_DIR: &str = "audit-heads";

/// What was true of the file right after the last append.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadRecord {
    /// The log's canonical path (the record's name is its hash).
    pub path: String,
    /// The anchor's random value; `None` for a log without one.
    pub anchor: Option<String>,
    /// Lines in the file; the last one is the head.
    pub lines: u64,
    pub seq: u64,
    pub hash: String,
    /// Bytes in the file.
    pub size: u64,
    /// When it was recorded (RFC 3339).
    pub time: String,
}

/// Where records are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HeadDir {
    /// `audit-heads` in the XDG state dir (none without a home directory).
    Default,
    At(PathBuf),
}

impl HeadDir {
    pub(super) fn resolve(&self) -> Option<PathBuf> {
        match self {
            HeadDir::Default => default_dir(),
            HeadDir::At(p) => Some(p.clone()),
        }
    }
}

/// `$XDG_STATE_HOME/opsboard/audit-heads` (or the local data dir on
/// platforms without a state dir).
pub fn default_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "opsboard")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .join(HEADS_DIR),
    )
}

/// The record file for the log at `log` (which must exist), and the log's
/// canonical path.
pub(super) fn record_path(dir: &Path, log: &Path) -> io::Result<(PathBuf, PathBuf)> {
    let canonical = std::fs::canonicalize(log)?;
    let key = sha256_hex(canonical.as_os_str().as_bytes());
    Ok((dir.join(format!("{key}.json")), canonical))
}

/// The record, `None` if there is none.
pub(super) fn load(record: &Path) -> Result<Option<HeadRecord>, String> {
    let data = private_file::read_if_exists(record).map_err(|e| e.to_string())?;
    data.map(|d| serde_json::from_slice(&d).map_err(|e| format!("not a head record ({e})")))
        .transpose()
}

pub(super) fn store(record: &Path, head: &HeadRecord) -> io::Result<()> {
    if let Some(dir) = record.parent() {
        private_file::create_private_dir(dir)?;
    }
    let mut text = serde_json::to_string(head).map_err(io::Error::other)?;
    text.push('\n');
    private_file::replace(record, text.as_bytes())
}

/// Whether `data` (the whole log) still holds `rec`: the same anchor, and
/// a line with the recorded hash. Used by append when the file is not
/// exactly as recorded (an older opsboard appended, a crash came between
/// the write and the record, or someone cut or replaced it).
pub(super) fn still_holds(rec: &HeadRecord, data: &[u8]) -> bool {
    let mut anchor: Option<Option<String>> = None;
    let mut found = false;
    for raw in split_lines(data) {
        let Ok(line) = parse_line(raw.bytes) else {
            continue;
        };
        if anchor.is_none() {
            anchor = Some(match &line {
                AuditLine::Anchor(a) => Some(a.anchor.clone()),
                AuditLine::Entry(_) => None,
            });
        }
        found |= line.hash() == rec.hash;
    }
    found && anchor.flatten() == rec.anchor
}

/// Compares the walked file with the record and fills
/// [`RecordedHead`](super::RecordedHead), adding a problem if the file was
/// cut or replaced.
pub(super) fn check_recorded(w: &mut Walked, record: PathBuf, rec: HeadRecord) {
    let r = &mut w.report;
    let at = format!(
        "line {} (seq {}) with hash {}",
        rec.lines, rec.seq, rec.hash
    );
    let file_anchor = r.anchor.as_deref();
    // An emptied file (or one left with its anchor only) was cut, whatever
    // its anchor says.
    let emptied = w
        .chain
        .iter()
        .all(|c| matches!(c.item, AuditLine::Anchor(_)));
    if rec.anchor.as_deref() != file_anchor && !emptied {
        let message = match (rec.anchor.as_deref(), file_anchor) {
            (Some(a), Some(b)) => format!(
                "the file starts with anchor {}…, but the log recorded after the last append \
                 started with anchor {}… and ended at {at}: this is another file (replaced)",
                short(b),
                short(a)
            ),
            (Some(a), None) => format!(
                "the file has no anchor, but the log recorded after the last append started \
                 with anchor {}… and ended at {at}: it was replaced by a log rebuilt from scratch",
                short(a)
            ),
            (None, b) => format!(
                "the file starts with anchor {}…, but the log recorded after the last append had \
                 none and ended at {at}: this is another file (replaced)",
                short(b.unwrap_or_default())
            ),
        };
        r.problems.push(Problem {
            line: 1,
            kind: ProblemKind::Replaced,
            message,
        });
        r.recorded = RecordedHead::Mismatch { record };
        sort(&mut r.problems);
        return;
    }
    if let Some(p) = w.chain.iter().position(|c| c.hash == rec.hash) {
        let c = &w.chain[p];
        let after = (w.chain.len() - 1 - p) as u64;
        r.recorded = if after == 0 {
            RecordedHead::Matches {
                record,
                line: c.line,
                seq: c.seq,
            }
        } else {
            RecordedHead::Behind {
                record,
                line: c.line,
                seq: c.seq,
                after,
            }
        };
        return;
    }
    let rewritten = w
        .chain
        .iter()
        .find(|c| c.seq == rec.seq && !matches!(c.item, AuditLine::Anchor(_)));
    let problem = match rewritten {
        Some(c) => Problem {
            line: c.line,
            kind: ProblemKind::Replaced,
            message: format!(
                "line {} holds seq {} with hash {}…, but {at} was recorded: lines were cut and \
                 others written in their place",
                c.line,
                c.seq,
                short(&c.hash)
            ),
        },
        None => Problem {
            line: r.lines,
            kind: ProblemKind::Truncated,
            message: format!(
                "the file ends at line {} but {at} was recorded: lines were cut",
                r.lines
            ),
        },
    };
    r.problems.push(problem);
    r.recorded = RecordedHead::Mismatch { record };
    sort(&mut r.problems);
}

/// Compares the walked file with a head kept elsewhere. The expected head
/// must be on the chain; entries after it are listed, not a problem.
pub(super) fn check_expected(w: &mut Walked, hash: &str) {
    let r = &mut w.report;
    if let Some(p) = w.chain.iter().position(|c| c.hash == hash) {
        let c = &w.chain[p];
        r.expected = Some(if p + 1 == w.chain.len() {
            ExpectedHead::IsHead {
                line: c.line,
                seq: c.seq,
            }
        } else {
            ExpectedHead::InChain {
                line: c.line,
                seq: c.seq,
                after: w.chain[p + 1..]
                    .iter()
                    .filter_map(|c| match &c.item {
                        AuditLine::Entry(e) => Some(e.clone()),
                        AuditLine::Anchor(_) => None,
                    })
                    .collect(),
            }
        });
        return;
    }
    let message = match w.off_chain.iter().find(|(_, h)| h == hash) {
        Some((line, _)) => format!(
            "the expected head {hash} is on line {line}, but the chain does not pass through \
             that line"
        ),
        None => format!(
            "the expected head {hash} is not in this file: lines were cut, or the log was \
             rewritten or replaced since that head was taken"
        ),
    };
    r.problems.push(Problem {
        line: r.lines,
        kind: ProblemKind::ExpectedHead,
        message,
    });
    r.expected = Some(ExpectedHead::Missing);
    sort(&mut r.problems);
}

fn sort(problems: &mut [Problem]) {
    problems.sort_by_key(|p| p.line);
}

/// Whether `s` looks like a head: 64 hex digits.
pub fn is_head_hash(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}
