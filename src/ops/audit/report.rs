//! What `verify` found: problems by line, and what to know besides.

use std::fmt;
use std::path::PathBuf;

use super::entry::AuditEntry;

/// The result of [`AuditLog::verify`](super::AuditLog::verify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Lines in the file, anchor and torn fragment included.
    pub lines: u64,
    /// In line order; empty when the log is intact.
    pub problems: Vec<Problem>,
    /// The `hash` the chain ends at: what the next append chains from, and
    /// what to keep elsewhere to detect a rewritten chain later.
    pub head: Option<String>,
    /// Where the head is: `(line, seq)`; seq 0 is the anchor.
    pub head_at: Option<(u64, u64)>,
    /// The random value of the anchor the chain starts from; `None` for a
    /// log started by an opsboard without anchors (chain from 64 zeros).
    pub anchor: Option<String>,
    /// The file compared with the head recorded after the last append.
    pub recorded: RecordedHead,
    /// The file compared with a head kept elsewhere (`--expect-head`).
    pub expected: Option<ExpectedHead>,
    /// Confirmed jobs with no outcome line (same run and job) after them.
    pub unfinished: Vec<UnfinishedJob>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One thing wrong, at a 1-based line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub kind: ProblemKind,
    /// A sentence that names the line(s), e.g. `line 3 was modified: …`.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// The content does not match the hash, or the line was re-hashed after
    /// an edit and its successor no longer chains to it.
    Modified,
    /// `seq` jumps where the chain breaks (or the anchor is gone).
    Deleted,
    /// A line the chain does not pass through: a copy, a forgery.
    Inserted,
    /// The chain passes through these lines in another order than the file.
    Reordered,
    /// An interrupted write: the line ends before the JSON does.
    Torn,
    /// Not an audit entry at all.
    Unparsable,
    /// The file ends before the head recorded after the last append.
    Truncated,
    /// The recorded head is not in the file, or the file's anchor is not the
    /// recorded one: another file, or the log rewritten.
    Replaced,
    /// The head given with `--expect-head` is not in the chain.
    ExpectedHead,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProblemKind::Modified => "modified",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Inserted => "inserted",
            ProblemKind::Reordered => "reordered",
            ProblemKind::Torn => "torn",
            ProblemKind::Unparsable => "unparsable",
            ProblemKind::Truncated => "truncated",
            ProblemKind::Replaced => "replaced",
            ProblemKind::ExpectedHead => "expected head",
        })
    }
}

/// The file against the head opsboard recorded, outside the file, after
/// its last append to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedHead {
    /// No state dir to keep records in (no home directory).
    NotKept,
    /// Nothing recorded for this file on this machine (an older opsboard
    /// wrote it, it was copied here, or the record was removed).
    Missing { record: PathBuf },
    /// The record exists but cannot be read.
    Unreadable { record: PathBuf, error: String },
    /// The recorded head is the chain's head.
    Matches {
        record: PathBuf,
        line: u64,
        seq: u64,
    },
    /// The recorded head is in the chain and `after` entries follow it that
    /// no record covers: appended by an older opsboard, by a process that
    /// crashed before recording, or by someone else.
    Behind {
        record: PathBuf,
        line: u64,
        seq: u64,
        after: u64,
    },
    /// Cut or replaced: a [`ProblemKind::Truncated`] or
    /// [`ProblemKind::Replaced`] problem says how.
    Mismatch { record: PathBuf },
}

/// The file against `--expect-head HASH`. When the hash is not in the
/// chain, a [`ProblemKind::ExpectedHead`] problem says so and this is
/// `Missing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedHead {
    /// The expected head is the chain's head.
    IsHead {
        line: u64,
        seq: u64,
    },
    /// The expected head is in the chain and these entries came after it.
    InChain {
        line: u64,
        seq: u64,
        after: Vec<AuditEntry>,
    },
    Missing,
}

/// A `confirmed` line with no `succeeded`/`failed`/`cancelled`/
/// `interrupted` line for the same run and job after it: the process
/// crashed (or was killed) while the job ran, or the job is still running.
/// Not tampering, so not a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedJob {
    pub line: u64,
    pub run: String,
    pub job: u64,
    pub time: String,
    pub verb: String,
    pub target: String,
}
