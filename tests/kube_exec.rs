//! Exec sessions in pods through the real action layer against the
//! simulated API server: planned from the pod as the server has it (its
//! container running, the Deployment behind its ReplicaSet and that
//! environment), refused in read-only mode, for a crash-looping container
//! and a container the pod does not have, and — with a test standing in
//! for the terminal — run over WebSocket to their exit code, audited.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::collections::BTreeMap;
use std::time::Duration;

use kube_support::{eventually, start};
use opsboard::app::{Msg, OpsEvent};
use opsboard::clients::kube::KubeSettings;
use opsboard::model::{ActionPlan, ActionRequest, Confirmation, ExecTarget, default_shell};
use opsboard::ops::catalog::Catalog;
use opsboard::ops::exec::Session;
use opsboard::ops::policy::{Environment, Policy};
use opsboard::ops::{self, Command, Ops, OpsContext};
use opsboard::sim::kube::{Crash, SimCluster, World};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(30);

fn world() -> World {
    World::empty()
        .node("node-1")
        .namespace("default")
        .deployment("default", "web", 1, "registry.local/web:1.1")
        .deployment("default", "crashy", 1, "registry.local/worker:2")
        .crash(Crash::OomKilled)
}

struct Harness {
    ops: Ops,
    rx: mpsc::Receiver<Msg>,
    sessions: mpsc::Receiver<Session>,
    _dir: tempfile::TempDir,
    audit: std::path::PathBuf,
}

/// The action layer with the simulated cluster as context `sim`, in
/// environment `prod` (protected when asked), and a terminal stand-in.
fn harness(sim: &SimCluster, protected: bool, read_only: bool) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&path, "sim").unwrap();
    let audit = dir.path().join("audit.jsonl");
    let catalog = Catalog {
        environment_contexts: vec![("prod".into(), vec!["sim".into()])],
        ..Default::default()
    };
    let policy = Policy {
        read_only,
        environments: BTreeMap::from([(
            "prod".to_string(),
            Environment {
                protected,
                read_only: false,
                automatic_rollback: false,
            },
        )]),
    };
    let (handover, sessions) = mpsc::channel(1);
    let ctx = OpsContext {
        catalog,
        policy,
        audit: Some(
            opsboard::ops::audit::AuditLog::new(audit.clone())
                .with_head_dir(dir.path().join("heads")),
        ),
        kube: Some(KubeSettings {
            kubeconfig: Some(path),
            contexts: vec!["sim".into()],
            ..Default::default()
        }),
        docker: None,
        image_history: None,
        handover: Some(handover),
    };
    let (tx, rx) = mpsc::channel(1024);
    Harness {
        ops: ops::spawn(ctx, tx),
        rx,
        sessions,
        _dir: dir,
        audit,
    }
}

impl Harness {
    /// The plan, or the refusal's reason.
    async fn plan(&mut self, request: ActionRequest) -> Result<ActionPlan, String> {
        self.ops.send(Command::Plan(request));
        loop {
            match tokio::time::timeout(WAIT, self.rx.recv()).await.unwrap() {
                Some(Msg::Ops(OpsEvent::Planned(p))) => return Ok(p),
                Some(Msg::Ops(OpsEvent::Refused { reason, .. })) => return Err(reason),
                Some(_) => {}
                None => panic!("ops stopped"),
            }
        }
    }

    fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

/// The first pod of a workload and its first container's name.
fn pod_of(sim: &SimCluster, prefix: &str) -> (String, String) {
    let p = sim
        .objects("pods", Some("default"))
        .into_iter()
        .find(|p| {
            p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(prefix))
        })
        .expect("a pod");
    (
        p["metadata"]["name"].as_str().unwrap().to_string(),
        p["spec"]["containers"][0]["name"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

fn shell_in(pod: &str, container: &str) -> ActionRequest {
    ActionRequest::Exec {
        target: ExecTarget::Pod {
            context: "sim".into(),
            namespace: "default".into(),
            pod: pod.into(),
            container: container.into(),
        },
        command: default_shell(),
    }
}

async fn running_pod(sim: &SimCluster, prefix: &str) -> (String, String) {
    eventually(WAIT, "a running pod", || async {
        let (pod, c) = pod_of(sim, prefix);
        let o = sim.object("v1/pods", Some("default"), &pod)?;
        o.pointer("/status/containerStatuses/0/state/running")?;
        Some((pod, c))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_is_planned_from_the_pod_and_protected_by_its_context() {
    let sim = start(world()).await;
    let (pod, container) = running_pod(&sim, "web-").await;
    let mut h = harness(&sim, true, false);
    let p = h.plan(shell_in(&pod, &container)).await.unwrap();
    assert_eq!(p.target.environment.as_deref(), Some("prod"));
    assert_eq!(p.confirmation, Confirmation::TypeName(pod.clone()));
    assert_eq!(
        p.parameters.get("workload").map(String::as_str),
        Some("sim/default/deployment/web")
    );
    assert_eq!(
        p.parameters.get("image").map(String::as_str),
        Some("registry.local/web:1.1")
    );
    assert!(
        p.what_will_happen[0].contains(&format!("container {container} of pod {pod}")),
        "{:?}",
        p.what_will_happen
    );
    // Unconfirmed by name: refused, audited.
    h.ops.send(Command::Execute {
        plan: Box::new(p),
        typed: None,
    });
    let refused = loop {
        if let Some(Msg::Ops(OpsEvent::Refused { reason, .. })) =
            tokio::time::timeout(WAIT, h.rx.recv()).await.unwrap()
        {
            break reason;
        }
    };
    assert!(
        refused.contains("protected environment `prod`"),
        "{refused}"
    );
    assert!(h.sessions.try_recv().is_err(), "no session was opened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_a_crash_loop_and_a_missing_container_are_refused() {
    let sim = start(world()).await;
    let (pod, container) = running_pod(&sim, "web-").await;
    let mut ro = harness(&sim, false, true);
    let why = ro.plan(shell_in(&pod, &container)).await.unwrap_err();
    assert!(why.contains("read-only"), "{why}");
    assert!(
        ro.audit()
            .iter()
            .any(|l| l["verb"] == "shell in" && l["outcome"] == "refused"),
        "{:?}",
        ro.audit()
    );
    let mut h = harness(&sim, false, false);
    let why = h.plan(shell_in(&pod, "sidecar")).await.unwrap_err();
    assert!(
        why.contains(&format!(
            "pod {pod} has no container sidecar (has: {container})"
        )),
        "{why}"
    );
    let why = h.plan(shell_in("web-gone", &container)).await.unwrap_err();
    assert!(
        why.contains("pod web-gone is not in namespace default"),
        "{why}"
    );
    // The crash-looping container, once it is in back-off.
    let why = eventually(WAIT, "a refusal for the crash loop", || {
        let (pod, c) = pod_of(&sim, "crashy-");
        let mut h = harness(&sim, false, false);
        async move { h.plan(shell_in(&pod, &c)).await.err() }
    })
    .await;
    assert!(why.contains("is not running"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_runs_over_websocket_to_its_exit_code_and_is_audited() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = start(world()).await;
    let (pod, container) = running_pod(&sim, "web-").await;
    let mut h = harness(&sim, false, false);
    let p = h.plan(shell_in(&pod, &container)).await.unwrap();
    h.ops.send(Command::Execute {
        plan: Box::new(p),
        typed: None,
    });
    // The test is the terminal: the session arrives, gets a size, keys
    // and reads what the shell writes.
    let mut s = tokio::time::timeout(WAIT, h.sessions.recv())
        .await
        .unwrap()
        .expect("a session handed over");
    assert!(s.title.contains(&format!("pod {pod}")), "{}", s.title);
    let mut seen = String::new();
    s.input.write_all(b"hostname\r").await.unwrap();
    let line = format!("{pod}\r\n");
    read_until(&mut s, &mut seen, |t| t.contains(&line)).await;
    // The size travels beside the keys, not in order with them: ask until
    // the shell has it.
    s.resize.send((132, 43)).unwrap();
    for _ in 0..50 {
        let prompts = seen.matches("/ # ").count();
        s.input.write_all(b"stty size\r").await.unwrap();
        read_until(&mut s, &mut seen, |t| t.matches("/ # ").count() > prompts).await;
        if seen.contains("43 132") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen.contains("43 132"), "{seen}");
    s.input.write_all(b"exit 4\r").await.unwrap();
    // The output ends, then the exit code comes from the status channel.
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(WAIT, s.output.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
    }
    let code = tokio::time::timeout(WAIT, s.exit).await.unwrap();
    assert_eq!(code, Ok(4));
    s.ended
        .send(opsboard::ops::exec::SessionEnd::Exited(4))
        .unwrap();
    let result = loop {
        if let Some(Msg::Ops(OpsEvent::JobFinished { result, .. })) =
            tokio::time::timeout(WAIT, h.rx.recv()).await.unwrap()
        {
            break result;
        }
    };
    assert_eq!(result.exit_code, Some(4));
    assert_eq!(result.message, "exited with code 4");
    let lines = h.audit();
    let outcomes: Vec<&str> = lines
        .iter()
        .filter(|l| l["verb"] == "shell in")
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["confirmed", "failed"]);
    let end = lines.last().unwrap();
    assert_eq!(end["parameters"]["pod"], pod.as_str());
    assert!(end["duration_ms"].as_u64().is_some(), "{end}");
}

/// Reads the session's output into `seen` until `done` holds.
async fn read_until(s: &mut Session, seen: &mut String, done: impl Fn(&str) -> bool) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    while !done(seen) {
        let n = tokio::time::timeout(WAIT, s.output.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("nothing more after {seen:?}"))
            .unwrap();
        assert!(n > 0, "output ended: {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}
