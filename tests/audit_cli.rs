//! `opsboard audit …` and the files around it, through the real binary with
//! `HOME` and the XDG dirs in a temp dir: the audit commands need no secret
//! of the config, `verify` prints the head to keep and catches a cut tail
//! and a missing expected head, a symlinked audit path stops an action, no
//! control character from the file reaches the terminal, and the log files
//! are private.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use opsboard::ops::audit::{AuditEntry, AuditLog, AuditOutcome, AuditRecord, GENESIS_PREV};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

struct Home {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Home {
    /// A home whose config names `audit.jsonl` in it, plus `extra`.
    fn new(extra: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("opsboard.toml");
        let home = Home { dir, config };
        let text = format!("[audit]\npath = '{}'\n{extra}", home.audit_path().display());
        std::fs::write(&home.config, text).unwrap();
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn audit_path(&self) -> PathBuf {
        self.path().join("audit.jsonl")
    }

    fn state_dir(&self) -> PathBuf {
        self.path().join(".local/state/opsboard")
    }

    /// The log as the binary sees it (head records in the home's state dir).
    fn log(&self) -> AuditLog {
        AuditLog::new(self.audit_path()).with_head_dir(self.state_dir().join("audit-heads"))
    }

    fn run(&self, args: &[&str]) -> Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsboard"));
        cmd.arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .env("XDG_DATA_HOME", self.path().join(".local/share"))
            .env("XDG_STATE_HOME", self.path().join(".local/state"))
            .env("XDG_CACHE_HOME", self.path().join(".cache"))
            .env_remove("OPSBOARD_CONFIG")
            .env_remove("OPSBOARD_LOG")
            .env_remove("OPSBOARD_AUDIT_UNSET_VAR_X")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        let out = cmd.output().expect("the opsboard binary runs");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

fn record(i: usize) -> AuditRecord {
    AuditRecord {
        target: format!("backup/job-{i}"),
        verb: "backup".into(),
        parameters: Default::default(),
        outcome: AuditOutcome::DryRun,
        duration_ms: None,
        message: None,
        job: None,
    }
}

/// A services section whose health check needs a secret nobody set.
const NEEDS_A_SECRET: &str = r#"
[[services]]
name = "api"
[[services.health]]
url = "http://127.0.0.1:9/health"
bearer = "${OPSBOARD_AUDIT_UNSET_VAR_X}"
"#;

/// A files backup job, so that `do` writes real audit lines.
fn backup_home() -> Home {
    let home = Home::new("");
    let src = home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("hello.txt"), "hello\n").unwrap();
    let text = std::fs::read_to_string(&home.config).unwrap();
    std::fs::write(
        &home.config,
        format!(
            "{text}[backup]\ndir = '{}'\n\n[[services]]\nname = \"api\"\n\
             [[services.backups]]\nname = \"docs\"\nkind = \"files\"\npath = '{}'\n",
            home.path().join("backups").display(),
            src.display()
        ),
    )
    .unwrap();
    home
}

/// The head `audit verify` tells the user to keep.
fn shipped_head(out: &Out) -> String {
    out.stdout
        .lines()
        .find_map(|l| l.split("--expect-head ").nth(1))
        .unwrap_or_else(|| panic!("no head to ship: {out:?}"))
        .trim()
        .to_string()
}

#[test]
fn audit_commands_need_no_secret_of_the_config() {
    let home = Home::new(NEEDS_A_SECRET);
    let log = home.log();
    for i in 0..3 {
        log.append(&record(i)).unwrap();
    }
    // The board itself cannot start without the secret …
    let check = home.run(&["config", "check"]);
    assert_eq!(check.code, 2, "{check:?}");
    assert!(
        check.stderr.contains("OPSBOARD_AUDIT_UNSET_VAR_X"),
        "{check:?}"
    );
    // … but the audit log can be checked and read.
    let verify = home.run(&["audit", "verify"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert!(
        verify.stdout.starts_with("audit log OK: 4 lines, head "),
        "{verify:?}"
    );
    assert!(
        verify
            .stdout
            .contains("recorded head: matches (line 4, seq 3)"),
        "{verify:?}"
    );
    let show = home.run(&["audit", "show"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert_eq!(show.stdout.lines().count(), 4, "{show:?}");
    assert!(show.stdout.contains("backup/job-2"), "{show:?}");

    // A broken [audit] table is still reported like a config error.
    std::fs::write(&home.config, "[audit]\npth = 'x'\n").unwrap();
    let bad = home.run(&["audit", "verify"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("pth"), "{bad:?}");
}

#[test]
fn audit_verify_prints_the_head_and_catches_a_cut_tail_and_a_missing_expected_head() {
    let home = backup_home();
    for _ in 0..3 {
        let out = home.run(&["do", "backup", "docs", "--dry-run"]);
        assert_eq!(out.code, 0, "{out:?}");
    }
    let lines: Vec<String> = std::fs::read_to_string(home.audit_path())
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 4, "an anchor and three dry runs: {lines:#?}");
    assert!(lines[0].starts_with(r#"{"anchor":""#), "{}", lines[0]);
    let entries: Vec<AuditEntry> = lines[1..]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Each `do` is its own process: three runs.
    assert_ne!(entries[0].run, entries[1].run);

    let ok = home.run(&["audit", "verify"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    let head = shipped_head(&ok);
    assert_eq!(head, entries[2].hash);
    assert!(
        ok.stdout.contains("recorded head: matches (line 4, seq 3)"),
        "{ok:?}"
    );

    // A head kept from earlier: exit 0, and what came after it is listed.
    let earlier = home.run(&["audit", "verify", "--expect-head", &entries[0].hash]);
    assert_eq!(earlier.code, 0, "{earlier:?}");
    assert!(
        earlier
            .stdout
            .contains("expected head: line 2 (seq 1); 2 entries were appended after it:"),
        "{earlier:?}"
    );
    // A head that is not there: exit 1. Not a head at all: exit 2.
    let missing = home.run(&["audit", "verify", "--expect-head", &"0f".repeat(32)]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stdout.contains("expected head"), "{missing:?}");
    let garbage = home.run(&["audit", "verify", "--expect-head", "abc"]);
    assert_eq!(garbage.code, 2, "{garbage:?}");
    assert!(garbage.stderr.contains("64 hex digits"), "{garbage:?}");

    // Someone cuts the last line.
    std::fs::write(home.audit_path(), lines[..3].join("\n") + "\n").unwrap();
    let cut = home.run(&["audit", "verify"]);
    assert_eq!(cut.code, 1, "{cut:?}");
    let expected = format!(
        "{}:3: truncated: the file ends at line 3 but line 4 (seq 3) with hash {head} was \
         recorded: lines were cut",
        home.audit_path().display()
    );
    assert!(cut.stdout.contains(&expected), "{cut:?}");
    assert!(!cut.stdout.contains("audit log OK"), "{cut:?}");
    let cut = home.run(&["audit", "verify", "--expect-head", &head]);
    assert_eq!(cut.code, 1, "{cut:?}");
    assert!(cut.stdout.contains("is not in this file"), "{cut:?}");
}

#[test]
fn a_symlinked_audit_path_stops_the_action_and_leaves_its_target_alone() {
    let home = backup_home();
    let victim = home.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, home.audit_path()).unwrap();

    let out = home.run(&["do", "backup", "docs", "--yes"]);
    assert_eq!(out.code, 1, "{out:?}");
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("symbolic link"), "{out:?}");
    assert!(!out.stdout.contains("succeeded"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        !home.path().join("backups/docs").exists() || {
            std::fs::read_dir(home.path().join("backups/docs"))
                .unwrap()
                .next()
                .is_none()
        }
    );

    let verify = home.run(&["audit", "verify"]);
    assert_eq!(verify.code, 2, "{verify:?}");
    assert!(verify.stderr.contains("symbolic link"), "{verify:?}");
}

#[test]
fn no_control_character_from_the_file_reaches_the_terminal() {
    let home = Home::new("");
    // Lines as an older version (or a hand) could have written them: the
    // chain is valid, the strings are hostile.
    let mut prev = GENESIS_PREV.to_string();
    let mut lines = Vec::new();
    for (seq, target, message) in [
        (1, "svc/\x1b]52;c;cm0gLXJmIH4=\x07", "ok\x1b[2J"),
        (2, "svc/\u{9b}31mred", "bidi \u{202e}txt.exe\u{7f}"),
    ] {
        let mut e = AuditEntry {
            seq,
            time: "2025-01-31T12:00:00.123Z".into(),
            user: "mallory\x1b[1A".into(),
            host: "db1".into(),
            target: target.into(),
            verb: "run\rdeploy".into(),
            parameters: [("k\x1b".to_string(), "v\u{9b}".to_string())]
                .into_iter()
                .collect(),
            outcome: AuditOutcome::Succeeded,
            duration_ms: None,
            message: Some(message.into()),
            job: Some(seq),
            run: Some("\x1b[31m".into()),
            prev: std::mem::take(&mut prev),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        prev = e.hash.clone();
        lines.push(e.to_line());
    }
    let mut confirmed: AuditEntry = serde_json::from_str(&lines[1]).unwrap();
    confirmed.seq = 3;
    confirmed.outcome = AuditOutcome::Confirmed;
    confirmed.prev = prev;
    confirmed.hash = confirmed.compute_hash();
    lines.push(confirmed.to_line());
    std::fs::write(home.audit_path(), lines.join("\n") + "\n").unwrap();

    let hostile = |s: &str| {
        s.chars()
            .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
    };
    for args in [
        &["audit", "show"][..],
        &["audit", "show", "--json"],
        &["audit", "verify"],
    ] {
        let out = home.run(args);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        assert!(!hostile(&out.stdout), "{args:?}: {:?}", out.stdout);
        assert!(!hostile(&out.stderr), "{args:?}: {:?}", out.stderr);
    }
    // The JSON still says what the file says.
    let out = home.run(&["audit", "show", "--json"]);
    let back: Vec<AuditEntry> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        back[1].message.as_deref(),
        Some("bidi \u{202e}txt.exe\u{7f}")
    );
    // The confirmed line with no outcome is listed, cleaned.
    let verify = home.run(&["audit", "verify"]);
    assert!(
        verify
            .stdout
            .contains("confirmed with no outcome (crashed or still running): 1"),
        "{verify:?}"
    );
}

#[test]
fn the_log_directory_and_files_are_private() {
    let home = Home::new("");
    // An older version left a world-readable directory and log behind.
    let state = home.state_dir();
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let old = state.join("opsboard.log.2020-01-01");
    std::fs::write(&old, "old\n").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();

    let out = home.run(&["--log-level", "debug", "audit", "show"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&old), 0o600);
    // Today's file (whatever day it was when the binary ran).
    let logs: Vec<PathBuf> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("opsboard.log.") && *p != old)
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(mode(&logs[0]), 0o600);
}
