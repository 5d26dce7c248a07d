//! The controllers, run every tick over simulated time: kubelet and
//! scheduler (pods), ReplicaSet, Deployment, StatefulSet, DaemonSet, Job,
//! CronJob, HPA, endpoints, disruption (PodDisruptionBudgets), node
//! lifecycle and garbage collection. Their writes are
//! `kube-controller-manager`'s in managedFields (the kubelet's are
//! `kubelet`'s, the scheduler's `kube-scheduler`'s).

pub mod budget;
pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod deployment_util;
pub mod disruption;
pub mod endpoints;
pub mod events;
pub mod gc;
pub mod hpa;
pub mod job;
pub mod nodes;
pub mod pod_status;
pub mod pods;
pub mod podutil;
pub mod replicaset;
pub mod revisions;
pub mod scheduler;
pub mod statefulset;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use super::clock::SimTime;
use super::managed_fields::Writer;
use super::resources::Res;
use super::store::{Key, Store};
use super::util;

/// Controller-side state that is not part of any object.
#[derive(Default)]
pub struct Controllers {
    /// No Events are recorded while the initial world is settled…
    pub quiet: bool,
    /// …except those of its last hour (from this time on), which a real
    /// cluster would still hold: the demo starts with the events of what
    /// settled just before it.
    pub events_from: Option<SimTime>,
    /// The resourceVersion after the last tick that changed nothing.
    pub(crate) last_rv: u64,
    /// Kubelet cache: pod uid → (pod rv, node rv, next time its status
    /// changes by itself).
    pub(crate) pod_next: HashMap<String, (String, String, Option<SimTime>)>,
    /// The resourceVersion the kubelet last looked at, and its next timer.
    pub(crate) kubelet_rv: u64,
    pub(crate) next_due: Option<SimTime>,
    pub(crate) round_robin: usize,
    pub(crate) ip_counter: u64,
    pub(crate) ticks: u64,
    pub(crate) event_order: VecDeque<Key>,
    pub(crate) event_index: HashMap<(String, String, String), Key>,
    pub(crate) hpa: HashMap<String, hpa::HpaState>,
    pub(crate) failed_scheduling: HashMap<String, SimTime>,
    /// Services seen by the endpoints controller's last pass (a Service
    /// gone since takes its Endpoints with it).
    pub(crate) known_services: HashSet<Key>,
    pub(crate) cron: cronjob::CronState,
}

/// Events kept at most; older ones are deleted.
pub const MAX_EVENTS: usize = 1000;

impl Controllers {
    pub fn new() -> Controllers {
        Controllers::default()
    }

    /// One pass of every controller at the store's current time. Returns
    /// whether anything changed.
    pub fn tick(&mut self, store: &mut Store) -> bool {
        let now = store.now();
        let start_rv = store.resource_version();
        self.ticks += 1;
        let full = start_rv != self.last_rv || self.ticks.is_multiple_of(10);
        nodes::sync(self, store, now);
        if full {
            deployment::sync_all(self, store, now);
            replicaset::sync_all(self, store, now);
            statefulset::sync_all(self, store, now);
            daemonset::sync_all(self, store, now);
            job::sync_all(self, store, now);
            cronjob::sync_all(self, store, now);
            gc::sync(self, store);
            store.with_writer(Writer::controller("kube-scheduler"), |store| {
                scheduler::schedule(self, store, now);
            });
        }
        store.with_writer(Writer::controller("kubelet"), |store| {
            pods::kubelet(self, store, now);
        });
        if full {
            endpoints::sync_all(self, store);
            disruption::sync_all(self, store, now);
        }
        hpa::sync_all(self, store, now);
        let changed = store.resource_version() != start_rv;
        if !changed {
            // Nothing moved: the next tick only needs the timers.
            self.last_rv = start_rv;
        }
        changed
    }
}

impl Controllers {
    /// The earliest time a pod's status changes by itself (for settling).
    pub fn next_timer(&self) -> Option<SimTime> {
        self.next_due
    }
}

/// Objects of `res` controlled (ownerReference with controller=true) by
/// the object with `owner_uid`, in creation order.
pub fn owned(store: &Store, res: Res, ns: &str, owner_uid: &str) -> Vec<Arc<Value>> {
    let mut v: Vec<Arc<Value>> = store
        .list(res, Some(ns))
        .into_iter()
        .filter(|o| util::controller_uid(o) == Some(owner_uid))
        .collect();
    sort_by_creation(&mut v);
    v
}

pub fn sort_by_creation(v: &mut [Arc<Value>]) {
    v.sort_by(|a, b| {
        let ta = util::s(a, "/metadata/creationTimestamp");
        let tb = util::s(b, "/metadata/creationTimestamp");
        ta.cmp(tb).then_with(|| util::name(a).cmp(util::name(b)))
    });
}

/// Index of objects by their controller's UID.
pub fn index_by_owner(store: &Store, res: Res) -> HashMap<String, Vec<Arc<Value>>> {
    let mut m: HashMap<String, Vec<Arc<Value>>> = HashMap::new();
    for o in store.list(res, None) {
        if let Some(u) = util::controller_uid(&o) {
            m.entry(u.to_string()).or_default().push(o.clone());
        }
    }
    for v in m.values_mut() {
        sort_by_creation(v);
    }
    m
}

/// Sets a status condition like the controllers' `SetCondition` helpers:
/// unchanged status and reason keep the condition; unchanged status keeps
/// its lastTransitionTime. `update_time` adds `lastUpdateTime`.
pub fn set_condition(
    status: &mut Value,
    ty: &str,
    st: &str,
    reason: &str,
    message: &str,
    now: &str,
    update_time: bool,
) {
    if !status.is_object() {
        *status = serde_json::json!({});
    }
    let conds = status.as_object_mut().map(|m| {
        m.entry("conditions")
            .or_insert_with(|| Value::Array(vec![]))
    });
    let Some(conds) = conds else { return };
    if !conds.is_array() {
        *conds = Value::Array(vec![]);
    }
    let Some(list) = conds.as_array_mut() else {
        return;
    };
    let pos = list.iter().position(|c| util::s(c, "/type") == ty);
    let mut transition = now.to_string();
    if let Some(p) = pos {
        let cur = &list[p];
        if util::s(cur, "/status") == st && util::s(cur, "/reason") == reason {
            return;
        }
        if util::s(cur, "/status") == st {
            transition = util::s(cur, "/lastTransitionTime").to_string();
        }
        list.remove(p);
    }
    let mut c = serde_json::json!({
        "type": ty,
        "status": st,
        "reason": reason,
        "message": message,
        "lastTransitionTime": transition,
    });
    if update_time {
        c["lastUpdateTime"] = serde_json::json!(now);
    }
    list.push(c);
}

pub fn get_condition<'a>(status: &'a Value, ty: &str) -> Option<&'a Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| util::s(c, "/type") == ty)
}

pub fn remove_condition(status: &mut Value, ty: &str) {
    if let Some(list) = status.get_mut("conditions").and_then(Value::as_array_mut) {
        list.retain(|c| util::s(c, "/type") != ty);
    }
}
