//! Fixtures shared by the unit tests of the audit modules.

use super::entry::{AuditEntry, AuditOutcome, GENESIS_PREV};

/// An entry with every field set, not yet hashed.
pub fn entry() -> AuditEntry {
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
        run: None,
        prev: "ab".repeat(32),
        hash: String::new(),
    }
}

/// The line of [`entry`] at `seq`, hashed (not chained).
pub fn line_for(seq: u64) -> String {
    let mut e = entry();
    e.seq = seq;
    e.hash = e.compute_hash();
    e.to_line()
}

/// A well-formed legacy chain (from zeros, no anchor) of `n` lines.
pub fn chain_lines(n: u64) -> Vec<String> {
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
