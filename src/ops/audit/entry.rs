//! What one line of the audit log holds: an [`AuditEntry`] (one event), or
//! the [`AuditAnchor`] a log starts with; their canonical bytes and hashes.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev` of the first entry of a log without an anchor (written by an
/// opsboard before anchors existed).
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
    /// A confirmed job opsboard stopped because it was quitting.
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

    /// Whether this outcome ends a confirmed job.
    pub fn ends_a_job(self) -> bool {
        matches!(
            self,
            AuditOutcome::Succeeded
                | AuditOutcome::Failed
                | AuditOutcome::Cancelled
                | AuditOutcome::Interrupted
        )
    }
}

impl fmt::Display for AuditOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the caller knows about one event; [`AuditLog::append`] cleans and
/// redacts every string, and adds time, user, host, run and the chain
/// fields.
///
/// [`AuditLog::append`]: super::AuditLog::append
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub target: String,
    pub verb: String,
    /// Secret-free already; redacted again anyway, see
    /// [`redact_parameters`](super::redact_parameters).
    pub parameters: BTreeMap<String, String>,
    pub outcome: AuditOutcome,
    pub duration_ms: Option<u64>,
    pub message: Option<String>,
    /// The job id (per process: pair it with the entry's `run`).
    pub job: Option<u64>,
}

/// One event line of `audit.jsonl`, exactly as stored. The field order here
/// is the order on disk and the order that is hashed: do not reorder.
/// Unknown fields are rejected (a field slipped into a line must not go
/// unnoticed), so adding a field is a format change that older verifiers
/// report as unparsable.
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
    /// The writing process (random, 16 hex digits): job ids restart in every
    /// process, `run` + `job` name one job. Absent in lines written before
    /// it existed (and then not hashed, so those lines still verify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<&'a str>,
    prev: &'a str,
}

impl AuditEntry {
    /// The bytes that are hashed: compact JSON of every field but `hash`, in
    /// declaration order.
    #[expect(
        clippy::expect_used,
        reason = "a proven invariant, named in the expect message"
    )]
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
            run: self.run.as_deref(),
            prev: &self.prev,
        };
        // Strings, integers and a string-keyed map: serialisation cannot fail.
        serde_json::to_string(&c).expect("audit entry serialises") // ok: strings, integers, a string-keyed map
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
    #[expect(
        clippy::expect_used,
        reason = "a proven invariant, named in the expect message"
    )]
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("audit entry serialises") // ok: as above
    }

    /// `time` parsed; `None` if someone wrote something that is not RFC 3339.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.time)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The first line of every log opsboard starts:
/// `{"anchor":"<32 random bytes, hex>","time":"…","hash":"…"}`, where
/// `hash` is the SHA-256 of the line without its `hash` field. The first
/// entry's `prev` is that hash, so two logs never share a chain and a log
/// rebuilt from scratch (from zeros, or from another anchor) does not match
/// the head recorded for the original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditAnchor {
    pub anchor: String,
    pub time: String,
    pub hash: String,
}

#[derive(Serialize)]
struct CanonicalAnchor<'a> {
    anchor: &'a str,
    time: &'a str,
}

impl AuditAnchor {
    /// A new anchor with `nonce` (hex) and `time`, hashed.
    pub fn new(nonce: String, time: String) -> AuditAnchor {
        let mut a = AuditAnchor {
            anchor: nonce,
            time,
            hash: String::new(),
        };
        a.hash = a.compute_hash();
        a
    }

    #[expect(
        clippy::expect_used,
        reason = "a proven invariant, named in the expect message"
    )]
    pub fn canonical_json(&self) -> String {
        let c = CanonicalAnchor {
            anchor: &self.anchor,
            time: &self.time,
        };
        serde_json::to_string(&c).expect("audit anchor serialises") // ok: strings only
    }

    pub fn compute_hash(&self) -> String {
        sha256_hex(self.canonical_json().as_bytes())
    }

    pub fn hash_is_valid(&self) -> bool {
        self.hash == self.compute_hash()
    }

    #[expect(
        clippy::expect_used,
        reason = "a proven invariant, named in the expect message"
    )]
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("audit anchor serialises") // ok: strings only
    }
}

/// A line of the file that parsed.
// Nearly every line is an entry; boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditLine {
    Anchor(AuditAnchor),
    Entry(AuditEntry),
}

impl AuditLine {
    /// The position in the chain: 0 for the anchor.
    pub fn seq(&self) -> u64 {
        match self {
            AuditLine::Anchor(_) => 0,
            AuditLine::Entry(e) => e.seq,
        }
    }

    /// The stored hash.
    pub fn hash(&self) -> &str {
        match self {
            AuditLine::Anchor(a) => &a.hash,
            AuditLine::Entry(e) => &e.hash,
        }
    }

    pub fn hash_is_valid(&self) -> bool {
        match self {
            AuditLine::Anchor(a) => a.hash_is_valid(),
            AuditLine::Entry(e) => e.hash_is_valid(),
        }
    }

    pub fn to_line(&self) -> String {
        match self {
            AuditLine::Anchor(a) => a.to_line(),
            AuditLine::Entry(e) => e.to_line(),
        }
    }
}

/// Parses one line (without its newline): an entry, else an anchor. The
/// error is an EOF error for a line of either kind cut short, else the
/// entry's (so messages speak of entries).
pub(super) fn parse_line(bytes: &[u8]) -> Result<AuditLine, serde_json::Error> {
    match serde_json::from_slice::<AuditEntry>(bytes) {
        Ok(e) => Ok(AuditLine::Entry(e)),
        Err(e) if e.is_eof() => Err(e),
        Err(e) => match serde_json::from_slice::<AuditAnchor>(bytes) {
            Ok(a) => Ok(AuditLine::Anchor(a)),
            Err(torn) if torn.is_eof() => Err(torn),
            Err(_) => Err(e),
        },
    }
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::audit::test_support::entry;

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
        // Pinned: `printf '%s' "$CANONICAL" | sha256sum`. Lines written
        // before `run` existed keep exactly this hash.
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
    fn run_sits_between_job_and_prev_when_present() {
        let mut e = entry();
        e.run = Some("0123456789abcdef".into());
        assert!(
            e.canonical_json()
                .contains(r#""job":3,"run":"0123456789abcdef","prev":"#),
            "{}",
            e.canonical_json()
        );
        assert_ne!(e.compute_hash(), entry().compute_hash());
        e.hash = e.compute_hash();
        let back = parse_line(e.to_line().as_bytes()).unwrap();
        assert_eq!(back, AuditLine::Entry(e));
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
        push(&|e| e.run = Some(String::new()));
        push(&|e| e.prev = GENESIS_PREV.into());
        assert_eq!(variants.len(), 13);
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

    #[test]
    fn the_anchor_line_hashes_its_nonce_and_time() {
        let a = AuditAnchor::new("cd".repeat(32), "2025-01-31T12:00:00.123Z".into());
        assert!(a.hash_is_valid());
        let line = a.to_line();
        assert!(
            line.starts_with(&format!(r#"{{"anchor":"{}","time":"#, "cd".repeat(32))),
            "{line}"
        );
        assert_eq!(a.hash, sha256_hex(a.canonical_json().as_bytes()), "{line}");
        assert_eq!(parse_line(line.as_bytes()).unwrap(), AuditLine::Anchor(a));
        // Cut short, it is an EOF error like a torn entry.
        assert!(parse_line(&line.as_bytes()[..20]).unwrap_err().is_eof());
    }

    #[test]
    fn interrupted_is_written_as_such() {
        assert_eq!(AuditOutcome::Interrupted.as_str(), "interrupted");
        assert_eq!(
            serde_json::to_string(&AuditOutcome::Interrupted).unwrap(),
            r#""interrupted""#
        );
        assert!(AuditOutcome::Interrupted.ends_a_job());
        assert!(!AuditOutcome::Confirmed.ends_a_job());
    }
}
