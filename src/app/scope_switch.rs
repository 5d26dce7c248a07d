//! Switching the Kubernetes scope (`:ctx`, `:ns`): the board forgets
//! everything it learnt from the old scope (workloads, pods, nodes,
//! events, discovered services and their fleet cells), asks the runtime
//! for the new one, and until the source answers drops the old scope's
//! snapshots still queued. The panes say it is connecting meanwhile.
//! Everything else (health, metrics, alerts, Docker, jobs, plans) stays.

use super::kube_scope::ScopeState;
use super::msg::Effect;
use super::state::{State, View};
use crate::model::document::ObjectRef;
use crate::model::kube::WORKLOAD_RESOURCES;
use crate::model::kube_scope::{KubeScope, ScopeReport};
use crate::model::{ResourceStatus, ServiceOrigin};

/// Starts watching `scope` instead of what is watched: the board is
/// cleared of the old scope and the runtime told to switch.
pub fn switch(state: &mut State, scope: KubeScope) -> Vec<Effect> {
    let Some(k) = state.kube_scope.as_mut() else {
        return vec![];
    };
    k.generation += 1;
    k.switching = true;
    k.scope = scope.clone();
    let generation = k.generation;
    let mut effects = forget_kube(state);
    effects.push(Effect::KubeScope { generation, scope });
    effects
}

/// The source's answer to a switch (or its first connect): the scope as
/// watched. An answer to an older switch is ignored.
pub fn on_report(state: &mut State, report: ScopeReport) {
    let ScopeReport {
        generation,
        scope,
        contexts,
        current,
    } = report;
    let k = state.kube_scope.get_or_insert_with(ScopeState::default);
    if generation != k.generation {
        return;
    }
    *k = ScopeState {
        scope,
        contexts,
        current,
        generation,
        switching: false,
    };
    state.dirty = true;
}

/// Whether a snapshot of `context` belongs to the scope watched now: not
/// while a switch waits for its answer (it is of the old scope), nor of
/// a context no longer watched.
pub fn accepts(state: &State, context: &str) -> bool {
    match &state.kube_scope {
        None => true,
        Some(k) if k.switching => false,
        Some(k) => k.scope.contexts.is_empty() || k.scope.contexts.iter().any(|c| c == context),
    }
}

/// The watched contexts whose workloads have not been listed yet: the
/// panes say "connecting to …" rather than look empty.
pub fn connecting(state: &State) -> Vec<&str> {
    let Some(k) = &state.kube_scope else {
        return vec![];
    };
    k.scope
        .contexts
        .iter()
        .filter(|c| {
            k.switching
                || state.clusters.get(c.as_str()).is_none_or(|info| {
                    info.error.is_none()
                        && info.resources.iter().any(|(r, s)| {
                            *s == ResourceStatus::Syncing
                                && WORKLOAD_RESOURCES.contains(&r.as_str())
                        })
                })
        })
        .map(String::as_str)
        .collect()
}

/// `connecting to kind-prod…` while [`connecting`] names a context.
pub fn connecting_words(state: &State) -> Option<String> {
    let contexts = connecting(state);
    (!contexts.is_empty()).then(|| {
        let names: Vec<String> = contexts
            .iter()
            .map(|c| crate::model::text::safe(c))
            .collect();
        format!("connecting to {}…", names.join(", "))
    })
}

/// The namespaces `:ns` offers: the watched clusters' and the ones in
/// scope, sorted.
pub fn known_namespaces(state: &State) -> Vec<String> {
    let mut out: Vec<String> = state
        .clusters
        .values()
        .flat_map(|c| c.namespaces.iter().cloned())
        .chain(
            state
                .kube_scope
                .iter()
                .flat_map(|k| k.scope.namespaces.iter().cloned()),
        )
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Drops what came from the old scope; the views that showed it go back
/// to their pane.
fn forget_kube(state: &mut State) -> Vec<Effect> {
    let mut effects = Vec::new();
    if state
        .text_view
        .as_ref()
        .is_some_and(|t| matches!(t.object, ObjectRef::Kube { .. }))
    {
        super::viewer::close(state);
    }
    // A logs view of pods shows the old scope's pods: it closes.
    if let View::Logs { service, from } = state.view {
        let pods = state
            .services
            .get(service)
            .is_some_and(|s| s.workload.is_some())
            || state
                .logs
                .request
                .targets
                .iter()
                .any(|t| matches!(t.source, crate::model::LogSource::Pod { .. }));
        if pods {
            state.view = from.view();
            effects.push(Effect::StopLogs);
        }
    }
    let mut i = state.services.len();
    while i > 0 {
        i -= 1;
        let s = &mut state.services[i];
        s.workload = None;
        // Discovered from the cluster (no probes: removing one never
        // shifts a probe's index, configured services come first).
        if s.origin == ServiceOrigin::Discovered && s.probes.is_empty() && s.kube_binding.is_some()
        {
            state.services.remove(i);
            state.view = match state.view {
                View::Detail { service, .. } | View::Logs { service, .. } if service == i => {
                    View::Services
                }
                View::Detail { service, scroll } if service > i => View::Detail {
                    service: service - 1,
                    scroll,
                },
                View::Logs { service, from } if service > i => View::Logs {
                    service: service - 1,
                    from,
                },
                v => v,
            };
        }
    }
    state.clusters.clear();
    state.node_list = Default::default();
    state.events.list = Default::default();
    state.fleet.others_stale = true;
    state.reorder();
    state.dirty = true;
    effects
}

#[cfg(test)]
#[path = "scope_switch_tests.rs"]
mod tests;
