//! opsboard's Kubernetes source and actions against the simulated API
//! server: watches (with a 410 relist, a Forbidden resource, an API server
//! restart), and every action — then the same operations done by the real
//! kubectl on a second fresh cluster must leave identical objects.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::time::Duration;

use kube_support::{Kubectl, eventually, snapshot_where, start, watch};
use opsboard::app::{Msg, OpsEvent};
use opsboard::clients::kube::{KubeSettings, connect};
use opsboard::model::{
    ActionPlan, ActionRequest, ClusterSnapshot, JobResult, Outcome, ResourceStatus, WorkloadKind,
    WorkloadRef,
};
use opsboard::ops::{self, Command, OpsContext};
use opsboard::sim::kube::{SimCluster, World};
use serde_json::Value;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(30);

fn world() -> World {
    World::empty()
        .node("node-1")
        .node("node-2")
        .namespace("default")
        .deployment("default", "web", 2, "registry.local/web:1.1")
        .history(&[("registry.local/web:1.0", "release 1.0")])
        .change_cause("release 1.1")
        .statefulset("default", "db", 1, "postgres:16.2")
        .daemonset("default", "agent", "registry.local/agent:3")
}

fn settings(dir: &tempfile::TempDir, sim: &SimCluster) -> KubeSettings {
    let path = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&path, "sim").unwrap();
    KubeSettings {
        kubeconfig: Some(path),
        contexts: vec!["sim".into()],
        namespaces: vec![],
        namespace_flag: None,
        ..Default::default()
    }
}

fn web() -> WorkloadRef {
    WorkloadRef {
        context: "sim".into(),
        namespace: "default".into(),
        kind: WorkloadKind::Deployment,
        name: "web".into(),
    }
}

/// Starts the source and returns the receiver of its messages.
fn ready(s: &ClusterSnapshot, name: &str, n: i32) -> bool {
    s.workloads.iter().any(|w| {
        w.id.name == name
            && w.ready == n
            && w.desired == n
            && w.pods.iter().filter(|p| p.is_ready()).count() == n as usize
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_sees_workloads_pods_history_and_nodes() {
    let sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_src, mut rx) = watch(&settings(&dir, &sim)).await;
    let s = snapshot_where(&mut rx, "web 2/2 with pods and nodes", |s| {
        ready(s, "web", 2)
            && s.nodes.len() == 2
            && s.resources.iter().all(|(_, st)| *st == ResourceStatus::Ok)
    })
    .await;
    let w = s.workloads.iter().find(|w| w.id == web()).unwrap();
    assert_eq!(w.images, ["registry.local/web:1.1"]);
    assert_eq!(w.revision.as_deref(), Some("2"));
    let causes: Vec<_> = w
        .history
        .iter()
        .map(|h| (h.revision, h.change_cause.clone()))
        .collect();
    assert_eq!(
        causes,
        [
            (1, Some("release 1.0".into())),
            (2, Some("release 1.1".into()))
        ]
    );
    assert!(w.pods.iter().all(|p| p.node.is_some()));
    assert!(
        s.workloads
            .iter()
            .any(|w| w.id.kind == WorkloadKind::StatefulSet && w.id.name == "db")
    );
    let agent = s.workloads.iter().find(|w| w.id.name == "agent").unwrap();
    assert_eq!(agent.desired, 2, "one agent per node");
    assert!(s.nodes.iter().all(|n| n.ready));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_nodes_leave_the_rest_working() {
    let sim = start(world()).await;
    sim.forbid("nodes");
    let dir = tempfile::tempdir().unwrap();
    let (_src, mut rx) = watch(&settings(&dir, &sim)).await;
    let s = snapshot_where(&mut rx, "nodes forbidden and web ready", |s| {
        ready(s, "web", 2)
            && s.resources
                .iter()
                .any(|(r, st)| r == "nodes" && matches!(st, ResourceStatus::Forbidden(_)))
    })
    .await;
    assert!(s.nodes.is_empty());
    assert!(
        s.problem()
            .unwrap()
            .contains("Forbidden: cannot list nodes (RBAC)"),
        "{:?}",
        s.problem()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_survive_a_410_and_an_api_server_restart() {
    let mut sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let st = settings(&dir, &sim);
    let (_src, mut rx) = watch(&st).await;
    snapshot_where(&mut rx, "web 2/2", |s| ready(s, "web", 2)).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    // History compacted: the next watch from an old resourceVersion gets
    // 410 Expired and the watchers must relist, not stop.
    sim.compact();
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=3"])
        .await;
    snapshot_where(&mut rx, "web 3/3 after a 410", |s| ready(s, "web", 3)).await;
    // The API server goes away and comes back on the same port.
    sim.restart().await.unwrap();
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=1"])
        .await;
    // Idle watchers relist (410) after the restart too; wait for all of them.
    snapshot_where(
        &mut rx,
        "web 1/1 and every resource OK after a restart",
        |s| ready(s, "web", 1) && s.resources.iter().all(|(_, st)| *st == ResourceStatus::Ok),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_server_and_a_broken_kubeconfig_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: gone\n  cluster:\n    server: http://{dead}\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
    let st = KubeSettings {
        kubeconfig: Some(path.clone()),
        contexts: vec![],
        namespaces: vec![],
        namespace_flag: None,
        ..Default::default()
    };
    let (_src, mut rx) = watch(&st).await;
    let s = snapshot_where(&mut rx, "a failing resource", |s| {
        s.resources
            .iter()
            .any(|(_, st)| matches!(st, ResourceStatus::Failing(_)))
    })
    .await;
    let problem = s.problem().unwrap();
    assert!(
        problem.to_lowercase().contains("connect") || problem.contains("refused"),
        "{problem}"
    );
    std::fs::write(&path, "this: is: not: yaml: [").unwrap();
    let connected = connect(&st).await;
    let err = connected[0].client.as_ref().err().unwrap().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
}

/// Runs one request through the real action layer: plan, execute, follow.
async fn act(ctx: OpsContext, request: ActionRequest) -> JobResult {
    let (tx, mut rx) = mpsc::channel(1024);
    let ops = ops::spawn(ctx, tx);
    ops.send(Command::Plan(request));
    loop {
        match tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("ops answered")
        {
            Some(Msg::Ops(OpsEvent::Planned(p))) => ops.send(Command::Execute {
                plan: Box::new(p),
                typed: None,
            }),
            Some(Msg::Ops(OpsEvent::Refused { what, reason })) => {
                panic!("{what} refused: {reason}")
            }
            Some(Msg::Ops(OpsEvent::JobFinished { result, .. })) => return result,
            Some(_) => {}
            None => panic!("ops stopped"),
        }
    }
}

fn ctx(dir: &tempfile::TempDir, sim: &SimCluster) -> OpsContext {
    OpsContext {
        catalog: Default::default(),
        policy: Default::default(),
        // Head records beside the log, not in the tester's home.
        audit: Some(
            opsboard::ops::audit::AuditLog::new(dir.path().join("audit.jsonl"))
                .with_head_dir(dir.path().join("heads")),
        ),
        kube: Some(settings(dir, sim)),
        docker: None,
        image_history: None,
        handover: None,
    }
}

/// What kubectl and opsboard must agree on: templates (restartedAt only
/// by presence and format), annotations, revisions, replica counts.
fn comparable(sim: &SimCluster) -> Value {
    let mut d = sim
        .object("apps/v1/deployments", Some("default"), "web")
        .unwrap();
    let restarted =
        d.pointer_mut("/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt");
    if let Some(v) = restarted {
        let s = v.as_str().unwrap_or_default().to_string();
        assert!(
            chrono::DateTime::parse_from_rfc3339(&s).is_ok() && s.ends_with('Z') && s.len() == 20,
            "restartedAt {s}"
        );
        *v = Value::String("<time>".into());
    }
    let mut rss: Vec<Value> = sim
        .objects("apps/v1/replicasets", Some("default"))
        .into_iter()
        .map(|mut rs| {
            if let Some(v) = rs.pointer_mut(
                "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
            ) {
                *v = Value::String("<time>".into());
                // The hash covers the template, restart time included.
                if let Some(h) = rs.pointer_mut("/spec/template/metadata/labels/pod-template-hash")
                {
                    *h = Value::String("<hash of a template with a restart time>".into());
                }
            }
            serde_json::json!({
                "revision": rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
                "change_cause": rs["metadata"]["annotations"]["kubernetes.io/change-cause"],
                "replicas": rs["spec"]["replicas"],
                "template": rs["spec"]["template"],
            })
        })
        .collect();
    rss.sort_by_key(|r| {
        r["revision"]
            .as_str()
            .unwrap_or("")
            .parse::<i64>()
            .unwrap_or(0)
    });
    serde_json::json!({
        "replicas": d["spec"]["replicas"],
        "template": d["spec"]["template"],
        "revision": d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "change_cause": d["metadata"]["annotations"]["kubernetes.io/change-cause"],
        "replicasets": rss,
    })
}

async fn settled(sim: &SimCluster, kubectl: &Kubectl) {
    let out = kubectl
        .run(&["rollout", "status", "deployment/web", "--timeout=60s"])
        .await;
    assert!(out.ok(), "rollout status: {out:?}");
    let _ = sim;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opsboard_and_kubectl_leave_identical_objects() {
    let by_kubectl = start(world()).await;
    let by_opsboard = start(world()).await;
    let Some(kubectl) = Kubectl::find(&by_kubectl) else {
        return;
    };
    let Some(observer) = Kubectl::find(&by_opsboard) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    kubectl
        .ok(&["scale", "deployment/web", "--replicas=4"])
        .await;
    settled(&by_kubectl, &kubectl).await;
    let r = act(
        ctx(&dir, &by_opsboard),
        ActionRequest::Scale {
            workload: web(),
            replicas: 4,
        },
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
    assert!(
        r.message.contains("successfully rolled out"),
        "{}",
        r.message
    );
    assert_eq!(
        comparable(&by_kubectl),
        comparable(&by_opsboard),
        "after scale"
    );

    kubectl.ok(&["rollout", "restart", "deployment/web"]).await;
    settled(&by_kubectl, &kubectl).await;
    let r = act(
        ctx(&dir, &by_opsboard),
        ActionRequest::Restart { workload: web() },
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
    assert_eq!(
        comparable(&by_kubectl),
        comparable(&by_opsboard),
        "after rollout restart"
    );

    kubectl.ok(&["rollout", "undo", "deployment/web"]).await;
    settled(&by_kubectl, &kubectl).await;
    let r = act(
        ctx(&dir, &by_opsboard),
        ActionRequest::Rollback {
            workload: web(),
            to_revision: None,
        },
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
    assert_eq!(
        comparable(&by_kubectl),
        comparable(&by_opsboard),
        "after rollout undo"
    );

    kubectl
        .ok(&["rollout", "undo", "deployment/web", "--to-revision=1"])
        .await;
    settled(&by_kubectl, &kubectl).await;
    let r = act(
        ctx(&dir, &by_opsboard),
        ActionRequest::Rollback {
            workload: web(),
            to_revision: Some(1),
        },
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
    assert_eq!(
        comparable(&by_kubectl),
        comparable(&by_opsboard),
        "after undo --to-revision=1"
    );

    // kubectl agrees with what opsboard did.
    let history = observer.ok(&["rollout", "history", "deployment/web"]).await;
    assert!(history.contains("release 1.0"), "{history}");
    // The audit log has the whole story.
    let entries = opsboard::ops::audit::AuditLog::new(dir.path().join("audit.jsonl"))
        .read(None)
        .unwrap();
    let outcomes: Vec<String> = entries
        .iter()
        .map(|e| format!("{} {}", e.verb, e.outcome))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| o.ends_with("succeeded")).count(),
        4,
        "{outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_and_daemonset_restart_and_pod_delete() {
    let sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = WorkloadRef {
        kind: WorkloadKind::StatefulSet,
        name: "db".into(),
        ..web()
    };
    let agent = WorkloadRef {
        kind: WorkloadKind::DaemonSet,
        name: "agent".into(),
        ..web()
    };
    let r = act(
        ctx(&dir, &sim),
        ActionRequest::Restart {
            workload: db.clone(),
        },
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
    // kubectl's words for a StatefulSet with the default RollingUpdate
    // (partition 0) strategy.
    assert!(r.message.contains("roll out complete"), "{}", r.message);
    let r = act(ctx(&dir, &sim), ActionRequest::Restart { workload: agent }).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
    assert!(
        r.message
            .contains("daemon set \"agent\" successfully rolled out"),
        "{}",
        r.message
    );
    let pods = sim.objects("v1/pods", Some("default"));
    let victim = pods
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .find(|n| n.starts_with("web-"))
        .unwrap()
        .to_string();
    let r = act(
        ctx(&dir, &sim),
        ActionRequest::DeletePod {
            workload: web(),
            pod: victim.clone(),
        },
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
    let names: Vec<String> = sim
        .objects("v1/pods", Some("default"))
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    assert!(!names.contains(&victim), "{names:?}");
    assert_eq!(
        names.iter().filter(|n| n.starts_with("web-")).count(),
        2,
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_use_kubectls_words() {
    let sim = start(
        world()
            .deployment("default", "frozen", 1, "registry.local/f:1")
            .paused(),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let ops = ops::spawn(ctx(&dir, &sim), tx);
    let frozen = WorkloadRef {
        name: "frozen".into(),
        ..web()
    };
    let agent = WorkloadRef {
        kind: WorkloadKind::DaemonSet,
        name: "agent".into(),
        ..web()
    };
    for (req, words) in [
        (
            ActionRequest::Restart {
                workload: frozen.clone(),
            },
            "can't restart paused deployment (run rollout resume first)",
        ),
        (
            ActionRequest::Rollback {
                workload: frozen,
                to_revision: None,
            },
            "no rollout history found",
        ),
        (
            ActionRequest::Scale {
                workload: agent,
                replicas: 3,
            },
            "cannot be scaled",
        ),
        (
            ActionRequest::Rollback {
                workload: web(),
                to_revision: Some(9),
            },
            "unable to find specified revision 9 in history",
        ),
    ] {
        ops.send(Command::Plan(req));
        let reason = loop {
            match tokio::time::timeout(WAIT, rx.recv())
                .await
                .expect("an answer")
            {
                Some(Msg::Ops(OpsEvent::Refused { reason, .. })) => break reason,
                Some(Msg::Ops(OpsEvent::Planned(p))) => panic!("planned: {p:?}"),
                Some(_) => {}
                None => panic!("ops stopped"),
            }
        };
        assert!(reason.contains(words), "{reason}");
    }
}

// ----- stale plans: every change runs only on the object it was planned against -----

const CHANGED: &str = "changed since the plan — plan again";

/// Plans `request` through the real action layer; returns the layer, its
/// messages and the plan, to be confirmed later.
async fn plan(
    ctx: OpsContext,
    request: ActionRequest,
) -> (ops::Ops, mpsc::Receiver<Msg>, ActionPlan) {
    let (tx, mut rx) = mpsc::channel(1024);
    let ops = ops::spawn(ctx, tx);
    ops.send(Command::Plan(request));
    loop {
        match tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("ops answered")
        {
            Some(Msg::Ops(OpsEvent::Planned(p))) => return (ops, rx, p),
            Some(Msg::Ops(OpsEvent::Refused { what, reason })) => {
                panic!("{what} refused: {reason}")
            }
            Some(_) => {}
            None => panic!("ops stopped"),
        }
    }
}

/// Confirms `plan` and waits for its job to finish (bounded: a job that
/// follows the wrong thing runs into its 5-minute timeout, far past this).
async fn confirm(ops: &ops::Ops, rx: &mut mpsc::Receiver<Msg>, plan: ActionPlan) -> JobResult {
    ops.send(Command::Execute {
        plan: Box::new(plan),
        typed: None,
    });
    let finished = async {
        loop {
            match rx.recv().await {
                Some(Msg::Ops(OpsEvent::JobFinished { result, .. })) => return result,
                Some(Msg::Ops(OpsEvent::Refused { what, reason })) => {
                    panic!("{what} refused: {reason}")
                }
                Some(_) => {}
                None => panic!("ops stopped"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), finished)
        .await
        .expect("the job finished within a minute")
}

fn deployment(sim: &SimCluster, name: &str) -> Value {
    sim.object("apps/v1/deployments", Some("default"), name)
        .unwrap()
}

fn image(obj: &Value) -> String {
    obj["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn db() -> WorkloadRef {
    WorkloadRef {
        kind: WorkloadKind::StatefulSet,
        name: "db".into(),
        ..web()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_planned_before_someone_elses_rollout_is_refused() {
    let sim = start(world()).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (ops, mut rx, p) = plan(
        ctx(&dir, &sim),
        ActionRequest::Rollback {
            workload: web(),
            to_revision: None,
        },
    )
    .await;
    assert_eq!(p.parameters["images"], "web:1.1 → web:1.0");
    // Someone else rolls out 1.2 while the plan waits for its confirmation.
    kubectl
        .ok(&[
            "set",
            "image",
            "deployment/web",
            "web=registry.local/web:1.2",
        ])
        .await;
    settled(&sim, &kubectl).await;
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
    assert!(
        r.message.starts_with(&format!("deployment/web {CHANGED}: its pod template changed (images web:1.1 when planned, web:1.2 now)")),
        "{}",
        r.message
    );
    assert!(
        r.message.contains("the object has been modified"),
        "{}",
        r.message
    );
    // Their rollout stands.
    assert_eq!(image(&deployment(&sim, "web")), "registry.local/web:1.2");
    let history = kubectl.ok(&["rollout", "history", "deployment/web"]).await;
    assert_eq!(
        history
            .lines()
            .filter(|l| l.trim_start().starts_with(char::is_numeric))
            .count(),
        3,
        "{history}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statefulset_rollback_planned_before_a_set_image_is_refused() {
    let sim = start(
        world()
            .statefulset("default", "cache", 1, "redis:7.2")
            .history(&[("redis:7.0", "")]),
    )
    .await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = WorkloadRef {
        name: "cache".into(),
        ..db()
    };
    let (ops, mut rx, p) = plan(
        ctx(&dir, &sim),
        ActionRequest::Rollback {
            workload: cache,
            to_revision: None,
        },
    )
    .await;
    assert_eq!(p.parameters["images"], "redis:7.2 → redis:7.0");
    kubectl
        .ok(&["set", "image", "statefulset/cache", "cache=redis:7.4"])
        .await;
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
    assert!(
        r.message.starts_with(&format!("statefulset/cache {CHANGED}: its pod template changed (images redis:7.2 when planned, redis:7.4 now)")),
        "{}",
        r.message
    );
    let sts = sim
        .object("apps/v1/statefulsets", Some("default"), "cache")
        .unwrap();
    assert_eq!(image(&sts), "redis:7.4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scale_planned_before_an_out_of_band_scale_is_refused() {
    let sim = start(world()).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (ops, mut rx, p) = plan(
        ctx(&dir, &sim),
        ActionRequest::Scale {
            workload: web(),
            replicas: 4,
        },
    )
    .await;
    assert!(
        p.what_will_happen
            .iter()
            .any(|l| l.contains("while it still has 2 replicas")),
        "{:?}",
        p.what_will_happen
    );
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=5"])
        .await;
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
    assert!(
        r.message.starts_with(&format!(
            "deployment/web {CHANGED}: it has 5 replicas now, 2 when planned"
        )),
        "{}",
        r.message
    );
    assert_eq!(deployment(&sim, "web")["spec"]["replicas"], 5);
}

/// A Deployment like `web`, made anew by `kubectl create`.
async fn recreate_web(kubectl: &Kubectl, dir: &tempfile::TempDir) {
    kubectl.ok(&["delete", "deployment", "web"]).await;
    let path = dir.path().join("web.json");
    let manifest = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "registry.local/other:9"}]}}},
    });
    std::fs::write(&path, manifest.to_string()).unwrap();
    kubectl
        .ok(&["create", "-f", &path.display().to_string()])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_of_a_deployment_deleted_and_created_again_is_refused() {
    let sim = start(world()).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let planned_uid = deployment(&sim, "web")["metadata"]["uid"].clone();
    let (ops, mut rx, p) = plan(ctx(&dir, &sim), ActionRequest::Restart { workload: web() }).await;
    recreate_web(&kubectl, &dir).await;
    let now = deployment(&sim, "web");
    assert_ne!(now["metadata"]["uid"], planned_uid);
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
    assert!(
        r.message.starts_with(&format!(
            "deployment/web {CHANGED}: it was deleted and created again under the same name"
        )),
        "{}",
        r.message
    );
    let after = deployment(&sim, "web");
    assert!(
        after
            .pointer("/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt")
            .is_none(),
        "the new deployment was not restarted: {after}"
    );
    // Its controller writes status; nobody wrote its spec.
    assert_eq!(after["metadata"]["generation"], 1, "{after}");
    assert_eq!(after["metadata"]["uid"], now["metadata"]["uid"]);
}

fn pod(sim: &SimCluster, name: &str) -> Option<Value> {
    sim.object("v1/pods", Some("default"), name)
}

fn uid(v: &Value) -> String {
    v["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_delete_never_deletes_a_replacement_of_the_same_name() {
    let sim = start(world()).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let planned = uid(&pod(&sim, "db-0").unwrap());
    let (ops, mut rx, p) = plan(
        ctx(&dir, &sim),
        ActionRequest::DeletePod {
            workload: db(),
            pod: "db-0".into(),
        },
    )
    .await;
    // Someone else deletes it first; the StatefulSet makes a new db-0.
    kubectl.ok(&["delete", "pod", "db-0"]).await;
    let replacement = eventually(WAIT, "a new db-0", || async {
        pod(&sim, "db-0")
            .filter(|p| uid(p) != planned)
            .map(|p| uid(&p))
    })
    .await;
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
    assert!(
        r.message.starts_with(&format!(
            "pod/db-0 {CHANGED}: it was deleted and created again under the same name"
        )),
        "{}",
        r.message
    );
    assert!(
        r.message.contains("the UID in the precondition"),
        "{}",
        r.message
    );
    let now = pod(&sim, "db-0").expect("the replacement is still there");
    assert_eq!(uid(&now), replacement);
    assert!(now["metadata"].get("deletionTimestamp").is_none(), "{now}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statefulset_pod_delete_follows_the_pod_by_uid() {
    let sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let old = uid(&pod(&sim, "db-0").unwrap());
    let (ops, mut rx, p) = plan(
        ctx(&dir, &sim),
        ActionRequest::DeletePod {
            workload: db(),
            pod: "db-0".into(),
        },
    )
    .await;
    // The StatefulSet makes db-0 again at once: waiting for the name to
    // vanish would wait out the 5-minute timeout.
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:?}");
    let new = pod(&sim, "db-0").expect("a new db-0");
    assert_ne!(uid(&new), old);
    let short = |u: &str| u.split('-').next().unwrap_or_default().to_string();
    assert!(
        r.message.contains(&format!(
            "pod db-0 (uid {}) deleted; it is gone and its replacement db-0 (uid {}) is ready",
            short(&old),
            short(&uid(&new))
        )),
        "{}",
        r.message
    );
}

/// The precondition is about what each change relies on: status churn,
/// a scale (an HPA's, say) or an annotation do not make a restart, a
/// rollback or a scale wrong, and they run against the new version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_a_plan_does_not_rely_on_do_not_refuse_it() {
    let sim = start(world()).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rv = |sim: &SimCluster| deployment(sim, "web")["metadata"]["resourceVersion"].clone();

    let (ops, mut rx, p) = plan(ctx(&dir, &sim), ActionRequest::Restart { workload: web() }).await;
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=3"])
        .await;
    assert_ne!(rv(&sim), p.parameters["resourceVersion"].as_str());
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(
        r.outcome,
        Outcome::Succeeded,
        "restart after a scale: {r:?}"
    );
    assert!(
        deployment(&sim, "web")
            .pointer("/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt")
            .is_some()
    );

    let (ops, mut rx, p) = plan(
        ctx(&dir, &sim),
        ActionRequest::Scale {
            workload: web(),
            replicas: 4,
        },
    )
    .await;
    kubectl
        .ok(&["annotate", "deployment/web", "team=payments"])
        .await;
    assert_ne!(rv(&sim), p.parameters["resourceVersion"].as_str());
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(
        r.outcome,
        Outcome::Succeeded,
        "scale after an annotation: {r:?}"
    );
    assert_eq!(deployment(&sim, "web")["spec"]["replicas"], 4);

    let (ops, mut rx, p) = plan(
        ctx(&dir, &sim),
        ActionRequest::Rollback {
            workload: web(),
            to_revision: Some(1),
        },
    )
    .await;
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=2"])
        .await;
    assert_ne!(rv(&sim), p.parameters["resourceVersion"].as_str());
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(
        r.outcome,
        Outcome::Succeeded,
        "rollback after a scale: {r:?}"
    );
    let d = deployment(&sim, "web");
    assert_eq!(
        (image(&d).as_str(), d["spec"]["replicas"].as_i64()),
        ("registry.local/web:1.0", Some(2))
    );
}

/// Pausing is what a restart relies on besides the object itself: the
/// check is part of the conditional write, not a read before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_planned_before_a_pause_is_refused() {
    let sim = start(world()).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (ops, mut rx, p) = plan(ctx(&dir, &sim), ActionRequest::Restart { workload: web() }).await;
    kubectl.ok(&["rollout", "pause", "deployment/web"]).await;
    let r = confirm(&ops, &mut rx, p).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
    assert!(
        r.message
            .starts_with(&format!("deployment/web {CHANGED}: it has been paused")),
        "{}",
        r.message
    );
    assert!(
        deployment(&sim, "web")
            .pointer("/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt")
            .is_none()
    );
}
