//! End to end against the real Prometheus and Alertmanager: a rule on a
//! down target fires, the alert shows on the board from both sources; `S`
//! silences it through the action layer (the silence is visible to
//! `amtool` and the alert turns silenced); `E` expires it and the alert
//! is back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{prom, pty};

use std::time::Duration;

use prom::{Alertmanager, Amtool, PromOptions, Prometheus};
use pty::Pty;

const RULES: &str = r#"
groups:
  - name: e2e
    rules:
      - alert: TargetDown
        expr: up{job="web"} == 0
        for: 0s
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.job }} target {{ $labels.instance }} is down"
          runbook_url: https://runbooks.example/target-down
      - alert: TooFewTargets
        expr: count(up) < 5
        labels:
          severity: warning
        annotations:
          summary: "only {{ $value }} scrape targets"
"#;

/// Alerts can take a while: Prometheus needs ~6 s for its first scrape,
/// then an evaluation, then the push to Alertmanager.
const ALERT_WAIT: Duration = Duration::from_secs(60);

fn silences_matching(
    am: &Amtool,
    url: &str,
    expired: bool,
    alertname: &str,
) -> Vec<serde_json::Value> {
    am.silences(url, expired)
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| {
            s["matchers"].as_array().is_some_and(|ms| {
                ms.iter()
                    .any(|m| m["name"] == "alertname" && m["value"] == alertname)
            })
        })
        .collect()
}

#[test]
fn alert_from_prometheus_is_silenced_and_unsilenced_from_the_board() {
    let Some(amtool) = Amtool::find() else { return };
    let Some(am) = Alertmanager::start() else {
        return;
    };
    let dead = prom::dead_port();
    let config = prom::prometheus_config(
        &[("web", vec![format!("127.0.0.1:{dead}")])],
        true,
        Some(am.port()),
    );
    let Some(p) = Prometheus::start_with(
        &config,
        PromOptions {
            rules_yaml: Some(RULES),
            ..PromOptions::default()
        },
    ) else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let audit = home.path().join("audit.jsonl");
    let cfg = pty::write_file(
        home.path(),
        "config.toml",
        &format!(
            r#"
[audit]
path = "{audit}"

[[prometheus]]
name = "main"
url = "{prom}"
interval = "1s"

[[alertmanager]]
name = "am"
url = "{am}"
interval = "1s"

# Only what this test starts: not the machine's Docker engine or
# kubeconfig (other tests' containers would raise alerts of their own).
[docker]
disabled = true

[kubernetes]
disabled = true

[rules]
# The one dead target is also a fleet group fully offline; keep the list
# to Prometheus' two alerts.
disabled = ["FleetGroupOffline"]

[[services]]
name = "web"
"#,
            audit = audit.display(),
            prom = p.url(),
            am = am.url(),
        ),
    );
    let cfg = cfg.display().to_string();
    let mut b = Pty::spawn_in(home, &["--config", &cfg], &[("USER", "oncall")], 120, 30);
    b.wait_for(pty::TIMEOUT, |s| s.contains("1 Services"))
        .unwrap();
    b.send("3");
    // Firing, reported by both Prometheus and Alertmanager (one row).
    let screen = b
        .wait_for(ALERT_WAIT, |s| {
            s.lines()
                .any(|l| l.contains("TargetDown") && l.contains("firing") && l.contains("PA"))
        })
        .unwrap_or_else(|e| panic!("{e}\nprometheus log:\n{}", p.log()));
    assert_eq!(
        screen.lines().filter(|l| l.contains("TargetDown")).count(),
        1,
        "deduplicated:\n{screen}"
    );
    assert!(
        screen.contains("▲ 1 crit"),
        "header counts firing:\n{screen}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.contains("TargetDown") && l.contains("web")),
        "joined to the web service by its job label:\n{screen}"
    );
    // The detail shows annotations and both sources.
    b.send("\r");
    let detail = b
        .wait_for(pty::TIMEOUT, |s| s.contains("runbooks.example/target-down"))
        .unwrap();
    assert!(detail.contains("prometheus main (firing)"), "{detail}");
    assert!(detail.contains("alertmanager am (firing)"), "{detail}");

    // S: matchers prefilled from the labels, then confirm.
    b.send("S");
    let dialog = b
        .wait_for(pty::TIMEOUT, |s| s.contains("Silence on Alertmanager am"))
        .unwrap();
    assert!(dialog.contains("alertname=\"TargetDown\""), "{dialog}");
    b.send("\r");
    b.wait_for(pty::TIMEOUT, |s| {
        s.contains("Confirm") && s.contains("create a silence")
    })
    .unwrap();
    b.confirm("\r");
    b.wait_for(pty::TIMEOUT, |s| {
        s.contains("silenced") && s.contains("Silenced by")
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let active = silences_matching(&amtool, &am.url(), false, "TargetDown");
    assert_eq!(active.len(), 1, "amtool sees the silence: {active:?}");
    let s = &active[0];
    assert_eq!(s["status"]["state"], "active", "{s}");
    assert!(
        s["createdBy"]
            .as_str()
            .is_some_and(|c| c.starts_with("oncall@")),
        "createdBy is user@host: {s}"
    );
    assert!(
        s["comment"]
            .as_str()
            .is_some_and(|c| c.contains("silenced from opsboard")),
        "{s}"
    );

    // E on the silenced alert expires the silence; the alert fires again.
    b.send("E");
    b.wait_for(pty::TIMEOUT, |s| {
        s.contains("Confirm") && s.contains("expire silence")
    })
    .unwrap();
    b.confirm("\r");
    // The confirm dialog covers the detail: only once it is gone does the
    // screen say what happened.
    b.wait_for(ALERT_WAIT, |s| {
        !s.contains("Confirm") && s.contains("firing") && !s.contains("Silenced by")
    })
    .unwrap();
    let still_active = silences_matching(&amtool, &am.url(), false, "TargetDown");
    assert!(still_active.is_empty(), "{still_active:?}");
    let expired = silences_matching(&amtool, &am.url(), true, "TargetDown");
    assert!(!expired.is_empty(), "amtool lists it as expired");

    // Both actions are in the audit log, confirmed and finished.
    let log = std::fs::read_to_string(&audit).unwrap();
    for verb in ["\"verb\":\"silence\"", "\"verb\":\"expire silence\""] {
        assert!(
            log.lines()
                .any(|l| l.contains(verb) && l.contains("succeeded")),
            "{verb} not audited as succeeded:\n{log}"
        );
    }
}
