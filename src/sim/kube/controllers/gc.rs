//! Garbage collection: dependents whose owners are all gone are deleted
//! (background propagation).

use std::collections::HashSet;

use serde_json::Value;

use super::Controllers;
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

const OWNERS: [Res; 6] = [
    Res::Deployments,
    Res::ReplicaSets,
    Res::StatefulSets,
    Res::DaemonSets,
    Res::Jobs,
    Res::CronJobs,
];
const DEPENDENTS: [Res; 4] = [
    Res::ReplicaSets,
    Res::ControllerRevisions,
    Res::Pods,
    Res::Jobs,
];

pub fn sync(_ctl: &mut Controllers, store: &mut Store) {
    let mut uids: HashSet<String> = HashSet::new();
    for r in OWNERS {
        for o in store.list(r, None) {
            if !util::is_deleting(&o) {
                uids.insert(util::uid(&o).to_string());
            }
        }
    }
    for r in DEPENDENTS {
        for o in store.list(r, None) {
            let Some(refs) = o
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
            else {
                continue;
            };
            if refs.is_empty() || refs.iter().any(|x| uids.contains(util::s(x, "/uid"))) {
                continue;
            }
            if r == Res::Pods {
                let grace = util::opt_i(&o, "/spec/terminationGracePeriodSeconds").unwrap_or(30);
                store.mark_deleting(r, util::namespace(&o), util::name(&o), grace);
            } else {
                store.delete(r, util::namespace(&o), util::name(&o));
            }
        }
    }
}
