//! The audit log against real files: appends chain, and every kind of damage
//! done to a copy of a good log is reported at the right line, once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use opsboard::ops::audit::{
    AuditEntry, AuditError, AuditLog, AuditOutcome, AuditRecord, GENESIS_PREV, ProblemKind,
    VerifyReport, format_entries, format_report,
};

const OUTCOMES: [AuditOutcome; 6] = [
    AuditOutcome::Confirmed,
    AuditOutcome::Succeeded,
    AuditOutcome::Refused,
    AuditOutcome::Cancelled,
    AuditOutcome::Failed,
    AuditOutcome::DryRun,
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

/// A log with six entries (outcomes confirmed, succeeded, refused, …).
fn six(dir: &Path) -> (PathBuf, Vec<AuditEntry>) {
    let path = dir.join("state").join("audit.jsonl");
    let log = AuditLog::new(path.clone());
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
    AuditLog::new(path)
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
    let log = AuditLog::new(path.clone());

    assert_eq!(read_lines(&path).len(), 6);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        assert_eq!(e.hash, e.compute_hash());
        assert_eq!(e.hash.len(), 64);
        let prev = if i == 0 {
            GENESIS_PREV
        } else {
            entries[i - 1].hash.as_str()
        };
        assert_eq!(e.prev, prev);
        assert_eq!(e.outcome, OUTCOMES[i]);
    }
    // What append returned is what is on disk.
    assert_eq!(log.read(None).unwrap(), entries);

    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(report.lines, 6);
    assert_eq!(report.head.as_deref(), Some(entries[5].hash.as_str()));
    assert_eq!(
        format_report(&path, &report),
        format!("audit log OK: 6 lines, head {}", entries[5].hash)
    );

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
    assert!(lines[2].contains(r#""outcome":"refused""#));
    lines[2] = lines[2].replace(r#""outcome":"refused""#, r#""outcome":"succeeded""#);
    let log = tampered(dir.path(), "modified", &lines);

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (3, ProblemKind::Modified));
    assert!(message.contains("line 3 was modified"), "{message}");
    let text = format_report(log.path(), &report);
    assert!(text.contains(":3: modified: line 3 was modified"), "{text}");
    assert!(text.contains("FAILED"), "{text}");
}

#[test]
fn an_edited_hash_field_is_one_problem_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let mut lines = read_lines(&path);
    lines[2] = lines[2].replace(&entries[2].hash, &"0".repeat(64));
    let log = tampered(dir.path(), "hash-field", &lines);
    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (3, ProblemKind::Modified));
    assert!(message.contains("line 3 was modified"), "{message}");
}

#[test]
fn a_modified_line_with_a_recomputed_hash_is_caught_by_its_successor() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let mut lines = read_lines(&path);
    let mut forged = entries[2].clone();
    forged.outcome = AuditOutcome::Succeeded;
    forged.hash = forged.compute_hash();
    lines[2] = forged.to_line();
    let log = tampered(dir.path(), "rehashed", &lines);

    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (3, ProblemKind::Modified));
    assert!(
        message.contains("line 3 was replaced or altered and its hash recomputed"),
        "{message}"
    );
    assert!(message.contains("line 4"), "{message}");
}

#[test]
fn reformatting_a_line_without_changing_values_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    lines[1] = lines[1].replacen(r#""seq":2,"#, r#""seq": 2, "#, 1);
    let log = tampered(dir.path(), "reformatted", &lines);
    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (2, ProblemKind::Modified));
    assert!(message.contains("byte-for-byte"), "{message}");
}

#[test]
fn a_deleted_line_is_reported_between_its_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    lines.remove(2);
    let log = tampered(dir.path(), "deleted", &lines);

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (3, ProblemKind::Deleted));
    assert_eq!(
        message,
        "1 line deleted between line 2 and line 3 (seq 2 → 4)"
    );
    assert_eq!(report.lines, 5);
}

#[test]
fn two_deleted_lines_and_a_deleted_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let lines = read_lines(&path);

    let mut two = lines.clone();
    two.drain(2..4);
    let (line, kind, message) = only_problem(&tampered(dir.path(), "two", &two).verify().unwrap());
    assert_eq!((line, kind), (3, ProblemKind::Deleted));
    assert_eq!(
        message,
        "2 lines deleted between line 2 and line 3 (seq 2 → 5)"
    );

    let first = lines[1..].to_vec();
    let (line, kind, message) =
        only_problem(&tampered(dir.path(), "first", &first).verify().unwrap());
    assert_eq!((line, kind), (1, ProblemKind::Deleted));
    assert!(
        message.contains("1 line deleted at the start of the log"),
        "{message}"
    );
}

#[test]
fn a_copied_line_inserted_in_the_middle_is_reported_as_inserted() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    let copy = lines[1].clone();
    lines.insert(3, copy); // 1 2 3 2' 4 5 6
    let log = tampered(dir.path(), "copy", &lines);

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (4, ProblemKind::Inserted));
    assert_eq!(message, "line 4 was inserted: it is a copy of line 2");
    assert_eq!(report.lines, 7);
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
    before.insert(3, forged.to_line());
    let (line, kind, message) = only_problem(
        &tampered(dir.path(), "forged-before", &before)
            .verify()
            .unwrap(),
    );
    assert_eq!((line, kind), (4, ProblemKind::Inserted));
    assert_eq!(
        message,
        "line 4 was inserted: it claims seq 4, which line 5 holds in the chain"
    );

    // … and after it.
    let mut after = lines.clone();
    after.insert(4, forged.to_line());
    let (line, kind, message) = only_problem(
        &tampered(dir.path(), "forged-after", &after)
            .verify()
            .unwrap(),
    );
    assert_eq!((line, kind), (5, ProblemKind::Inserted));
    assert!(message.contains("line 4 holds"), "{message}");

    // A made-up line that does not chain to anything.
    let mut stray = entries[0].clone();
    stray.seq = 40;
    stray.prev = "f".repeat(64);
    stray.hash = stray.compute_hash();
    let mut odd = lines;
    odd.insert(2, stray.to_line());
    let (line, kind, message) =
        only_problem(&tampered(dir.path(), "stray", &odd).verify().unwrap());
    assert_eq!((line, kind), (3, ProblemKind::Inserted));
    assert!(message.contains("not part of the chain"), "{message}");
}

#[test]
fn swapped_lines_are_reported_as_reordered() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let mut lines = read_lines(&path);
    lines.swap(1, 3); // 1 4 3 2 5 6
    let log = tampered(dir.path(), "swapped", &lines);

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (2, ProblemKind::Reordered));
    assert!(
        message.starts_with("lines 2 and 4 are out of order"),
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
    let fifth = lines.remove(4);
    lines.insert(2, fifth); // 1 2 5 3 4 6
    let (line, kind, message) =
        only_problem(&tampered(dir.path(), "moved", &lines).verify().unwrap());
    assert_eq!((line, kind), (3, ProblemKind::Reordered));
    assert_eq!(
        message,
        "line 3 (seq 5) is out of order: it belongs after line 5 (seq 4)"
    );
    // And backwards: 1 3 4 5 2 6.
    let mut lines = read_lines(&path);
    let second = lines.remove(1);
    lines.insert(4, second);
    let (line, kind, message) =
        only_problem(&tampered(dir.path(), "moved-back", &lines).verify().unwrap());
    assert_eq!((line, kind), (5, ProblemKind::Reordered));
    assert_eq!(
        message,
        "line 5 (seq 2) is out of order: it belongs after line 1 (seq 1)"
    );
}

#[test]
fn a_torn_last_line_is_reported_and_the_next_append_chains_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, entries) = six(dir.path());
    let lines = read_lines(&path);
    // Crash half-way through writing line 6: no newline at the end.
    let text = format!(
        "{}\n{}",
        lines[..5].join("\n"),
        &lines[5][..lines[5].len() / 2]
    );
    let torn_path = dir.path().join("torn");
    std::fs::write(&torn_path, text).unwrap();
    let log = AuditLog::new(torn_path.clone());

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (6, ProblemKind::Torn));
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
    assert_eq!(after.len(), 7, "the fragment keeps its own line");
    assert_eq!(after[6], next.to_line());

    let again = log.append(&record(10)).unwrap();
    assert_eq!((again.seq, again.prev.as_str()), (7, next.hash.as_str()));

    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (6, ProblemKind::Torn));
    assert!(message.contains("superseded"), "{message}");
    assert_eq!(report.lines, 8);
    assert_eq!(report.head.as_deref(), Some(again.hash.as_str()));
    let read: Vec<u64> = log.read(None).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(read, vec![1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn a_garbage_line_is_unparsable_for_verify_and_corrupt_for_read() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = six(dir.path());
    let mut lines = read_lines(&path);
    lines.insert(3, "hello".into());
    let log = tampered(dir.path(), "garbage", &lines);

    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (4, ProblemKind::Unparsable));
    assert!(
        message.starts_with("line 4: not an audit entry"),
        "{message}"
    );

    match log.read(None) {
        Err(e @ AuditError::Corrupt { line: 4, .. }) => {
            let text = e.to_string();
            assert!(text.contains(&log.path().display().to_string()), "{text}");
            assert!(text.contains("line 4"), "{text}");
        }
        other => panic!("expected Corrupt at line 4, got {other:?}"),
    }

    // Appending after garbage still continues the chain from the last entry.
    let next = log.append(&record(1)).unwrap();
    assert_eq!(next.seq, 7);
    let (line, kind, _) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (4, ProblemKind::Unparsable));
}

#[test]
fn concurrent_writers_on_one_path_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let log = AuditLog::new(path.clone());
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
    let log = AuditLog::new(path);
    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.lines, 100);
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
    let log = AuditLog::new(PathBuf::from(path));
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
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let log = AuditLog::new(path);
    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.lines, 100);
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
    let log = AuditLog::new(dir.path().join("audit.jsonl"));
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
    let log = AuditLog::new(dir.path().join("audit.jsonl"));
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
    let log = AuditLog::new(dir.path().join("audit.jsonl"));
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
    let log = AuditLog::new(path.clone());
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

/// Every single edit at every position of an eight-line log is one problem
/// of the right kind: no cascades, no misclassification. (Deleting or
/// re-hashing the *last* line is undetectable from the file alone; see the
/// module docs.)
#[test]
fn every_single_edit_at_every_position_is_exactly_one_problem_of_its_kind() {
    use ProblemKind::*;
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(dir.path().join("audit.jsonl"));
    let n = 8;
    for i in 0..n {
        log.append(&record(i)).unwrap();
    }
    let lines = read_lines(log.path());
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
    for a in 0..n {
        let mut l = lines.clone();
        l.remove(a);
        check(
            format!("delete {a}"),
            l,
            if a == n - 1 { &[] } else { &[Deleted] },
        );

        let mut l = lines.clone();
        l[a] = l[a].replace(r#""verb":"backup""#, r#""verb":"restore""#);
        check(format!("modify {a}"), l, &[Modified]);

        let mut l = lines.clone();
        l[a] = rehashed(&l[a], &|e| e.verb = "restore".into());
        let expected: &[ProblemKind] = match n - 1 - a {
            0 => &[],         // the new head: undetectable
            1 => &[Inserted], // "line 8 was inserted (or line 7 was altered …)"
            _ => &[Modified], // line a+2 still links to the old hash
        };
        check(format!("rehash {a}"), l, expected);

        for b in 0..n {
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
        for b in 0..=n {
            let mut l = lines.clone();
            l.insert(b, lines[a].clone());
            check(format!("copy {a} to {b}"), l, &[Inserted]);
            if a < n - 1 {
                let mut l = lines.clone();
                l.insert(b, rehashed(&lines[a], &|e| e.target = "forged".into()));
                check(format!("forge {a} at {b}"), l, &[Inserted]);
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
