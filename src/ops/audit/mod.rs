//! The audit log: one JSON line per action plan that was confirmed, refused,
//! cancelled, dry-run, succeeded, failed or interrupted, in `audit.jsonl`
//! (by default in the XDG data dir, see [`AuditLog::default_path`]).
//!
//! # The chain
//!
//! A log starts with an **anchor** line, `{"anchor":…,"time":…,"hash":…}`,
//! whose `anchor` is 32 random bytes (hex) and whose `hash` is the SHA-256
//! of the line without `hash` ([`AuditAnchor`]). Every entry after it
//! carries `seq` (its 1-based position in the chain), `prev` (the `hash`
//! of the line before it: the anchor's for seq 1) and `hash`, the SHA-256
//! (lowercase hex) of the line's *canonical* JSON without the `hash`
//! field: the fields in the fixed order of [`AuditEntry`], serialised by
//! `serde_json` in compact form (see [`AuditEntry::canonical_json`]). A
//! line on disk is exactly that canonical JSON with `"hash":"…"` as the
//! last field, so anyone can re-check a line: drop the `hash` field, hash
//! the remaining bytes, compare. Logs written before anchors existed chain
//! from 64 zeros ([`GENESIS_PREV`]); they still verify, and `verify` says
//! they have no anchor. Entries also carry `run`, random per process, so
//! that `run` + `job` names one job (older lines have no `run`).
//!
//! [`AuditLog::verify`] reads the file, recomputes every hash, follows the
//! `prev` links and reports, by line number, what does not fit: a line whose
//! content no longer matches its hash (modified), a gap in `seq` where the
//! chain breaks or a missing anchor (deleted), a line the chain does not
//! pass through (inserted: copies, forgeries), lines the chain passes
//! through in a different order than the file holds them (reordered), an
//! interrupted write (torn) and lines that are not audit entries at all
//! (unparsable). It re-synchronises after each problem, so one deleted line
//! is one problem, not one per later line. It then compares the file with
//! the head recorded after the last append ([`head`]: truncated, replaced)
//! and, if given, with a head kept elsewhere (`--expect-head`); and it lists
//! confirmed jobs that have no outcome line (a crash, or still running).
//!
//! # What this protects against — and what it does not
//!
//! The chain is *tamper-evident*, not tamper-proof, and it has no secret:
//!
//! * It catches accidental damage (disk errors, torn writes after a crash,
//!   a careless editor or `sed -i`) and naive tampering: editing, deleting,
//!   inserting, duplicating or reordering lines *without* recomputing the
//!   hashes of every later line.
//! * Cutting lines off the end, or replacing the file with another valid
//!   chain, is caught by the head recorded in the state dir after every
//!   append (and the anchor makes every log's chain its own). That record
//!   belongs to the same user, so someone who can rewrite the log *and*
//!   the record can still rewrite history: the only defence is a copy of
//!   the head ([`VerifyReport::head`], printed by `audit verify`) somewhere
//!   the attacker cannot write — remote syslog, a ticket, a chat message —
//!   checked later with `opsboard audit verify --expect-head HASH`. A file
//!   made append-only by the OS (`chattr +a`) or shipped off the host as it
//!   is written is stronger still.
//! * `user` and `host` are what the environment says ([`identity`]): a
//!   convenience for honest operators, not authentication.
//! * `time` is the local clock; the chain orders entries, the clock does not
//!   have to agree.
//! * Locking is advisory (`flock`): opsboard processes serialise their
//!   appends, a process that ignores the lock can still interleave writes
//!   (which `verify` then reports).
//!
//! # What reaches the file
//!
//! Every string of a record (target, verb, parameter names and values,
//! message, user, host) has every registered secret *value* masked
//! ([`crate::model::text::redact`]) and its control characters replaced;
//! as defence in depth, a parameter whose name mentions a password, token,
//! secret or key is written as `***` unless its value is a secret
//! *reference* (`${VAR}`, `file:/path`), see [`redact_parameters`]. The
//! file, its directory and the head record are never reached through a
//! symlink; new ones are 0600 (files) and 0700 (directories).
//!
//! # Durability
//!
//! [`AuditLog::append`] holds an exclusive lock on the file while it reads
//! the last line (seeking from the end, not reading the whole file),
//! appends one line, and `fsync`s the file (and the directory when it
//! created the file) before it returns. The file is opened append-only and
//! never rewritten. If a previous writer crashed mid-line, the next append
//! starts on a fresh line and chains from the last complete line; `verify`
//! reports the torn fragment as superseded.
//!
//! `append` blocks (file lock, fsync): call it from `spawn_blocking` in async
//! code.

mod append;
mod entry;
mod error;
mod format;
pub mod head;
pub mod identity;
mod jobs;
mod lines;
mod log;
mod redact;
mod reorder;
mod report;
mod verify;

#[cfg(test)]
mod test_support;

pub use entry::{AuditAnchor, AuditEntry, AuditLine, AuditOutcome, AuditRecord, GENESIS_PREV};
pub use error::AuditError;
pub use format::{format_entries, format_json_line, format_report};
pub use head::{HeadRecord, is_head_hash};
pub use identity::run_id;
pub use log::AuditLog;
pub use redact::{REDACTED, is_secret_key, is_secret_reference, redact_parameters};
pub use report::{ExpectedHead, Problem, ProblemKind, RecordedHead, UnfinishedJob, VerifyReport};

/// The file name under the data dir.
pub const FILE_NAME: &str = "audit.jsonl";
