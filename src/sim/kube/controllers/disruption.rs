//! The disruption controller: keeps every PodDisruptionBudget's status
//! (`expectedPods`, `currentHealthy`, `desiredHealthy`,
//! `disruptionsAllowed`, `disruptedPods`, `observedGeneration`, the
//! `DisruptionAllowed` condition) in step with the pods it covers. The
//! arithmetic is in `budget`.

use super::Controllers;
use super::budget;
use crate::sim::kube::clock::SimTime;
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

pub fn sync_all(_ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    for pdb in store.list(Res::Pdbs, None) {
        if util::is_deleting(&pdb) {
            continue;
        }
        let pods = budget::pods_of(store, &pdb);
        let (verdict, pending) = budget::evaluate(store, &pdb, &pods, now);
        let status = budget::status(&pdb, verdict, pending, now);
        if pdb.get("status") != Some(&status) {
            store.modify(Res::Pdbs, util::namespace(&pdb), util::name(&pdb), |p| {
                p["status"] = status;
            });
        }
    }
}
