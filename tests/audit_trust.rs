//! What the audit log can be trusted with, against real files: no secret
//! value reaches it whatever carries it; a new log starts from a random
//! anchor; the head recorded outside the file catches a cut tail, a
//! rewritten last line and a replaced file; a head kept elsewhere is
//! checked with `--expect-head`; symlinks are never followed; confirmed
//! jobs with no outcome are listed by run and job.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use opsboard::model::secret::Secret;
use opsboard::ops::audit::{
    AuditAnchor, AuditEntry, AuditLog, AuditOutcome, AuditRecord, ExpectedHead, HeadRecord,
    ProblemKind, RecordedHead, VerifyReport, format_report, run_id,
};

fn record(i: usize, outcome: AuditOutcome, job: Option<u64>) -> AuditRecord {
    AuditRecord {
        target: format!("backup/job-{i}"),
        verb: "backup".into(),
        parameters: [("region".to_string(), format!("eu-{i}"))]
            .into_iter()
            .collect(),
        outcome,
        duration_ms: Some(10 * i as u64),
        message: Some(format!("run {i}")),
        job,
    }
}

/// A log in `dir/state`, its head records in `dir/heads`.
fn log_in(dir: &Path) -> AuditLog {
    log_at(dir, dir.join("state").join("audit.jsonl"))
}

fn log_at(dir: &Path, path: PathBuf) -> AuditLog {
    AuditLog::new(path).with_head_dir(dir.join("heads"))
}

fn six(dir: &Path) -> (AuditLog, Vec<AuditEntry>) {
    let log = log_in(dir);
    let entries = (0..6)
        .map(|i| {
            log.append(&record(i, AuditOutcome::Succeeded, None))
                .unwrap()
        })
        .collect();
    (log, entries)
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn only_problem(r: &VerifyReport) -> (u64, ProblemKind, String) {
    match &r.problems[..] {
        [p] => (p.line, p.kind, p.message.clone()),
        ps => panic!("expected exactly one problem, got {ps:#?}"),
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

// ---------------------------------------------------------------------------
// 1. Secrets by value

#[test]
fn a_registered_secret_value_never_reaches_the_file_whatever_carries_it() {
    const CANARY: &str = "Audit-Canary-5c1e0f77";
    let _secret = Secret::literal_for_tests(CANARY);
    // A second one, registered the way the config does it: by resolving
    // a reference.
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "Audit-Canary-File-9d2b\n").unwrap();
    let _resolved =
        opsboard::config::secret::resolve(&format!("file:{}", token_file.display())).unwrap();

    let log = log_in(dir.path());
    let mut r = record(1, AuditOutcome::Failed, Some(1));
    r.parameters.insert(
        "url".into(),
        format!("postgresql://app@127.0.0.1/orders?password={CANARY}"),
    );
    r.parameters
        .insert("header".into(), "Bearer Audit-Canary-File-9d2b".into());
    r.parameters.insert(format!("note-{CANARY}"), "x".into());
    r.target = format!("runbook/{CANARY}");
    r.message = Some(format!(
        "psql: password authentication failed ({CANARY})\x1b[2J\nforged line"
    ));
    let e = log.append(&r).unwrap();

    let raw = std::fs::read_to_string(log.path()).unwrap();
    for secret in [CANARY, "Audit-Canary-File-9d2b"] {
        assert!(!raw.contains(secret), "{secret} leaked:\n{raw}");
    }
    // Control characters are gone too (not merely JSON-escaped).
    assert!(!raw.contains("\\u001b") && !raw.contains('\x1b'), "{raw}");
    assert_eq!(
        e.parameters["url"],
        "postgresql://app@127.0.0.1/orders?password=***"
    );
    assert_eq!(e.parameters["header"], "Bearer ***");
    assert!(e.parameters.contains_key("note-***"), "{:?}", e.parameters);
    assert_eq!(e.target, "runbook/***");
    let message = e.message.clone().unwrap();
    assert!(message.contains("failed (***)"), "{message}");
    assert!(!message.contains('\n'), "{message:?}");
    // Name-based redaction still applies on top.
    let mut r = record(2, AuditOutcome::Refused, None);
    r.parameters.insert("password".into(), "hunter2".into());
    assert_eq!(log.append(&r).unwrap().parameters["password"], "***");
    // What was written is what read returns, and it verifies.
    assert_eq!(log.read(None).unwrap()[0], e);
    assert!(log.verify().unwrap().is_ok());
}

// ---------------------------------------------------------------------------
// 2. Anchor, recorded head, expected head

#[test]
fn every_new_log_starts_from_its_own_random_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let a = log_at(dir.path(), dir.path().join("a.jsonl"));
    let b = log_at(dir.path(), dir.path().join("b.jsonl"));
    let ea = a.append(&record(0, AuditOutcome::DryRun, None)).unwrap();
    let eb = b.append(&record(0, AuditOutcome::DryRun, None)).unwrap();
    let anchor = |log: &AuditLog| -> AuditAnchor {
        serde_json::from_str(&read_lines(log.path())[0]).unwrap()
    };
    let (aa, ab) = (anchor(&a), anchor(&b));
    assert_ne!(aa.anchor, ab.anchor);
    assert_eq!(
        (ea.prev.as_str(), eb.prev.as_str()),
        (aa.hash.as_str(), ab.hash.as_str())
    );
    assert_eq!(a.verify().unwrap().anchor, Some(aa.anchor));
}

#[test]
fn the_head_is_recorded_privately_outside_the_file_after_every_append() {
    let dir = tempfile::tempdir().unwrap();
    let (log, entries) = six(dir.path());
    let heads = dir.path().join("heads");
    let records: Vec<PathBuf> = std::fs::read_dir(&heads)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        records.len(),
        1,
        "one record per log, no temp files: {records:?}"
    );
    let rec: HeadRecord =
        serde_json::from_str(&std::fs::read_to_string(&records[0]).unwrap()).unwrap();
    let canonical = std::fs::canonicalize(log.path()).unwrap();
    assert_eq!(rec.path, canonical.display().to_string());
    assert_eq!((rec.lines, rec.seq), (7, 6));
    assert_eq!(rec.hash, entries[5].hash);
    assert_eq!(rec.size, std::fs::metadata(log.path()).unwrap().len());
    assert_eq!(rec.anchor, log.verify().unwrap().anchor);
    assert_eq!(mode(&records[0]), 0o600);
    assert_eq!(mode(&heads), 0o700);
    // Named for the log's canonical path: the same log through another
    // spelling of its path shares the record.
    let other = log_at(dir.path(), dir.path().join("state/../state/./audit.jsonl"));
    assert!(matches!(
        other.verify().unwrap().recorded,
        RecordedHead::Matches {
            line: 7,
            seq: 6,
            ..
        }
    ));
}

#[test]
fn cutting_lines_off_the_end_is_reported_as_truncated_and_stays_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (log, entries) = six(dir.path());
    let lines = read_lines(log.path());
    // Cut the last two entries in place.
    write_lines(log.path(), &lines[..5]);
    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (5, ProblemKind::Truncated));
    assert_eq!(
        message,
        format!(
            "the file ends at line 5 but line 7 (seq 6) with hash {} was recorded: lines were cut",
            entries[5].hash
        )
    );
    assert!(matches!(report.recorded, RecordedHead::Mismatch { .. }));
    let text = format_report(log.path(), &report);
    assert!(
        text.contains(":5: truncated: the file ends at line 5"),
        "{text}"
    );
    assert!(text.contains("FAILED"), "{text}");

    // The board keeps appending; the evidence is not overwritten.
    log.append(&record(7, AuditOutcome::DryRun, None)).unwrap();
    let (line, kind, _) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (6, ProblemKind::Truncated));
    log.append(&record(8, AuditOutcome::DryRun, None)).unwrap();
    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (7, ProblemKind::Replaced));
    assert!(
        message.contains("lines were cut and others written in their place"),
        "{message}"
    );

    // Emptied, or left with its anchor only: cut.
    for keep in [0, 1] {
        write_lines(log.path(), &lines[..keep]);
        if keep == 0 {
            std::fs::write(log.path(), "").unwrap();
        }
        let (line, kind, message) = only_problem(&log.verify().unwrap());
        assert_eq!(
            (line, kind),
            (keep as u64, ProblemKind::Truncated),
            "{message}"
        );
    }
}

#[test]
fn verifying_while_another_thread_appends_never_sees_a_false_cut() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(dir.path());
    log.append(&record(0, AuditOutcome::DryRun, None)).unwrap();
    let writer = {
        let log = log.clone();
        std::thread::spawn(move || {
            for i in 0..150 {
                log.append(&record(i, AuditOutcome::DryRun, None)).unwrap();
            }
        })
    };
    let mut checked = 0;
    while !writer.is_finished() || checked == 0 {
        let r = log.verify().unwrap();
        assert!(r.is_ok(), "{:#?}", r.problems);
        checked += 1;
    }
    writer.join().unwrap();
    assert!(matches!(
        log.verify().unwrap().recorded,
        RecordedHead::Matches { seq: 151, .. }
    ));
}

#[test]
fn a_rewritten_last_line_is_caught_by_the_recorded_head() {
    let dir = tempfile::tempdir().unwrap();
    let (log, entries) = six(dir.path());
    let mut lines = read_lines(log.path());
    let mut forged = entries[5].clone();
    forged.outcome = AuditOutcome::Cancelled;
    forged.hash = forged.compute_hash();
    lines[6] = forged.to_line();
    write_lines(log.path(), &lines);
    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (7, ProblemKind::Replaced));
    assert!(message.contains(&entries[5].hash), "{message}");
}

#[test]
fn a_replaced_file_is_reported_whether_anchored_or_rebuilt_from_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = six(dir.path());

    // Another valid log, written by opsboard elsewhere, copied over.
    let other = log_at(dir.path(), dir.path().join("other.jsonl"));
    for i in 0..8 {
        other
            .append(&record(i, AuditOutcome::Succeeded, None))
            .unwrap();
    }
    std::fs::copy(other.path(), log.path()).unwrap();
    let report = log.verify().unwrap();
    let (line, kind, message) = only_problem(&report);
    assert_eq!((line, kind), (1, ProblemKind::Replaced));
    assert!(
        message.contains("this is another file (replaced)"),
        "{message}"
    );

    // The same entries re-chained from zeros, as an old version would.
    let mut prev = opsboard::ops::audit::GENESIS_PREV.to_string();
    let rebuilt: Vec<String> = other
        .read(None)
        .unwrap()
        .into_iter()
        .map(|mut e| {
            e.prev = std::mem::take(&mut prev);
            e.hash = e.compute_hash();
            prev = e.hash.clone();
            e.to_line()
        })
        .collect();
    write_lines(log.path(), &rebuilt);
    let (line, kind, message) = only_problem(&log.verify().unwrap());
    assert_eq!((line, kind), (1, ProblemKind::Replaced));
    assert!(message.contains("rebuilt from scratch"), "{message}");

    // Deleted and started anew by the next append: replaced too.
    std::fs::remove_file(log.path()).unwrap();
    log.append(&record(0, AuditOutcome::DryRun, None)).unwrap();
    let (_, kind, _) = only_problem(&log.verify().unwrap());
    assert_eq!(kind, ProblemKind::Replaced);
}

#[test]
fn an_expected_head_must_be_on_the_chain_and_what_came_after_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (log, entries) = six(dir.path());
    let head = &entries[5].hash;

    let r = log.verify_expecting(Some(head)).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    assert_eq!(r.expected, Some(ExpectedHead::IsHead { line: 7, seq: 6 }));
    assert!(
        format_report(log.path(), &r).contains("expected head: it is the head (line 7, seq 6)")
    );

    // A head shipped earlier: fine, and the later entries are listed.
    let earlier = entries[2].hash.to_uppercase();
    let r = log.verify_expecting(Some(&earlier)).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    match &r.expected {
        Some(ExpectedHead::InChain { line, seq, after }) => {
            assert_eq!((*line, *seq), (4, 3));
            assert_eq!(after, &entries[3..].to_vec());
        }
        other => panic!("{other:?}"),
    }
    let text = format_report(log.path(), &r);
    assert!(
        text.contains("expected head: line 4 (seq 3); 3 entries were appended after it:"),
        "{text}"
    );
    assert!(text.contains("backup/job-5"), "{text}");

    // Not in the file: a failure.
    let r = log.verify_expecting(Some(&"ab".repeat(32))).unwrap();
    let (line, kind, message) = only_problem(&r);
    assert_eq!((line, kind), (7, ProblemKind::ExpectedHead));
    assert!(message.contains("is not in this file"), "{message}");
    assert_eq!(r.expected, Some(ExpectedHead::Missing));

    // The head shipped, then the tail cut: both say so.
    let lines = read_lines(log.path());
    write_lines(log.path(), &lines[..6]);
    let r = log.verify_expecting(Some(head)).unwrap();
    let kinds: Vec<ProblemKind> = r.problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [ProblemKind::Truncated, ProblemKind::ExpectedHead]);
}

// ---------------------------------------------------------------------------
// 4. No symlinks

#[test]
fn a_symlink_at_the_audit_path_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let path = dir.path().join("audit.jsonl");
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let log = log_at(dir.path(), path.clone());

    let err = log
        .append(&record(0, AuditOutcome::Confirmed, Some(1)))
        .unwrap_err()
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    for e in [
        log.verify().unwrap_err().to_string(),
        log.read(None).unwrap_err().to_string(),
    ] {
        assert!(e.contains("symbolic link"), "{e}");
    }

    // A dangling link is not created through.
    let nowhere = dir.path().join("nowhere");
    let dangling = dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
    assert!(
        log_at(dir.path(), dangling)
            .append(&record(0, AuditOutcome::Confirmed, Some(1)))
            .is_err()
    );
    assert!(!nowhere.exists());
}

#[test]
fn a_symlink_planted_at_the_head_record_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(dir.path());
    log.append(&record(0, AuditOutcome::DryRun, None)).unwrap();
    let heads = dir.path().join("heads");
    let record_file = std::fs::read_dir(&heads)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::remove_file(&record_file).unwrap();
    std::os::unix::fs::symlink(&victim, &record_file).unwrap();

    log.append(&record(1, AuditOutcome::DryRun, None)).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    match log.verify().unwrap().recorded {
        RecordedHead::Unreadable { error, .. } => {
            assert!(error.contains("symbolic link"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// 5. Interrupted jobs, run ids

#[test]
fn confirmed_jobs_without_an_outcome_are_listed_by_run_and_job() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(dir.path());
    log.append(&record(1, AuditOutcome::Confirmed, Some(1)))
        .unwrap();
    log.append(&record(2, AuditOutcome::Confirmed, Some(2)))
        .unwrap();
    log.append(&record(3, AuditOutcome::Confirmed, Some(3)))
        .unwrap();
    let stopped = log
        .append(&record(1, AuditOutcome::Interrupted, Some(1)))
        .unwrap();
    log.append(&record(3, AuditOutcome::Succeeded, Some(3)))
        .unwrap();
    assert!(
        read_lines(log.path())[4].contains(r#""outcome":"interrupted""#),
        "{:?}",
        read_lines(log.path())
    );
    assert_eq!(stopped.run.as_deref(), Some(run_id()));

    let r = log.verify().unwrap();
    assert!(r.is_ok(), "not tampering: {:#?}", r.problems);
    let open: Vec<(u64, u64, &str)> = r
        .unfinished
        .iter()
        .map(|u| (u.line, u.job, u.run.as_str()))
        .collect();
    assert_eq!(open, [(3, 2, run_id())]);
    let text = format_report(log.path(), &r);
    assert!(
        text.contains("confirmed with no outcome (crashed or still running): 1"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "line 3: job 2 of run {}: backup backup/job-2",
            run_id()
        )),
        "{text}"
    );
}

/// Not a test on its own: a process that confirms job 1 and dies.
#[test]
#[ignore = "helper, run as a child process by an_outcome_from_another_run_does_not_finish_a_job"]
fn child_confirms_job_one() {
    let path = std::env::var_os("OPSBOARD_AUDIT_CHILD_PATH").expect("run by the parent test");
    let heads = std::env::var_os("OPSBOARD_AUDIT_CHILD_HEADS").unwrap();
    let log = AuditLog::new(PathBuf::from(path)).with_head_dir(PathBuf::from(heads));
    let e = log
        .append(&record(1, AuditOutcome::Confirmed, Some(1)))
        .unwrap();
    println!("RUN={}", e.run.unwrap());
}

#[test]
fn an_outcome_from_another_run_does_not_finish_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(dir.path());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_confirms_job_one",
            "--ignored",
            "--nocapture",
        ])
        .env("OPSBOARD_AUDIT_CHILD_PATH", log.path())
        .env("OPSBOARD_AUDIT_CHILD_HEADS", dir.path().join("heads"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let child_run = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RUN="))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_string();
    assert_ne!(child_run, run_id());
    // This process's job 1 is another job: its outcome ends nothing of
    // the child's.
    log.append(&record(1, AuditOutcome::Confirmed, Some(1)))
        .unwrap();
    log.append(&record(1, AuditOutcome::Succeeded, Some(1)))
        .unwrap();
    let r = log.verify().unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    let open: Vec<(u64, &str)> = r
        .unfinished
        .iter()
        .map(|u| (u.job, u.run.as_str()))
        .collect();
    assert_eq!(open, [(1, child_run.as_str())]);
}

#[test]
fn lines_without_a_run_still_verify_and_are_not_paired() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(dir.path());
    log.append(&record(1, AuditOutcome::DryRun, None)).unwrap();
    let last: AuditEntry = serde_json::from_str(&read_lines(log.path())[1]).unwrap();
    // An entry as an older version wrote it: no `run`, a confirmed job.
    let mut old = last.clone();
    old.seq = 2;
    old.run = None;
    old.outcome = AuditOutcome::Confirmed;
    old.job = Some(9);
    old.parameters = BTreeMap::new();
    old.prev = last.hash.clone();
    old.hash = old.compute_hash();
    assert!(!old.to_line().contains("\"run\""));
    let mut lines = read_lines(log.path());
    lines.push(old.to_line());
    let path = dir.path().join("mixed.jsonl");
    write_lines(&path, &lines);
    let r = log_at(dir.path(), path).verify().unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    assert!(r.unfinished.is_empty(), "{:?}", r.unfinished);
}
