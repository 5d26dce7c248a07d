//! Joining blue-green pairs into services: the pair lands on the service
//! bound to its Kubernetes Service in config (`blue_green = …`), else on a
//! discovered service named after it. The live slot's workload is the
//! service's workload (its pods, logs, rollback); the slots' own
//! Deployments get no rows of their own.

use std::collections::HashSet;

use super::state::State;
use crate::model::{
    BlueGreen, Change, ChangeKind, Service, ServiceOrigin, ServiceRef, Workload, WorkloadRef,
};

/// The workloads that are slots of a pair.
pub fn slot_workloads(pairs: &[BlueGreen]) -> HashSet<WorkloadRef> {
    pairs
        .iter()
        .flat_map(|p| [p.live.workload.clone(), p.idle.workload.clone()])
        .collect()
}

/// Puts each pair (and its live slot's workload from `slots`) on its
/// service; returns the Services the pairs are, for the discovered rows
/// that stay.
pub fn apply(
    state: &mut State,
    context: &str,
    pairs: Vec<BlueGreen>,
    slots: Vec<Workload>,
) -> HashSet<ServiceRef> {
    let mut seen = HashSet::new();
    let now = state.now;
    for pair in pairs {
        let me = ServiceRef {
            context: pair.context.clone(),
            namespace: pair.namespace.clone(),
            name: pair.service.clone(),
        };
        seen.insert(me.clone());
        let target = state
            .services
            .iter()
            .position(|s| {
                s.origin != ServiceOrigin::Discovered
                    && s.blue_green_binding
                        .as_ref()
                        .is_some_and(|b| b.binds(&pair))
            })
            .or_else(|| {
                state.services.iter().position(|s| {
                    s.origin == ServiceOrigin::Discovered
                        && s.blue_green_binding.as_ref() == Some(&me)
                })
            });
        let i = match target {
            Some(i) => i,
            None => {
                let mut s = Service::new(name_for(state, &me));
                s.origin = ServiceOrigin::Discovered;
                s.blue_green_binding = Some(me);
                state.services.push(s);
                state.services.len() - 1
            }
        };
        let live = slots.iter().find(|w| w.id == pair.live.workload).cloned();
        let s = &mut state.services[i];
        if live.is_some() {
            s.workload = live;
        }
        let moved = s
            .blue_green
            .as_ref()
            .filter(|before| before.live.name != pair.live.name)
            .map(|before| Change {
                at: now,
                kind: ChangeKind::Switch,
                what: format!(
                    "service/{}: {} → {} ({})",
                    pair.service, before.live.name, pair.live.name, pair.live.workload.name
                ),
                who: None,
                release: Some(format!("{} switched to {}", pair.service, pair.live.name)),
            });
        let name = s.name.clone();
        s.blue_green = Some(pair);
        if let Some(c) = moved {
            state.change_log.record(&name, c);
        }
    }
    // Pairs of this context that are no longer pairs.
    for s in &mut state.services {
        if s.blue_green.as_ref().is_some_and(|p| {
            p.context == context
                && !seen.contains(&ServiceRef {
                    context: p.context.clone(),
                    namespace: p.namespace.clone(),
                    name: p.service.clone(),
                })
        }) {
            s.blue_green = None;
        }
    }
    seen
}

/// `doorbell`, or `shop/doorbell` when taken, or `ctx/shop/doorbell`.
fn name_for(state: &State, r: &ServiceRef) -> String {
    let taken = |n: &str| state.services.iter().any(|s| s.name == n);
    [
        r.name.clone(),
        format!("{}/{}", r.namespace, r.name),
        format!("{}/{}/{}", r.context, r.namespace, r.name),
    ]
    .into_iter()
    .find(|c| !taken(c))
    .unwrap_or_else(|| r.to_string())
}
