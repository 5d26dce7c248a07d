//! End to end against the demo's simulated Kubernetes cluster: select a
//! deployment, scale it with `s`, confirm, and watch the rollout followed to
//! completion and the new replica count in the table.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use std::time::Duration;

use pty::{Pty, TIMEOUT};

/// The services-table row of `name`, if on screen.
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some(name))
}

#[test]
fn scale_a_deployment_and_follow_the_rollout() {
    let mut p = Pty::spawn(&["demo"], &[], 120, 32);
    // The workload columns appear once the cluster is synced.
    let screen = p
        .wait_for(TIMEOUT, |s| {
            row(s, "nginx").is_some_and(|r| r.contains("2/2"))
        })
        .unwrap();
    assert!(screen.contains("PODS"), "{screen}");
    p.send("/nginx\r");
    p.send("s");
    p.wait_for(TIMEOUT, |s| {
        s.contains("Scale") && s.contains("now 2 replicas")
    })
    .unwrap();
    p.send("++-+");
    p.wait_for(TIMEOUT, |s| s.contains("replicas: 4")).unwrap();
    p.send("\r");
    let plan = p
        .wait_for(TIMEOUT, |s| s.contains("Confirm") && s.contains("dry run"))
        .unwrap();
    assert!(plan.contains("from 2 to 4 replicas"), "{plan}");
    assert!(plan.contains("server accepts spec.replicas = 4"), "{plan}");
    // nginx is in the protected production environment.
    p.confirm("nginx\r");
    let done = p
        .wait_for(Duration::from_secs(60), |s| {
            s.contains("scale nginx to 4 succeeded")
        })
        .unwrap();
    assert!(
        done.contains("successfully rolled out") || done.contains("succeeded"),
        "{done}"
    );
    let table = p
        .wait_for(TIMEOUT, |s| {
            row(s, "nginx").is_some_and(|r| r.contains("4/4"))
        })
        .unwrap();
    assert!(
        row(&table, "nginx").unwrap().contains("complete"),
        "{table}"
    );
    // The job output quotes kubectl's words.
    p.send("5");
    p.wait_for(TIMEOUT, |s| {
        s.contains("#1") && s.contains("scale nginx to 4")
    })
    .unwrap();
    p.send("\r");
    p.wait_for(TIMEOUT, |s| {
        s.contains("deployment \"nginx\" successfully rolled out")
    })
    .unwrap();
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}

#[test]
fn restart_is_refused_in_read_only_without_a_dialog() {
    let mut p = Pty::spawn(&["--read-only", "demo"], &[], 120, 32);
    p.wait_for(TIMEOUT, |s| {
        row(s, "api").is_some_and(|r| r.contains("3/3"))
    })
    .unwrap();
    p.send("/api\r");
    p.send("r");
    let s = p.wait_for(TIMEOUT, |s| s.contains("refused")).unwrap();
    assert!(s.contains("read-only"), "{s}");
    assert!(!s.contains("Confirm"), "{s}");
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}
