//! End to end on the demo at 80×24, with the real kubectl as the judge:
//! `C` cordons node-3 and uncordons it again, `D` drains it — its plan
//! names the PodDisruptionBudget over api, the job evicts through the
//! Eviction API (retrying while the budget allows no disruption) and ends
//! when only the DaemonSet's pod is left — each audited.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use std::time::Duration;

use pty::{Pty, row};
use support::demo::{Kubectl, SLOW, audit, confirm, start};

/// What these tests ask kubectl.
trait Asks {
    fn node_status(&self, node: &str) -> String;
    fn pods_on(&self, node: &str) -> Vec<String>;
}

impl Asks for Kubectl {
    /// `kubectl get nodes`' STATUS of one node.
    fn node_status(&self, node: &str) -> String {
        self.run(&["get", "node", node, "--no-headers"])
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    }

    /// `namespace/name` of every pod on `node`, from `get pods -o wide`.
    fn pods_on(&self, node: &str) -> Vec<String> {
        self.run(&["get", "pods", "-A", "-o", "wide", "--no-headers"])
            .lines()
            .filter(|l| l.split_whitespace().nth(7) == Some(node))
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some(format!("{}/{}", w.next()?, w.next()?))
            })
            .collect()
    }
}

/// The demo once its cluster is up, on the Nodes pane with node-3
/// selected; kubectl on that cluster (`None`: skipped without kubectl).
fn demo_on_node_3() -> Option<(Pty, Kubectl)> {
    let (mut b, k) = start(&["demo"])?;
    b.send("6");
    b.wait_for(SLOW, |s| row(s, "node-3").is_some()).unwrap();
    b.send("G");
    std::thread::sleep(Duration::from_millis(300));
    Some((b, k))
}

#[test]
fn cordon_and_uncordon_agree_with_kubectl() {
    let Some((mut b, k)) = demo_on_node_3() else {
        return;
    };
    assert_eq!(k.node_status("node-3"), "Ready");
    b.send("C");
    let plan = b.wait_for(SLOW, |s| s.contains("Confirm")).unwrap();
    assert!(plan.contains("cordon node-3"), "{plan}");
    confirm(&mut b, &plan, "node-3");
    b.wait_for(SLOW, |s| s.contains("cordon node-3 succeeded"))
        .unwrap();
    assert_eq!(k.node_status("node-3"), "Ready,SchedulingDisabled");
    b.wait_for(SLOW, |s| {
        row(s, "node-3").is_some_and(|r| r.contains("cordoned"))
    })
    .unwrap();
    b.send("C");
    let plan = b.wait_for(SLOW, |s| s.contains("Confirm")).unwrap();
    assert!(plan.contains("uncordon node-3"), "{plan}");
    confirm(&mut b, &plan, "node-3");
    b.wait_for(SLOW, |s| s.contains("uncordon node-3 succeeded"))
        .unwrap();
    assert_eq!(k.node_status("node-3"), "Ready");
    b.send("q");
    let _ = b.wait_exit(pty::TIMEOUT);
}

#[test]
fn drain_respects_the_disruption_budget_and_empties_the_node() {
    let Some((mut b, k)) = demo_on_node_3() else {
        return;
    };
    let before = k.pods_on("node-3");
    assert!(
        before.iter().any(|p| p.starts_with("shop/api-")),
        "node-3 runs an api pod: {before:?}"
    );
    b.send("D");
    let plan = b.wait_for(SLOW, |s| s.contains("Confirm")).unwrap();
    assert!(plan.contains("drain node-3"), "{plan}");
    assert!(plan.contains("PodDisruptionBudget shop/api"), "{plan}");
    assert!(plan.contains("(DaemonSet)"), "{plan}");
    confirm(&mut b, &plan, "node-3");
    b.wait_for(SLOW, |s| s.contains("drain node-3 succeeded"))
        .unwrap();
    assert_eq!(k.node_status("node-3"), "Ready,SchedulingDisabled");
    let left = k.pods_on("node-3");
    assert!(
        left.iter()
            .all(|p| p.starts_with("monitoring/node-exporter-")),
        "only the DaemonSet's pod stays: {left:?}"
    );
    let done = audit(&b)
        .into_iter()
        .find(|e| e["verb"] == "drain" && e["outcome"] == "succeeded")
        .expect("the drain's outcome is audited");
    assert!(
        done["message"].as_str().unwrap().contains("drained"),
        "{done}"
    );
    b.send("q");
    let _ = b.wait_exit(pty::TIMEOUT);
}
