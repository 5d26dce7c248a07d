//! PodDisruptionBudgets, the Eviction API and node drains in the
//! simulated cluster, judged by the real `kubectl`: `get pdb` as the real
//! server prints it, `drain` evicting through the demo's budget (refused
//! while a replacement is not ready, then let through), cordon and
//! uncordon, raw evictions refused with the real statuses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::time::Duration;

use kube_support::{Kubectl, eventually, start};
use opsboard::sim::kube::{SimCluster, World};
use serde_json::Value;

async fn demo() -> Option<(SimCluster, Kubectl)> {
    let sim = start(World::demo()).await;
    let k = Kubectl::find(&sim)?;
    Some((sim, k))
}

/// `(namespace, name, node, owner kind)` of every pod.
async fn pods(k: &Kubectl, extra: &[&str]) -> Vec<(String, String, String, String)> {
    let mut args = vec!["get", "pods", "-A", "-o", "json"];
    args.extend_from_slice(extra);
    let list = k.json(&args).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |ptr: &str| {
                p.pointer(ptr)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            (
                s("/metadata/namespace"),
                s("/metadata/name"),
                s("/spec/nodeName"),
                s("/metadata/ownerReferences/0/kind"),
            )
        })
        .collect()
}

async fn pdb_status(k: &Kubectl) -> Value {
    k.json(&["get", "pdb", "api", "-n", "shop", "-o", "json"])
        .await["status"]
        .clone()
}

/// `kubectl create -f -` of a budget in shop over `app=<app>` with
/// `bound` (a JSON member). (`kubectl create pdb` sends protobuf, which
/// the simulated server does not read.)
async fn create_pdb(k: &Kubectl, name: &str, app: &str, bound: &str) {
    let body = format!(
        r#"{{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{{"name":"{name}","namespace":"shop"}},"spec":{{"selector":{{"matchLabels":{{"app":"{app}"}}}},{bound}}}}}"#
    );
    let out = k
        .run_with_stdin(&["create", "-f", "-"], body.as_bytes())
        .await;
    assert!(out.ok(), "{out:?}");
}

/// Waits until api's budget reports `allowed` disruptions.
async fn allowed_becomes(k: &Kubectl, allowed: i64) {
    eventually(
        Duration::from_secs(30),
        "api's allowed disruptions",
        || async { (pdb_status(k).await["disruptionsAllowed"] == allowed).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pdb_prints_the_real_columns_and_status() {
    let Some((_sim, k)) = demo().await else {
        return;
    };
    allowed_becomes(&k, 1).await;
    let table = k.ok(&["get", "pdb", "-n", "shop"]).await;
    let lines: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        [
            "NAME",
            "MIN",
            "AVAILABLE",
            "MAX",
            "UNAVAILABLE",
            "ALLOWED",
            "DISRUPTIONS",
            "AGE"
        ],
        "{table}"
    );
    assert_eq!(lines.len(), 2, "{table}");
    assert_eq!(lines[1][..4], ["api", "2", "N/A", "1"], "{table}");
    let status = pdb_status(&k).await;
    assert_eq!(status["expectedPods"], 3);
    assert_eq!(status["currentHealthy"], 3);
    assert_eq!(status["desiredHealthy"], 2);
    assert_eq!(status["observedGeneration"], 1);
    let cond = &status["conditions"][0];
    assert_eq!(cond["type"], "DisruptionAllowed");
    assert_eq!(cond["status"], "True");
    assert_eq!(cond["reason"], "SufficientPods");
    // Served like the real policy/v1 group: short name, discovery.
    let resources = k
        .ok(&["api-resources", "--api-group=policy", "--no-headers"])
        .await;
    let row: Vec<&str> = resources.split_whitespace().collect();
    assert_eq!(
        row,
        [
            "poddisruptionbudgets",
            "pdb",
            "policy/v1",
            "true",
            "PodDisruptionBudget"
        ],
        "{resources}"
    );
    // A percentage is over the scale of the pods' controllers: the two
    // doorbell Deployments (no HPA) of 2 replicas each.
    create_pdb(&k, "doorbell", "doorbell", r#""maxUnavailable":"50%""#).await;
    eventually(Duration::from_secs(10), "doorbell's budget", || async {
        let s = k
            .json(&["get", "pdb", "doorbell", "-n", "shop", "-o", "json"])
            .await["status"]
            .clone();
        // 50% of 4 may be unavailable: 2 must stay, 2 may go.
        (s["expectedPods"] == 4 && s["desiredHealthy"] == 2 && s["disruptionsAllowed"] == 2)
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_node_3_runs_api_a_daemonset_pod_and_others() {
    let Some((_sim, k)) = demo().await else {
        return;
    };
    let on3 = pods(&k, &["--field-selector", "spec.nodeName=node-3"]).await;
    eprintln!("on node-3: {on3:?}");
    assert!(
        on3.iter().any(|p| p.0 == "shop" && p.1.starts_with("api-")),
        "{on3:?}"
    );
    assert!(on3.iter().any(|p| p.3 == "DaemonSet"), "{on3:?}");
    assert!(
        on3.iter().filter(|p| p.3 != "DaemonSet").count() >= 3,
        "{on3:?}"
    );
    // api is spread: one pod per node.
    let all = pods(&k, &["-l", "app=api"]).await;
    let mut nodes: Vec<&str> = all.iter().map(|p| p.2.as_str()).collect();
    nodes.sort();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"], "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_waits_for_the_budget_then_empties_the_node() {
    let Some((sim, k)) = demo().await else {
        return;
    };
    allowed_becomes(&k, 1).await;
    // Real time from here: api's replacements take 5 s to become ready,
    // longer than kubectl's first retry.
    sim.set_time_scale(1.0);
    k.ok(&["cordon", "node-3"]).await;
    // Another disruption in flight: an api pod elsewhere is replaced, so
    // the budget allows none until its replacement is ready.
    let api = pods(&k, &["-l", "app=api"]).await;
    let elsewhere = api.iter().find(|p| p.2 != "node-3").unwrap();
    k.ok(&["delete", "pod", &elsewhere.1, "-n", "shop", "--wait=false"])
        .await;
    allowed_becomes(&k, 0).await;

    let out = k
        .run(&["drain", "node-3", "--ignore-daemonsets", "--timeout=90s"])
        .await;
    let all = format!("{}\n{}", out.stdout, out.stderr);
    eprintln!("{all}");
    assert!(out.ok(), "drain failed ({}):\n{all}", out.code);
    assert!(
        all.contains("Cannot evict pod as it would violate the pod's disruption budget"),
        "{all}"
    );
    assert!(all.contains("will retry after 5s"), "{all}");
    assert!(
        all.contains("Warning: ignoring DaemonSet-managed Pods: monitoring/node-exporter-"),
        "{all}"
    );
    assert!(all.contains("node/node-3 drained"), "{all}");

    let left = k
        .ok(&[
            "get",
            "pods",
            "-A",
            "-o",
            "wide",
            "--field-selector",
            "spec.nodeName=node-3",
        ])
        .await;
    let rows: Vec<&str> = left.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{left}");
    assert!(
        rows[0].starts_with("monitoring") && rows[0].contains("node-exporter-"),
        "{left}"
    );

    let nodes = k.ok(&["get", "nodes"]).await;
    let node3 = nodes.lines().find(|l| l.starts_with("node-3")).unwrap();
    assert!(node3.contains("Ready,SchedulingDisabled"), "{nodes}");

    // The evicted api pod was replaced on another node; the budget
    // recovers once the replacements are ready.
    let api = pods(&k, &["-l", "app=api"]).await;
    assert_eq!(api.len(), 3, "{api:?}");
    assert!(api.iter().all(|p| p.2 != "node-3"), "{api:?}");
    allowed_becomes(&k, 1).await;

    k.ok(&["uncordon", "node-3"]).await;
    let nodes = k.ok(&["get", "nodes"]).await;
    let node3: Vec<&str> = nodes
        .lines()
        .find(|l| l.starts_with("node-3"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(node3[1], "Ready", "{nodes}");
    let node = k.json(&["get", "node", "node-3", "-o", "json"]).await;
    assert!(node["spec"].get("unschedulable").is_none(), "{node}");
}

/// `kubectl create --raw` of an Eviction for `pod`.
async fn evict_raw(k: &Kubectl, pod: &str) -> kube_support::Out {
    let body = format!(
        r#"{{"apiVersion":"policy/v1","kind":"Eviction","metadata":{{"name":"{pod}","namespace":"shop"}}}}"#
    );
    let path = format!("/api/v1/namespaces/shop/pods/{pod}/eviction");
    k.run_with_stdin(&["create", "--raw", &path, "-f", "-"], body.as_bytes())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_evictions_take_the_budget_down_then_are_refused() {
    let Some((sim, k)) = demo().await else {
        return;
    };
    allowed_becomes(&k, 1).await;
    sim.set_time_scale(1.0);
    let api = pods(&k, &["-l", "app=api"]).await;

    // The first eviction is allowed: the pod goes, the budget drops.
    let first = evict_raw(&k, &api[0].1).await;
    assert!(first.ok(), "{first:?}");
    assert!(first.stdout.contains(r#""status":"Success""#), "{first:?}");
    // Right after: the next is refused with the real 429.
    let second = evict_raw(&k, &api[1].1).await;
    assert!(!second.ok(), "{second:?}");
    assert!(
        second
            .stderr
            .contains("Cannot evict pod as it would violate the pod's disruption budget"),
        "{second:?}"
    );
    let status = pdb_status(&k).await;
    assert_eq!(status["disruptionsAllowed"], 0, "{status}");

    // Two budgets on one pod: the eviction subresource refuses with 500.
    create_pdb(&k, "api-too", "api", r#""maxUnavailable":1"#).await;
    let third = evict_raw(&k, &api[2].1).await;
    assert!(!third.ok(), "{third:?}");
    assert!(
        third
            .stderr
            .contains("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."),
        "{third:?}"
    );
    let still = k
        .json(&["get", "pod", &api[2].1, "-n", "shop", "-o", "json"])
        .await;
    assert!(
        still["metadata"].get("deletionTimestamp").is_none(),
        "{still}"
    );
}
