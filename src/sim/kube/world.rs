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
//! Modifiers (`ready_after`, `history`, `crash`, `selector`,
//! `rolled_out_ago`, …) apply to the workload added last. The initial
//! state is settled (pods running, history rolled out in the past);
//! `rollout_to` and `stalled_rollout` start when the cluster starts. The
//! presets (`World::demo`, `World::scale`) are in `world_presets.rs`,
//! CronJobs (`cronjob`, `last_success_ago`, `suspended` …) in
//! `world_cron.rs`.

#[path = "world_cron.rs"]
mod cron;
pub use cron::CronJobSpec;

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
    /// Container port; also creates a Service unless `own_service` is off.
    pub port: Option<u16>,
    /// Whether `port` creates a Service named like the workload.
    pub own_service: bool,
    /// The labels identifying its pods: the selector, the pod template's
    /// and the workload's own labels. `app=<name>` unless set.
    pub selector: Vec<(String, String)>,
    /// When the current revision was rolled out, before the cluster
    /// starts (`None`: spaced evenly with the history, as the others).
    pub rolled_out_ago: Option<Duration>,
}

/// A Service selecting pods by `selector` (see [`World::service`]).
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub namespace: String,
    pub name: String,
    pub selector: Vec<(String, String)>,
    pub port: u16,
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
    /// Services besides the workloads' own.
    pub services: Vec<ServiceSpec>,
    /// CronJobs (see `world_cron.rs`).
    pub cronjobs: Vec<cron::CronJobSpec>,
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

pub(super) const HOUR: u64 = 3600;
pub(super) const DAY: u64 = 24 * HOUR;

impl World {
    /// No nodes, only the built-in namespaces.
    pub fn empty() -> World {
        World {
            seed: 1,
            nodes: vec![],
            namespaces: vec![],
            workloads: vec![],
            hpas: vec![],
            services: vec![],
            cronjobs: vec![],
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
            own_service: true,
            selector: vec![("app".to_string(), name.to_string())],
            rolled_out_ago: None,
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

    /// A ClusterIP Service `name` in `ns` on `port` (target port the same)
    /// selecting pods by `selector`, e.g. one Service in front of a
    /// blue-green pair of Deployments. It is as old as the oldest workload
    /// it selects (a day when none).
    pub fn service(mut self, ns: &str, name: &str, selector: &[(&str, &str)], port: u16) -> World {
        self = self.namespace(ns);
        self.services.push(ServiceSpec {
            namespace: ns.to_string(),
            name: name.to_string(),
            selector: selector
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            port,
        });
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

    /// The workload's `port` gets no Service of its own (see
    /// [`World::service`]).
    pub fn without_service(self) -> World {
        self.with(|w| w.own_service = false)
    }

    /// The labels identifying the workload's pods, instead of
    /// `app=<name>`: its selector's `matchLabels`, its pod template's
    /// labels and its own, e.g. `&[("app", "doorbell"), ("slot", "blue")]`
    /// for a Deployment `doorbell-blue`.
    pub fn selector(self, labels: &[(&str, &str)]) -> World {
        self.with(|w| {
            w.selector = labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        })
    }

    /// The current revision was rolled out `ago` before the cluster
    /// starts; the earlier ones are spaced evenly between the workload's
    /// creation and then.
    pub fn rolled_out_ago(self, ago: Duration) -> World {
        self.with(|w| w.rolled_out_ago = Some(ago))
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
}
