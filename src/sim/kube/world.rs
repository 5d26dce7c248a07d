//! What a simulated cluster starts with: nodes, namespaces and workloads
//! (with their revision history), built fluently:
//!
//! ```
//! use std::time::Duration;
//! use opsboard::sim::kube::{Crash, World};
//! let w = World::empty()
//!     .node("n1")
//!     .deployment("default", "web", 3, "nginx:1.25")
//!     .ready_after(Duration::from_secs(3))
//!     .deployment("default", "batch", 1, "busybox:1.36")
//!     .crash(Crash::OomKilled);
//! # let _ = w;
//! ```
//!
//! Modifiers (`ready_after`, `history`, `crash`, …) apply to the workload
//! added last. The initial state is settled (pods running, history rolled
//! out in the past); `rollout_to` and `stalled_rollout` start when the
//! cluster starts.

use std::time::Duration;

use serde_json::Value;

use super::resources::Res;

#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub name: String,
    pub cpu: u32,
    pub memory_gib: u32,
    pub ready: bool,
    pub unschedulable: bool,
    pub memory_pressure: bool,
    pub disk_pressure: bool,
    pub pid_pressure: bool,
    pub control_plane: bool,
    pub labels: Vec<(String, String)>,
}

impl NodeSpec {
    pub fn new(name: &str) -> NodeSpec {
        NodeSpec {
            name: name.to_string(),
            cpu: 4,
            memory_gib: 16,
            ready: true,
            unschedulable: false,
            memory_pressure: false,
            disk_pressure: false,
            pid_pressure: false,
            control_plane: false,
            labels: vec![],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

/// How a crash-looping container dies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    OomKilled,
    Error,
}

/// One pod template version.
#[derive(Debug, Clone)]
pub struct Revision {
    pub image: String,
    pub change_cause: Option<String>,
    pub template_annotations: Vec<(String, String)>,
}

impl Revision {
    pub fn new(image: &str) -> Revision {
        Revision {
            image: image.to_string(),
            change_cause: None,
            template_annotations: vec![],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub replicas: i64,
    /// Earlier revisions, oldest first; the current one is `current`.
    pub history: Vec<Revision>,
    pub current: Revision,
    /// Annotations of every revision's pod template (sim behaviour).
    pub template_annotations: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub age: Duration,
    pub paused: bool,
    pub progress_deadline_seconds: Option<i64>,
    pub min_ready_seconds: i64,
    pub revision_history_limit: Option<i64>,
    /// `spec.strategy` (Deployments) or `spec.updateStrategy`, raw.
    pub strategy: Option<Value>,
    /// A revision rolled out when the cluster starts.
    pub pending: Option<Revision>,
    /// Container port; also creates a Service.
    pub port: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct HpaSpec {
    pub namespace: String,
    pub target: String,
    pub target_kind: WorkloadKind,
    pub min: i64,
    pub max: i64,
    pub cpu_target: i64,
    /// Pins the simulated per-pod CPU utilization (percent).
    pub cpu_utilization: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub nodes: Vec<NodeSpec>,
    pub namespaces: Vec<String>,
    pub workloads: Vec<Workload>,
    pub hpas: Vec<HpaSpec>,
    /// Arbitrary extra objects, created as-is (defaulted) at the start.
    pub objects: Vec<(Res, Value)>,
    /// Watch events kept for resuming watches.
    pub history_limit: usize,
}

impl Default for World {
    fn default() -> World {
        World::empty()
    }
}

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

impl World {
    /// No nodes, only the built-in namespaces.
    pub fn empty() -> World {
        World {
            seed: 1,
            nodes: vec![],
            namespaces: vec![],
            workloads: vec![],
            hpas: vec![],
            objects: vec![],
            history_limit: super::store::DEFAULT_HISTORY,
        }
    }

    pub fn seed(mut self, seed: u64) -> World {
        self.seed = seed;
        self
    }

    pub fn history_limit(mut self, events: usize) -> World {
        self.history_limit = events;
        self
    }

    pub fn node(mut self, name: &str) -> World {
        self.nodes.push(NodeSpec::new(name));
        self
    }

    /// A node with adjustments (`ready = false`, `unschedulable`, pressure…).
    pub fn node_with(mut self, name: &str, f: impl FnOnce(&mut NodeSpec)) -> World {
        let mut n = NodeSpec::new(name);
        f(&mut n);
        self.nodes.push(n);
        self
    }

    pub fn namespace(mut self, name: &str) -> World {
        if !self.namespaces.iter().any(|n| n == name) {
            self.namespaces.push(name.to_string());
        }
        self
    }

    fn workload(
        mut self,
        kind: WorkloadKind,
        ns: &str,
        name: &str,
        replicas: i64,
        image: &str,
    ) -> World {
        self = self.namespace(ns);
        self.workloads.push(Workload {
            kind,
            namespace: ns.to_string(),
            name: name.to_string(),
            replicas,
            history: vec![],
            current: Revision::new(image),
            template_annotations: vec![],
            labels: vec![],
            age: Duration::from_secs(DAY),
            paused: false,
            progress_deadline_seconds: None,
            min_ready_seconds: 0,
            revision_history_limit: None,
            strategy: None,
            pending: None,
            port: None,
        });
        self
    }

    /// A Deployment whose container is named like the Deployment and whose
    /// pods are labelled `app=<name>`.
    pub fn deployment(self, ns: &str, name: &str, replicas: i64, image: &str) -> World {
        self.workload(WorkloadKind::Deployment, ns, name, replicas, image)
    }

    pub fn statefulset(self, ns: &str, name: &str, replicas: i64, image: &str) -> World {
        self.workload(WorkloadKind::StatefulSet, ns, name, replicas, image)
    }

    pub fn daemonset(self, ns: &str, name: &str, image: &str) -> World {
        self.workload(WorkloadKind::DaemonSet, ns, name, 0, image)
    }

    /// An autoscaling/v2 HPA on CPU for the workload added last.
    pub fn hpa(mut self, min: i64, max: i64, cpu_target: i64) -> World {
        if let Some(w) = self.workloads.last() {
            self.hpas.push(HpaSpec {
                namespace: w.namespace.clone(),
                target: w.name.clone(),
                target_kind: w.kind,
                min,
                max,
                cpu_target,
                cpu_utilization: None,
            });
        }
        self
    }

    /// Pins the simulated CPU utilization of the HPA added last.
    pub fn cpu_utilization(mut self, percent: i64) -> World {
        if let Some(h) = self.hpas.last_mut() {
            h.cpu_utilization = Some(percent);
        }
        self
    }

    /// Adds an arbitrary object (e.g. a Service or a bare Pod).
    pub fn object(mut self, res: Res, obj: Value) -> World {
        self.objects.push((res, obj));
        self
    }

    /// Changes the workload added last.
    pub fn with(mut self, f: impl FnOnce(&mut Workload)) -> World {
        if let Some(w) = self.workloads.last_mut() {
            f(w);
        }
        self
    }

    pub fn template_annotation(self, key: &str, value: &str) -> World {
        self.with(|w| w.template_annotations.push((key.into(), value.into())))
    }

    pub fn label(self, key: &str, value: &str) -> World {
        self.with(|w| w.labels.push((key.into(), value.into())))
    }

    pub fn ready_after(self, d: Duration) -> World {
        self.template_annotation(super::ANN_READY_AFTER, &format!("{}ms", d.as_millis()))
    }

    pub fn crash(self, how: Crash) -> World {
        let v = match how {
            Crash::OomKilled => "oom",
            Crash::Error => "error",
        };
        self.template_annotation(super::ANN_CRASH, v)
    }

    pub fn never_ready(self) -> World {
        self.template_annotation(super::ANN_NEVER_READY, "true")
    }

    /// Earlier revisions `(image, change-cause)`, oldest first.
    pub fn history(self, revisions: &[(&str, &str)]) -> World {
        self.with(|w| {
            w.history = revisions
                .iter()
                .map(|(image, cause)| Revision {
                    image: image.to_string(),
                    change_cause: (!cause.is_empty()).then(|| cause.to_string()),
                    template_annotations: vec![],
                })
                .collect();
        })
    }

    /// The change-cause of the current revision.
    pub fn change_cause(self, cause: &str) -> World {
        self.with(|w| w.current.change_cause = Some(cause.to_string()))
    }

    pub fn age(self, age: Duration) -> World {
        self.with(|w| w.age = age)
    }

    pub fn paused(self) -> World {
        self.with(|w| w.paused = true)
    }

    pub fn progress_deadline(self, seconds: i64) -> World {
        self.with(|w| w.progress_deadline_seconds = Some(seconds))
    }

    pub fn min_ready_seconds(self, seconds: i64) -> World {
        self.with(|w| w.min_ready_seconds = seconds)
    }

    pub fn revision_history_limit(self, n: i64) -> World {
        self.with(|w| w.revision_history_limit = Some(n))
    }

    /// `spec.strategy` of a Deployment (or `updateStrategy`), raw JSON.
    pub fn strategy(self, strategy: Value) -> World {
        self.with(|w| w.strategy = Some(strategy))
    }

    pub fn port(self, port: u16) -> World {
        self.with(|w| w.port = Some(port))
    }

    /// Rolls out `image` when the cluster starts.
    pub fn rollout_to(self, image: &str) -> World {
        self.with(|w| w.pending = Some(Revision::new(image)))
    }

    /// Rolls out `image` when the cluster starts, with pods that never
    /// become ready: the rollout stalls (and exceeds its progress deadline).
    pub fn stalled_rollout(self, image: &str) -> World {
        self.with(|w| {
            let mut r = Revision::new(image);
            r.template_annotations
                .push((super::ANN_NEVER_READY.into(), "true".into()));
            w.pending = Some(r);
        })
    }

    /// Three nodes, namespaces default/shop/ml/monitoring and a dozen
    /// workloads with history, a crash loop, a stalled rollout and an HPA.
    pub fn demo() -> World {
        let h = |n: u64| Duration::from_secs(n * HOUR);
        let d = |n: u64| Duration::from_secs(n * DAY);
        World::empty()
            .seed(7)
            .node_with("node-1", |n| n.control_plane = true)
            .node("node-2")
            .node("node-3")
            .namespace("default")
            .namespace("shop")
            .namespace("ml")
            .namespace("monitoring")
            .deployment("shop", "web-client", 2, "registry.local/web-client:2.3.1")
            .port(8080)
            .age(d(9))
            .history(&[("registry.local/web-client:2.3.0", "release 2.3.0")])
            .change_cause("release 2.3.1")
            .hpa(2, 6, 70)
            .deployment("shop", "api", 3, "registry.local/api:1.4.2")
            .port(8080)
            .age(d(21))
            .ready_after(Duration::from_secs(4))
            .history(&[
                (
                    "registry.local/api:1.4.0",
                    "kubectl create deployment api --image=registry.local/api:1.4.0",
                ),
                (
                    "registry.local/api:1.4.1",
                    "kubectl set image deployment/api api=registry.local/api:1.4.1",
                ),
            ])
            .change_cause("kubectl set image deployment/api api=registry.local/api:1.4.2")
            .statefulset("shop", "redis", 1, "redis:7.2.4")
            .port(6379)
            .age(d(30))
            .statefulset("shop", "postgres", 1, "postgres:16.2")
            .port(5432)
            .age(d(30))
            .ready_after(Duration::from_secs(6))
            .deployment("ml", "ml-service", 1, "registry.local/ml-service:0.9.0")
            .port(8000)
            .age(Duration::from_secs(50 * 60))
            .crash(Crash::OomKilled)
            .deployment("default", "worker", 2, "registry.local/worker:1.4.2")
            .age(d(5))
            .progress_deadline(60)
            .stalled_rollout("registry.local/worker:1.5.0")
            .deployment("default", "nginx", 2, "nginx:1.25.3")
            .port(80)
            .age(d(12))
            .deployment("monitoring", "prometheus", 1, "prom/prometheus:v2.45.0")
            .port(9090)
            .age(d(30))
            .deployment("monitoring", "grafana", 1, "grafana/grafana:10.2.0")
            .port(3000)
            .age(h(30))
            .daemonset("monitoring", "node-exporter", "prom/node-exporter:v1.7.0")
            .port(9100)
            .age(d(30))
    }

    /// `deployments` Deployments of `pods_per` pods over `nodes` nodes in ten
    /// namespaces, settled (all pods running), for benchmarks.
    pub fn scale(deployments: usize, pods_per: usize, nodes: usize) -> World {
        let mut w = World::empty().seed(11).history_limit(200_000);
        for n in 0..nodes {
            w = w.node_with(&format!("node-{:04}", n + 1), |s| {
                s.cpu = 32;
                s.memory_gib = 128;
            });
        }
        for n in 0..deployments {
            let ns = format!("bench-{:02}", n % 10);
            w = w
                .deployment(
                    &ns,
                    &format!("app-{:04}", n + 1),
                    pods_per as i64,
                    "registry.local/app:1.0.0",
                )
                .age(Duration::from_secs(DAY));
        }
        w
    }
}
