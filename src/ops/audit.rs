//! The audit log: one JSON line per action plan that was confirmed, refused,
//! cancelled, dry-run, succeeded or failed, in `audit.jsonl` (by default in
//! the XDG data dir, see [`AuditLog::default_path`]).
//!
//! # The chain
//!
//! Every line carries `seq` (its 1-based position in the chain), `prev` (the
//! `hash` of the line before it; 64 zeros for the first line) and `hash`, the
//! SHA-256 (lowercase hex) of the line's *canonical* JSON without the `hash`
//! field: the fields in the fixed order of [`AuditEntry`], serialised by
//! `serde_json` in compact form (see [`AuditEntry::canonical_json`]). A line on
//! disk is exactly that canonical JSON with `"hash":"…"` as the last field, so
//! anyone can re-check a line with `jq`-free tooling: drop the `hash` field,
//! hash the remaining bytes, compare.
//!
//! [`AuditLog::verify`] reads the file, recomputes every hash, follows the
//! `prev` links and reports, by line number, what does not fit: a line whose
//! content no longer matches its hash (modified), a gap in `seq` where the
//! chain breaks (deleted), a line the chain does not pass through (inserted:
//! copies, forgeries), lines the chain passes through in a different order
//! than the file holds them (reordered), an interrupted write (torn) and lines
//! that are not audit entries at all (unparsable). It re-synchronises after
//! each problem, so one deleted line is one problem, not one per later line.
//!
//! # What this protects against — and what it does not
//!
//! The chain is *tamper-evident*, not tamper-proof, and it has no secret:
//!
//! * It catches accidental damage (disk errors, torn writes after a crash,
//!   a careless editor or `sed -i`) and naive tampering: editing, deleting,
//!   inserting, duplicating or reordering lines *without* recomputing the
//!   hashes of every later line.
//! * It does **not** catch someone with write access to the file who rewrites
//!   a line and then recomputes `hash`/`prev` for that line and every line
//!   after it. The hash is unkeyed SHA-256; anyone can compute it. The same
//!   goes for appending forged lines at the end, and for deleting the last
//!   lines of the file (the tail is just shorter; nothing after it complains).
//! * The only defence against those is to keep a copy of the head hash
//!   ([`VerifyReport::head`], or the `hash` of any entry) somewhere the
//!   attacker cannot write — remote syslog, a ticket, a chat message — and
//!   later check that the file still contains that hash at that `seq`. A file
//!   made append-only by the OS (`chattr +a`) or shipped off the host as it
//!   is written is stronger still.
//! * `user` and `host` are what the environment says (`$SUDO_USER`, `$USER`,
//!   the kernel hostname). They are a convenience for honest operators, not
//!   authentication: anyone can set `$USER`.
//! * `time` is the local clock; the chain orders entries, the clock does not
//!   have to agree.
//! * Locking is advisory (`flock`): opsboard processes serialise their
//!   appends, a process that ignores the lock can still interleave writes
//!   (which `verify` then reports).
//!
//! # Durability
//!
//! [`AuditLog::append`] holds an exclusive lock on the file while it reads the
//! last line (seeking from the end, not reading the whole file), appends one
//! line, and `fsync`s the file (and the directory when it created the file)
//! before it returns. The file is opened append-only and never rewritten. If
//! a previous writer crashed mid-line, the next append starts on a fresh line
//! and chains from the last complete entry; `verify` reports the torn
//! fragment as superseded.
//!
//! Parameters are expected to be secret-free already; as defence in depth,
//! any parameter whose key mentions a password, token, secret or key is
//! written as `***` unless its value is a secret *reference* (`${VAR}`,
//! `file:/path`), see [`redact_parameters`].
//!
//! `append` blocks (file lock, fsync): call it from `spawn_blocking` in async
//! code.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev` of the first line of a chain.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The file name under the data dir.
pub const FILE_NAME: &str = "audit.jsonl";

/// What redacted parameter values are replaced with.
pub const REDACTED: &str = "***";

/// How much of the file `append` reads per step while looking for the last
/// line from the end.
const TAIL_CHUNK: usize = 8 * 1024;

/// How an action plan ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Refused,
    Confirmed,
    Cancelled,
    Succeeded,
    Failed,
    DryRun,
    /// The board quit while the job ran; what it left behind is unknown.
    Interrupted,
}

impl AuditOutcome {
    /// The word written to the file (`dry_run`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Refused => "refused",
            AuditOutcome::Confirmed => "confirmed",
            AuditOutcome::Cancelled => "cancelled",
            AuditOutcome::Succeeded => "succeeded",
            AuditOutcome::Failed => "failed",
            AuditOutcome::DryRun => "dry_run",
            AuditOutcome::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for AuditOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the caller knows about one event; [`AuditLog::append`] adds time,
/// user, host and the chain fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub target: String,
    pub verb: String,
    /// Secret-free already; redacted again anyway, see [`redact_parameters`].
    pub parameters: BTreeMap<String, String>,
    pub outcome: AuditOutcome,
    pub duration_ms: Option<u64>,
    pub message: Option<String>,
    pub job: Option<u64>,
}

/// One line of `audit.jsonl`, exactly as stored. The field order here is the
/// order on disk and the order that is hashed: do not reorder. Unknown fields
/// are rejected (a field slipped into a line must not go unnoticed), so
/// adding a field is a format change that older verifiers report as
/// unparsable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    pub seq: u64,
    /// RFC 3339, UTC, millisecond precision: `2025-01-31T12:00:00.123Z`.
    pub time: String,
    pub user: String,
    pub host: String,
    pub target: String,
    pub verb: String,
    pub parameters: BTreeMap<String, String>,
    pub outcome: AuditOutcome,
    pub duration_ms: Option<u64>,
    pub message: Option<String>,
    pub job: Option<u64>,
    pub prev: String,
    pub hash: String,
}

/// [`AuditEntry`] without `hash`, borrowed: what is hashed. Same field order.
#[derive(Serialize)]
struct Canonical<'a> {
    seq: u64,
    time: &'a str,
    user: &'a str,
    host: &'a str,
    target: &'a str,
    verb: &'a str,
    parameters: &'a BTreeMap<String, String>,
    outcome: AuditOutcome,
    duration_ms: Option<u64>,
    message: Option<&'a str>,
    job: Option<u64>,
    prev: &'a str,
}

impl AuditEntry {
    /// The bytes that are hashed: compact JSON of every field but `hash`, in
    /// declaration order.
    pub fn canonical_json(&self) -> String {
        let c = Canonical {
            seq: self.seq,
            time: &self.time,
            user: &self.user,
            host: &self.host,
            target: &self.target,
            verb: &self.verb,
            parameters: &self.parameters,
            outcome: self.outcome,
            duration_ms: self.duration_ms,
            message: self.message.as_deref(),
            job: self.job,
            prev: &self.prev,
        };
        // Strings, integers and a string-keyed map: serialisation cannot fail.
        serde_json::to_string(&c).expect("audit entry serialises")
    }

    /// SHA-256 (lowercase hex) of [`canonical_json`](Self::canonical_json).
    pub fn compute_hash(&self) -> String {
        sha256_hex(self.canonical_json().as_bytes())
    }

    /// Whether the stored `hash` matches the content.
    pub fn hash_is_valid(&self) -> bool {
        self.hash == self.compute_hash()
    }

    /// The line as written to the file (without the newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("audit entry serialises")
    }

    /// `time` parsed; `None` if someone wrote something that is not RFC 3339.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.time)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    out
}

/// Errors from reading or writing the log. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit log {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "audit log {}: line {line} is corrupt: {reason} (run `opsboard audit verify`)",
        path.display()
    )]
    Corrupt {
        path: PathBuf,
        line: u64,
        reason: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The audit log file. Cheap to create; every call opens the file anew, so
/// several `AuditLog`s (threads, processes) can share one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> AuditLog {
        AuditLog { path }
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

    /// Appends one line and returns it as written. Blocks on the file lock
    /// and on fsync. Creates missing parent directories (mode 0700) and the
    /// file (mode 0600).
    pub fn append(&self, record: &AuditRecord) -> Result<AuditEntry, AuditError> {
        let path = self.path.as_path();
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            create_private_dir(dir).map_err(io_err(dir))?;
        }
        let (mut file, created) = open_append(path).map_err(io_err(path))?;
        lock_exclusive(&file).map_err(io_err(path))?;
        let written = append_locked(&mut file, record).map_err(io_err(path));
        // Make the new directory entry durable too.
        let synced_dir = match (&written, created, dir) {
            (Ok(_), true, Some(dir)) => sync_dir(dir).map_err(io_err(dir)),
            _ => Ok(()),
        };
        // Closing the file releases the lock anyway; an unlock error is moot.
        let _ = unlock(&file);
        let entry = written?;
        synced_dir?;
        Ok(entry)
    }

    /// Every entry, or those at or after `since`, in file order. A missing
    /// file is an empty log. Torn fragments (interrupted writes) are skipped;
    /// any other line that is not an entry is [`AuditError::Corrupt`]. Does
    /// not check hashes: that is [`verify`](Self::verify).
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
                Ok(e) => e,
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
                        reason: format!("`{}` is not an RFC 3339 time", entry.time),
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

    /// Checks the whole chain. `Err` only when the file cannot be read (a
    /// missing file is an error here: verifying nothing proves nothing);
    /// everything wrong with the content is in [`VerifyReport::problems`].
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        let data = self.read_all()?;
        Ok(verify_bytes(&data))
    }

    /// The whole file, under a shared lock so a concurrent append is never
    /// seen half-written.
    fn read_all(&self) -> Result<Vec<u8>, AuditError> {
        let path = self.path.as_path();
        let mut file = File::open(path).map_err(io_err(path))?;
        lock_shared(&file).map_err(io_err(path))?;
        let mut data = Vec::new();
        let read = file.read_to_end(&mut data).map_err(io_err(path));
        let _ = unlock(&file);
        read?;
        Ok(data)
    }
}

// ---------------------------------------------------------------------------
// Writing

// Advisory locks (`File::lock*`, Rust 1.89) serialise writers across
// processes: the board and `opsboard do` may append at the same time.
fn lock_exclusive(file: &File) -> io::Result<()> {
    file.lock()
}

fn lock_shared(file: &File) -> io::Result<()> {
    file.lock_shared()
}

fn unlock(file: &File) -> io::Result<()> {
    file.unlock()
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Opens for append (and read, for the tail). Returns whether this call
/// created the file.
fn open_append(path: &Path) -> io::Result<(File, bool)> {
    let mut opts = OpenOptions::new();
    opts.read(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.clone().create_new(true).open(path) {
        Ok(f) => Ok((f, true)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok((opts.open(path)?, false)),
        Err(e) => Err(e),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Called with the exclusive lock held.
fn append_locked(file: &mut File, record: &AuditRecord) -> io::Result<AuditEntry> {
    let len = file.metadata()?.len();
    let tail = last_entry(file, len, TAIL_CHUNK)?;
    let (seq, prev) = match tail.entry {
        Some(e) => (e.seq.saturating_add(1), e.hash),
        None => (1, GENESIS_PREV.to_string()),
    };
    let mut entry = AuditEntry {
        seq,
        time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        user: current_user(),
        host: current_host(),
        target: record.target.clone(),
        verb: record.verb.clone(),
        parameters: redact_parameters(&record.parameters),
        outcome: record.outcome,
        duration_ms: record.duration_ms,
        message: record.message.clone(),
        job: record.job,
        prev,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    let line = entry.to_line();
    let mut buf = Vec::with_capacity(line.len() + 2);
    if !tail.ends_with_newline {
        // A torn fragment from a crashed writer: leave it, start afresh.
        buf.push(b'\n');
    }
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    // O_APPEND: the write lands at the end whatever the read position.
    file.write_all(&buf)?;
    file.sync_all()?;
    Ok(entry)
}

/// What `append` needs from the end of the file.
#[derive(Debug)]
struct Tail {
    /// The last line that parses as an entry (torn or garbage lines after it
    /// are skipped).
    entry: Option<AuditEntry>,
    /// False when the file ends mid-line.
    ends_with_newline: bool,
}

/// Reads backwards from `len` in `chunk`-sized steps until it finds a line
/// that parses as an entry. Reads the whole file only if no line does.
fn last_entry<R: Read + Seek>(r: &mut R, len: u64, chunk: usize) -> io::Result<Tail> {
    if len == 0 {
        return Ok(Tail {
            entry: None,
            ends_with_newline: true,
        });
    }
    let mut last = [0u8; 1];
    r.seek(SeekFrom::Start(len - 1))?;
    r.read_exact(&mut last)?;
    let ends_with_newline = last[0] == b'\n';
    // `buf` holds the file's bytes `buf_start..end` not yet looked at.
    let end = if ends_with_newline { len - 1 } else { len };
    let mut buf: Vec<u8> = Vec::new();
    let mut buf_start = end;
    let chunk = chunk.max(1) as u64;
    loop {
        if let Some(nl) = buf.iter().rposition(|&b| b == b'\n') {
            if let Ok(entry) = parse_line(&buf[nl + 1..]) {
                return Ok(Tail {
                    entry: Some(entry),
                    ends_with_newline,
                });
            }
            buf.truncate(nl);
            continue;
        }
        if buf_start == 0 {
            let entry = parse_line(&buf).ok();
            return Ok(Tail {
                entry,
                ends_with_newline,
            });
        }
        let n = chunk.min(buf_start);
        let start = buf_start - n;
        let mut more = vec![0u8; n as usize];
        r.seek(SeekFrom::Start(start))?;
        r.read_exact(&mut more)?;
        more.extend_from_slice(&buf);
        buf = more;
        buf_start = start;
    }
}

/// Whether a parameter name suggests a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "token", "secret", "key"]
        .iter()
        .any(|w| k.contains(w))
}

/// Whether a value is a secret reference (`${VAR}`, `file:/path`) rather
/// than a secret; the same forms the config accepts.
pub fn is_secret_reference(value: &str) -> bool {
    if let Some(name) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        return !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
    }
    value.strip_prefix("file:").is_some_and(|p| !p.is_empty())
}

/// Replaces the value of every secret-looking parameter with `***` unless
/// it is a reference. Over-redacts on purpose (`monkey` contains `key`).
pub fn redact_parameters(params: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    params
        .iter()
        .map(|(k, v)| {
            let v = if is_secret_key(k) && !is_secret_reference(v) {
                REDACTED.to_string()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var_os(name)
        .map(|v| v.to_string_lossy().into_owned())
        .filter(|v| !v.is_empty())
}

fn current_user() -> String {
    let status = std::fs::read_to_string("/proc/self/status").ok();
    user_from(
        env_nonempty("SUDO_USER"),
        env_nonempty("USER"),
        env_nonempty("LOGNAME"),
        status.as_deref(),
    )
}

/// `$SUDO_USER` → `alice (sudo as root)`; else `$USER`, `$LOGNAME`, the real
/// uid from `/proc/self/status`, `unknown`.
fn user_from(
    sudo_user: Option<String>,
    user: Option<String>,
    logname: Option<String>,
    proc_status: Option<&str>,
) -> String {
    let plain = user.or(logname).or_else(|| {
        proc_status
            .and_then(uid_from_status)
            .map(|u| format!("uid {u}"))
    });
    match (sudo_user, plain) {
        (Some(s), Some(p)) => format!("{s} (sudo as {p})"),
        (Some(s), None) => format!("{s} (sudo)"),
        (None, Some(p)) => p,
        (None, None) => "unknown".into(),
    }
}

fn uid_from_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|uid| uid.parse().ok())
}

fn current_host() -> String {
    host_from(
        std::fs::read_to_string("/proc/sys/kernel/hostname").ok(),
        env_nonempty("HOSTNAME"),
    )
}

fn host_from(kernel: Option<String>, env: Option<String>) -> String {
    kernel
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or(env)
        .unwrap_or_else(|| "unknown".into())
}

// ---------------------------------------------------------------------------
// Reading and verifying

struct RawLine<'a> {
    /// 1-based.
    number: u64,
    bytes: &'a [u8],
    /// False for a last line without a newline.
    terminated: bool,
}

fn split_lines(data: &[u8]) -> Vec<RawLine<'_>> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                out.push(RawLine {
                    number,
                    bytes: &rest[..i],
                    terminated: true,
                });
                rest = &rest[i + 1..];
            }
            None => {
                out.push(RawLine {
                    number,
                    bytes: rest,
                    terminated: false,
                });
                rest = &[];
            }
        }
    }
    out
}

fn parse_line(bytes: &[u8]) -> Result<AuditEntry, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// A line cut short: the JSON ends before the object does. (An empty line
/// is not torn: append never leaves one.)
fn is_torn(bytes: &[u8], e: &serde_json::Error) -> bool {
    e.is_eof() && !bytes.iter().all(u8::is_ascii_whitespace)
}

fn parse_reason(bytes: &[u8], e: &serde_json::Error) -> String {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        "the line is empty".into()
    } else {
        format!("not an audit entry ({e})")
    }
}

/// The result of [`AuditLog::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Lines in the file, torn fragment included.
    pub lines: u64,
    /// In line order; empty when the log is intact.
    pub problems: Vec<Problem>,
    /// The `hash` the chain ends at: what the next append chains from, and
    /// what to keep elsewhere to detect a rewritten chain later.
    pub head: Option<String>,
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
    /// `seq` jumps where the chain breaks.
    Deleted,
    /// A line the chain does not pass through: a copy, a forgery.
    Inserted,
    /// The chain passes through these lines in another order than the file.
    Reordered,
    /// An interrupted write: the line ends before the JSON does.
    Torn,
    /// Not an audit entry at all.
    Unparsable,
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
        })
    }
}

/// A line that parsed as an entry.
struct Rec {
    line: u64,
    entry: AuditEntry,
    /// The hash matches the content and the bytes are exactly what append
    /// writes for that content.
    intact: bool,
}

fn lines_word(n: u64) -> &'static str {
    if n == 1 { "line" } else { "lines" }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The verifier. Three passes:
///
/// 1. Parse each line. Lines that end before their JSON does are `Torn`
///    (superseded if more lines follow); other failures are `Unparsable`.
///    For parsed lines, a hash that does not match the content, or bytes
///    that differ from the canonical line (fields added, removed,
///    reformatted) is `Modified`.
/// 2. Walk the chain by links, not by file position: start at `prev` = 64
///    zeros and repeatedly take the unused line whose `prev` is the current
///    line's stored `hash` (a modified line keeps its stored hash, so its
///    successor still links to it and only that one line is reported).
///    When several lines link (a copy, a forged fork), prefer the one whose
///    `seq` fits, then the one some other line links to, then an intact
///    one, then the nearest one after the current line in the file.
///    When none links, re-synchronise at the unused line with the smallest
///    `seq` above the current one (ignoring strays: lines before the current
///    one in the file that no line links to):
///    * a `seq` jump means lines were deleted (`Deleted`, with both line
///      numbers and both seqs);
///    * the very next `seq` with a `prev` that does not link means either
///      the previous line was altered and re-hashed (if a later line links
///      to this one, it is genuine and its predecessor is the forgery:
///      `Modified` at the predecessor) or this line is a forgery
///      (`Inserted`).
/// 3. Lines the walk never took are `Inserted` (a copy of line M / a second
///    line claiming seq S / not part of the chain). Lines it took in another
///    order than the file holds them are `Reordered`: the file is split
///    into the smallest blocks that hold a contiguous stretch of the chain;
///    a block with two misplaced lines is a swap, one misplaced line that
///    leaves the rest in order was moved, anything else is listed.
fn verify_bytes(data: &[u8]) -> VerifyReport {
    let raw = split_lines(data);
    let total = raw.len();
    let mut problems = Vec::new();
    let mut recs: Vec<Rec> = Vec::new();

    for (i, r) in raw.iter().enumerate() {
        match parse_line(r.bytes) {
            Ok(entry) => {
                let hash_ok = entry.hash_is_valid();
                let canonical_ok = entry.to_line().as_bytes() == r.bytes;
                if !hash_ok {
                    problems.push(Problem {
                        line: r.number,
                        kind: ProblemKind::Modified,
                        message: format!(
                            "line {} was modified: its content does not match its hash",
                            r.number
                        ),
                    });
                } else if !canonical_ok {
                    problems.push(Problem {
                        line: r.number,
                        kind: ProblemKind::Modified,
                        message: format!(
                            "line {} was modified: it is not byte-for-byte what was written \
                             (fields added, dropped or reformatted)",
                            r.number
                        ),
                    });
                }
                recs.push(Rec {
                    line: r.number,
                    entry,
                    intact: hash_ok && canonical_ok,
                });
            }
            Err(e) if is_torn(r.bytes, &e) => {
                let message = if !r.terminated {
                    format!(
                        "line {} is torn: the file ends in the middle of an entry (an append \
                         was interrupted); the next append starts a fresh line",
                        r.number
                    )
                } else if i + 1 < total {
                    format!(
                        "line {} is torn: an interrupted append, superseded by the lines after \
                         it (the chain skips it)",
                        r.number
                    )
                } else {
                    format!(
                        "line {} is torn: it ends in the middle of an entry",
                        r.number
                    )
                };
                problems.push(Problem {
                    line: r.number,
                    kind: ProblemKind::Torn,
                    message,
                });
            }
            Err(e) => problems.push(Problem {
                line: r.number,
                kind: ProblemKind::Unparsable,
                message: format!("line {}: {}", r.number, parse_reason(r.bytes, &e)),
            }),
        }
    }

    // Pass 2: the chain walk.
    let mut by_prev: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in recs.iter().enumerate() {
        by_prev.entry(r.entry.prev.as_str()).or_default().push(i);
    }
    let has_succ = |i: usize| {
        by_prev
            .get(recs[i].entry.hash.as_str())
            .is_some_and(|v| v.iter().any(|&j| j != i))
    };
    // Unused lines by seq, for re-synchronising.
    let mut by_seq: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, r) in recs.iter().enumerate() {
        by_seq.entry(r.entry.seq).or_default().push(i);
    }
    let mut used = vec![false; recs.len()];
    let mut chain: Vec<usize> = Vec::new();
    let mut cur: Option<usize> = None;
    let mut cur_hash: &str = GENESIS_PREV;
    let mut cur_seq: u64 = 0;
    loop {
        let cur_line = cur.map_or(0, |c| recs[c].line);
        let next_seq = cur_seq.saturating_add(1);
        let best = |cands: &mut dyn Iterator<Item = usize>| {
            cands.max_by_key(|&i| {
                let r = &recs[i];
                (
                    r.entry.seq == next_seq,
                    has_succ(i),
                    r.intact,
                    r.line > cur_line,
                    std::cmp::Reverse(r.line),
                )
            })
        };
        let linked = by_prev
            .get(cur_hash)
            .and_then(|v| best(&mut v.iter().copied().filter(|&i| !used[i])));
        let (pick, by_link) = match linked {
            Some(i) => (i, true),
            None => {
                // A line that links to nothing, that nothing links to and
                // that sits before the current line is a stray, not where
                // the chain goes on.
                let resumes = |i: usize| recs[i].line > cur_line || has_succ(i);
                let resync = by_seq
                    .range((Bound::Excluded(cur_seq), Bound::Unbounded))
                    .find_map(|(_, v)| best(&mut v.iter().copied().filter(|&i| resumes(i))));
                match resync {
                    Some(i) => (i, false),
                    None => break,
                }
            }
        };
        let r = &recs[pick];
        let s = r.entry.seq;
        if by_link {
            if r.intact && s != next_seq {
                problems.push(Problem {
                    line: r.line,
                    kind: ProblemKind::Modified,
                    message: format!(
                        "line {} was altered and its hash recomputed: it follows seq {cur_seq} \
                         but claims seq {s}",
                        r.line
                    ),
                });
            }
            // The link is the evidence; a modified line's seq is not.
            cur_seq = next_seq;
        } else {
            if s > next_seq {
                let gap = s - next_seq;
                let message = match cur {
                    Some(c) => format!(
                        "{gap} {} deleted between line {} and line {} (seq {cur_seq} → {s})",
                        lines_word(gap),
                        recs[c].line,
                        r.line
                    ),
                    None => format!(
                        "{gap} {} deleted at the start of the log, before line {} (the chain \
                         begins at seq {s})",
                        lines_word(gap),
                        r.line
                    ),
                };
                problems.push(Problem {
                    line: r.line,
                    kind: ProblemKind::Deleted,
                    message,
                });
            } else if r.intact {
                // The right seq, but `prev` does not link. (A non-intact line
                // was reported above: its `prev` was probably what changed.)
                match cur {
                    // The predecessor's hash field was edited: reported.
                    Some(c) if !recs[c].intact => {}
                    Some(c) if has_succ(pick) => problems.push(Problem {
                        line: recs[c].line,
                        kind: ProblemKind::Modified,
                        message: format!(
                            "line {} was replaced or altered and its hash recomputed: line {} \
                             (seq {s}) records a different hash for its predecessor",
                            recs[c].line, r.line
                        ),
                    }),
                    Some(c) => problems.push(Problem {
                        line: r.line,
                        kind: ProblemKind::Inserted,
                        message: format!(
                            "line {} was inserted (or line {} was altered and its hash \
                             recomputed): it claims seq {s} but does not chain from line {} \
                             (its prev is {}…)",
                            r.line,
                            recs[c].line,
                            recs[c].line,
                            short(&r.entry.prev)
                        ),
                    }),
                    None if has_succ(pick) => problems.push(Problem {
                        line: r.line,
                        kind: ProblemKind::Modified,
                        message: format!(
                            "line {} was altered and its hash recomputed: it claims seq 1 but \
                             its prev is not 64 zeros",
                            r.line
                        ),
                    }),
                    None => problems.push(Problem {
                        line: r.line,
                        kind: ProblemKind::Inserted,
                        message: format!(
                            "line {} was inserted: it claims seq 1 but its prev is not 64 zeros",
                            r.line
                        ),
                    }),
                }
            }
            cur_seq = s;
        }
        used[pick] = true;
        if let Some(v) = by_seq.get_mut(&s) {
            v.retain(|&i| i != pick);
            if v.is_empty() {
                by_seq.remove(&s);
            }
        }
        chain.push(pick);
        cur = Some(pick);
        cur_hash = recs[pick].entry.hash.as_str();
    }

    // Pass 3a: lines off the chain.
    let mut chain_by_hash: HashMap<&str, usize> = HashMap::new();
    let mut chain_by_seq: HashMap<u64, usize> = HashMap::new();
    for &c in &chain {
        chain_by_hash
            .entry(recs[c].entry.hash.as_str())
            .or_insert(c);
        chain_by_seq.entry(recs[c].entry.seq).or_insert(c);
    }
    for (i, r) in recs.iter().enumerate() {
        if used[i] {
            continue;
        }
        let s = r.entry.seq;
        let copy_of = chain_by_hash
            .get(r.entry.hash.as_str())
            .filter(|&&c| recs[c].entry == r.entry);
        let mut message = if let Some(&c) = copy_of {
            format!(
                "line {} was inserted: it is a copy of line {}",
                r.line, recs[c].line
            )
        } else if let Some(&c) = chain_by_seq.get(&s) {
            format!(
                "line {} was inserted: it claims seq {s}, which line {} holds in the chain",
                r.line, recs[c].line
            )
        } else {
            format!(
                "line {} was inserted: it is not part of the chain (seq {s}, prev {}…)",
                r.line,
                short(&r.entry.prev)
            )
        };
        if !r.intact {
            message.push_str(" (and was modified)");
        }
        problems.push(Problem {
            line: r.line,
            kind: ProblemKind::Inserted,
            message,
        });
    }

    // Pass 3b: order. Chain position of every chained line, in file order.
    let mut pos = vec![usize::MAX; recs.len()];
    for (p, &c) in chain.iter().enumerate() {
        pos[c] = p;
    }
    let order: Vec<usize> = (0..recs.len()).filter(|&i| used[i]).collect();
    let mut start = 0;
    let mut max_pos = 0;
    for k in 0..order.len() {
        max_pos = max_pos.max(pos[order[k]]);
        if max_pos == k {
            if k > start {
                problems.push(reorder_problem(&recs, &chain, &pos, &order, start, k));
            }
            start = k + 1;
        }
    }

    problems.sort_by_key(|p| p.line);
    VerifyReport {
        lines: total as u64,
        problems,
        head: chain.last().map(|&c| recs[c].entry.hash.clone()),
    }
}

/// `order[start..=end]` holds exactly chain positions `start..=end`, not in
/// order.
fn reorder_problem(
    recs: &[Rec],
    chain: &[usize],
    pos: &[usize],
    order: &[usize],
    start: usize,
    end: usize,
) -> Problem {
    let block = &order[start..=end];
    let misplaced: Vec<usize> = (start..=end)
        .filter(|&k| pos[order[k]] != k)
        .map(|k| order[k])
        .collect();
    let line = |i: usize| recs[i].line;
    let seq = |i: usize| recs[i].entry.seq;
    if let [a, b] = misplaced[..] {
        return Problem {
            line: line(a),
            kind: ProblemKind::Reordered,
            message: format!(
                "lines {} and {} are out of order: they are swapped (line {} holds seq {}, \
                 line {} holds seq {})",
                line(a),
                line(b),
                line(a),
                seq(a),
                line(b),
                seq(b)
            ),
        };
    }
    // One line moved: without it, the rest of the block is in order. If
    // such a line exists it is at the first descent or just after it.
    let ps: Vec<usize> = block.iter().map(|&i| pos[i]).collect();
    let in_order_without = |skip: usize| {
        let mut rest = ps.iter().enumerate().filter(|&(k, _)| k != skip);
        let mut last = rest.next().map(|(_, &p)| p);
        rest.all(|(_, &p)| {
            let ok = last.is_none_or(|l| l < p);
            last = Some(p);
            ok
        })
    };
    let moved = ps
        .windows(2)
        .position(|w| w[0] > w[1])
        .and_then(|k| [k, k + 1].into_iter().find(|&c| in_order_without(c)))
        .map(|c| block[c]);
    if let Some(m) = moved {
        let p = pos[m];
        let place = if p > 0 {
            format!(
                "after line {} (seq {})",
                line(chain[p - 1]),
                seq(chain[p - 1])
            )
        } else {
            format!(
                "before line {} (seq {})",
                line(chain[p + 1]),
                seq(chain[p + 1])
            )
        };
        return Problem {
            line: line(m),
            kind: ProblemKind::Reordered,
            message: format!(
                "line {} (seq {}) is out of order: it belongs {place}",
                line(m),
                seq(m)
            ),
        };
    }
    const SHOWN: usize = 8;
    let list = |f: &dyn Fn(usize) -> u64| {
        let mut items: Vec<String> = misplaced
            .iter()
            .take(SHOWN)
            .map(|&i| f(i).to_string())
            .collect();
        if misplaced.len() > SHOWN {
            items.push(format!("… ({} more)", misplaced.len() - SHOWN));
        }
        items.join(", ")
    };
    Problem {
        line: line(misplaced[0]),
        kind: ProblemKind::Reordered,
        message: format!(
            "lines {} are out of order (they hold seqs {} in that order)",
            list(&line),
            list(&seq)
        ),
    }
}

// ---------------------------------------------------------------------------
// Formatting

/// Control characters (escape sequences, newlines) from the file must not
/// reach the terminal.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '�' } else { c })
        .collect()
}

fn fmt_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    } else {
        format!("{}h{:02}m", ms / 3_600_000, (ms / 60_000) % 60)
    }
}

/// A table for `opsboard audit show`: time, user@host, outcome, verb,
/// target, duration, message. Ends with a newline.
pub fn format_entries(entries: &[AuditEntry]) -> String {
    if entries.is_empty() {
        return "no audit entries\n".into();
    }
    let header = [
        "TIME",
        "USER@HOST",
        "OUTCOME",
        "VERB",
        "TARGET",
        "DURATION",
        "MESSAGE",
    ];
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|e| {
            [
                clean(&e.time),
                clean(&format!("{}@{}", e.user, e.host)),
                e.outcome.as_str().to_string(),
                clean(&e.verb),
                clean(&e.target),
                e.duration_ms.map_or_else(|| "-".into(), fmt_ms),
                e.message.as_deref().map_or_else(|| "-".into(), clean),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = header.map(String::from);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `audit log OK: N lines, head <hash>`, or one `path:line: what happened`
/// line per problem and a summary. No trailing newline.
pub fn format_report(path: &Path, r: &VerifyReport) -> String {
    if r.problems.is_empty() {
        return match &r.head {
            Some(h) => format!(
                "audit log OK: {} {}, head {h}",
                r.lines,
                lines_word(r.lines)
            ),
            None => format!("audit log OK: {} lines (empty)", r.lines),
        };
    }
    let mut out: Vec<String> = r
        .problems
        .iter()
        .map(|p| format!("{}:{}: {}: {}", path.display(), p.line, p.kind, p.message))
        .collect();
    let n = r.problems.len() as u64;
    out.push(format!(
        "audit log {} FAILED verification: {n} {} in {} {}{}",
        path.display(),
        if n == 1 { "problem" } else { "problems" },
        r.lines,
        lines_word(r.lines),
        r.head
            .as_deref()
            .map(|h| format!(", chain head {h}"))
            .unwrap_or_default()
    ));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn entry() -> AuditEntry {
        AuditEntry {
            seq: 7,
            time: "2025-01-31T12:00:00.123Z".into(),
            user: "alice (sudo as root)".into(),
            host: "db1".into(),
            target: "backup/redis-nightly".into(),
            verb: "backup".into(),
            parameters: [("b".to_string(), "2".to_string()), ("a".into(), "1".into())]
                .into_iter()
                .collect(),
            outcome: AuditOutcome::DryRun,
            duration_ms: Some(1500),
            message: None,
            job: Some(3),
            prev: "ab".repeat(32),
            hash: String::new(),
        }
    }

    const CANONICAL: &str = concat!(
        r#"{"seq":7,"time":"2025-01-31T12:00:00.123Z","user":"alice (sudo as root)","#,
        r#""host":"db1","target":"backup/redis-nightly","verb":"backup","#,
        r#""parameters":{"a":"1","b":"2"},"outcome":"dry_run","duration_ms":1500,"#,
        r#""message":null,"job":3,"#,
        r#""prev":"abababababababababababababababababababababababababababababababab"}"#
    );

    #[test]
    fn canonical_json_is_fixed_order_compact_without_hash() {
        let mut e = entry();
        assert_eq!(e.canonical_json(), CANONICAL);
        // The stored hash is not part of what is hashed.
        e.hash = "whatever".into();
        assert_eq!(e.canonical_json(), CANONICAL);
    }

    #[test]
    fn hash_is_sha256_hex_of_the_canonical_json() {
        // Pinned: `printf '%s' "$CANONICAL" | sha256sum`.
        let e = entry();
        assert_eq!(
            e.compute_hash(),
            "3359083a1f65039ed956bed0ef7d5efee4544b45bac04f07947bbeaef2cc8dc6"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_line_is_the_canonical_json_plus_the_hash_last() {
        let mut e = entry();
        e.hash = e.compute_hash();
        let line = e.to_line();
        let expected = format!(
            "{},\"hash\":\"{}\"}}",
            &CANONICAL[..CANONICAL.len() - 1],
            e.hash
        );
        assert_eq!(line, expected);
        let back: AuditEntry = serde_json::from_str(&line).unwrap();
        assert_eq!(back, e);
        assert!(back.hash_is_valid());
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = entry();
        let h = base.compute_hash();
        let mut variants: Vec<AuditEntry> = Vec::new();
        let mut push = |f: &dyn Fn(&mut AuditEntry)| {
            let mut e = entry();
            f(&mut e);
            variants.push(e);
        };
        push(&|e| e.seq += 1);
        push(&|e| e.time.push('x'));
        push(&|e| e.user.push('x'));
        push(&|e| e.host.push('x'));
        push(&|e| e.target.push('x'));
        push(&|e| e.verb.push('x'));
        push(&|e| {
            e.parameters.insert("c".into(), "3".into());
        });
        push(&|e| e.outcome = AuditOutcome::Failed);
        push(&|e| e.duration_ms = None);
        push(&|e| e.message = Some(String::new()));
        push(&|e| e.job = None);
        push(&|e| e.prev = GENESIS_PREV.into());
        assert_eq!(variants.len(), 12);
        for v in variants {
            assert_ne!(v.compute_hash(), h, "{v:?}");
        }
    }

    #[test]
    fn parameter_insertion_order_does_not_matter() {
        let mut a = entry();
        a.parameters = BTreeMap::new();
        a.parameters.insert("z".into(), "1".into());
        a.parameters.insert("a".into(), "2".into());
        let mut b = entry();
        b.parameters = BTreeMap::new();
        b.parameters.insert("a".into(), "2".into());
        b.parameters.insert("z".into(), "1".into());
        assert_eq!(a.compute_hash(), b.compute_hash());
        assert!(a.canonical_json().contains(r#"{"a":"2","z":"1"}"#));
    }

    #[test]
    fn unknown_fields_do_not_parse() {
        let mut e = entry();
        e.hash = e.compute_hash();
        let line = e.to_line().replacen('{', r#"{"note":"x","#, 1);
        assert!(parse_line(line.as_bytes()).is_err());
    }

    fn line_for(seq: u64) -> String {
        let mut e = entry();
        e.seq = seq;
        e.hash = e.compute_hash();
        e.to_line()
    }

    #[test]
    fn tail_finds_the_last_entry_across_chunk_boundaries() {
        let text = format!("{}\n{}\n{}\n", line_for(1), line_for(2), line_for(3));
        for chunk in [1, 2, 7, 64, 100_000] {
            let t =
                last_entry(&mut Cursor::new(text.as_bytes()), text.len() as u64, chunk).unwrap();
            assert_eq!(t.entry.map(|e| e.seq), Some(3), "chunk {chunk}");
            assert!(t.ends_with_newline);
        }
    }

    #[test]
    fn tail_skips_torn_and_garbage_lines() {
        let l3 = line_for(3);
        let text = format!("{}\n{}\nnot json\n{}", line_for(1), line_for(2), &l3[..40]);
        for chunk in [3, 4096] {
            let t =
                last_entry(&mut Cursor::new(text.as_bytes()), text.len() as u64, chunk).unwrap();
            assert_eq!(t.entry.map(|e| e.seq), Some(2));
            assert!(!t.ends_with_newline);
        }
        // A complete entry that only lacks its newline is still the last one.
        let text = format!("{}\n{}", line_for(1), line_for(2));
        let t = last_entry(&mut Cursor::new(text.as_bytes()), text.len() as u64, 5).unwrap();
        assert_eq!(t.entry.map(|e| e.seq), Some(2));
        assert!(!t.ends_with_newline);
    }

    #[test]
    fn tail_of_empty_or_hopeless_files() {
        let t = last_entry(&mut Cursor::new(b""), 0, 8).unwrap();
        assert!(t.entry.is_none() && t.ends_with_newline);
        let text = b"garbage\n{\"seq\":";
        let t = last_entry(&mut Cursor::new(text), text.len() as u64, 3).unwrap();
        assert!(t.entry.is_none() && !t.ends_with_newline);
        let one = line_for(1);
        let t = last_entry(&mut Cursor::new(one.as_bytes()), one.len() as u64, 3).unwrap();
        assert_eq!(t.entry.map(|e| e.seq), Some(1));
    }

    /// A well-formed chain of `n` lines, in memory.
    fn chain_lines(n: u64) -> Vec<String> {
        let mut prev = GENESIS_PREV.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = entry();
                e.seq = seq;
                e.prev = std::mem::take(&mut prev);
                e.hash = e.compute_hash();
                prev = e.hash.clone();
                e.to_line()
            })
            .collect()
    }

    fn verify_lines(lines: &[String]) -> VerifyReport {
        let mut text = lines.join("\n");
        text.push('\n');
        verify_bytes(text.as_bytes())
    }

    #[test]
    fn a_reversed_large_log_is_one_capped_problem_and_fast() {
        let mut lines = chain_lines(10_000);
        assert!(verify_lines(&lines).is_ok());
        lines.reverse();
        let started = std::time::Instant::now();
        let r = verify_lines(&lines);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems.first());
        let p = &r.problems[0];
        assert_eq!((p.line, p.kind), (1, ProblemKind::Reordered));
        assert!(p.message.contains("more)"), "{}", p.message);
        assert!(p.message.len() < 300, "{}", p.message);
    }

    #[test]
    fn absurd_seqs_do_not_overflow() {
        let mut lines = chain_lines(3);
        let mut e = entry();
        e.seq = u64::MAX;
        e.prev = "f".repeat(64);
        e.hash = e.compute_hash();
        lines.push(e.to_line());
        let r = verify_lines(&lines);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert_eq!(r.problems[0].kind, ProblemKind::Deleted);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let log = AuditLog::new(path);
        let next = log.append(&AuditRecord {
            target: "t".into(),
            verb: "v".into(),
            parameters: BTreeMap::new(),
            outcome: AuditOutcome::Refused,
            duration_ms: None,
            message: None,
            job: None,
        });
        assert_eq!(next.unwrap().seq, u64::MAX);
        assert!(!log.verify().unwrap().is_ok());
    }

    #[test]
    fn user_resolution_order() {
        let s = |v: &str| Some(v.to_string());
        let status = "Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t5\n";
        assert_eq!(
            user_from(s("alice"), s("root"), s("r"), None),
            "alice (sudo as root)"
        );
        assert_eq!(user_from(None, s("bob"), s("carol"), Some(status)), "bob");
        assert_eq!(user_from(None, None, s("carol"), Some(status)), "carol");
        assert_eq!(user_from(None, None, None, Some(status)), "uid 1000");
        assert_eq!(
            user_from(s("alice"), None, None, Some("Uid:\t0\t0\t0\t0\n")),
            "alice (sudo as uid 0)"
        );
        assert_eq!(user_from(None, None, None, None), "unknown");
    }

    #[test]
    fn host_resolution_order() {
        assert_eq!(host_from(Some("db1\n".into()), Some("env".into())), "db1");
        assert_eq!(host_from(Some("\n".into()), Some("env".into())), "env");
        assert_eq!(host_from(None, None), "unknown");
    }

    #[test]
    fn redaction_rules() {
        for k in [
            "password",
            "DB_PASSWORD",
            "api_token",
            "Secret",
            "ssh_key",
            "KEY",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["region", "host", "count"] {
            assert!(!is_secret_key(k), "{k}");
        }
        for v in ["${API_TOKEN}", "file:/etc/opsboard/token", "file:rel"] {
            assert!(is_secret_reference(v), "{v}");
        }
        for v in [
            "hunter2",
            "${}",
            "${1X}",
            "${A B}",
            "file:",
            "$API_TOKEN",
            "",
        ] {
            assert!(!is_secret_reference(v), "{v}");
        }
    }

    #[test]
    fn durations_are_compact() {
        assert_eq!(fmt_ms(0), "0ms");
        assert_eq!(fmt_ms(999), "999ms");
        assert_eq!(fmt_ms(1500), "1.5s");
        assert_eq!(fmt_ms(125_000), "2m05s");
        assert_eq!(fmt_ms(3_720_000), "1h02m");
    }

    #[test]
    fn control_characters_never_reach_the_table() {
        let mut e = entry();
        e.message = Some("ok\x1b[2J\nrm -rf".into());
        let t = format_entries(&[e]);
        assert!(!t.contains('\x1b'));
        assert_eq!(t.lines().count(), 2, "{t}");
    }
}
