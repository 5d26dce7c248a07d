//! The ReplicaSet controller: keeps `spec.replicas` active pods, deleting
//! the least valuable first, and reports ready and available counts.

use std::sync::Arc;

use serde_json::{Value, json};

use super::events::{self, Source};
use super::pods::{from_template, is_active, is_available, is_ready};
use super::{Controllers, index_by_owner};
use crate::sim::kube::clock::{SimTime, parse_time};
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

/// At most this many pods are created per ReplicaSet and tick.
const BURST: i64 = 500;

/// Orders pods so the ones to delete first come first (controller.ActivePods).
pub fn deletion_rank(pods: &mut [Arc<Value>]) {
    let key = |p: &Value| {
        let assigned = !util::s(p, "/spec/nodeName").is_empty();
        let phase = match util::s(p, "/status/phase") {
            "Pending" => 0,
            "Unknown" => 1,
            "Running" => 2,
            _ => 3,
        };
        let ready = is_ready(p);
        let ready_since = super::get_condition(&p["status"], "Ready")
            .and_then(|c| parse_time(util::s(c, "/lastTransitionTime")))
            .unwrap_or(0);
        let restarts: i64 = p
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .map(|cs| cs.iter().map(|c| util::i(c, "/restartCount")).sum())
            .unwrap_or(0);
        let created = parse_time(util::s(p, "/metadata/creationTimestamp")).unwrap_or(0);
        (
            assigned,
            phase,
            ready,
            std::cmp::Reverse(ready_since),
            std::cmp::Reverse(restarts),
            std::cmp::Reverse(created),
        )
    };
    pods.sort_by_key(|p| key(p));
}

pub fn sync_all(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    let pods_by_owner = index_by_owner(store, Res::Pods);
    let empty = Vec::new();
    for rs in store.list(Res::ReplicaSets, None) {
        if util::is_deleting(&rs) {
            continue;
        }
        let pods = pods_by_owner.get(util::uid(&rs)).unwrap_or(&empty);
        sync_one(ctl, store, now, &rs, pods);
    }
}

fn sync_one(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    rs: &Arc<Value>,
    pods: &[Arc<Value>],
) {
    let mut active: Vec<Arc<Value>> = pods.iter().filter(|p| is_active(p)).cloned().collect();
    let want = util::opt_i(rs, "/spec/replicas").unwrap_or(1);
    let diff = active.len() as i64 - want;
    if diff < 0 {
        let template = rs["spec"]["template"].clone();
        for _ in 0..(-diff).min(BURST) {
            let pod = from_template(&template, rs, Res::ReplicaSets, None, &[]);
            if let Ok(p) = store.create(Res::Pods, pod) {
                let msg = format!("Created pod: {}", util::name(&p));
                events::record(
                    ctl,
                    store,
                    now,
                    rs,
                    Res::ReplicaSets,
                    false,
                    "SuccessfulCreate",
                    &msg,
                    Source {
                        component: "replicaset-controller",
                        host: "",
                    },
                    "",
                );
                active.push(p);
            }
        }
    } else if diff > 0 {
        deletion_rank(&mut active);
        let doomed: Vec<Arc<Value>> = active.drain(..diff as usize).collect();
        for p in doomed {
            let grace = util::opt_i(&p, "/spec/terminationGracePeriodSeconds").unwrap_or(30);
            store.mark_deleting(Res::Pods, util::namespace(&p), util::name(&p), grace);
            let msg = format!("Deleted pod: {}", util::name(&p));
            events::record(
                ctl,
                store,
                now,
                rs,
                Res::ReplicaSets,
                false,
                "SuccessfulDelete",
                &msg,
                Source {
                    component: "replicaset-controller",
                    host: "",
                },
                "",
            );
        }
    }
    let min_ready = util::i(rs, "/spec/minReadySeconds");
    let ready = active.iter().filter(|p| is_ready(p)).count() as i64;
    let available = active
        .iter()
        .filter(|p| is_available(p, min_ready, now))
        .count() as i64;
    let labeled = active.len() as i64;
    let mut status = json!({
        "replicas": active.len(),
        "observedGeneration": util::i(rs, "/metadata/generation"),
    });
    if labeled > 0 {
        status["fullyLabeledReplicas"] = json!(labeled);
    }
    if ready > 0 {
        status["readyReplicas"] = json!(ready);
    }
    if available > 0 {
        status["availableReplicas"] = json!(available);
    }
    if rs.get("status") != Some(&status) {
        // Re-read: creating pods did not touch the ReplicaSet itself.
        store.modify(Res::ReplicaSets, util::namespace(rs), util::name(rs), |r| {
            r["status"] = status;
        });
    }
}
