//! The fault matrix for the Kubernetes source, against the simulated API
//! server (judged by the real kubectl where a change is made): the API
//! server down and back, a 410 mid-watch after a restart with a new
//! history, 403 on one resource, 500s, a hanging watch. For each: what the
//! board shows while the fault lasts (in words, rows stale), and that the
//! source comes back by itself once it ends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::time::{Duration, SystemTime};

use kube_support::{Kubectl, snapshot_where, start, watch};
use opsboard::app::{Banner, Keymap, Msg, OpsEvent, State, join};
use opsboard::clients::kube::KubeSettings;
use opsboard::model::{
    ActionPlan, ActionRequest, ClusterSnapshot, Health, JobResult, Outcome, ResourceStatus,
    Service, WorkloadRef,
};
use opsboard::ops::kube::follow;
use opsboard::ops::{self, Command, OpsContext};
use opsboard::sim::kube::{SimCluster, World};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(45);

fn world() -> World {
    World::empty()
        .node("node-1")
        .namespace("default")
        .deployment("default", "web", 2, "registry.local/web:1.1")
        .statefulset("default", "db", 1, "postgres:16.2")
}

fn settings(dir: &tempfile::TempDir, sim: &SimCluster, watch_timeout: Duration) -> KubeSettings {
    let path = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&path, "sim").unwrap();
    KubeSettings {
        kubeconfig: Some(path),
        contexts: vec!["sim".into()],
        watch_timeout,
        ..Default::default()
    }
}

fn ready(s: &ClusterSnapshot, name: &str, n: i32) -> bool {
    s.workloads
        .iter()
        .any(|w| w.id.name == name && w.ready == n && w.desired == n)
}

fn all_ok(s: &ClusterSnapshot) -> bool {
    s.resources.iter().all(|(_, st)| *st == ResourceStatus::Ok)
}

fn status_of<'a>(s: &'a ClusterSnapshot, resource: &str) -> &'a ResourceStatus {
    &s.resources.iter().find(|(r, _)| r == resource).unwrap().1
}

/// The board as the user sees it after `snap`: the `web` row's status and
/// reason, and the notice line.
fn board_after(snap: &ClusterSnapshot) -> (Health, String, String) {
    let mut row = Service::new("web");
    row.kube_binding = Some(web());
    let mut state = State::new(
        vec![row],
        Keymap::default(),
        Banner::default(),
        SystemTime::now(),
    );
    join::apply_cluster(&mut state, snap.clone());
    let s = &state.services[0];
    (
        s.status(),
        s.reason().unwrap_or_default(),
        state.notice().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_away_and_back_turns_rows_stale_then_fresh() {
    let mut sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_src, mut rx) = watch(&settings(&dir, &sim, Duration::from_secs(290))).await;
    let s = snapshot_where(&mut rx, "web 2/2", |s| ready(s, "web", 2) && all_ok(s)).await;
    assert_eq!(board_after(&s).0, Health::Up);

    sim.go_away().await;
    // The open watches end first (reset/closed); the retries then find the
    // port closed.
    let away = snapshot_where(&mut rx, "every resource refused", |s| {
        s.resources.iter().all(
            |(_, st)| matches!(st, ResourceStatus::Failing(f) if f.words == "connection refused"),
        )
    })
    .await;
    let (health, reason, notice) = board_after(&away);
    assert_eq!(health, Health::Unknown, "never a green UP while away");
    assert!(
        reason.contains("k8s sim unreachable since") && reason.contains("last known state"),
        "{reason}"
    );
    assert!(
        notice.contains("API server sim: connection refused"),
        "the notice names the backend and the fault in words: {notice}"
    );
    assert!(
        !notice.contains("tcp connect") && !notice.contains("ServiceError"),
        "no raw chain in the notice: {notice}"
    );
    // The raw chain is kept for the detail.
    let ResourceStatus::Failing(f) = status_of(&away, "pods") else {
        unreachable!()
    };
    assert!(f.raw.len() > f.words.len(), "{f:?}");
    // Still away for a while: the watchers keep trying and stay failing.
    tokio::time::sleep(Duration::from_secs(4)).await;

    sim.come_back().await.unwrap();
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=3"])
        .await;
    let back = snapshot_where(&mut rx, "web 3/3 and every resource OK again", |s| {
        ready(s, "web", 3) && all_ok(s)
    })
    .await;
    let (health, reason, notice) = board_after(&back);
    assert_eq!(health, Health::Up, "{reason}");
    assert!(notice.is_empty(), "{notice}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_a_new_history_relists_every_resource() {
    let mut sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_src, mut rx) = watch(&settings(&dir, &sim, Duration::from_secs(290))).await;
    snapshot_where(&mut rx, "web 2/2", |s| ready(s, "web", 2) && all_ok(s)).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    // Away; meanwhile the history is compacted (a watch from an old
    // resourceVersion gets 410 Gone) and the cluster changes.
    sim.go_away().await;
    sim.compact();
    sim.come_back().await.unwrap();
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=1"])
        .await;
    kubectl.ok(&["delete", "statefulset/db"]).await;
    let s = snapshot_where(&mut rx, "web 1/1, db gone, all OK", |s| {
        ready(s, "web", 1) && !s.workloads.iter().any(|w| w.id.name == "db") && all_ok(s)
    })
    .await;
    assert_eq!(board_after(&s).0, Health::Up);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_one_resource_is_said_in_words_and_recovers_when_allowed() {
    let sim = start(world()).await;
    sim.forbid("events");
    let dir = tempfile::tempdir().unwrap();
    let (_src, mut rx) = watch(&settings(&dir, &sim, Duration::from_secs(290))).await;
    let s = snapshot_where(&mut rx, "events forbidden, web ready", |s| {
        ready(s, "web", 2) && matches!(status_of(s, "events"), ResourceStatus::Forbidden(_))
    })
    .await;
    let (health, _, notice) = board_after(&s);
    assert_eq!(
        health,
        Health::Up,
        "a forbidden side resource leaves rows current"
    );
    assert!(
        notice.contains("k8s sim: Forbidden: cannot list events in any namespace (RBAC)"),
        "{notice}"
    );
    sim.allow("events");
    snapshot_where(&mut rx, "events allowed again", all_ok).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundreds_mark_the_rows_stale_until_they_stop() {
    let mut sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let (_src, mut rx) = watch(&settings(&dir, &sim, Duration::from_secs(290))).await;
    snapshot_where(&mut rx, "web 2/2", |s| ready(s, "web", 2) && all_ok(s)).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    sim.fail("pods", 500);
    // Open watches end with the restart; every new pods request fails.
    sim.restart().await.unwrap();
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=3"])
        .await;
    let s = snapshot_where(
        &mut rx,
        "pods failing with HTTP 500",
        |s| matches!(status_of(s, "pods"), ResourceStatus::Failing(f) if f.words == "HTTP 500"),
    )
    .await;
    let (health, reason, notice) = board_after(&s);
    assert_eq!(health, Health::Unknown, "{reason}");
    assert!(reason.contains("last known state"), "{reason}");
    assert!(notice.contains("k8s sim: pods HTTP 500"), "{notice}");
    sim.heal("pods");
    let s = snapshot_where(&mut rx, "web 3/3 once pods answer again", |s| {
        ready(s, "web", 3) && all_ok(s)
    })
    .await;
    assert_eq!(board_after(&s).0, Health::Up);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_watch_is_given_up_and_made_again() {
    let mut sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    // Watches last 2 s here: one silent for 2 s + kube's 5 s margin is dead.
    let (_src, mut rx) = watch(&settings(&dir, &sim, Duration::from_secs(2))).await;
    snapshot_where(&mut rx, "web 2/2", |s| ready(s, "web", 2) && all_ok(s)).await;
    let Some(kubectl) = Kubectl::find(&sim) else {
        return;
    };
    // Every new deployments watch now hangs; the restart ends the open one.
    sim.hang_watches("deployments");
    sim.restart().await.unwrap();
    kubectl
        .ok(&["scale", "deployment/web", "--replicas=3"])
        .await;
    // The other resources still flow while deployments hang: the pods of
    // the new replica show up.
    snapshot_where(&mut rx, "a third web pod", |s| {
        s.workloads
            .iter()
            .any(|w| w.id.name == "web" && w.pods.len() == 3)
    })
    .await;
    sim.heal("deployments");
    snapshot_where(&mut rx, "web 3/3 once watches answer again", |s| {
        ready(s, "web", 3)
    })
    .await;
}

/// The action layer with an audit log in `dir`.
fn ops_for(dir: &tempfile::TempDir, sim: &SimCluster) -> (ops::Ops, mpsc::Receiver<Msg>) {
    let ctx = OpsContext {
        catalog: Default::default(),
        policy: Default::default(),
        audit: Some(
            opsboard::ops::audit::AuditLog::new(dir.path().join("audit.jsonl"))
                .with_head_dir(dir.path().join("heads")),
        ),
        kube: Some(settings(dir, sim, Duration::from_secs(290))),
        docker: None,
        image_history: None,
        handover: None,
    };
    let (tx, rx) = mpsc::channel(1024);
    (ops::spawn(ctx, tx), rx)
}

async fn planned(
    ops: &ops::Ops,
    rx: &mut mpsc::Receiver<Msg>,
    request: ActionRequest,
) -> ActionPlan {
    ops.send(Command::Plan(request));
    loop {
        match tokio::time::timeout(WAIT, rx.recv()).await.expect("a plan") {
            Some(Msg::Ops(OpsEvent::Planned(p))) => return p,
            Some(Msg::Ops(OpsEvent::Refused { what, reason })) => {
                panic!("{what} refused: {reason}")
            }
            Some(_) => {}
            None => panic!("ops stopped"),
        }
    }
}

async fn finished(rx: &mut mpsc::Receiver<Msg>, started: &mut bool) -> JobResult {
    loop {
        match tokio::time::timeout(Duration::from_secs(90), rx.recv())
            .await
            .expect("the job ends: no job waits for ever")
        {
            Some(Msg::Ops(OpsEvent::JobStarted { .. })) => *started = true,
            Some(Msg::Ops(OpsEvent::JobFinished { result, .. })) => return result,
            Some(_) => {}
            None => panic!("ops stopped"),
        }
    }
}

fn web() -> WorkloadRef {
    WorkloadRef::parse("sim/default/deployment/web").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_while_the_api_server_is_away_fails_at_once_and_is_audited() {
    let mut sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let (ops, mut rx) = ops_for(&dir, &sim);
    let plan = planned(&ops, &mut rx, ActionRequest::Restart { workload: web() }).await;
    sim.go_away().await;
    let asked = tokio::time::Instant::now();
    ops.send(Command::Execute {
        plan: Box::new(plan),
        typed: None,
    });
    let mut started = false;
    let r = finished(&mut rx, &mut started).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
    assert!(
        r.message.to_lowercase().contains("refused"),
        "{}",
        r.message
    );
    // Well inside the follow-up's patience: the change itself failed.
    assert!(
        asked.elapsed() < follow::LOST_AFTER,
        "{:?}",
        asked.elapsed()
    );
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let last = audit.lines().last().unwrap();
    assert!(last.to_lowercase().contains("failed"), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_that_loses_the_api_server_stops_with_the_reason() {
    let mut sim = start(world()).await;
    let dir = tempfile::tempdir().unwrap();
    let (ops, mut rx) = ops_for(&dir, &sim);
    let plan = planned(&ops, &mut rx, ActionRequest::Restart { workload: web() }).await;
    // Time stands still in the cluster: the rollout cannot finish.
    sim.set_time_scale(0.0);
    ops.send(Command::Execute {
        plan: Box::new(plan),
        typed: None,
    });
    loop {
        match tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("started")
        {
            Some(Msg::Ops(OpsEvent::JobStarted { .. })) => break,
            Some(_) => {}
            None => panic!("ops stopped"),
        }
    }
    // Let the restart be made, then the server goes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    sim.go_away().await;
    let mut started = true;
    let r = finished(&mut rx, &mut started).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
    assert!(
        r.message.contains("lost the API server") && r.message.contains("connection refused"),
        "{}",
        r.message
    );
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("lost the API server"),
        "audited with the reason"
    );
}
