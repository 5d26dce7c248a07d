//! End to end against the demo's simulated Kubernetes cluster: select a
//! deployment, scale it with `s`, confirm, and watch the rollout followed to
//! completion and the new replica count in the table.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use std::time::Duration;

use pty::{Pty, TIMEOUT, row};

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

/// The Events pane on the demo at 80×24: opened by `--pane events` and by
/// `7`, Normal and Warning events of the simulated cluster, `/` and `w`
/// narrow them, Enter goes to the crash-looping pod's service; `:nodes`
/// switches pane from the palette.
#[test]
fn events_pane_lists_filters_and_jumps_to_the_service() {
    let mut p = Pty::spawn(&["demo", "--pane", "events"], &[], 80, 24);
    // The cluster's events from its first seconds: Normal ones of pods
    // scheduled and started, Warnings of the crash loop and the rollout.
    p.wait_for(TIMEOUT, |s| {
        s.contains("AGE  TYPE") && s.contains("Normal  ") && s.contains("Warning ")
    })
    .unwrap();
    p.send("1");
    p.wait_for(TIMEOUT, |s| !s.contains("AGE  TYPE")).unwrap();
    p.send("7");
    p.wait_for(TIMEOUT, |s| s.contains("AGE  TYPE")).unwrap();
    p.send("/ml-service\r");
    p.send("w");
    let only = p
        .wait_for(TIMEOUT, |s| {
            s.contains("only warnings") && s.contains("/ml-service")
        })
        .unwrap();
    let rows: Vec<&str> = only
        .lines()
        .filter(|l| matches!(l.split_whitespace().nth(1), Some("Warning" | "Normal")))
        .collect();
    assert!(!rows.is_empty(), "{only}");
    assert!(
        rows.iter()
            .all(|r| r.contains("Warning") && r.contains("ml-service")),
        "{only}"
    );
    // The newest ml-service warning is its crash loop, on the pod.
    assert!(
        rows[0].contains("BackOff") && rows[0].contains("pod/ml-service"),
        "{only}"
    );
    p.send("\r");
    p.wait_for(TIMEOUT, |s| {
        s.lines().any(|l| l.starts_with(" ml-service ")) && !s.contains("AGE  TYPE")
    })
    .unwrap();
    p.send(":nodes\r");
    p.wait_for(TIMEOUT, |s| s.contains("KUBELET") && s.contains("node-1"))
        .unwrap();
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}
