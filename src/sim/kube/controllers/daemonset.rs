//! The DaemonSet controller: one pod per eligible node (DaemonSet pods
//! tolerate cordoned and not-ready nodes, like the real ones), rolling
//! updates within maxUnavailable, ControllerRevisions.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::events::{self, Source};
use super::pods::{from_template, is_active, is_available, is_ready};
use super::{Controllers, index_by_owner, revisions};
use crate::sim::kube::clock::{SimTime, format_time};
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

const REV_LABEL: &str = "controller-revision-hash";

pub fn sync_all(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    let dss = store.list(Res::DaemonSets, None);
    if dss.is_empty() {
        return;
    }
    let pods_by_owner = index_by_owner(store, Res::Pods);
    let nodes = store.list(Res::Nodes, None);
    let empty = Vec::new();
    for ds in dss {
        if util::is_deleting(&ds) {
            continue;
        }
        let pods = pods_by_owner.get(util::uid(&ds)).unwrap_or(&empty);
        sync_one(ctl, store, now, &ds, pods, &nodes);
    }
}

fn eligible(ds: &Value, node: &Value) -> bool {
    if util::is_deleting(node) {
        return false;
    }
    match ds
        .pointer("/spec/template/spec/nodeSelector")
        .and_then(Value::as_object)
    {
        Some(sel) => {
            let labels = node.pointer("/metadata/labels");
            sel.iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        }
        None => true,
    }
}

fn daemon_tolerations() -> Value {
    json!([
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}
    ])
}

fn sync_one(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    ds: &Arc<Value>,
    pods: &[Arc<Value>],
    nodes: &[Arc<Value>],
) {
    let Some(update) = revisions::sync(store, ds, Res::DaemonSets) else {
        return;
    };
    let active: Vec<&Arc<Value>> = pods.iter().filter(|p| is_active(p)).collect();
    let mut on_node: HashMap<&str, Vec<&Arc<Value>>> = HashMap::new();
    for p in &active {
        on_node
            .entry(util::s(p, "/spec/nodeName"))
            .or_default()
            .push(p);
    }
    let wanted: Vec<&Arc<Value>> = nodes.iter().filter(|n| eligible(ds, n)).collect();
    let source = || Source {
        component: "daemonset-controller",
        host: "",
    };
    let mut doomed: Vec<Arc<Value>> = Vec::new();
    for node in &wanted {
        let name = util::name(node);
        match on_node.get(name) {
            None => {
                let mut pod = from_template(
                    &update.template,
                    ds,
                    Res::DaemonSets,
                    None,
                    &[
                        (REV_LABEL, update.hash.clone()),
                        (
                            "pod-template-generation",
                            util::i(ds, "/metadata/generation").to_string(),
                        ),
                    ],
                );
                pod["spec"]["nodeName"] = json!(name);
                pod["spec"]["tolerations"] = daemon_tolerations();
                pod["spec"]["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                    {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [name]}]}]}}});
                pod["status"]["conditions"] = json!([{"type": "PodScheduled", "status": "True",
                    "lastProbeTime": null, "lastTransitionTime": format_time(now)}]);
                if let Ok(p) = store.create(Res::Pods, pod) {
                    let msg = format!("Created pod: {}", util::name(&p));
                    events::record(
                        ctl,
                        store,
                        now,
                        ds,
                        Res::DaemonSets,
                        false,
                        "SuccessfulCreate",
                        &msg,
                        source(),
                        "",
                    );
                }
            }
            Some(list) if list.len() > 1 => doomed.extend(list[1..].iter().map(|p| (*p).clone())),
            _ => {}
        }
    }
    let misscheduled: Vec<&Arc<Value>> = active
        .iter()
        .filter(|p| {
            !wanted
                .iter()
                .any(|n| util::name(n) == util::s(p, "/spec/nodeName"))
        })
        .copied()
        .collect();
    doomed.extend(misscheduled.iter().map(|p| (*p).clone()));
    // Rolling update: old unavailable pods go first, then old available
    // ones within maxUnavailable.
    let desired = wanted.len() as i64;
    let min_ready = util::i(ds, "/spec/minReadySeconds");
    if util::s(ds, "/spec/updateStrategy/type") != "OnDelete" {
        let max_unavailable = util::int_or_percent(
            ds.pointer("/spec/updateStrategy/rollingUpdate/maxUnavailable"),
            desired,
            true,
            "1",
        )
        .max(1);
        let on_wanted: Vec<&Arc<Value>> = active
            .iter()
            .filter(|p| {
                !util::is_deleting(p)
                    && wanted
                        .iter()
                        .any(|n| util::name(n) == util::s(p, "/spec/nodeName"))
            })
            .copied()
            .collect();
        let available = on_wanted
            .iter()
            .filter(|p| is_available(p, min_ready, now))
            .count() as i64;
        let mut budget = max_unavailable - (desired - available);
        for p in on_wanted
            .iter()
            .filter(|p| util::label(p, REV_LABEL) != Some(update.hash.as_str()))
        {
            if !is_available(p, min_ready, now) {
                doomed.push((*p).clone());
            } else if budget > 0 {
                doomed.push((*p).clone());
                budget -= 1;
            }
        }
    }
    for p in &doomed {
        let grace = util::opt_i(p, "/spec/terminationGracePeriodSeconds").unwrap_or(30);
        store.mark_deleting(Res::Pods, util::namespace(p), util::name(p), grace);
        let msg = format!("Deleted pod: {}", util::name(p));
        events::record(
            ctl,
            store,
            now,
            ds,
            Res::DaemonSets,
            false,
            "SuccessfulDelete",
            &msg,
            source(),
            "",
        );
    }
    // Status.
    let pods: Vec<Arc<Value>> = super::owned(store, Res::Pods, util::namespace(ds), util::uid(ds))
        .into_iter()
        .filter(|p| is_active(p))
        .collect();
    let scheduled = wanted
        .iter()
        .filter(|n| {
            pods.iter()
                .any(|p| util::s(p, "/spec/nodeName") == util::name(n))
        })
        .count() as i64;
    let ready = pods.iter().filter(|p| is_ready(p)).count() as i64;
    let available = pods
        .iter()
        .filter(|p| is_available(p, min_ready, now))
        .count() as i64;
    let updated = pods
        .iter()
        .filter(|p| util::label(p, REV_LABEL) == Some(update.hash.as_str()))
        .count() as i64;
    let mut status = json!({
        "currentNumberScheduled": scheduled,
        "desiredNumberScheduled": desired,
        "numberMisscheduled": misscheduled.len(),
        "numberReady": ready,
        "observedGeneration": util::i(ds, "/metadata/generation"),
    });
    for (k, v) in [
        ("updatedNumberScheduled", updated),
        ("numberAvailable", available),
        ("numberUnavailable", (desired - available).max(0)),
    ] {
        if v > 0 {
            status[k] = json!(v);
        }
    }
    if ds.get("status") != Some(&status) {
        store.modify(Res::DaemonSets, util::namespace(ds), util::name(ds), |d| {
            d["status"] = status;
        });
    }
    let mut live: Vec<String> = pods
        .iter()
        .filter_map(|p| util::label(p, REV_LABEL).map(|h| format!("{}-{h}", util::name(ds))))
        .collect();
    live.push(update.name);
    revisions::truncate(store, ds, &live);
}
