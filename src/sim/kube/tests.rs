//! Controller behaviour over simulated time, without HTTP: worlds are
//! materialized, then changed like a user would and stepped on a frozen
//! clock while invariants are checked at every step.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::clock::Clock;
use super::controllers::Controllers;
use super::controllers::pods::{is_active, is_ready};
use super::defaults;
use super::materialize::materialize;
use super::resources::Res;
use super::store::Store;
use super::util;
use super::world::{Crash, World};

struct Harness {
    store: Store,
    ctl: Controllers,
    clock: Arc<Clock>,
}

impl Harness {
    fn new(world: World) -> Harness {
        let clock = Arc::new(Clock::new(1.0));
        let mut store = Store::new(clock.clone(), world.seed);
        let mut ctl = Controllers::new();
        materialize(&world, &mut store, &mut ctl, &clock);
        clock.freeze_at(clock.now());
        Harness { store, ctl, clock }
    }

    fn step(&mut self, ms: i64) {
        self.clock.freeze_at(self.clock.now() + ms);
        self.ctl.tick(&mut self.store);
    }

    /// Steps until `done` (checking `each` on every step); false on timeout.
    fn run(
        &mut self,
        max_ms: i64,
        mut each: impl FnMut(&Store),
        done: impl Fn(&Store) -> bool,
    ) -> bool {
        let mut t = 0;
        while t < max_ms {
            self.step(250);
            each(&self.store);
            if done(&self.store) {
                return true;
            }
            t += 250;
        }
        false
    }

    fn update(&mut self, res: Res, ns: &str, name: &str, f: impl FnOnce(&mut Value)) {
        let mut v = (*self.store.get(res, ns, name).expect("object")).clone();
        f(&mut v);
        defaults::apply_defaults(res, &mut v);
        defaults::validate(res, &v, self.store.get(res, ns, name).as_deref()).expect("valid");
        self.store.update(res, v).expect("update");
    }

    fn deployment(&self, name: &str) -> Arc<Value> {
        self.store
            .get(Res::Deployments, "default", name)
            .expect("deployment")
    }
}

fn pods(store: &Store, prefix: &str) -> Vec<Arc<Value>> {
    store
        .list(Res::Pods, Some("default"))
        .into_iter()
        .filter(|p| util::name(p).starts_with(prefix))
        .collect()
}

fn image(v: &Value) -> &str {
    util::s(v, "/spec/containers/0/image")
}

fn complete(store: &Store, name: &str) -> bool {
    let d = store.get(Res::Deployments, "default", name).unwrap();
    let r = util::i(&d, "/spec/replicas");
    util::i(&d, "/status/observedGeneration") >= util::i(&d, "/metadata/generation")
        && util::i(&d, "/status/updatedReplicas") == r
        && util::i(&d, "/status/replicas") == r
        && util::i(&d, "/status/availableReplicas") == r
}

fn set_image(img: &'static str) -> impl FnOnce(&mut Value) {
    move |d: &mut Value| d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(img)
}

#[test]
fn rolling_update_stays_within_surge_and_unavailable() {
    let world = World::empty()
        .node("n1")
        .node("n2")
        .deployment("default", "web", 4, "nginx:1.25")
        .strategy(
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}),
        )
        .ready_after(Duration::from_secs(3));
    let mut h = Harness::new(world);
    assert!(complete(&h.store, "web"));
    h.update(Res::Deployments, "default", "web", set_image("nginx:1.26"));
    let mut max_total = 0;
    let mut min_ready = usize::MAX;
    let done = h.run(
        120_000,
        |s| {
            let ps = pods(s, "web-");
            let active: Vec<_> = ps.iter().filter(|p| is_active(p)).collect();
            max_total = max_total.max(active.len());
            min_ready = min_ready.min(active.iter().filter(|p| is_ready(p)).count());
        },
        |s| {
            complete(s, "web")
                && pods(s, "web-")
                    .iter()
                    .all(|p| image(p) == "nginx:1.26" && is_active(p))
        },
    );
    assert!(done, "rollout finished");
    assert!(
        max_total <= 5,
        "maxSurge 1: at most 5 pods, saw {max_total}"
    );
    assert!(
        min_ready >= 4,
        "maxUnavailable 0: at least 4 ready, saw {min_ready}"
    );
    let d = h.deployment("web");
    assert_eq!(
        util::annotation(&d, "deployment.kubernetes.io/revision"),
        Some("2")
    );
}

#[test]
fn recreate_never_runs_old_and_new_together() {
    let world = World::empty()
        .node("n1")
        .deployment("default", "job", 3, "busybox:1.35")
        .strategy(json!({"type": "Recreate"}));
    let mut h = Harness::new(world);
    h.update(
        Res::Deployments,
        "default",
        "job",
        set_image("busybox:1.36"),
    );
    let mut overlap = false;
    let done = h.run(
        120_000,
        |s| {
            let ps = pods(s, "job-");
            let old = ps.iter().any(|p| image(p) == "busybox:1.35");
            let new = ps.iter().any(|p| image(p) == "busybox:1.36");
            overlap |= old && new;
        },
        |s| complete(s, "job") && pods(s, "job-").len() == 3,
    );
    assert!(done);
    assert!(
        !overlap,
        "Recreate must stop old pods before starting new ones"
    );
}

#[test]
fn revision_history_limit_prunes_old_replicasets() {
    let world = World::empty()
        .node("n1")
        .deployment("default", "web", 1, "nginx:1.0")
        .revision_history_limit(2);
    let mut h = Harness::new(world);
    for img in ["nginx:1.1", "nginx:1.2", "nginx:1.3", "nginx:1.4"] {
        h.update(Res::Deployments, "default", "web", set_image(img));
        assert!(h.run(60_000, |_| {}, |s| complete(s, "web")), "{img}");
        h.step(1000);
        h.step(1000);
    }
    let rss = h.store.list(Res::ReplicaSets, Some("default"));
    let mut revs: Vec<&str> = rss
        .iter()
        .map(|r| util::annotation(r, "deployment.kubernetes.io/revision").unwrap())
        .collect();
    revs.sort();
    assert_eq!(revs, ["3", "4", "5"]);
}

#[test]
fn hpa_scales_up_to_max_and_reports_status() {
    let world = World::empty()
        .node("n1")
        .deployment("default", "web", 2, "nginx:1.25")
        .hpa(2, 5, 50)
        .cpu_utilization(200);
    let mut h = Harness::new(world);
    let done = h.run(
        120_000,
        |_| {},
        |s| {
            s.get(Res::Deployments, "default", "web")
                .is_some_and(|d| util::i(&d, "/spec/replicas") == 5)
        },
    );
    assert!(done, "HPA scaled to max");
    h.run(30_000, |_| {}, |_| false);
    let hpa = h.store.get(Res::Hpas, "default", "web").unwrap();
    assert_eq!(util::i(&hpa, "/status/desiredReplicas"), 5);
    assert_eq!(
        util::i(
            &hpa,
            "/status/currentMetrics/0/resource/current/averageUtilization"
        ),
        200
    );
    let limited = super::controllers::get_condition(&hpa["status"], "ScalingLimited").unwrap();
    assert_eq!(util::s(limited, "/reason"), "TooManyReplicas");
    assert!(complete(&h.store, "web"));
}

#[test]
fn cordoned_node_gets_no_new_pods_and_pending_pods_wait() {
    let world = World::empty()
        .node("n1")
        .node_with("n2", |n| n.unschedulable = true)
        .deployment("default", "web", 4, "nginx:1.25");
    let mut h = Harness::new(world);
    let ps = pods(&h.store, "web-");
    assert!(ps.iter().all(|p| util::s(p, "/spec/nodeName") == "n1"));
    let n2 = h.store.get(Res::Nodes, "", "n2").unwrap();
    assert_eq!(
        util::s(&n2, "/spec/taints/0/key"),
        "node.kubernetes.io/unschedulable"
    );
    h.update(Res::Nodes, "", "n1", |n| {
        n["spec"]["unschedulable"] = json!(true)
    });
    h.update(Res::Deployments, "default", "web", |d| {
        d["spec"]["replicas"] = json!(5)
    });
    h.run(10_000, |_| {}, |_| false);
    let pending: Vec<_> = pods(&h.store, "web-")
        .into_iter()
        .filter(|p| util::s(p, "/status/phase") == "Pending")
        .collect();
    assert_eq!(pending.len(), 1);
    let msg = util::s(&pending[0], "/status/conditions/0/message");
    assert!(
        msg.starts_with("0/2 nodes are available: 2 node(s) were unschedulable."),
        "{msg}"
    );
}

#[test]
fn demo_world_is_settled_with_history_crash_loop_and_stall() {
    let mut h = Harness::new(World::demo());
    let rss: Vec<_> = h
        .store
        .list(Res::ReplicaSets, Some("shop"))
        .into_iter()
        .filter(|r| util::name(r).starts_with("api-"))
        .collect();
    let mut causes: Vec<(String, String)> = rss
        .iter()
        .map(|r| {
            (
                util::annotation(r, "deployment.kubernetes.io/revision")
                    .unwrap_or("")
                    .to_string(),
                util::s(&r["spec"]["template"], "/spec/containers/0/image").to_string(),
            )
        })
        .collect();
    causes.sort();
    assert_eq!(
        causes,
        [
            ("1".to_string(), "registry.local/api:1.4.0".to_string()),
            ("2".to_string(), "registry.local/api:1.4.1".to_string()),
            ("3".to_string(), "registry.local/api:1.4.2".to_string()),
            ("4".to_string(), "registry.local/api:1.4.3".to_string())
        ]
    );
    assert!(
        rss.iter()
            .all(|r| util::annotation(r, "kubernetes.io/change-cause").is_some())
    );
    let ml = h.store.list(Res::Pods, Some("ml"));
    assert_eq!(ml.len(), 1);
    let cs = &ml[0]["status"]["containerStatuses"][0];
    assert!(util::i(cs, "/restartCount") >= 5, "{cs}");
    assert_eq!(util::s(cs, "/lastState/terminated/reason"), "OOMKilled");
    assert_eq!(cs["ready"], false);
    for _ in 0..8 {
        h.step(500);
    }
    let worker: Vec<_> = h
        .store
        .list(Res::Pods, Some("default"))
        .into_iter()
        .filter(|p| util::name(p).starts_with("worker-"))
        .collect();
    assert_eq!(worker.len(), 3, "two old pods and one never-ready new one");
    assert_eq!(worker.iter().filter(|p| is_ready(p)).count(), 2);
    for ns in ["shop", "monitoring"] {
        // The backup CronJob's last run is over: its pod is Completed.
        let (done, running): (Vec<_>, Vec<_>) = h
            .store
            .list(Res::Pods, Some(ns))
            .into_iter()
            .partition(|p| util::s(p, "/status/phase") == "Succeeded");
        for p in running {
            assert!(is_ready(&p), "{} not ready", util::name(&p));
        }
        let backups = usize::from(ns == "shop");
        assert_eq!(done.len(), backups, "{ns}: completed pods");
    }
    assert_eq!(
        h.store
            .list(Res::Pods, Some("monitoring"))
            .iter()
            .filter(|p| util::name(p).starts_with("node-exporter-"))
            .count(),
        3
    );
    assert!(
        h.store
            .get(Res::Hpas, "shop", "web-client")
            .is_some_and(|x| util::i(&x, "/status/currentReplicas") >= 2)
    );
    // The stalled rollout hits its 60s deadline.
    assert!(h.run(
        90_000,
        |_| {},
        |s| {
            let d = s.get(Res::Deployments, "default", "worker").unwrap();
            super::controllers::get_condition(&d["status"], "Progressing")
                .is_some_and(|c| util::s(c, "/reason") == "ProgressDeadlineExceeded")
        }
    ));
    let _ = Crash::Error;
}

#[test]
fn demo_world_has_a_recent_rollout_and_a_blue_green_pair() {
    let h = Harness::new(World::demo());
    let now = h.clock.now();
    let created = |r: &Value| {
        super::clock::parse_time(util::s(r, "/metadata/creationTimestamp")).unwrap_or(0)
    };
    let api_rss = h.store.list(Res::ReplicaSets, Some("shop"));
    let newest = api_rss
        .iter()
        .filter(|r| util::name(r).starts_with("api-"))
        .max_by_key(|r| created(r))
        .unwrap();
    assert_eq!(
        util::s(newest, "/spec/template/spec/containers/0/image"),
        "registry.local/api:1.4.3"
    );
    let ago = now - created(newest);
    assert!(
        (4 * 60_000..4 * 60_000 + 5_000).contains(&ago),
        "{ago}ms ago"
    );
    let api = h.store.get(Res::Deployments, "shop", "api").unwrap();
    assert_eq!(
        util::annotation(&api, "kubernetes.io/change-cause"),
        Some("kubectl set image deployment/api api=registry.local/api:1.4.3")
    );
    let managers: Vec<(&str, &str)> = api["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (util::s(e, "/manager"), util::s(e, "/subresource")))
        .collect();
    for m in [
        ("kubectl-create", ""),
        ("kubectl-set", ""),
        ("kube-controller-manager", ""),
        ("kube-controller-manager", "status"),
    ] {
        assert!(managers.contains(&m), "{m:?} in {managers:?}");
    }
    // Blue-green: no Service per Deployment, one selecting blue.
    assert!(
        h.store
            .get(Res::Services, "shop", "doorbell-blue")
            .is_none()
    );
    assert!(
        h.store
            .get(Res::Services, "shop", "doorbell-green")
            .is_none()
    );
    let ips = |slot: &str| {
        let mut v: Vec<String> = h
            .store
            .list(Res::Pods, Some("shop"))
            .iter()
            .filter(|p| util::label(p, "slot") == Some(slot) && is_ready(p))
            .map(|p| util::s(p, "/status/podIP").to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ips("blue").len(), 2);
    assert_eq!(ips("green").len(), 2);
    let ep = h.store.get(Res::Endpoints, "shop", "doorbell").unwrap();
    let mut listed: Vec<String> = ep["subsets"][0]["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| util::s(a, "/ip").to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, ips("blue"));
    assert_eq!(
        ep["subsets"][0]["ports"],
        json!([{"name": "http", "port": 8080, "protocol": "TCP"}])
    );
    let svc = h.store.get(Res::Services, "shop", "doorbell").unwrap();
    let blue = h
        .store
        .get(Res::Deployments, "shop", "doorbell-blue")
        .unwrap();
    assert_eq!(created(&svc), created(&blue));
    assert_eq!(
        blue["spec"]["selector"]["matchLabels"],
        json!({"app": "doorbell", "slot": "blue"})
    );
}

#[test]
fn endpoints_follow_a_service_selector_and_go_with_the_service() {
    let mut h = Harness::new(
        World::empty()
            .node("n1")
            .deployment("default", "a", 2, "nginx:1")
            .selector(&[("app", "x"), ("slot", "a")])
            .deployment("default", "b", 1, "nginx:1")
            .selector(&[("app", "x"), ("slot", "b")])
            .service("default", "x", &[("app", "x"), ("slot", "a")], 80),
    );
    let count = |s: &Store| {
        s.get(Res::Endpoints, "default", "x")
            .and_then(|e| e["subsets"][0]["addresses"].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    assert_eq!(count(&h.store), 2);
    h.update(Res::Services, "default", "x", |s| {
        s["spec"]["selector"]["slot"] = json!("b");
    });
    h.step(100);
    assert_eq!(count(&h.store), 1);
    let rv = util::s(
        &h.store.get(Res::Endpoints, "default", "x").unwrap(),
        "/metadata/resourceVersion",
    )
    .to_string();
    h.step(100);
    h.step(100);
    let again = h.store.get(Res::Endpoints, "default", "x").unwrap();
    assert_eq!(
        util::s(&again, "/metadata/resourceVersion"),
        rv,
        "unchanged: not written"
    );
    h.store.delete(Res::Services, "default", "x");
    h.step(100);
    assert!(h.store.get(Res::Endpoints, "default", "x").is_none());
}

#[test]
fn scale_world_starts_settled() {
    let h = Harness::new(World::scale(20, 5, 4));
    let ps = h.store.list(Res::Pods, None);
    assert_eq!(ps.len(), 100);
    assert!(ps.iter().all(|p| is_ready(p)));
    let nodes: std::collections::HashSet<&str> =
        ps.iter().map(|p| util::s(p, "/spec/nodeName")).collect();
    assert_eq!(nodes.len(), 4);
}
