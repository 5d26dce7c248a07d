//! The simulated Kubernetes API server judged by the real `kubectl` (and by
//! kube-rs): every test starts its own cluster on loopback, drives it with
//! kubectl commands and checks what kubectl prints and what the cluster
//! holds. Simulated time runs 20× faster than the wall clock.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube_support::{Kubectl, Lines, eventually, start};
use opsboard::sim::kube::{SimCluster, World};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(30);

fn web_world() -> World {
    World::empty()
        .node("n1")
        .node("n2")
        .deployment("default", "web", 3, "nginx:1.25")
}

async fn setup(world: World) -> Option<(SimCluster, Kubectl)> {
    let sim = start(world).await;
    let k = Kubectl::find(&sim)?;
    Some((sim, k))
}

fn pods_of(sim: &SimCluster, prefix: &str) -> Vec<Value> {
    sim.objects("pods", Some("default"))
        .into_iter()
        .filter(|p| {
            p["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .starts_with(prefix)
        })
        .collect()
}

fn ready(p: &Value) -> bool {
    p["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

fn annotation<'a>(v: &'a Value, key: &str) -> &'a str {
    v["metadata"]["annotations"][key].as_str().unwrap_or("")
}

/// Rows of a kubectl table: first column → whole line split on spaces.
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_json_and_readable_tables() {
    let Some((_sim, k)) = setup(web_world()).await else {
        return;
    };
    let list = k.json(&["get", "deploy,rs,pods", "-o", "json"]).await;
    let items = list["items"].as_array().expect("items");
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "Deployment").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "ReplicaSet").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "Pod").count(),
        3,
        "{kinds:?}"
    );
    let deploy = &items[0];
    let rs = items.iter().find(|i| i["kind"] == "ReplicaSet").unwrap();
    let hash = rs["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .expect("hash label");
    assert!(
        hash.len() >= 6 && hash.chars().all(|c| c.is_ascii_alphanumeric()),
        "{hash}"
    );
    assert_eq!(rs["metadata"]["name"], format!("web-{hash}"));
    assert_eq!(
        rs["spec"]["selector"]["matchLabels"]["pod-template-hash"],
        hash
    );
    assert_eq!(
        rs["metadata"]["ownerReferences"][0]["uid"],
        deploy["metadata"]["uid"]
    );
    assert_eq!(rs["metadata"]["ownerReferences"][0]["controller"], true);
    assert_eq!(annotation(rs, "deployment.kubernetes.io/revision"), "1");
    assert_eq!(
        annotation(rs, "deployment.kubernetes.io/desired-replicas"),
        "3"
    );
    assert_eq!(annotation(rs, "deployment.kubernetes.io/max-replicas"), "4");
    for p in items.iter().filter(|i| i["kind"] == "Pod") {
        let name = p["metadata"]["name"].as_str().unwrap();
        assert_eq!(name.len(), format!("web-{hash}-xxxxx").len(), "{name}");
        assert_eq!(
            p["metadata"]["ownerReferences"][0]["uid"],
            rs["metadata"]["uid"]
        );
        assert_eq!(p["metadata"]["labels"]["pod-template-hash"], hash);
        assert_eq!(p["status"]["phase"], "Running");
        assert!(["n1", "n2"].contains(&p["spec"]["nodeName"].as_str().unwrap()));
    }
    let nodes: Vec<&str> = items
        .iter()
        .filter(|i| i["kind"] == "Pod")
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    assert!(
        nodes.contains(&"n1") && nodes.contains(&"n2"),
        "round robin: {nodes:?}"
    );
    assert_eq!(deploy["status"]["readyReplicas"], 3);

    let table = k.ok(&["get", "deploy"]).await;
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        "{table}"
    );
    assert_eq!(rows(&table)[0][..4], ["web", "3/3", "3", "3"], "{table}");

    let pods = k.ok(&["get", "pods"]).await;
    let header: Vec<&str> = pods.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        "{pods}"
    );
    assert_eq!(rows(&pods).len(), 3);
    assert!(
        rows(&pods)
            .iter()
            .all(|r| r[1] == "1/1" && r[2] == "Running" && r[3] == "0"),
        "{pods}"
    );

    let nodes = k.ok(&["get", "nodes"]).await;
    let r = rows(&nodes);
    assert_eq!(r.len(), 2, "{nodes}");
    assert_eq!(r[0][..2], ["n1", "Ready"], "{nodes}");
    assert!(r[0].contains(&"v1.32.4".to_string()), "{nodes}");

    let one = k.ok(&["get", "rs", "-o", "wide"]).await;
    assert!(
        one.contains(&format!("app=web,pod-template-hash={hash}")),
        "{one}"
    );
    let missing = k.run(&["get", "deploy", "nope"]).await;
    assert!(!missing.ok());
    assert!(
        missing
            .stderr
            .contains("deployments.apps \"nope\" not found"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_deployment_to_five() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let out = k.ok(&["scale", "deploy/web", "--replicas=5"]).await;
    assert_eq!(out.trim(), "deployment.apps/web scaled");
    eventually(WAIT, "5 ready pods", || async {
        (pods_of(&sim, "web-").iter().filter(|p| ready(p)).count() == 5).then_some(())
    })
    .await;
    let table = eventually(WAIT, "5/5 in kubectl get", || async {
        let t = k.ok(&["get", "deploy", "web"]).await;
        (rows(&t)[0][1] == "5/5").then_some(t)
    })
    .await;
    assert_eq!(rows(&table)[0][2..4], ["5", "5"], "{table}");
    // With a precondition kubectl GETs and PUTs the scale subresource.
    let out = k
        .run(&[
            "scale",
            "deploy/web",
            "--current-replicas=4",
            "--replicas=6",
        ])
        .await;
    assert!(
        !out.ok() && out.stderr.contains("Expected replicas to be 4, was 5"),
        "{out:?}"
    );
    k.ok(&[
        "scale",
        "deploy/web",
        "--current-replicas=5",
        "--replicas=5",
    ])
    .await;
    let bad = k.run(&["scale", "deploy/web", "--replicas=-1"]).await;
    assert!(!bad.ok(), "negative replicas must fail");
    let scale = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    assert_eq!(scale["spec"]["replicas"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_creates_revision_two() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let out = k.ok(&["rollout", "restart", "deploy/web"]).await;
    assert_eq!(out.trim(), "deployment.apps/web restarted");
    let d = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    let restarted =
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .as_str();
    assert!(restarted.is_some_and(|t| t.ends_with('Z')), "{d}");
    let status = k
        .run(&["rollout", "status", "deploy/web", "--timeout=60s"])
        .await;
    assert!(status.ok(), "{status:?}");
    assert!(
        status
            .stdout
            .contains("deployment \"web\" successfully rolled out"),
        "{}",
        status.stdout
    );
    let rss = sim.objects("apps/v1/replicasets", Some("default"));
    assert_eq!(rss.len(), 2);
    let new = rss
        .iter()
        .find(|r| annotation(r, "deployment.kubernetes.io/revision") == "2")
        .expect("revision 2");
    let old = rss
        .iter()
        .find(|r| annotation(r, "deployment.kubernetes.io/revision") == "1")
        .expect("revision 1");
    assert_eq!(new["spec"]["replicas"], 3);
    assert_eq!(old["spec"]["replicas"], 0);
    assert_eq!(
        new["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .as_str(),
        restarted
    );
    let d = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    assert_eq!(annotation(&d, "deployment.kubernetes.io/revision"), "2");
    let conds = d["status"]["conditions"].as_array().unwrap();
    let progressing = conds.iter().find(|c| c["type"] == "Progressing").unwrap();
    assert_eq!(progressing["reason"], "NewReplicaSetAvailable");
    let events = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "reason=ScalingReplicaSet",
        ])
        .await;
    assert!(events.contains("Scaled down replica set web-"), "{events}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_undo_and_history() {
    let world = web_world()
        .history(&[("nginx:1.24", "initial release")])
        .change_cause("upgrade to 1.25");
    let Some((sim, k)) = setup(world).await else {
        return;
    };
    let image = |sim: &SimCluster| {
        sim.object("apps/v1/deployments", Some("default"), "web")
            .unwrap()["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(image(&sim), "nginx:1.25");
    k.ok(&["set", "image", "deploy/web", "web=nginx:1.26"])
        .await;
    k.ok(&[
        "annotate",
        "deploy/web",
        "kubernetes.io/change-cause=set image 1.26",
        "--overwrite",
    ])
    .await;
    k.ok(&["rollout", "status", "deploy/web", "--timeout=60s"])
        .await;
    assert_eq!(image(&sim), "nginx:1.26");

    let out = k.ok(&["rollout", "undo", "deploy/web"]).await;
    assert_eq!(out.trim(), "deployment.apps/web rolled back");
    k.ok(&["rollout", "status", "deploy/web", "--timeout=60s"])
        .await;
    assert_eq!(image(&sim), "nginx:1.25");
    let d = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    assert_eq!(annotation(&d, "deployment.kubernetes.io/revision"), "4");
    let rss = sim.objects("apps/v1/replicasets", Some("default"));
    assert_eq!(rss.len(), 3, "undo re-uses the old ReplicaSet");
    let reused = rss
        .iter()
        .find(|r| annotation(r, "deployment.kubernetes.io/revision") == "4")
        .unwrap();
    assert_eq!(
        annotation(reused, "deployment.kubernetes.io/revision-history"),
        "2"
    );
    assert_eq!(reused["spec"]["replicas"], 3);

    let history = k.ok(&["rollout", "history", "deploy/web"]).await;
    let revs: Vec<(String, String)> = history
        .lines()
        .skip_while(|l| !l.starts_with("REVISION"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (r, c) = l.split_once(' ').unwrap();
            (r.to_string(), c.trim().to_string())
        })
        .collect();
    let expected = [
        ("1", "initial release"),
        ("3", "set image 1.26"),
        ("4", "upgrade to 1.25"),
    ];
    assert_eq!(revs.len(), 3, "{history}");
    for ((r, c), (er, ec)) in revs.iter().zip(expected) {
        assert_eq!((r.as_str(), c.as_str()), (er, ec), "{history}");
    }
    let rev3 = k
        .ok(&["rollout", "history", "deploy/web", "--revision=3"])
        .await;
    assert!(rev3.contains("nginx:1.26"), "{rev3}");

    k.ok(&["rollout", "undo", "deploy/web", "--to-revision=1"])
        .await;
    k.ok(&["rollout", "status", "deploy/web", "--timeout=60s"])
        .await;
    assert_eq!(image(&sim), "nginx:1.24");
    let d = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    assert_eq!(annotation(&d, "deployment.kubernetes.io/revision"), "5");
    let missing = k
        .run(&["rollout", "undo", "deploy/web", "--to-revision=42"])
        .await;
    assert!(!missing.ok());
    assert!(
        missing
            .stderr
            .contains("unable to find specified revision 42"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_rollout_exceeds_progress_deadline() {
    let world = World::empty()
        .node("n1")
        .deployment("default", "stall", 2, "nginx:1.25")
        .progress_deadline(40)
        .stalled_rollout("nginx:broken");
    let Some((sim, k)) = setup(world).await else {
        return;
    };
    let out = k
        .run(&["rollout", "status", "deploy/stall", "--timeout=60s"])
        .await;
    assert!(!out.ok(), "a stalled rollout must fail: {out:?}");
    assert!(
        out.stdout.contains("Waiting for deployment \"stall\" rollout to finish: 1 out of 2 new replicas have been updated..."),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("deployment \"stall\" exceeded its progress deadline"),
        "{}",
        out.stderr
    );
    let d = sim
        .object("apps/v1/deployments", Some("default"), "stall")
        .unwrap();
    let p = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Progressing")
        .cloned()
        .unwrap();
    assert_eq!(
        (p["status"].as_str(), p["reason"].as_str()),
        (Some("False"), Some("ProgressDeadlineExceeded"))
    );
    let events = k
        .ok(&["get", "events", "--field-selector", "type=Warning"])
        .await;
    assert!(events.contains("ProgressDeadlineExceeded"), "{events}");
    assert!(events.contains("Unhealthy"), "{events}");
    // The old pods keep serving.
    assert_eq!(
        pods_of(&sim, "stall-").iter().filter(|p| ready(p)).count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_of_a_paused_deployment_fails() {
    let Some((sim, k)) = setup(web_world().paused()).await else {
        return;
    };
    let out = k.run(&["rollout", "restart", "deploy/web"]).await;
    assert!(!out.ok());
    assert!(
        out.stderr
            .contains("can't restart paused deployment (run rollout resume first)"),
        "{}",
        out.stderr
    );
    let d = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]
            .get("kubectl.kubernetes.io/restartedAt")
            .is_none()
    );
    let p = d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Progressing")
        .cloned()
        .unwrap();
    assert_eq!(p["reason"], "DeploymentPaused");
    k.ok(&["rollout", "resume", "deploy/web"]).await;
    k.ok(&["rollout", "restart", "deploy/web"]).await;
    k.ok(&["rollout", "status", "deploy/web", "--timeout=60s"])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_scale_and_daemonset_restart() {
    let world = World::empty()
        .node("n1")
        .node("n2")
        .node("n3")
        .statefulset("default", "db", 1, "postgres:16")
        .daemonset("default", "agent", "busybox:1.36");
    let Some((sim, k)) = setup(world).await else {
        return;
    };
    assert_eq!(
        k.ok(&["scale", "sts/db", "--replicas=3"]).await.trim(),
        "statefulset.apps/db scaled"
    );
    let out = k
        .ok(&["rollout", "status", "sts/db", "--timeout=60s"])
        .await;
    assert!(
        out.contains("partitioned roll out complete: 3 new pods have been updated..."),
        "{out}"
    );
    let mut names: Vec<String> = pods_of(&sim, "db-")
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["db-0", "db-1", "db-2"]);
    let sts = sim
        .object("apps/v1/statefulsets", Some("default"), "db")
        .unwrap();
    assert_eq!(
        sts["status"]["currentRevision"],
        sts["status"]["updateRevision"]
    );
    k.ok(&["rollout", "restart", "sts/db"]).await;
    k.ok(&["rollout", "status", "sts/db", "--timeout=60s"])
        .await;
    let sts = sim
        .object("apps/v1/statefulsets", Some("default"), "db")
        .unwrap();
    let update = sts["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        pods_of(&sim, "db-")
            .iter()
            .all(|p| p["metadata"]["labels"]["controller-revision-hash"] == update.as_str())
    );
    let history = k.ok(&["rollout", "history", "sts/db"]).await;
    assert!(
        history.contains("\n1 ") && history.contains("\n2 "),
        "{history}"
    );
    let db0 = sim.object("pods", Some("default"), "db-0").unwrap();
    assert_eq!(
        db0["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
        "db-0"
    );
    assert_eq!(
        db0["metadata"]["labels"]["apps.kubernetes.io/pod-index"],
        "0"
    );
    let node = db0["spec"]["nodeName"].as_str().unwrap().to_string();
    let described = k.ok(&["describe", "node", &node]).await;
    assert!(
        described.contains("db-0") && described.contains("Non-terminated Pods:"),
        "{described}"
    );

    let agents = |sim: &SimCluster| pods_of(sim, "agent-");
    assert_eq!(agents(&sim).len(), 3, "one pod per node");
    let before: Vec<String> = agents(&sim)
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        k.ok(&["rollout", "restart", "ds/agent"]).await.trim(),
        "daemonset.apps/agent restarted"
    );
    let out = k
        .ok(&["rollout", "status", "ds/agent", "--timeout=60s"])
        .await;
    assert!(
        out.contains("daemon set \"agent\" successfully rolled out"),
        "{out}"
    );
    let after = eventually(WAIT, "old agent pods gone", || async {
        let a = agents(&sim);
        (a.len() == 3
            && a.iter()
                .all(|p| p["metadata"].get("deletionTimestamp").is_none()))
        .then_some(a)
    })
    .await;
    assert!(
        after
            .iter()
            .all(|p| !before.contains(&p["metadata"]["name"].as_str().unwrap().to_string()))
    );
    let mut nodes: Vec<&str> = after
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["n1", "n2", "n3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_pod_is_replaced() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let victim = pods_of(&sim, "web-")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let out = k.ok(&["delete", "pod", &victim]).await;
    assert_eq!(out.trim(), format!("pod \"{victim}\" deleted"));
    assert!(
        sim.object("pods", Some("default"), &victim).is_none(),
        "kubectl waited for the deletion"
    );
    eventually(WAIT, "a ready replacement", || async {
        let pods = pods_of(&sim, "web-");
        (pods.len() == 3 && pods.iter().all(ready)).then_some(())
    })
    .await;
    let events = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.kind=ReplicaSet",
        ])
        .await;
    assert!(
        events.contains(&format!("Deleted pod: {victim}")) || events.contains("Created pod: web-"),
        "{events}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_watch_streams_changes() {
    let Some((_sim, k)) = setup(web_world()).await else {
        return;
    };
    let mut child = k.spawn(&["get", "pods", "--watch"]);
    let mut out = Lines::of(&mut child);
    assert!(
        out.until(WAIT, |ls| ls.len() >= 4).await,
        "initial list: {:?}",
        out.seen
    );
    k.ok(&["scale", "deploy/web", "--replicas=4"]).await;
    let done = out
        .until(WAIT, |ls| {
            ls.iter()
                .skip(4)
                .any(|l| l.contains(" 1/1 ") && l.contains("Running"))
        })
        .await;
    let _ = child.start_kill();
    let lines = out.seen;
    assert!(done, "the new pod became ready: {lines:?}");
    assert!(lines[0].starts_with("NAME"), "{lines:?}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("NAME")).count(),
        1,
        "one header: {lines:?}"
    );
    let initial: Vec<&String> = lines[1..4].iter().collect();
    assert!(initial.iter().all(|l| l.contains("Running")), "{lines:?}");
    let new_pod: Vec<&String> = lines[4..].iter().collect();
    assert!(!new_pod.is_empty(), "watch saw the new pod: {lines:?}");
    let name = new_pod[0].split_whitespace().next().unwrap();
    assert!(initial.iter().all(|l| !l.starts_with(name)), "{lines:?}");
    assert!(
        new_pod
            .iter()
            .any(|l| l.contains("Pending") || l.contains("ContainerCreating")),
        "{lines:?}"
    );
    assert!(new_pod.last().unwrap().contains("1/1"), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_field_selectors_filter() {
    let pending = json!({"metadata": {"name": "stuck", "namespace": "default", "labels": {"app": "stuck"}},
        "spec": {"nodeSelector": {"disktype": "ssd"}, "containers": [{"name": "c", "image": "busybox"}]}});
    let world = web_world()
        .deployment("default", "api", 2, "registry.local/api:1.4.2")
        .object(opsboard::sim::kube::Res::Pods, pending);
    let Some((_sim, k)) = setup(world).await else {
        return;
    };
    let names = |out: String| -> Vec<String> {
        let mut v: Vec<String> = out
            .lines()
            .map(|l| l.trim_start_matches("pod/").to_string())
            .collect();
        v.sort();
        v
    };
    let web = names(k.ok(&["get", "pods", "-l", "app=web", "-o", "name"]).await);
    assert_eq!(web.len(), 3);
    assert!(web.iter().all(|n| n.starts_with("web-")), "{web:?}");
    assert_eq!(
        names(k.ok(&["get", "pods", "-l", "app==api", "-o", "name"]).await).len(),
        2
    );
    assert_eq!(
        names(k.ok(&["get", "pods", "-l", "app!=web", "-o", "name"]).await).len(),
        3
    );
    assert_eq!(
        names(
            k.ok(&["get", "pods", "-l", "app in (web,api)", "-o", "name"])
                .await
        )
        .len(),
        5
    );
    assert_eq!(
        names(
            k.ok(&["get", "pods", "-l", "app notin (web,api)", "-o", "name"])
                .await
        ),
        ["stuck"]
    );
    assert_eq!(
        names(
            k.ok(&["get", "pods", "-l", "pod-template-hash", "-o", "name"])
                .await
        )
        .len(),
        5
    );
    assert_eq!(
        names(
            k.ok(&["get", "pods", "-l", "!pod-template-hash", "-o", "name"])
                .await
        ),
        ["stuck"]
    );
    let running = names(
        k.ok(&[
            "get",
            "pods",
            "--field-selector",
            "status.phase=Running",
            "-o",
            "name",
        ])
        .await,
    );
    assert_eq!(running.len(), 5, "{running:?}");
    assert!(!running.contains(&"stuck".to_string()));
    let pending = names(
        k.ok(&[
            "get",
            "pods",
            "--field-selector",
            "status.phase!=Running",
            "-o",
            "name",
        ])
        .await,
    );
    assert_eq!(pending, ["stuck"]);
    let on_n1 = names(
        k.ok(&[
            "get",
            "pods",
            "--field-selector",
            "spec.nodeName=n1",
            "-o",
            "name",
        ])
        .await,
    );
    assert!(!on_n1.is_empty() && on_n1.len() < 5, "{on_n1:?}");
    let table = k.ok(&["get", "pods", "stuck"]).await;
    assert_eq!(rows(&table)[0][1..3], ["0/1", "Pending"], "{table}");
    let events = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=stuck",
        ])
        .await;
    assert!(
        events.contains("FailedScheduling")
            && events.contains("didn't match Pod's node affinity/selector"),
        "{events}"
    );
    let bad = k
        .run(&["get", "pods", "--field-selector", "spec.bogus=1"])
        .await;
    assert!(
        !bad.ok() && bad.stderr.contains("field label not supported: spec.bogus"),
        "{bad:?}"
    );
    let bad = k.run(&["get", "pods", "-l", "app in (web"]).await;
    assert!(!bad.ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_get_pages_with_continue() {
    let mut world = World::empty().node("n1");
    for n in 0..5 {
        world = world.deployment("default", &format!("app{n}"), 1, "nginx:1.25");
    }
    let Some((_sim, k)) = setup(world).await else {
        return;
    };
    let out = k.run(&["get", "deploy", "--chunk-size=2", "-v=6"]).await;
    assert!(out.ok(), "{out:?}");
    let names: Vec<String> = rows(&out.stdout).iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        names,
        ["app0", "app1", "app2", "app3", "app4"],
        "{}",
        out.stdout
    );
    let pages = out
        .stderr
        .lines()
        .filter(|l| l.contains("GET") && l.contains("/deployments?"))
        .count();
    let continued = out
        .stderr
        .lines()
        .filter(|l| l.contains("GET") && l.contains("continue="))
        .count();
    assert_eq!((pages, continued), (3, 2), "{}", out.stderr);
    let json = k
        .json(&["get", "deploy", "--chunk-size=2", "-o", "json"])
        .await;
    assert_eq!(json["items"].as_array().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_logs_and_get_all() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("applied.yaml");
    let manifest = |image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: applied\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: applied}}\n  template:\n    metadata:\n      labels: {{app: applied}}\n    spec:\n      containers:\n      - name: applied\n        image: {image}\n"
        )
    };
    std::fs::write(&file, manifest("nginx:1.27")).unwrap();
    let path = file.to_str().unwrap();
    assert_eq!(
        k.ok(&["apply", "-f", path]).await.trim(),
        "deployment.apps/applied created"
    );
    // Let the controller see 1.27 (revision 1) first: a second apply within
    // its reaction time would leave a single revision, on a real cluster too.
    k.ok(&["rollout", "status", "deploy/applied", "--timeout=60s"])
        .await;
    std::fs::write(&file, manifest("nginx:1.28")).unwrap();
    assert_eq!(
        k.ok(&["apply", "-f", path]).await.trim(),
        "deployment.apps/applied configured"
    );
    k.ok(&["rollout", "status", "deploy/applied", "--timeout=60s"])
        .await;
    // `rollout status` can see the old, complete state before the
    // controller observes the new generation: wait for the new revision.
    let d = eventually(
        Duration::from_secs(30),
        "revision 2 of `applied`",
        || async {
            sim.object("deployments", Some("default"), "applied")
                .filter(|d| annotation(d, "deployment.kubernetes.io/revision") == "2")
        },
    )
    .await;
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.28"
    );
    let logs = k.ok(&["logs", "deploy/web"]).await;
    assert!(logs.contains(" HTTP/1.1\" 200 "), "an access log: {logs}");
    let all = k.ok(&["get", "all"]).await;
    for kind in [
        "pod/web-",
        "deployment.apps/web",
        "replicaset.apps/web-",
        "deployment.apps/applied",
    ] {
        assert!(all.contains(kind), "{kind} in {all}");
    }
    let resources = k
        .ok(&["api-resources", "--api-group=apps", "-o", "name"])
        .await;
    assert!(
        resources.contains("deployments.apps") && resources.contains("statefulsets.apps"),
        "{resources}"
    );
}

async fn kube_client(sim: &SimCluster, dir: &tempfile::TempDir) -> kube::Client {
    let path = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&path, "sim").unwrap();
    let kc = kube::config::Kubeconfig::read_from(&path).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

fn pod_name(p: &Pod) -> String {
    p.metadata.name.clone().unwrap_or_default()
}

async fn scale_web(client: &kube::Client, replicas: i32) {
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    deploys
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": replicas}})),
        )
        .await
        .expect("scale");
}

/// Next watcher event, skipping nothing; panics after `WAIT`.
async fn next<S>(stream: &mut S) -> Result<Event<Pod>, watcher::Error>
where
    S: futures::Stream<Item = Result<Event<Pod>, watcher::Error>> + Unpin,
{
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("watch event in time")
        .expect("stream open")
}

async fn until_init_done<S>(stream: &mut S) -> Vec<String>
where
    S: futures::Stream<Item = Result<Event<Pod>, watcher::Error>> + Unpin,
{
    let mut names = Vec::new();
    loop {
        match next(stream).await {
            Ok(Event::Init) => names.clear(),
            Ok(Event::InitApply(p)) => names.push(pod_name(&p)),
            Ok(Event::InitDone) => return names,
            other => panic!("unexpected before InitDone: {other:?}"),
        }
    }
}

async fn until_new_pod<S>(stream: &mut S, known: &[String]) -> (String, Vec<String>)
where
    S: futures::Stream<Item = Result<Event<Pod>, watcher::Error>> + Unpin,
{
    let mut errors = Vec::new();
    loop {
        match next(stream).await {
            Ok(Event::Apply(p)) | Ok(Event::InitApply(p)) if !known.contains(&pod_name(&p)) => {
                return (pod_name(&p), errors);
            }
            Ok(_) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_watcher_lists_then_follows() {
    let sim = start(web_world()).await;
    let dir = tempfile::tempdir().unwrap();
    let client = kube_client(&sim, &dir).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut stream = watcher::watcher(pods, watcher::Config::default()).boxed();
    let initial = until_init_done(&mut stream).await;
    assert_eq!(initial.len(), 3, "{initial:?}");
    scale_web(&client, 4).await;
    let (name, errors) = until_new_pod(&mut stream, &initial).await;
    assert!(name.starts_with("web-"), "{name}");
    assert!(errors.is_empty(), "{errors:?}");
    let deploy: Deployment = Api::namespaced(client, "default").get("web").await.unwrap();
    assert_eq!(deploy.spec.unwrap().replicas, Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_watcher_relists_after_410() {
    let sim = start(web_world()).await;
    let dir = tempfile::tempdir().unwrap();
    let client = kube_client(&sim, &dir).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    // Short watch calls: the watcher re-watches from its last
    // resourceVersion every second.
    let mut stream = watcher::watcher(pods, watcher::Config::default().timeout(1)).boxed();
    let initial = until_init_done(&mut stream).await;
    let old_rv = sim.resource_version();
    sim.compact();
    assert!(sim.resource_version() > old_rv);
    // The next re-watch gets a 410 ERROR event; the watcher reports it once
    // and lists again.
    let mut errors = Vec::new();
    loop {
        match next(&mut stream).await {
            Err(e) => errors.push(e.to_string()),
            Ok(Event::Init) => break,
            Ok(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("410") || errors[0].to_lowercase().contains("expired"),
        "{errors:?}"
    );
    let mut relisted = Vec::new();
    loop {
        match next(&mut stream).await.expect("relist without errors") {
            Event::InitApply(p) => relisted.push(pod_name(&p)),
            Event::InitDone => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    relisted.sort();
    let mut initial = initial;
    initial.sort();
    assert_eq!(relisted, initial);
    scale_web(&client, 4).await;
    let (_, errors) = until_new_pod(&mut stream, &initial).await;
    assert!(errors.is_empty(), "{errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_sees_forbidden_nodes() {
    let sim = start(web_world()).await;
    let dir = tempfile::tempdir().unwrap();
    let client = kube_client(&sim, &dir).await;
    let nodes: Api<Node> = Api::all(client.clone());
    assert_eq!(
        nodes
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    sim.forbid("nodes");
    match nodes.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!(s.code, 403);
            assert_eq!(s.reason, "Forbidden");
            assert!(
                s.message.contains("cannot list resource \"nodes\""),
                "{}",
                s.message
            );
        }
        other => panic!("expected 403, got {other:?}"),
    }
    assert!(matches!(nodes.get("n1").await, Err(kube::Error::Api(s)) if s.code == 403));
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        3
    );
    if let Some(k) = Kubectl::find(&sim) {
        let out = k.run(&["get", "nodes"]).await;
        assert!(
            !out.ok() && out.stderr.to_lowercase().contains("forbidden"),
            "{out:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_watcher_survives_api_server_restart() {
    let mut sim = start(web_world()).await;
    let dir = tempfile::tempdir().unwrap();
    let client = kube_client(&sim, &dir).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut stream = watcher::watcher(pods, watcher::Config::default())
        .default_backoff()
        .boxed();
    let initial = until_init_done(&mut stream).await;
    // A raw watch open across the restart is cut off by it.
    let mut raw = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    raw.write_all(b"GET /api/v1/namespaces/default/pods?watch=true HTTP/1.1\r\nHost: sim\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let n = raw.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let url = sim.url();
    sim.restart().await.unwrap();
    assert_eq!(sim.url(), url, "same port after restart");
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(n) = raw.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the restart ended the open watch connection"
    );
    scale_web(&client, 4).await;
    let (name, _errors) = until_new_pod(&mut stream, &initial).await;
    assert!(name.starts_with("web-"));
    // The server still answers normally.
    let all: Vec<Pod> = Api::<Pod>::namespaced(client, "default")
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), 4);
}

fn api_error<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> (u16, String, String) {
    match r {
        Err(kube::Error::Api(s)) => (s.code, s.reason.clone(), s.message.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_streaming_list_and_api_errors() {
    let sim = start(web_world()).await;
    let dir = tempfile::tempdir().unwrap();
    let client = kube_client(&sim, &dir).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut stream = watcher::watcher(pods, watcher::Config::default().streaming_lists()).boxed();
    assert_eq!(
        until_init_done(&mut stream).await.len(),
        3,
        "sendInitialEvents + initial-events-end bookmark"
    );

    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let stale = deploys.get("web").await.unwrap();
    let mut d = stale.clone();
    d.spec.as_mut().unwrap().replicas = Some(2);
    let updated = deploys
        .replace("web", &PostParams::default(), &d)
        .await
        .unwrap();
    assert_eq!(updated.metadata.generation, Some(2));
    let (code, reason, msg) =
        api_error(deploys.replace("web", &PostParams::default(), &stale).await);
    assert_eq!((code, reason.as_str()), (409, "Conflict"), "{msg}");
    assert!(msg.contains("the object has been modified"), "{msg}");

    let negative = Patch::Merge(json!({"spec": {"replicas": -1}}));
    let (code, reason, msg) = api_error(
        deploys
            .patch("web", &PatchParams::default(), &negative)
            .await,
    );
    assert_eq!((code, reason.as_str()), (422, "Invalid"));
    assert!(
        msg.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        "{msg}"
    );
    let (code, ..) = api_error(
        deploys
            .patch_scale("web", &PatchParams::default(), &negative)
            .await,
    );
    assert_eq!(code, 422);

    let seven = Patch::Merge(json!({"spec": {"replicas": 7}}));
    let dry = deploys
        .patch("web", &PatchParams::default().dry_run(), &seven)
        .await
        .unwrap();
    assert_eq!(dry.spec.unwrap().replicas, Some(7));
    assert_eq!(
        deploys.get("web").await.unwrap().spec.unwrap().replicas,
        Some(2)
    );

    let (code, reason, msg) = api_error(deploys.get("nope").await);
    assert_eq!((code, reason.as_str()), (404, "NotFound"));
    assert_eq!(msg, "deployments.apps \"nope\" not found");
    let strategic = Patch::Strategic(
        json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}),
    );
    let d = deploys
        .patch("web", &PatchParams::default(), &strategic)
        .await
        .unwrap();
    let c = &d.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(
        (c.image.as_deref(), c.resources.is_some()),
        (Some("nginx:1.27"), true),
        "merged by name"
    );
}

// ----- optimistic concurrency and preconditions, judged by the real kubectl -----

/// `metadata.resourceVersion` of the object as stored.
fn rv_of(sim: &SimCluster, gvr: &str, name: &str) -> String {
    sim.object(gvr, Some("default"), name).unwrap()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string()
}

fn uid_of(sim: &SimCluster, gvr: &str, name: &str) -> String {
    sim.object(gvr, Some("default"), name).unwrap()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string()
}

const STALE: &str = "Error from server (Conflict): Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_resource_version_in_any_patch_is_a_conflict() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let replicas = |sim: &SimCluster| {
        sim.object("apps/v1/deployments", Some("default"), "web")
            .unwrap()["spec"]["replicas"]
            .clone()
    };
    for (kind, patch) in [
        (
            "merge",
            r#"{"metadata":{"resourceVersion":"1"},"spec":{"replicas":5}}"#,
        ),
        (
            "strategic",
            r#"{"metadata":{"resourceVersion":"1"},"spec":{"replicas":5}}"#,
        ),
        (
            "json",
            r#"[{"op":"replace","path":"/metadata/resourceVersion","value":"1"},{"op":"replace","path":"/spec/replicas","value":5}]"#,
        ),
    ] {
        let out = k
            .run(&["patch", "deploy", "web", "--type", kind, "-p", patch])
            .await;
        assert!(!out.ok(), "{kind}: {out:?}");
        assert_eq!(out.stderr.trim(), STALE, "{kind}");
        assert_eq!(replicas(&sim), 3, "{kind} patch must not apply");
    }
    // kubectl's own resourceVersion precondition: the version in a merge patch.
    let out = k
        .run(&[
            "label",
            "deploy",
            "web",
            "team=payments",
            "--resource-version=1",
        ])
        .await;
    assert_eq!(out.stderr.trim(), STALE, "{out:?}");
    // The current version is accepted.
    let rv = rv_of(&sim, "apps/v1/deployments", "web");
    k.ok(&[
        "label",
        "deploy",
        "web",
        "team=payments",
        &format!("--resource-version={rv}"),
    ])
    .await;
    let current = rv_of(&sim, "apps/v1/deployments", "web");
    k.ok(&[
        "patch",
        "deploy",
        "web",
        "--type",
        "merge",
        "-p",
        &format!(r#"{{"metadata":{{"resourceVersion":"{current}"}},"spec":{{"replicas":4}}}}"#),
    ])
    .await;
    assert_eq!(replicas(&sim), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_json_patch_test_and_a_changed_uid_are_invalid() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let uid = uid_of(&sim, "apps/v1/deployments", "web");
    let out = k
        .run(&[
            "patch",
            "deploy",
            "web",
            "--type",
            "json",
            "-p",
            r#"[{"op":"test","path":"/metadata/uid","value":"not-the-uid"},{"op":"replace","path":"/spec/replicas","value":5}]"#,
        ])
        .await;
    assert!(!out.ok(), "{out:?}");
    // The real patch handler drops the test op's reason.
    assert_eq!(
        out.stderr.trim(),
        "The request is invalid: the server rejected our request due to an error in our request",
        "{out:?}"
    );
    k.ok(&[
        "patch",
        "deploy",
        "web",
        "--type",
        "json",
        "-p",
        &format!(
            r#"[{{"op":"test","path":"/metadata/uid","value":"{uid}"}},{{"op":"replace","path":"/spec/replicas","value":2}}]"#
        ),
    ])
    .await;
    for kind in ["merge", "strategic"] {
        let out = k
            .run(&[
                "patch",
                "deploy",
                "web",
                "--type",
                kind,
                "-p",
                r#"{"metadata":{"uid":"not-the-uid"},"spec":{"replicas":5}}"#,
            ])
            .await;
        assert_eq!(
            out.stderr.trim(),
            "The Deployment \"web\" is invalid: metadata.uid: Invalid value: \"not-the-uid\": field is immutable",
            "{kind}: {out:?}"
        );
    }
    let d = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    assert_eq!(
        (d["spec"]["replicas"].clone(), d["metadata"]["uid"].as_str()),
        (json!(2), Some(uid.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_preconditions_resource_version_and_uid() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let rv = rv_of(&sim, "apps/v1/deployments", "web");
    // kubectl GETs the Scale, compares its resourceVersion, then PUTs it.
    let out = k
        .run(&[
            "scale",
            "deploy/web",
            "--replicas=5",
            "--resource-version=1",
        ])
        .await;
    assert!(!out.ok(), "{out:?}");
    assert_eq!(
        out.stderr.trim(),
        format!("error: Expected resource version to be 1, was {rv}"),
        "{out:?}"
    );
    let out = k
        .ok(&[
            "scale",
            "deploy/web",
            "--replicas=4",
            &format!("--resource-version={rv}"),
        ])
        .await;
    assert_eq!(out.trim(), "deployment.apps/web scaled");
    // The server's side of it: a PUT of a Scale read before that change.
    let dir = tempfile::tempdir().unwrap();
    let deploys: Api<Deployment> = Api::namespaced(kube_client(&sim, &dir).await, "default");
    let mut stale = deploys.get_scale("web").await.unwrap();
    deploys
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    stale.spec.as_mut().unwrap().replicas = Some(6);
    let (code, reason, msg) = api_error(
        deploys
            .replace_scale("web", &PostParams::default(), &stale)
            .await,
    );
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    assert_eq!(
        msg,
        STALE.trim_start_matches("Error from server (Conflict): ")
    );
    let uid = uid_of(&sim, "apps/v1/deployments", "web");
    let (code, _, msg) = api_error(
        deploys
            .patch_scale(
                "web",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"uid": "not-the-uid"}, "spec": {"replicas": 6}})),
            )
            .await,
    );
    assert_eq!(code, 409);
    assert_eq!(
        msg,
        format!(
            "Operation cannot be fulfilled on deployments/scale.apps \"web\": Precondition failed: UID in precondition: not-the-uid, UID in object meta: {uid}"
        )
    );
    assert_eq!(
        sim.object("apps/v1/deployments", Some("default"), "web")
            .unwrap()["spec"]["replicas"],
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_preconditions_spare_a_changed_or_recreated_object() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let victim = pods_of(&sim, "web-")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let uid = uid_of(&sim, "pods", &victim);
    let rv = rv_of(&sim, "pods", &victim);
    let dir = tempfile::tempdir().unwrap();
    let opts = |pre: Value| {
        let path = dir.path().join("delete-options.json");
        std::fs::write(
            &path,
            json!({"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": pre}).to_string(),
        )
        .unwrap();
        path.display().to_string()
    };
    let url = format!("/api/v1/namespaces/default/pods/{victim}");
    let out = k
        .run(&[
            "delete",
            "--raw",
            &url,
            "-f",
            &opts(json!({"uid": "not-the-uid"})),
        ])
        .await;
    assert!(!out.ok(), "{out:?}");
    assert_eq!(
        out.stderr.trim(),
        format!(
            "Error from server (Conflict): Operation cannot be fulfilled on Pod \"{victim}\": the UID in the precondition (not-the-uid) does not match the UID in record ({uid}). The object might have been deleted and then recreated"
        )
    );
    let out = k
        .run(&[
            "delete",
            "--raw",
            &url,
            "-f",
            &opts(json!({"uid": uid, "resourceVersion": "1"})),
        ])
        .await;
    assert_eq!(
        out.stderr.trim(),
        format!(
            "Error from server (Conflict): Operation cannot be fulfilled on Pod \"{victim}\": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record ({rv}). The object might have been modified"
        ),
        "{out:?}"
    );
    let pod = sim.object("pods", Some("default"), &victim).unwrap();
    assert!(pod["metadata"].get("deletionTimestamp").is_none(), "{pod}");
    k.ok(&[
        "delete",
        "--raw",
        &url,
        "-f",
        &opts(json!({"uid": uid, "resourceVersion": rv})),
    ])
    .await;
    let gone = sim
        .object("pods", Some("default"), &victim)
        .is_none_or(|p| p["metadata"].get("deletionTimestamp").is_some());
    assert!(gone, "the pod named by its uid is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_of_a_deleted_and_recreated_object_is_refused() {
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("web.json");
    std::fs::write(&old, k.ok(&["get", "deploy", "web", "-o", "json"]).await).unwrap();
    let old_uid = uid_of(&sim, "apps/v1/deployments", "web");
    k.ok(&["delete", "deploy", "web"]).await;
    let new = dir.path().join("new-web.json");
    let manifest = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}},
    });
    std::fs::write(&new, manifest.to_string()).unwrap();
    k.ok(&["create", "-f", &new.display().to_string()]).await;
    let new_uid = uid_of(&sim, "apps/v1/deployments", "web");
    let out = k.run(&["replace", "-f", &old.display().to_string()]).await;
    assert!(!out.ok(), "{out:?}");
    assert_eq!(
        out.stderr.trim(),
        format!(
            "Error from server (Conflict): error when replacing \"{}\": Operation cannot be fulfilled on deployments.apps \"web\": StorageError: invalid object, Code: 4, Key: /registry/deployments/default/web, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {old_uid}, UID in object meta: {new_uid}",
            old.display()
        )
    );
    let d = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.26"
    );
}

/// `kubectl describe` of a deployment, a pod and a node works against the
/// simulated server (the GETs and the events by field selector it makes),
/// and opsboard's describe and YAML read the same objects and events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_deployment_pod_and_node_like_kubectl() {
    use opsboard::clients::kube::{describe, fetch, yaml};
    use opsboard::model::document::ObjectKind;
    let Some((sim, k)) = setup(web_world()).await else {
        return;
    };
    let ready_pods = || {
        pods_of(&sim, "web-")
            .into_iter()
            .filter(ready)
            .collect::<Vec<_>>()
    };
    // Scaling makes the controller record a ScalingReplicaSet event.
    k.ok(&["scale", "deploy/web", "--replicas=4"]).await;
    eventually(WAIT, "four ready web pods", || async {
        (ready_pods().len() == 4).then_some(())
    })
    .await;
    let deploy = k.ok(&["describe", "deploy/web"]).await;
    for want in [
        "Replicas:",
        "Conditions:",
        "Pod Template:",
        "ScalingReplicaSet",
    ] {
        assert!(deploy.contains(want), "kubectl lacks {want}:\n{deploy}");
    }
    let events = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.kind=Deployment,involvedObject.name=web",
        ])
        .await;
    assert!(events.contains("ScalingReplicaSet"), "{events}");
    let pod = ready_pods()[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let described_pod = k.ok(&["describe", "pod", &pod]).await;
    assert!(
        described_pod.contains("Conditions:") && described_pod.contains("nginx:1.25"),
        "{described_pod}"
    );
    assert!(
        k.ok(&["describe", "node", "n1"])
            .await
            .contains("Capacity:")
    );

    // opsboard reads the same through kube-rs.
    let dir = tempfile::tempdir().unwrap();
    let client = kube_client(&sim, &dir).await;
    let now = std::time::SystemTime::now();
    let show = |d: &opsboard::model::document::Document| {
        d.lines
            .iter()
            .map(|l| l.shown(false))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let kind = ObjectKind::Workload(opsboard::model::WorkloadKind::Deployment);
    let d = fetch::described(&client, kind, Some("default"), "web")
        .await
        .unwrap();
    let text = show(&describe::describe(kind, &d, now));
    for want in [
        "Name:          web",
        "Replicas:      4 desired",
        "Conditions:",
        "  Available",
        "Image:       nginx:1.25",
        "ScalingReplicaSet",
    ] {
        assert!(text.contains(want), "opsboard lacks {want}:\n{text}");
    }
    let d = fetch::described(&client, ObjectKind::Pod, Some("default"), &pod)
        .await
        .unwrap();
    let text = show(&describe::describe(ObjectKind::Pod, &d, now));
    assert!(text.contains("Status:        Running"), "{text}");
    assert!(text.contains("State:       Running"), "{text}");
    let d = fetch::described(&client, ObjectKind::Node, None, "n1")
        .await
        .unwrap();
    let text = show(&describe::describe(ObjectKind::Node, &d, now));
    let on_n1 = sim
        .objects("pods", None)
        .iter()
        .filter(|p| p["spec"]["nodeName"] == "n1")
        .count();
    assert!(
        text.contains(&format!("Non-terminated Pods: ({on_n1} in total)")),
        "{text}"
    );
    let y = yaml::yaml(
        &fetch::object(&client, kind, Some("default"), "web")
            .await
            .unwrap(),
    )
    .unwrap();
    let text = show(&y);
    assert!(
        text.starts_with("apiVersion: apps/v1\nkind: Deployment"),
        "{text}"
    );
    assert!(!text.contains("managedFields"), "{text}");
    // A missing object and an unknown context say so.
    let e = fetch::described(&client, ObjectKind::Pod, Some("default"), "nope")
        .await
        .unwrap_err();
    assert_eq!(e, "pod nope not found");
}

/// The demo world's events, as kubectl lists and follows them: the last
/// hour of what settled before start (Normal and Warning), the Warnings
/// alone by field selector, and new events as they happen with `-w`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_events_all_namespaces_warnings_and_watch() {
    let Some((_sim, k)) = setup(World::demo()).await else {
        return;
    };
    let all = k.ok(&["get", "events", "-A"]).await;
    let header = all.lines().next().unwrap_or_default();
    for col in [
        "NAMESPACE",
        "LAST SEEN",
        "TYPE",
        "REASON",
        "OBJECT",
        "MESSAGE",
    ] {
        assert!(header.contains(col), "{col}: {header}");
    }
    let table = rows(&all);
    let reasons: Vec<&str> = table
        .iter()
        .filter_map(|r| r.get(3).map(String::as_str))
        .collect();
    for reason in [
        "Scheduled",
        "Pulled",
        "Created",
        "Started",
        "ScalingReplicaSet",
        "SuccessfulCreate",
        "BackOff",
        "ProgressDeadlineExceeded",
    ] {
        assert!(reasons.contains(&reason), "{reason}: {all}");
    }
    assert!(
        table
            .iter()
            .any(|r| r.get(2).map(String::as_str) == Some("Normal")),
        "{all}"
    );
    // The crash loop's events name the pod in its namespace, folded by count.
    assert!(
        all.lines().any(|l| l.starts_with("ml ")
            && l.contains("BackOff")
            && l.contains("pod/ml-service-")),
        "{all}"
    );
    let warnings = k
        .ok(&["get", "events", "-A", "--field-selector", "type=Warning"])
        .await;
    let wrows = rows(&warnings);
    assert!(!wrows.is_empty(), "{warnings}");
    assert!(
        wrows
            .iter()
            .all(|r| r.get(2).map(String::as_str) == Some("Warning")),
        "{warnings}"
    );
    assert!(warnings.contains("BackOff"), "{warnings}");
    let normal = k
        .ok(&["get", "events", "-A", "--field-selector", "type=Normal"])
        .await;
    assert!(!normal.contains("Warning"), "{normal}");

    let mut child = k.spawn(&["get", "events", "-n", "default", "-w"]);
    let mut out = Lines::of(&mut child);
    assert!(
        out.until(WAIT, |ls| ls.len() >= 2).await,
        "initial list: {:?}",
        out.seen
    );
    k.ok(&["scale", "deploy/nginx", "-n", "default", "--replicas=3"])
        .await;
    let seen = out
        .until(WAIT, |ls| {
            ls.iter()
                .any(|l| l.contains("ScalingReplicaSet") && l.contains("to 3"))
        })
        .await;
    let _ = child.start_kill();
    assert!(seen, "the scale-up's event streamed: {:?}", out.seen);
    assert_eq!(
        out.seen
            .iter()
            .filter(|l| l.starts_with("LAST SEEN"))
            .count(),
        1,
        "one header: {:?}",
        out.seen
    );
}
