//! End to end with the real Docker engine: a board pointed at a Compose
//! project scales a service with `s`, confirms, and sees the new replicas
//! appear and turn healthy; `docker-compose ps` agrees.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{docker as docker_support, pty};

use std::time::Duration;

use docker_support::{Project, images, prerequisites};
use pty::{Pty, TIMEOUT, row};

const WEB: &str = r#"
version: "2.4"
services:
  web:
    image: opsboard-test/web:1
    init: true
    ports:
      - "127.0.0.1::8080"
"#;

#[test]
fn scale_a_compose_service_from_the_board() {
    if prerequisites().is_none() {
        return;
    }
    let _images = images();
    let p = Project::new(WEB);
    p.compose(&["up", "-d"]);
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        "[audit]\npath = \"{}\"\n[kubernetes]\ndisabled = true\n\n[[services]]\nname = \"boardweb\"\ncompose = \"{}/web\"\n",
        home.path().join("audit.jsonl").display(),
        p.name
    );
    let cfg = pty::write_file(home.path(), "config.toml", &config);
    let cfg = cfg.display().to_string();
    let mut b = Pty::spawn_in(home, &["--config", &cfg], &[], 120, 32);
    // The HEALTHCHECK turns the one replica healthy.
    b.wait_for(Duration::from_secs(90), |s| {
        row(s, "boardweb").is_some_and(|r| r.contains("1/1") && r.contains("UP"))
    })
    .unwrap();
    // Other tests' projects show up as discovered `<project>/web` services.
    b.send("/boardweb\r");
    b.send("s");
    let dialog = b
        .wait_for(TIMEOUT, |s| s.contains("Scale") && s.contains("now "))
        .unwrap();
    let now: usize = dialog
        .split("now ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the dialog says how many replicas run now");
    assert_eq!(now, p.ps_ids("web").len(), "{dialog}");
    let want = now + 2;
    b.send("++");
    b.wait_for(TIMEOUT, |s| s.contains(&format!("replicas: {want}")))
        .unwrap();
    b.send("\r");
    let plan = b
        .wait_for(Duration::from_secs(30), |s| s.contains("Confirm"))
        .unwrap();
    assert!(plan.contains(&p.name), "{plan}");
    b.confirm("y");
    let done = b
        .wait_for(Duration::from_secs(120), |s| {
            s.contains("succeeded") || s.contains("failed")
        })
        .unwrap();
    assert!(done.contains("succeeded"), "{done}");
    let counts = format!("{want}/{want}");
    b.wait_for(Duration::from_secs(90), |s| {
        row(s, "boardweb").is_some_and(|r| r.contains(&counts) && r.contains("UP"))
    })
    .unwrap();
    // Compose itself lists the new replicas.
    assert_eq!(p.ps_ids("web").len(), want);
    // The logs view follows every replica, prefixed with its name.
    b.send("l");
    b.wait_for(TIMEOUT, |s| {
        s.contains("logs of boardweb") && s.contains("following")
    })
    .unwrap();
    b.send("t");
    b.send_esc();
    b.wait_for(TIMEOUT, |s| s.contains("docker ") && s.contains(&p.name))
        .unwrap();
    b.send("q");
    assert!(b.wait_exit(TIMEOUT).unwrap().success());
}
