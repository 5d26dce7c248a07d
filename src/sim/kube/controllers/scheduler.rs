//! The scheduler: binds pending pods to Ready, schedulable nodes that
//! match their nodeSelector, spreading them (like the default
//! PodTopologySpread and least-allocated scoring): the node with the fewest
//! pods of the same controller, then the fewest pods, then round-robin. Reports FailedScheduling with the real
//! scheduler's wording otherwise. Resources are not simulated.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Controllers;
use super::events::{self, Source};
use crate::sim::kube::clock::{SimTime, format_time};
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

fn node_condition(node: &Value, ty: &str) -> String {
    node.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| util::s(c, "/type") == ty))
        .map(|c| util::s(c, "/status").to_string())
        .unwrap_or_default()
}

/// Why a node cannot take a pod, in the scheduler's words, or `None`.
fn unfit(node: &Value, pod: &Value) -> Option<String> {
    if util::b(node, "/spec/unschedulable") {
        return Some("node(s) were unschedulable".into());
    }
    if node_condition(node, "Ready") != "True" {
        return Some("node(s) had untolerated taint {node.kubernetes.io/not-ready: }".into());
    }
    for (ty, taint) in [
        ("MemoryPressure", "node.kubernetes.io/memory-pressure"),
        ("DiskPressure", "node.kubernetes.io/disk-pressure"),
        ("PIDPressure", "node.kubernetes.io/pid-pressure"),
    ] {
        if node_condition(node, ty) == "True" {
            return Some(format!("node(s) had untolerated taint {{{taint}: }}"));
        }
    }
    if let Some(sel) = pod.pointer("/spec/nodeSelector").and_then(Value::as_object) {
        let labels = node.pointer("/metadata/labels");
        let ok = sel
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
        if !ok {
            return Some("node(s) didn't match Pod's node affinity/selector".into());
        }
    }
    None
}

/// A node's (sibling pods, pods, round-robin offset) for a pod.
type Score = (usize, usize, usize);

/// What makes pods siblings for spreading: the same controller (as the
/// default topology spread constraints select by the owning ReplicaSet's
/// or StatefulSet's selector), else the same namespace and labels.
fn app_key(pod: &Value) -> String {
    if let Some(uid) = util::controller_uid(pod) {
        return uid.to_string();
    }
    let labels = pod
        .pointer("/metadata/labels")
        .map(util::selector_string)
        .unwrap_or_default();
    format!("{}/{labels}", util::namespace(pod))
}

/// The pods running or about to on each node, by node name.
fn pods_on_nodes(store: &Store) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for p in store.list(Res::Pods, None) {
        let node = util::s(&p, "/spec/nodeName");
        if !node.is_empty() && super::podutil::is_active(&p) {
            m.entry(node.to_string()).or_default().push(app_key(&p));
        }
    }
    m
}

/// Binds unscheduled pods to Ready, schedulable nodes, spreading them.
pub fn schedule(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    let pending: Vec<Arc<Value>> = store
        .list(Res::Pods, None)
        .into_iter()
        .filter(|p| util::s(p, "/spec/nodeName").is_empty() && !util::is_deleting(p))
        .collect();
    if pending.is_empty() {
        return;
    }
    let nodes = store.list(Res::Nodes, None);
    let mut placed = pods_on_nodes(store);
    for pod in pending {
        let mut reasons: Vec<String> = Vec::new();
        let key = app_key(&pod);
        // The best node so far and its score: the lowest wins.
        let mut best: Option<(Score, &Arc<Value>)> = None;
        for n in 0..nodes.len() {
            let node = &nodes[(ctl.round_robin + n) % nodes.len()];
            match unfit(node, &pod) {
                None => {
                    let on = placed.get(util::name(node)).map_or(&[][..], Vec::as_slice);
                    let score = (on.iter().filter(|k| **k == key).count(), on.len(), n);
                    if best.as_ref().is_none_or(|(b, _)| score < *b) {
                        best = Some((score, node));
                    }
                }
                Some(r) => reasons.push(r),
            }
        }
        let chosen = best.map(|((_, _, n), node)| {
            ctl.round_robin = (ctl.round_robin + n + 1) % nodes.len();
            let name = util::name(node).to_string();
            placed.entry(name.clone()).or_default().push(key.clone());
            name
        });
        let ts = format_time(now);
        let ns = util::namespace(&pod).to_string();
        let name = util::name(&pod).to_string();
        match chosen {
            Some(node) => {
                let updated = store.modify(Res::Pods, &ns, &name, |p| {
                    p["spec"]["nodeName"] = json!(node);
                    p["status"]["conditions"] = json!([
                        {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts}
                    ]);
                });
                ctl.failed_scheduling.remove(util::uid(&pod));
                if let Some(p) = updated {
                    let msg = format!("Successfully assigned {ns}/{name} to {node}");
                    events::record(
                        ctl,
                        store,
                        now,
                        &p,
                        Res::Pods,
                        false,
                        "Scheduled",
                        &msg,
                        Source {
                            component: "default-scheduler",
                            host: "",
                        },
                        "",
                    );
                }
            }
            None => {
                let message = if nodes.is_empty() {
                    "no nodes available to schedule pods".to_string()
                } else {
                    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
                    for r in reasons {
                        *counts.entry(r).or_default() += 1;
                    }
                    let parts: Vec<String> =
                        counts.iter().map(|(r, c)| format!("{c} {r}")).collect();
                    format!(
                        "0/{n} nodes are available: {}. preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling.",
                        parts.join(", "),
                        n = nodes.len()
                    )
                };
                let uid = util::uid(&pod).to_string();
                let due = ctl
                    .failed_scheduling
                    .get(&uid)
                    .is_none_or(|t| now - t >= 30_000);
                let updated = store.modify(Res::Pods, &ns, &name, |p| {
                    p["status"]["phase"] = json!("Pending");
                    let keep = p
                        .pointer("/status/conditions/0/lastTransitionTime")
                        .filter(|_| util::s(p, "/status/conditions/0/reason") == "Unschedulable")
                        .cloned()
                        .unwrap_or(json!(ts));
                    p["status"]["conditions"] = json!([
                        {"type": "PodScheduled", "status": "False", "lastProbeTime": null,
                         "lastTransitionTime": keep, "reason": "Unschedulable", "message": message}
                    ]);
                });
                if due && let Some(p) = updated {
                    ctl.failed_scheduling.insert(uid, now);
                    events::record(
                        ctl,
                        store,
                        now,
                        &p,
                        Res::Pods,
                        true,
                        "FailedScheduling",
                        &message,
                        Source {
                            component: "default-scheduler",
                            host: "",
                        },
                        "",
                    );
                }
            }
        }
    }
}
