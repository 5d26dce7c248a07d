//! Node lifecycle: the taints that mirror `spec.unschedulable` and the
//! Ready / pressure conditions, as the node controller adds them.

use serde_json::{Value, json};

use super::Controllers;
use crate::sim::kube::clock::{SimTime, format_time};
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

const MANAGED: [&str; 5] = [
    "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/pid-pressure",
];

fn condition(node: &Value, ty: &str) -> String {
    node.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| util::s(c, "/type") == ty))
        .map(|c| util::s(c, "/status").to_string())
        .unwrap_or_default()
}

/// The taints a node should carry.
fn wanted_taints(node: &Value) -> Vec<(&'static str, &'static str)> {
    let mut t = Vec::new();
    if util::b(node, "/spec/unschedulable") {
        t.push((MANAGED[0], "NoSchedule"));
    }
    if condition(node, "Ready") != "True" {
        t.push((MANAGED[1], "NoSchedule"));
        t.push((MANAGED[1], "NoExecute"));
    }
    for (ty, key) in [
        ("MemoryPressure", MANAGED[2]),
        ("DiskPressure", MANAGED[3]),
        ("PIDPressure", MANAGED[4]),
    ] {
        if condition(node, ty) == "True" {
            t.push((key, "NoSchedule"));
        }
    }
    t
}

pub fn sync(_ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    for node in store.list(Res::Nodes, None) {
        let current: Vec<Value> = node
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let wanted = wanted_taints(&node);
        let mut next: Vec<Value> = current
            .iter()
            .filter(|t| {
                let key = util::s(t, "/key");
                !MANAGED.contains(&key)
                    || wanted
                        .iter()
                        .any(|(k, e)| *k == key && *e == util::s(t, "/effect"))
            })
            .cloned()
            .collect();
        for (k, e) in &wanted {
            if !next
                .iter()
                .any(|t| util::s(t, "/key") == *k && util::s(t, "/effect") == *e)
            {
                next.push(json!({"key": k, "effect": e, "timeAdded": format_time(now)}));
            }
        }
        if next != current {
            store.modify(Res::Nodes, "", util::name(&node), |n| {
                if next.is_empty() {
                    util::remove(n, "/spec/taints");
                } else {
                    n["spec"]["taints"] = json!(next);
                }
            });
        }
    }
}
