//! End to end with the real Docker engine: `i` on a Compose service's
//! container shows its inspect with `DB_PASSWORD` masked; the value never
//! reaches the terminal until `R`, which is allowed in read-only mode and
//! is in the audit log (names, never values) before the value shows.
//! Opened again, the view is masked again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{docker as docker_support, pty};

use std::time::Duration;

use docker_support::{Project, images, prerequisites};
use pty::{Pty, TIMEOUT, row};

const CANARY: &str = "canary-xyz";

const WEB: &str = r#"
version: "2.4"
services:
  web:
    image: opsboard-test/web:1
    init: true
    environment:
      DB_PASSWORD: canary-xyz
      GREETING: hello
"#;

#[test]
fn inspect_masks_a_password_until_an_audited_reveal() {
    if prerequisites().is_none() {
        return;
    }
    let _images = images();
    let p = Project::new(WEB);
    p.compose(&["up", "-d"]);
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let config = format!(
        "[audit]\npath = \"{}\"\n[kubernetes]\ndisabled = true\n\n[[services]]\nname = \"inspweb\"\ncompose = \"{}/web\"\n",
        audit.display(),
        p.name
    );
    let cfg = pty::write_file(home.path(), "config.toml", &config);
    let cfg = cfg.display().to_string();
    let mut b = Pty::spawn_in(home, &["--config", &cfg, "--read-only"], &[], 100, 30);
    b.wait_for(Duration::from_secs(90), |s| {
        row(s, "inspweb").is_some_and(|r| r.contains("UP"))
    })
    .unwrap();
    b.send("/inspweb\r");
    b.send("i");
    let masked = b
        .wait_for(TIMEOUT, |s| {
            s.contains("inspect container") && s.contains("DB_PASSWORD=••••••")
        })
        .unwrap();
    assert!(masked.contains("GREETING=hello"), "{masked}");
    assert!(masked.contains("masked: R reveals (audited)"), "{masked}");
    assert!(
        masked.contains("Image:          opsboard-test/web:1"),
        "{masked}"
    );
    // Never sent to the terminal, not even in a frame since overwritten.
    assert!(!b.raw_text().contains(CANARY));
    assert!(
        !std::fs::read_to_string(&audit)
            .unwrap_or_default()
            .contains("\"reveal\"")
    );
    // The health section (the image's HEALTHCHECK) is further down.
    b.send("/health\r");
    b.wait_for(TIMEOUT, |s| s.contains("healthy, failing streak 0"))
        .unwrap();

    b.send("R");
    let shown = b
        .wait_for(TIMEOUT, |s| s.contains(&format!("DB_PASSWORD={CANARY}")))
        .unwrap();
    assert!(shown.contains("values REVEALED"), "{shown}");
    let log = std::fs::read_to_string(&audit).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("\"verb\":\"reveal\""))
        .unwrap_or_else(|| panic!("no reveal in the audit log:\n{log}"));
    assert!(line.contains("\"variables\":\"DB_PASSWORD\""), "{line}");
    assert!(line.contains("\"target\":\"docker/"), "{line}");
    assert!(line.contains("\"outcome\":\"succeeded\""), "{line}");
    assert!(!log.contains(CANARY), "{log}");

    // Opened again: masked again.
    b.send_esc();
    b.wait_for(TIMEOUT, |s| !s.contains("inspect container"))
        .unwrap();
    b.send("i");
    b.wait_for(TIMEOUT, |s| s.contains("DB_PASSWORD=••••••"))
        .unwrap();
    b.send("q");
    assert!(b.wait_exit(TIMEOUT).unwrap().success());
}
