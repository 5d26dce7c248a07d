//! End to end: every effect of every message is applied by the runtime —
//! here the bell of an alert that turns critical with time alone. A backup
//! taken just before start meets its RPO; nothing else happens; once the
//! backup is twice the RPO old, `BackupRpoBreached` turns critical on a
//! clock tick and the terminal bell (BEL) reaches the pty.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use std::process::Command;
use std::time::Duration;

use pty::{Pty, TIMEOUT};

#[test]
fn a_backup_passing_its_rpo_with_time_alone_rings_the_bell() {
    let home = tempfile::tempdir().unwrap();
    let uploads = home.path().join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    std::fs::write(uploads.join("a.txt"), "hello").unwrap();
    let config = format!(
        r#"
[backup]
dir = "{backups}"

[audit]
path = "{audit}"

[rules]
bell = true

[[services]]
name = "web"

[[services.backups]]
name = "uploads"
kind = "files"
path = "{uploads}"
rpo = "3s"
"#,
        backups = home.path().join("backups").display(),
        audit = home.path().join("audit.jsonl").display(),
        uploads = uploads.display(),
    );
    let cfg = pty::write_file(home.path(), "config.toml", &config);
    let cfg = cfg.display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_opsboard"))
        .args(["--config", &cfg, "do", "backup", "uploads", "--yes"])
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join(".local/state"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut p = Pty::spawn_in(home, &["--config", &cfg], &[], 80, 24);
    p.send("4");
    p.wait_for(TIMEOUT, |s| s.contains("uploads") && s.contains("● ok"))
        .unwrap();
    assert!(
        !p.raw().contains(&0x07),
        "no bell while the backup meets its RPO"
    );
    // Twice the RPO (6 s) after the backup, with no input and no source
    // reporting anything: only the clock tick can find it critical.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !p.raw().contains(&0x07) {
        assert!(
            std::time::Instant::now() < deadline,
            "no bell 30 s after the backup passed twice its RPO:\n{}",
            p.screen_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    p.send("3");
    p.wait_for(TIMEOUT, |s| s.contains("BackupRpoBreached"))
        .unwrap();
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}
