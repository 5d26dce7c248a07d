//! End to end, the logs view at 80×24: a Kubernetes service's pods
//! interleaved and followed, narrowed with `/` and inverted with `!`, the
//! previous run of the crash-looping pod, the logs around an alert, pods
//! that come and go, and a pod writing as fast as it can while the board
//! stays responsive.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{kube as kube_support, pty};

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use opsboard::sim::kube::{ANN_LOG_RATE, World};
use pty::{Pty, TIMEOUT};

/// The log lines on screen: `prefix │ text` rows.
fn log_rows(screen: &str) -> Vec<(String, String)> {
    screen
        .lines()
        .filter_map(|l| l.split_once(" │ "))
        .map(|(p, t)| (p.trim().to_string(), t.to_string()))
        .collect()
}

#[test]
fn kube_logs_interleaved_narrowed_and_the_previous_run() {
    let mut p = Pty::spawn(&["demo"], &[], 80, 24);
    p.wait_for(TIMEOUT, |s| s.contains("3/3")).unwrap();
    p.send("/api\r");
    p.send("l");
    let screen = p
        .wait_for(TIMEOUT, |s| {
            let pods: BTreeSet<String> = log_rows(s).into_iter().map(|(p, _)| p).collect();
            s.contains("logs of api · 3 pods · following") && pods.len() == 3
        })
        .unwrap();
    assert!(
        log_rows(&screen).iter().any(|(_, t)| t.contains(" /api/")),
        "requests: {screen}"
    );
    // Narrow to one kind of line, then to everything but it.
    p.send("/orders\r");
    let narrowed = p
        .wait_for(TIMEOUT, |s| {
            s.contains("/with orders")
                && log_rows(s).len() > 3
                && log_rows(s).iter().all(|(_, t)| t.contains("orders"))
        })
        .unwrap();
    assert!(narrowed.contains("following"), "{narrowed}");
    p.send("/\x15!orders\r");
    p.wait_for(TIMEOUT, |s| {
        s.contains("/without orders")
            && log_rows(s).len() > 3
            && log_rows(s).iter().all(|(_, t)| !t.contains("orders"))
    })
    .unwrap();
    // Timestamps before each line.
    p.send("t");
    p.wait_for(TIMEOUT, |s| {
        s.lines()
            .filter(|l| l.contains(" │ "))
            .all(|l| l.len() > 9 && l.as_bytes()[2] == b':' && &l[8..10] == "Z ")
    })
    .unwrap();
    // Ctrl-Y puts the lines shown on the clipboard through OSC 52.
    p.send("\x19");
    p.wait_for(TIMEOUT, |s| s.contains("copied the log lines shown"))
        .unwrap();
    let raw = p.raw();
    let start = raw
        .windows(7)
        .rposition(|w| w == b"\x1b]52;c;")
        .expect("an OSC 52 sequence")
        + 7;
    let len = raw[start..].iter().position(|b| *b == 0x07).unwrap();
    use base64::Engine as _;
    let copied = base64::engine::general_purpose::STANDARD
        .decode(&raw[start..start + len])
        .unwrap();
    let copied = String::from_utf8(copied).unwrap();
    assert!(
        copied.lines().count() > 3
            && copied
                .lines()
                .all(|l| !l.contains("orders") && l.contains(" | ")),
        "the narrowed lines, with their pods: {copied}"
    );
    // The help opened here lists the logs view's keys.
    p.send("?");
    let help = p
        .wait_for(TIMEOUT, |s| {
            s.contains("Keys — ? or Esc to close") && s.contains("TLS unverified")
        })
        .unwrap();
    for (key, what) in [
        ("t", "timestamps on/off"),
        ("w", "wrap long lines"),
        ("p", "previous run (crashed)"),
        ("c", "next container"),
    ] {
        assert!(
            help.lines()
                .any(|l| l.contains(&format!("  {key} ")) && l.contains(what)),
            "{key} {what}: {help}"
        );
    }
    p.send("?");
    p.wait_for(TIMEOUT, |s| !s.contains("Keys — ? or Esc to close"))
        .unwrap();
    // Paused by scrolling up, following again with End.
    p.send("k");
    p.wait_for(TIMEOUT, |s| s.contains("paused (End follows)"))
        .unwrap();
    p.send("G");
    p.wait_for(TIMEOUT, |s| s.contains("· following")).unwrap();
    // Back to the detail, then the crash-looping ml-service's previous run.
    p.send_esc();
    p.wait_for(TIMEOUT, |s| !s.contains("logs of api")).unwrap();
    p.send("1");
    p.send("/\x15ml-service\r");
    p.send("l");
    p.wait_for(TIMEOUT, |s| s.contains("logs of ml-service · 1 pod"))
        .unwrap();
    p.send("p");
    let previous = p
        .wait_for(TIMEOUT, |s| {
            s.contains("logs of ml-service (previous run)") && s.contains("rss=3.9GiB")
        })
        .unwrap();
    assert!(
        previous.contains("RuntimeError: CUDA error: out of memory"),
        "{previous}"
    );
    assert!(previous.contains("· ended"), "{previous}");
    // api never restarted: it has no previous run.
    p.send_esc();
    p.send("1");
    p.send("/\x15api\r");
    p.send("l");
    p.wait_for(TIMEOUT, |s| s.contains("logs of api · 3 pods"))
        .unwrap();
    p.send("p");
    p.wait_for(TIMEOUT, |s| s.contains("no container of api has restarted"))
        .unwrap();
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}

#[test]
fn logs_around_an_alert_start_before_it_paused() {
    let mut p = Pty::spawn(&["demo"], &[], 80, 24);
    p.wait_for(TIMEOUT, |s| s.contains("3/3")).unwrap();
    p.send("3");
    let alerts = p
        .wait_for(TIMEOUT, |s| {
            s.lines()
                .any(|l| l.contains("ServiceDown") && l.contains("worker"))
        })
        .unwrap();
    // The worker is down, and its pods write all the while.
    let rows: Vec<&str> = alerts.lines().skip(3).collect();
    let at = rows
        .iter()
        .position(|l| l.contains("ServiceDown") && l.contains("worker"))
        .unwrap();
    p.send("g");
    p.send("j".repeat(at));
    p.send("l");
    let screen = p
        .wait_for(TIMEOUT, |s| {
            s.contains("logs of worker") && s.contains("paused") && !log_rows(s).is_empty()
        })
        .unwrap();
    // Opened around an alert, lines carry their time, and the tab stays
    // on Alerts; Esc goes back there.
    let first = screen.lines().find(|l| l.contains(" │ ")).unwrap();
    assert!(first.as_bytes()[2] == b':', "timestamps: {screen}");
    p.send_esc();
    p.wait_for(TIMEOUT, |s| {
        s.contains("RestartLoop") && !s.contains("logs of")
    })
    .unwrap();
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}

/// A pod that writes as fast as it can: the view drops what it cannot keep
/// and says so, and keys are answered while the lines pour in.
#[test]
fn a_chatty_pod_does_not_stall_the_board() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let world = World::empty()
        .node("n1")
        .deployment("default", "chatty", 2, "busybox")
        .template_annotation(ANN_LOG_RATE, "20000");
    let sim = rt.block_on(kube_support::start(world));
    sim.set_time_scale(1.0);
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig, "sim").unwrap();
    let kc = kubeconfig.to_str().unwrap().to_string();
    let mut p = Pty::spawn_in(home, &[], &[("KUBECONFIG", kc.as_str())], 80, 24);
    p.wait_for(TIMEOUT, |s| s.contains("chatty") && s.contains("2/2"))
        .unwrap();
    p.send("/chatty\r");
    p.send("l");
    p.wait_for(TIMEOUT, |s| s.contains("older dropped"))
        .unwrap();
    // Each search typed is on screen promptly, lines pouring in or not.
    let mut worst = Duration::ZERO;
    for word in ["zq1", "zq2", "zq3", "zq4", "zq5"] {
        let start = Instant::now();
        p.send(format!("/\x15{word}\r"));
        p.wait_for(Duration::from_secs(5), |s| {
            s.contains(&format!("/with {word}")) && s.contains("(no line matches)")
        })
        .unwrap();
        worst = worst.max(start.elapsed());
    }
    eprintln!("worst search answered in {worst:?}");
    assert!(
        worst < Duration::from_secs(1),
        "the board answers while a pod floods it: {worst:?}"
    );
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}
