//! Where a runbook's service or instance lives, from what the board has
//! seen: the action layer fills `{context}`, `{namespace}`, `{container}`
//! from it and decides the environment of discovered targets.

use super::state::State;
use crate::model::RunbookScope;
use crate::model::fleet::{Instance, InstanceKind};

/// The scope of service `service` (its workload, its first running
/// container), or of the Fleet pane's `instance` when one is selected.
pub fn runbook_scope(
    state: &State,
    service: Option<usize>,
    instance: Option<&Instance>,
) -> RunbookScope {
    if let Some(i) = instance {
        return instance_scope(i);
    }
    let Some(s) = service.and_then(|i| state.services.get(i)) else {
        return RunbookScope::default();
    };
    let workload = s
        .workload
        .as_ref()
        .map(|w| &w.id)
        .or(s.kube_binding.as_ref());
    let container = s
        .containers
        .iter()
        .find(|c| c.state == "running")
        .or_else(|| s.containers.first());
    RunbookScope {
        context: workload.map(|w| w.context.clone()),
        namespace: workload.map(|w| w.namespace.clone()),
        container: container.map(|c| c.name.clone()),
        docker_host: container.map(|c| c.host.clone()),
        fleet: None,
        prometheus: None,
    }
}

/// An instance's scope, from where it was reported (`k8s prod`,
/// `docker local`, `fleet edge`).
fn instance_scope(i: &Instance) -> RunbookScope {
    let (kind, from) = i.source.split_once(' ').unwrap_or((i.source.as_str(), ""));
    let label = |k: &str| {
        i.labels
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    match kind {
        "k8s" => RunbookScope {
            context: Some(from.to_string())
                .filter(|c| !c.is_empty())
                .or(label("context")),
            namespace: i.namespace.clone(),
            ..RunbookScope::default()
        },
        "docker" => RunbookScope {
            container: (i.kind == InstanceKind::Container).then(|| i.name.clone()),
            docker_host: Some(from.to_string()),
            ..RunbookScope::default()
        },
        "prometheus" => RunbookScope {
            prometheus: Some(from.to_string()),
            ..RunbookScope::default()
        },
        "fleet" => RunbookScope {
            fleet: Some(from.to_string()),
            ..RunbookScope::default()
        },
        _ => RunbookScope::default(),
    }
}
