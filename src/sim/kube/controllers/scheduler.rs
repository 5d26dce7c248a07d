//! The scheduler: binds pending pods round-robin to Ready, schedulable
//! nodes that match their nodeSelector, and reports FailedScheduling with
//! the real scheduler's wording otherwise.

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

/// Binds unscheduled pods round-robin to Ready, schedulable nodes.
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
    for pod in pending {
        let mut reasons: Vec<String> = Vec::new();
        let mut chosen: Option<String> = None;
        for n in 0..nodes.len() {
            let node = &nodes[(ctl.round_robin + n) % nodes.len()];
            match unfit(node, &pod) {
                None => {
                    chosen = Some(util::name(node).to_string());
                    ctl.round_robin = (ctl.round_robin + n + 1) % nodes.len();
                    break;
                }
                Some(r) => reasons.push(r),
            }
        }
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
