//! The StatefulSet controller: pods `<name>-0..N-1` created in order
//! (OrderedReady waits for each to be ready), scaled down from the highest
//! ordinal, rolling updates in reverse ordinal order honouring the
//! partition, ControllerRevisions and current/update revisions in status.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::events::{self, Source};
use super::pods::{from_template, is_active, is_available, is_ready};
use super::{Controllers, index_by_owner, revisions};
use crate::sim::kube::clock::SimTime;
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

const REV_LABEL: &str = "controller-revision-hash";

pub fn sync_all(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    let pods_by_owner = index_by_owner(store, Res::Pods);
    let empty = Vec::new();
    for sts in store.list(Res::StatefulSets, None) {
        if util::is_deleting(&sts) {
            continue;
        }
        let pods = pods_by_owner.get(util::uid(&sts)).unwrap_or(&empty);
        sync_one(ctl, store, now, &sts, pods);
    }
}

fn ordinal(sts: &Value, pod: &Value) -> Option<i64> {
    util::name(pod)
        .strip_prefix(&format!("{}-", util::name(sts)))?
        .parse()
        .ok()
}

fn running_ready(p: &Value) -> bool {
    util::s(p, "/status/phase") == "Running" && is_ready(p)
}

fn create_pod(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    sts: &Value,
    ord: i64,
    rev: &str,
    template: &Value,
) {
    let name = format!("{}-{ord}", util::name(sts));
    let mut pod = from_template(
        template,
        sts,
        Res::StatefulSets,
        Some(name.clone()),
        &[
            (REV_LABEL, rev.to_string()),
            ("statefulset.kubernetes.io/pod-name", name.clone()),
            ("apps.kubernetes.io/pod-index", ord.to_string()),
        ],
    );
    pod["spec"]["hostname"] = json!(name);
    if let Some(svc) = sts.pointer("/spec/serviceName").and_then(Value::as_str)
        && !svc.is_empty()
    {
        pod["spec"]["subdomain"] = json!(svc);
    }
    if store.create(Res::Pods, pod).is_ok() {
        let msg = format!(
            "create Pod {name} in StatefulSet {} successful",
            util::name(sts)
        );
        events::record(
            ctl,
            store,
            now,
            sts,
            Res::StatefulSets,
            false,
            "SuccessfulCreate",
            &msg,
            Source {
                component: "statefulset-controller",
                host: "",
            },
            "",
        );
    }
}

fn delete_pod(ctl: &mut Controllers, store: &mut Store, now: SimTime, sts: &Value, pod: &Value) {
    let grace = util::opt_i(pod, "/spec/terminationGracePeriodSeconds").unwrap_or(30);
    store.mark_deleting(Res::Pods, util::namespace(pod), util::name(pod), grace);
    let msg = format!(
        "delete Pod {} in StatefulSet {} successful",
        util::name(pod),
        util::name(sts)
    );
    events::record(
        ctl,
        store,
        now,
        sts,
        Res::StatefulSets,
        false,
        "SuccessfulDelete",
        &msg,
        Source {
            component: "statefulset-controller",
            host: "",
        },
        "",
    );
}

fn sync_one(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    sts: &Arc<Value>,
    pods: &[Arc<Value>],
) {
    let Some(update) = revisions::sync(store, sts, Res::StatefulSets) else {
        return;
    };
    let current_name = match util::s(sts, "/status/currentRevision") {
        "" => update.name.clone(),
        c => c.to_string(),
    };
    let current_template =
        revisions::template(store, sts, &current_name).unwrap_or_else(|| update.template.clone());
    let replicas = util::opt_i(sts, "/spec/replicas").unwrap_or(1);
    let ordered = util::s(sts, "/spec/podManagementPolicy") != "Parallel";
    let rolling = util::s(sts, "/spec/updateStrategy/type") != "OnDelete";
    let partition = util::i(sts, "/spec/updateStrategy/rollingUpdate/partition");
    let mut by_ord: BTreeMap<i64, Arc<Value>> = BTreeMap::new();
    for p in pods {
        if let Some(o) = ordinal(sts, p) {
            by_ord.insert(o, p.clone());
        }
    }
    let mut changed = false;
    // Create missing pods, in order.
    for ord in 0..replicas {
        match by_ord.get(&ord) {
            None => {
                let (rev, tpl) = if rolling && ord < partition {
                    (&current_name, &current_template)
                } else {
                    (&update.name, &update.template)
                };
                create_pod(ctl, store, now, sts, ord, rev, tpl);
                changed = true;
                if ordered {
                    break;
                }
            }
            Some(p) if ordered && (!is_active(p) || !running_ready(p)) => break,
            _ => {}
        }
    }
    // Scale down from the highest ordinal, one at a time when ordered.
    let all_ready_below = (0..replicas).all(|o| {
        by_ord
            .get(&o)
            .is_some_and(|p| is_active(p) && running_ready(p))
    });
    let condemned: Vec<Arc<Value>> = by_ord
        .range(replicas..)
        .rev()
        .map(|(_, p)| p.clone())
        .collect();
    if !changed && !condemned.is_empty() {
        for p in &condemned {
            if util::is_deleting(p) {
                if ordered {
                    break;
                }
                continue;
            }
            if ordered && !all_ready_below {
                break;
            }
            delete_pod(ctl, store, now, sts, p);
            changed = true;
            if ordered {
                break;
            }
        }
    }
    // Rolling update in reverse ordinal order.
    let any_terminating = by_ord.values().any(|p| util::is_deleting(p));
    if rolling && !changed && condemned.is_empty() && all_ready_below && !any_terminating {
        for ord in (partition..replicas).rev() {
            if let Some(p) = by_ord.get(&ord)
                && util::label(p, REV_LABEL) != Some(update.name.as_str())
            {
                delete_pod(ctl, store, now, sts, p);
                break;
            }
        }
    }
    // Status from the pods as they are now.
    let pods: Vec<Arc<Value>> =
        super::owned(store, Res::Pods, util::namespace(sts), util::uid(sts))
            .into_iter()
            .filter(|p| is_active(p) && ordinal(sts, p).is_some_and(|o| o < replicas))
            .collect();
    let min_ready = util::i(sts, "/spec/minReadySeconds");
    let count = |f: &dyn Fn(&Value) -> bool| pods.iter().filter(|p| f(p)).count() as i64;
    let actual = pods.len() as i64;
    let ready = count(&|p| running_ready(p));
    let available = count(&|p| running_ready(p) && is_available(p, min_ready, now));
    let mut current_rev = current_name.clone();
    let mut current = count(&|p| util::label(p, REV_LABEL) == Some(current_rev.as_str()));
    let updated = count(&|p| util::label(p, REV_LABEL) == Some(update.name.as_str()));
    if rolling && updated == actual && ready == actual && actual == replicas {
        current_rev = update.name.clone();
        current = updated;
    }
    let mut status = json!({
        "observedGeneration": util::i(sts, "/metadata/generation"),
        "replicas": actual,
        "currentRevision": current_rev,
        "updateRevision": update.name,
        "collisionCount": util::i(sts, "/status/collisionCount"),
        "availableReplicas": available,
    });
    for (k, v) in [
        ("readyReplicas", ready),
        ("currentReplicas", current),
        ("updatedReplicas", updated),
    ] {
        if v > 0 {
            status[k] = json!(v);
        }
    }
    if sts.get("status") != Some(&status) {
        store.modify(
            Res::StatefulSets,
            util::namespace(sts),
            util::name(sts),
            |s| {
                s["status"] = status;
            },
        );
    }
    let live: Vec<String> = pods
        .iter()
        .filter_map(|p| util::label(p, REV_LABEL).map(str::to_string))
        .chain([current_rev, update.name])
        .collect();
    revisions::truncate(store, sts, &live);
}
