//! End to end: actions through the real binary in a pty. A backup is
//! planned with `b`, confirmed (typing the protected target's name), runs
//! with progress and succeeds; in `--read-only` the same key is refused on
//! screen and the refusal is in the audit log.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use std::path::{Path, PathBuf};

use pty::{Pty, TIMEOUT};

/// A home with a config holding one `files` backup job in a protected
/// environment, an uploads tree to back up, and the audit log path.
fn home_with_backup_job() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let uploads = home.path().join("uploads");
    std::fs::create_dir_all(uploads.join("a/b")).unwrap();
    for i in 0..40 {
        std::fs::write(
            uploads.join("a/b").join(format!("f{i}.bin")),
            vec![i as u8; 64 * 1024],
        )
        .unwrap();
    }
    let backups = home.path().join("backups");
    let audit = home.path().join("audit.jsonl");
    let config = format!(
        r#"
[backup]
dir = "{backups}"

[audit]
path = "{audit}"

[environments.production]
protected = true

[[services]]
name = "web"
environment = "production"

[[services.backups]]
name = "uploads"
kind = "files"
path = "{uploads}"
rpo = "1h"
keep_last = 3
"#,
        backups = backups.display(),
        audit = audit.display(),
        uploads = uploads.display(),
    );
    let cfg = pty::write_file(home.path(), "config.toml", &config);
    (home, cfg, audit, backups)
}

/// The audit entries (the log's first line, its anchor, is not one).
fn audit_lines(audit: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(audit)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("audit line is JSON"))
        .filter(|v| v.get("anchor").is_none())
        .collect()
}

#[test]
fn backup_key_plans_confirms_runs_and_succeeds() {
    let (home, cfg, audit, backups) = home_with_backup_job();
    let cfg = cfg.display().to_string();
    let mut p = Pty::spawn_in(home, &["--config", &cfg], &[], 80, 24);
    p.wait_for(TIMEOUT, |s| s.contains("1 Services")).unwrap();
    // The Backups pane lists the job as breached: it has no backup yet.
    p.send("4");
    p.wait_for(TIMEOUT, |s| s.contains("uploads") && s.contains("NONE"))
        .unwrap();
    p.send("b");
    let dialog = p
        .wait_for(TIMEOUT, |s| {
            s.contains("Confirm") && s.contains("type `uploads`")
        })
        .unwrap();
    assert!(
        dialog.contains("archive"),
        "plan in words missing:\n{dialog}"
    );
    assert!(dialog.contains("What will happen"), "{dialog}");
    // Enter without the name does nothing but say so.
    p.send("\r");
    p.wait_for(TIMEOUT, |s| s.contains("type `uploads` to confirm"))
        .unwrap();
    assert!(
        audit_lines(&audit)
            .iter()
            .all(|l| l["outcome"] != "confirmed")
    );
    p.confirm("uploads\r");
    let done = p
        .wait_for(TIMEOUT, |s| {
            // The six tabs leave room for "✔ #1 backup uploads…" at 80
            // columns; the row below says the run succeeded.
            s.contains("✔ #1 backup uploads")
                && s.lines()
                    .any(|l| l.contains("uploads") && l.contains("✔ ") && l.contains("ago"))
        })
        .unwrap();
    assert!(done.contains("● ok"), "RPO should be met now:\n{done}");
    // The file is on disk with its checksum sidecar, verified.
    let dir = backups.join("uploads");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("uploads_") && n.ends_with(".tar.gz")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with(".tar.gz.sha256")),
        "{names:?}"
    );
    // The Actions pane keeps the history; the audit log has the lifecycle.
    p.send("5");
    p.wait_for(TIMEOUT, |s| {
        s.contains("#1") && s.contains("backup uploads")
    })
    .unwrap();
    let lines = audit_lines(&audit);
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["confirmed", "succeeded"], "{lines:#?}");
    assert_eq!(lines[1]["target"], "backup/uploads");
    assert!(lines[1]["duration_ms"].as_u64().is_some());
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}

#[test]
fn read_only_refuses_the_backup_key_and_audits_it() {
    let (home, cfg, audit, backups) = home_with_backup_job();
    let cfg = cfg.display().to_string();
    let mut p = Pty::spawn_in(home, &["--read-only", "--config", &cfg], &[], 80, 24);
    p.wait_for(TIMEOUT, |s| s.contains("READ-ONLY")).unwrap();
    p.send("4");
    p.wait_for(TIMEOUT, |s| s.contains("uploads")).unwrap();
    p.send("b");
    let screen = p.wait_for(TIMEOUT, |s| s.contains("refused")).unwrap();
    assert!(screen.contains("read-only"), "{screen}");
    assert!(
        !screen.contains("Confirm"),
        "no dialog in read-only:\n{screen}"
    );
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["outcome"], "refused");
    assert_eq!(lines[0]["target"], "backup/uploads");
    assert!(lines[0]["message"].as_str().unwrap().contains("read-only"));
    assert!(
        !backups.join("uploads").exists()
            || std::fs::read_dir(backups.join("uploads"))
                .unwrap()
                .next()
                .is_none()
    );
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}

#[test]
fn escape_cancels_and_is_audited() {
    let (home, cfg, audit, _) = home_with_backup_job();
    let cfg = cfg.display().to_string();
    let mut p = Pty::spawn_in(home, &["--config", &cfg], &[], 80, 24);
    p.wait_for(TIMEOUT, |s| s.contains("1 Services")).unwrap();
    p.send("4");
    p.wait_for(TIMEOUT, |s| s.contains("uploads")).unwrap();
    p.send("b");
    p.wait_for(TIMEOUT, |s| s.contains("Confirm")).unwrap();
    p.send_esc();
    p.wait_for(TIMEOUT, |s| !s.contains("Confirm")).unwrap();
    let deadline = std::time::Instant::now() + TIMEOUT;
    while audit_lines(&audit).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["outcome"], "cancelled");
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}
