//! The audit log against real files: appends chain from an anchor line, and
//! every kind of damage done to a copy of a good log is reported at the
//! right line, once. (The head recorded outside the file, secrets, symlinks
//! and unfinished jobs: `audit_trust.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use opsboard::ops::audit::{
    AuditAnchor, AuditEntry, AuditError, AuditLog, AuditOutcome, AuditRecord, GENESIS_PREV,
    ProblemKind, RecordedHead, VerifyReport, format_entries, format_report, run_id,
};

const OUTCOMES: [AuditOutcome; 7] = [
    AuditOutcome::Confirmed,
    AuditOutcome::Succeeded,
    AuditOutcome::Refused,
    AuditOutcome::Cancelled,
    AuditOutcome::Failed,
    AuditOutcome::DryRun,
    AuditOutcome::Interrupted,
];

fn record(i: usize) -> AuditRecord {
    AuditRecord {
        target: format!("backup/job-{i}"),
        verb: "backup".into(),
        parameters: [("region".to_string(), format!("eu-{i}"))]
            .into_iter()
            .collect(),
        outcome: OUTCOMES[i % OUTCOMES.len()],
        duration_ms: Some(100 * i as u64),
        message: i.is_multiple_of(2).then(|| format!("run {i}")),
        job: Some(i as u64),
    }
}

/// The log at `path`, its head recorded under `dir` (never in the real
/// state dir of whoever runs the tests).
fn log_at(dir: &Path, path: PathBuf) -> AuditLog {
    AuditLog::new(path).with_head_dir(dir.join("heads"))
}

/// A log with an anchor and six entries (outcomes confirmed, succeeded,
/// refused, …): line 1 is the anchor, line `n + 1` holds seq `n`.
fn six(dir: &Path) -> (PathBuf, Vec<AuditEntry>) {
    let path = dir.join("state").join("audit.jsonl");
    let log = log_at(dir, path.clone());
    let entries = (0..6).map(|i| log.append(&record(i)).unwrap()).collect();
    (path, entries)
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// Writes `lines` (newline-terminated) to a new file next to the original.
fn tampered(dir: &Path, name: &str, lines: &[String]) -> AuditLog {
    let path = dir.join(name);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    log_at(dir, path)
}

/// The single problem of a report, or a panic showing all of them.
fn only_problem(r: &VerifyReport) -> (u64, ProblemKind, String) {
    match &r.problems[..] {
        [p] => (p.line, p.kind, p.message.clone()),
        ps => panic!("expected exactly one problem, got {ps:#?}"),
    }
}

#[test]
fn appends_chain_and_verify_reports_ok_with_the_last_hash_as_head() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let log = log_at(dir.path(), path.clone());

    let lines = read_lines(&path);
    assert_eq!(lines.len(), 7);
    // Line 1: the anchor, 32 random bytes, hashed; the chain starts there.
    let anchor: AuditAnchor = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(anchor.anchor.len(), 64, "{}", lines[0]);
    assert!(anchor.anchor.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(anchor.hash_is_valid());
    assert_ne!(anchor.hash, GENESIS_PREV);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        assert_eq!(e.hash, e.compute_hash());
        assert_eq!(e.hash.len(), 64);
        let prev = if i == 0 {
            anchor.hash.as_str()
        } else {
            entries[i - 1].hash.as_str()
        };
        assert_eq!(e.prev, prev);
        assert_eq!(e.outcome, OUTCOMES[i]);
        assert_eq!(e.run.as_deref(), Some(run_id()));
        assert_eq!(lines[i + 1], e.to_line());
    }
    // What append returned is what is on disk.
    assert_eq!(log.read(None).unwrap(), entries);

    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(report.lines, 7);
    assert_eq!(report.head.as_deref(), Some(entries[5].hash.as_str()));
    assert_eq!(report.head_at, Some((7, 6)));
    assert_eq!(report.anchor.as_deref(), Some(anchor.anchor.as_str()));
    assert!(
        matches!(
            report.recorded,
            RecordedHead::Matches {
                line: 7,
                seq: 6,
                ..
            }
        ),
        "{:?}",
        report.recorded
    );
    let text = format_report(&path, &report);
    assert!(
        text.starts_with(&format!(
            "audit log OK: 7 lines, head {}\n",
            entries[5].hash
        )),
        "{text}"
    );
    assert!(
        text.contains("recorded head: matches (line 7, seq 6)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("--expect-head {}", entries[5].hash)),
        "{text}"
    );
    assert!(!text.contains("no anchor"), "{text}");

    let table = format_entries(&entries);
    assert_eq!(table.lines().count(), 7, "{table}");
    let last = table.lines().last().unwrap();
    assert!(
        last.contains("dry_run") && last.contains("backup/job-5"),
        "{last}"
    );
    assert!(table.lines().nth(1).unwrap().contains("run 0"), "{table}");
}

#[cfg(unix)]
#[test]
fn the_directory_is_private_and_the_file_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
}

#[test]
fn a_modified_field_is_reported_at_its_line_and_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    assert!(lines[3].contains(r#""outcome":"refused""#));
    lines[3] = lines[3].replace(r#""outcome":"refused""#, r#""outcome":"succeeded""#);
    let log = tampered(dir.path(), "modified", &lines);

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (4, ProblemKind::Modified));
    assert!(message.contains("line 4 was modified"), "{message}");
    let text = format_report(log.path(), &report);
    assert!(text.contains(":4: modified: line 4 was modified"), "{text}");
    assert!(text.contains("FAILED"), "{text}");
}

#[test]
fn an_edited_hash_field_is_one_problem_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let mut lines = read_lines(&path);
    lines[3] = lines[3].replace(&entries[2].hash, &"0".repeat(64));
    let log = tampered(dir.path(), "hash-field", &lines);
    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (4, ProblemKind::Modified));
    assert!(message.contains("line 4 was modified"), "{message}");
}

#[test]
fn a_modified_line_with_a_recomputed_hash_is_caught_by_its_successor() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let mut lines = read_lines(&path);
    let mut forged = entries[2].clone();
    forged.outcome = AuditOutcome::Succeeded;
    forged.hash = forged.compute_hash();
    lines[3] = forged.to_line();
    let log = tampered(dir.path(), "rehashed", &lines);

    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (4, ProblemKind::Modified));
    assert!(
        message.contains("line 4 was replaced or altered and its hash recomputed"),
        "{message}"
    );
    assert!(message.contains("line 5"), "{message}");
}

#[test]
fn reformatting_a_line_without_changing_values_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    lines[2] = lines[2].replacen(r#""seq":2,"#, r#""seq": 2, "#, 1);
    let log = tampered(dir.path(), "reformatted", &lines);
    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (3, ProblemKind::Modified));
    assert!(message.contains("byte-for-byte"), "{message}");
}

#[test]
fn a_deleted_line_is_reported_between_its_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    lines.remove(3);
    let log = tampered(dir.path(), "deleted", &lines);

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (4, ProblemKind::Deleted));
    assert_eq!(
        message,
        "1 line deleted between line 3 and line 4 (seq 2 → 4)"
    );
    assert_eq!(report.lines, 6);
}

#[test]
fn two_deleted_lines_a_deleted_first_entry_and_a_deleted_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let lines = read_lines(&path);

    let mut two = lines.clone();
    two.drain(3..5);
    let (line, kind, message) = only_problem(&tampered(dir.path(), "two", &two).verify().unwrap());
    assert_eq!((line, kind), (4, ProblemKind::Deleted));
    assert_eq!(
        message,
        "2 lines deleted between line 3 and line 4 (seq 2 → 5)"
    );

    let mut first = lines.clone();
    first.remove(1);
    let (line, kind, message) =
        only_problem(&tampered(dir.path(), "first", &first).verify().unwrap());
    assert_eq!((line, kind), (2, ProblemKind::Deleted));
    assert_eq!(
        message,
        "1 line deleted at the start of the log, between the anchor on line 1 and line 2 \
         (the first entry left is seq 2)"
    );

    // Without its anchor the first entry chains from nothing in the file.
    let anchorless = lines[1..].to_vec();
    let report = tampered(dir.path(), "anchorless", &anchorless)
        .verify()
        .unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (1, ProblemKind::Deleted));
    assert!(
        message.starts_with("the log's anchor line was deleted"),
        "{message}"
    );
}

#[test]
fn a_copied_line_inserted_in_the_middle_is_reported_as_inserted() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    let copy = lines[2].clone();
    lines.insert(4, copy); // A 1 2 3 2' 4 5 6
    let log = tampered(dir.path(), "copy", &lines);

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (5, ProblemKind::Inserted));
    assert_eq!(message, "line 5 was inserted: it is a copy of line 3");
    assert_eq!(report.lines, 8);
}

#[test]
fn a_forged_line_with_a_valid_own_hash_is_reported_as_inserted() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let lines = read_lines(&path);
    // The best forgery available without rewriting the rest: the next seq,
    // chained to line 3, hashed correctly.
    let mut forged = entries[3].clone();
    forged.target = "service/api".into();
    forged.verb = "run restart".into();
    forged.outcome = AuditOutcome::Succeeded;
    forged.hash = forged.compute_hash();
    assert!(forged.hash_is_valid());
    assert_eq!(forged.prev, entries[2].hash);

    // Before the genuine seq 4 …
    let mut before = lines.clone();
    before.insert(4, forged.to_line());
    let (line, kind, message) = only_problem(
        &tampered(dir.path(), "forged-before", &before)
            .verify()
            .unwrap(),
    );
    assert_eq!((line, kind), (5, ProblemKind::Inserted));
    assert_eq!(
        message,
        "line 5 was inserted: it claims seq 4, which line 6 holds in the chain"
    );

    // … and after it.
    let mut after = lines.clone();
    after.insert(5, forged.to_line());
    let (line, kind, message) = only_problem(
        &tampered(dir.path(), "forged-after", &after)
            .verify()
            .unwrap(),
    );
    assert_eq!((line, kind), (6, ProblemKind::Inserted));
    assert!(message.contains("line 5 holds"), "{message}");

    // A made-up line that does not chain to anything.
    let mut stray = entries[0].clone();
    stray.seq = 40;
    stray.prev = "f".repeat(64);
    stray.hash = stray.compute_hash();
    let mut odd = lines;
    odd.insert(3, stray.to_line());
    let (line, kind, message) =
        only_problem(&tampered(dir.path(), "stray", &odd).verify().unwrap());
    assert_eq!((line, kind), (4, ProblemKind::Inserted));
    assert!(message.contains("not part of the chain"), "{message}");
}

#[test]
fn swapped_lines_are_reported_as_reordered() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let mut lines = read_lines(&path);
    lines.swap(2, 4); // A 1 4 3 2 5 6
    let log = tampered(dir.path(), "swapped", &lines);

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (3, ProblemKind::Reordered));
    assert!(
        message.starts_with("lines 3 and 5 are out of order"),
        "{message}"
    );
    // The chain itself is whole: its head is still the last entry.
    assert_eq!(report.head.as_deref(), Some(entries[5].hash.as_str()));
}

#[test]
fn a_moved_line_is_reported_with_where_it_belongs() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    let fifth = lines.remove(5);
    lines.insert(3, fifth); // A 1 2 5 3 4 6
    let (line, kind, message) =
        only_problem(&tampered(dir.path(), "moved", &lines).verify().unwrap());
    assert_eq!((line, kind), (4, ProblemKind::Reordered));
    assert_eq!(
        message,
        "line 4 (seq 5) is out of order: it belongs after line 6 (seq 4)"
    );
    // And backwards: A 1 3 4 5 2 6.
    let mut lines = read_lines(&path);
    let second = lines.remove(2);
    lines.insert(5, second);
    let (line, kind, message) =
        only_problem(&tampered(dir.path(), "moved-back", &lines).verify().unwrap());
    assert_eq!((line, kind), (6, ProblemKind::Reordered));
    assert_eq!(
        message,
        "line 6 (seq 2) is out of order: it belongs after line 2 (seq 1)"
    );
}

#[test]
fn a_torn_last_line_is_reported_and_the_next_append_chains_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let lines = read_lines(&path);
    // Crash half-way through writing line 7 (seq 6): no newline at the end.
    let text = format!(
        "{}\n{}",
        lines[..6].join("\n"),
        &lines[6][..lines[6].len() / 2]
    );
    let torn_path = dir.path().join("torn");
    std::fs::write(&torn_path, text).unwrap();
    let log = log_at(dir.path(), torn_path.clone());

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (7, ProblemKind::Torn));
    assert!(
        message.contains("the file ends in the middle of an entry"),
        "{message}"
    );
    assert_eq!(report.head.as_deref(), Some(entries[4].hash.as_str()));
    // `read` skips the fragment.
    assert_eq!(log.read(None).unwrap(), entries[..5].to_vec());

    let next = log.append(&record(9)).unwrap();
    assert_eq!(next.seq, 6);
    assert_eq!(next.prev, entries[4].hash);
    let after = read_lines(&torn_path);
    assert_eq!(after.len(), 8, "the fragment keeps its own line");
    assert_eq!(after[7], next.to_line());

    let again = log.append(&record(10)).unwrap();
    assert_eq!((again.seq, again.prev.as_str()), (7, next.hash.as_str()));

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (7, ProblemKind::Torn));
    assert!(message.contains("superseded"), "{message}");
    assert_eq!(report.lines, 9);
    assert!(
        matches!(
            report.recorded,
            RecordedHead::Matches {
                line: 9,
                seq: 7,
                ..
            }
        ),
        "{:?}",
        report.recorded
    );
    assert_eq!(report.head.as_deref(), Some(again.hash.as_str()));
    let read: Vec<u64> = log.read(None).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(read, vec![1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn a_garbage_line_is_unparsable_for_verify_and_corrupt_for_read() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    lines.insert(4, "hello".into());
    let log = tampered(dir.path(), "garbage", &lines);

    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (5, ProblemKind::Unparsable));
    assert!(
        message.starts_with("line 5: not an audit entry"),
        "{message}"
    );

    match log.read(None) {
        Err(e @ AuditError::Corrupt { line: 5, .. }) => {
            let text = e.to_string();
            assert!(text.contains(&log.path().display().to_string()), "{text}");
            assert!(text.contains("line 5"), "{text}");
        }
        other => panic!("expected Corrupt at line 5, got {other:?}"),
    }

    // Appending after garbage still continues the chain from the last entry.
    let next = log.append(&record(1)).unwrap();
    assert_eq!(next.seq, 7);
    let (line, kind, _) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (5, ProblemKind::Unparsable));
}

#[test]
fn concurrent_writers_on_one_path_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let log = log_at(dir.path(), path.clone());
            std::thread::spawn(move || {
                for i in 0..50 {
                    let mut r = record(i);
                    r.target = format!("thread-{t}/{i}");
                    log.append(&r).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let log = log_at(dir.path(), path);
    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.lines, 101);
    assert!(
        matches!(report.recorded, RecordedHead::Matches { line: 101, .. }),
        "{:?}",
        report.recorded
    );
    let entries = log.read(None).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<u64>>());
    assert_eq!(report.head.as_deref(), Some(entries[99].hash.as_str()));
    for t in 0..2 {
        let n = entries
            .iter()
            .filter(|e| e.target.starts_with(&format!("thread-{t}/")))
            .count();
        assert_eq!(n, 50);
    }
}

/// Not a test on its own: the body of each writer process of
/// `concurrent_processes_on_one_path_keep_one_chain`.
#[test]
#[ignore = "helper, run as a child process by concurrent_processes_on_one_path_keep_one_chain"]
fn child_process_appends() {
    let path = std::env::var_os("OPSBOARD_AUDIT_CHILD_PATH").expect("run by the parent test");
    let tag = std::env::var("OPSBOARD_AUDIT_CHILD_TAG").unwrap();
    let heads = std::env::var_os("OPSBOARD_AUDIT_CHILD_HEADS").unwrap();
    let log = AuditLog::new(PathBuf::from(path)).with_head_dir(PathBuf::from(heads));
    for i in 0..50 {
        let mut r = record(i);
        r.target = format!("{tag}/{i}");
        log.append(&r).unwrap();
    }
}

#[test]
fn concurrent_processes_on_one_path_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["proc-a", "proc-b"]
        .iter()
        .map(|tag| {
            std::process::Command::new(&exe)
                .args(["--exact", "child_process_appends", "--ignored", "--quiet"])
                .env("OPSBOARD_AUDIT_CHILD_PATH", &path)
                .env("OPSBOARD_AUDIT_CHILD_TAG", tag)
                .env("OPSBOARD_AUDIT_CHILD_HEADS", dir.path().join("heads"))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let log = log_at(dir.path(), path);
    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.lines, 101);
    assert!(
        matches!(report.recorded, RecordedHead::Matches { line: 101, .. }),
        "{:?}",
        report.recorded
    );
    let entries = log.read(None).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<u64>>());
    for tag in ["proc-a/", "proc-b/"] {
        assert_eq!(
            entries.iter().filter(|e| e.target.starts_with(tag)).count(),
            50
        );
    }
}

#[test]
fn secret_parameters_are_redacted_and_references_kept() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_at(dir.path(), dir.path().join("audit.jsonl"));
    let params: BTreeMap<String, String> = [
        ("password", "hunter2"),
        ("API_TOKEN", "tok-abc123"),
        ("client_secret", "s3cr3t-value"),
        ("ssh_key", "-----BEGIN PRIVATE"),
        ("token_ref", "${API_TOKEN}"),
        ("password_file", "file:/etc/opsboard/pw"),
        ("region", "eu-west-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut r = record(0);
    r.parameters = params;
    let e = log.append(&r).unwrap();

    let p = &e.parameters;
    assert_eq!(p["password"], "***");
    assert_eq!(p["API_TOKEN"], "***");
    assert_eq!(p["client_secret"], "***");
    assert_eq!(p["ssh_key"], "***");
    assert_eq!(p["token_ref"], "${API_TOKEN}");
    assert_eq!(p["password_file"], "file:/etc/opsboard/pw");
    assert_eq!(p["region"], "eu-west-1");

    let raw = std::fs::read_to_string(log.path()).unwrap();
    for secret in ["hunter2", "tok-abc123", "s3cr3t-value", "BEGIN PRIVATE"] {
        assert!(!raw.contains(secret), "{secret} leaked: {raw}");
    }
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn read_since_filters_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_at(dir.path(), dir.path().join("audit.jsonl"));
    log.append(&record(0)).unwrap();
    log.append(&record(1)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let cut = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    log.append(&record(2)).unwrap();
    log.append(&record(3)).unwrap();

    let all = log.read(None).unwrap();
    assert_eq!(all.len(), 4);
    let recent: Vec<u64> = log.read(Some(cut)).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(recent, vec![3, 4]);
    let future = cut + chrono::Duration::hours(1);
    assert!(log.read(Some(future)).unwrap().is_empty());
    // Times are RFC 3339 UTC with milliseconds.
    let t = &all[0].time;
    assert!(
        t.ends_with('Z') && t.len() == "2025-01-31T12:00:00.123Z".len(),
        "{t}"
    );
    assert!(all[0].timestamp().is_some());
}

#[test]
fn user_and_host_are_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_at(dir.path(), dir.path().join("audit.jsonl"));
    let e = log.append(&record(0)).unwrap();

    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let plain = env("USER").or_else(|| env("LOGNAME"));
    match (env("SUDO_USER"), plain) {
        (Some(s), Some(u)) => assert_eq!(e.user, format!("{s} (sudo as {u})")),
        (None, Some(u)) => assert_eq!(e.user, u),
        (_, None) => assert!(e.user.contains("uid "), "{}", e.user),
    }
    match std::fs::read_to_string("/proc/sys/kernel/hostname") {
        Ok(h) if !h.trim().is_empty() => assert_eq!(e.host, h.trim()),
        _ => assert!(!e.host.is_empty()),
    }
    assert_ne!(e.host, "unknown");
    let table = format_entries(std::slice::from_ref(&e));
    assert!(table.contains(&format!("{}@{}", e.user, e.host)), "{table}");
}

#[test]
fn a_missing_file_is_an_empty_read_but_a_verify_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.jsonl");
    let log = log_at(dir.path(), path.clone());
    assert!(log.read(None).unwrap().is_empty());
    match log.verify() {
        Err(e @ AuditError::Io { .. }) => {
            assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
    assert!(format_entries(&[]).contains("no audit entries"));
}

#[test]
fn the_default_path_is_audit_jsonl_in_the_data_dir() {
    if let Some(p) = AuditLog::default_path() {
        assert!(p.ends_with("audit.jsonl"), "{}", p.display());
        assert!(p.to_string_lossy().contains("opsboard"), "{}", p.display());
    }
}

/// Every single edit at every position of a log of an anchor and eight
/// entries is one problem of the right kind: no cascades, no
/// misclassification. (Deleting or re-hashing the *last* line is
/// undetectable from the file alone — these copies have no recorded head;
/// `audit_trust.rs` shows the recorded head catching it.)
#[test]
fn every_single_edit_at_every_position_is_exactly_one_problem_of_its_kind() {
    use ProblemKind::*;
    let dir = tempfile::tempdir().unwrap();
    let log = log_at(dir.path(), dir.path().join("audit.jsonl"));
    let n = 8;
    for i in 0..n {
        log.append(&record(i)).unwrap();
    }
    let lines = read_lines(log.path());
    let total = lines.len();
    assert_eq!(total, n + 1);
    let mut wrong = Vec::new();
    let mut check = |what: String, l: Vec<String>, expected: &[ProblemKind]| {
        let r = tampered(dir.path(), "sweep", &l).verify().unwrap();
        let got: Vec<ProblemKind> = r.problems.iter().map(|p| p.kind).collect();
        if got != expected {
            wrong.push(format!(
                "{what}: expected {expected:?}, got {:#?}",
                r.problems
            ));
        }
    };
    let rehashed = |line: &str, edit: &dyn Fn(&mut AuditEntry)| {
        let mut e: AuditEntry = serde_json::from_str(line).unwrap();
        edit(&mut e);
        e.hash = e.compute_hash();
        e.to_line()
    };
    let anchor: AuditAnchor = serde_json::from_str(&lines[0]).unwrap();
    // A new random value, hashed: an anchor replaced wholesale.
    let new_anchor = AuditAnchor::new("ee".repeat(32), anchor.time.clone()).to_line();
    let flip = |c: char| if c == '0' { '1' } else { '0' };
    for a in 0..total {
        let last = a == total - 1;
        let mut l = lines.clone();
        l.remove(a);
        check(
            format!("delete {a}"),
            l,
            if last { &[] } else { &[Deleted] },
        );

        let mut l = lines.clone();
        if a == 0 {
            let first = anchor.anchor.chars().next().unwrap();
            l[0] = l[0].replacen(
                &format!("\"anchor\":\"{first}"),
                &format!("\"anchor\":\"{}", flip(first)),
                1,
            );
        } else {
            l[a] = l[a].replace(r#""verb":"backup""#, r#""verb":"restore""#);
        }
        assert_ne!(l[a], lines[a]);
        check(format!("modify {a}"), l, &[Modified]);

        let mut l = lines.clone();
        l[a] = if a == 0 {
            new_anchor.clone()
        } else {
            rehashed(&l[a], &|e| e.verb = "restore".into())
        };
        let expected: &[ProblemKind] = match total - 1 - a {
            0 => &[],         // the new head: undetectable from the file
            1 => &[Inserted], // "line 9 was inserted (or line 8 was altered …)"
            _ => &[Modified], // line a+2 still links to the old hash
        };
        check(format!("rehash {a}"), l, expected);

        for b in 0..total {
            if a != b {
                let mut l = lines.clone();
                l.swap(a, b);
                check(format!("swap {a} {b}"), l, &[Reordered]);
                let mut l = lines.clone();
                let x = l.remove(a);
                l.insert(b, x);
                check(format!("move {a} to {b}"), l, &[Reordered]);
            }
        }
        for b in 0..=total {
            let mut l = lines.clone();
            l.insert(b, lines[a].clone());
            check(format!("copy {a} to {b}"), l, &[Inserted]);
            if a > 0 && !last {
                let mut l = lines.clone();
                l.insert(b, rehashed(&lines[a], &|e| e.target = "forged".into()));
                check(format!("forge {a} at {b}"), l, &[Inserted]);
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A log as an opsboard without anchors wrote it: chained from 64 zeros,
/// no `run` field.
fn legacy_lines(n: u64) -> Vec<String> {
    let mut prev = GENESIS_PREV.to_string();
    (1..=n)
        .map(|seq| {
            let mut e = AuditEntry {
                seq,
                time: "2025-01-31T12:00:00.123Z".into(),
                user: "alice".into(),
                host: "db1".into(),
                target: format!("backup/job-{seq}"),
                verb: "backup".into(),
                parameters: BTreeMap::new(),
                outcome: AuditOutcome::Succeeded,
                duration_ms: Some(5),
                message: None,
                job: Some(seq),
                run: None,
                prev: std::mem::take(&mut prev),
                hash: String::new(),
            };
            e.hash = e.compute_hash();
            prev = e.hash.clone();
            e.to_line()
        })
        .collect()
}

#[test]
fn a_log_from_an_older_opsboard_verifies_says_it_has_no_anchor_and_grows_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let lines = legacy_lines(4);
    assert!(!lines[0].contains("\"run\""), "{}", lines[0]);
    let log = tampered(dir.path(), "legacy.jsonl", &lines);
    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.anchor, None);
    assert_eq!(report.lines, 4);
    let text = format_report(log.path(), &report);
    assert!(text.starts_with("audit log OK: 4 lines, head "), "{text}");
    assert!(
        text.contains("no anchor: this log was started by an older opsboard"),
        "{text}"
    );

    // Appending continues the old chain: no anchor in the middle of it.
    let next = log.append(&record(0)).unwrap();
    assert_eq!(next.seq, 5);
    let after = read_lines(log.path());
    assert_eq!(after.len(), 5);
    assert!(!after[4].contains("\"anchor\""));
    let last: AuditEntry = serde_json::from_str(&lines[3]).unwrap();
    assert_eq!(next.prev, last.hash);
    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.anchor, None);

    // Its first line deleted: the old message.
    let cut = tampered(dir.path(), "legacy-cut.jsonl", &lines[1..]);
    let (line, kind, message) = only_problem(&cut.verify().unwrap());
    assert_eq!((line, kind), (1, ProblemKind::Deleted));
    assert_eq!(
        message,
        "1 line deleted at the start of the log, before line 1 (the chain begins at seq 2)"
    );
}
