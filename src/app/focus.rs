//! What an action from the current view applies to: the focused service's
//! Kubernetes workload, Compose service or Docker target; and the
//! containers drawn on screen (whose resource figures are worth fetching).

use super::state::State;

/// The Compose service behind the focused service, when it has one and no
/// Kubernetes workload.
pub fn focused_compose(state: &State) -> Option<crate::model::ComposeRef> {
    let s = state.services.get(state.focused_service()?)?;
    if s.workload.is_some() {
        return None;
    }
    let c = s.containers.iter().find(|c| c.compose.is_some())?;
    let l = c.compose.as_ref()?;
    Some(crate::model::ComposeRef {
        host: c.host.clone(),
        project: l.project.clone(),
        service: l.service.clone(),
    })
}

/// The Docker target behind the focused service (Compose service, else its
/// one container), when it has no Kubernetes workload.
pub fn focused_docker(state: &State) -> Option<crate::model::DockerTarget> {
    if let Some(c) = focused_compose(state) {
        return Some(crate::model::DockerTarget::Compose(c));
    }
    let s = state.services.get(state.focused_service()?)?;
    if s.workload.is_some() {
        return None;
    }
    let c = s.containers.first()?;
    Some(crate::model::DockerTarget::Container {
        host: c.host.clone(),
        id: c.id.clone(),
        name: c.name.clone(),
    })
}

/// The workload of the selected or open service; says why when none.
pub fn focused_workload(state: &mut State) -> Option<crate::model::Workload> {
    let i = state.focused_service()?;
    match state.services[i].workload.clone() {
        Some(w) => Some(w),
        None => {
            let name = state.services[i].name.clone();
            let why = match &state.services[i].kube_binding {
                Some(b) => format!("{name}: workload {b} not found (yet) in the cluster"),
                None => format!("{name} has no Kubernetes workload"),
            };
            state.flash(why, false);
            None
        }
    }
}

/// The Docker target of a service without a Kubernetes workload: its
/// Compose service when every container belongs to one, else its first
/// container.
pub fn focused_docker_of(s: &crate::model::Service) -> Option<crate::model::DockerTarget> {
    let c = s.containers.first()?;
    Some(
        match (&c.compose, s.containers.iter().all(|x| x.compose.is_some())) {
            (Some(l), true) => crate::model::DockerTarget::Compose(crate::model::ComposeRef {
                host: c.host.clone(),
                project: l.project.clone(),
                service: l.service.clone(),
            }),
            _ => crate::model::DockerTarget::Container {
                host: c.host.clone(),
                id: c.id.clone(),
                name: c.name.clone(),
            },
        },
    )
}

/// Ids of the running containers of services drawn on screen.
pub fn on_screen_containers(state: &State) -> Vec<String> {
    let services: Vec<usize> = match state.view {
        super::View::Detail { service, .. } => vec![service],
        super::View::Services => {
            let end = (state.list.offset + state.list_rows()).min(state.order.len());
            state.order[state.list.offset.min(end)..end].to_vec()
        }
        _ => vec![],
    };
    services
        .into_iter()
        .filter_map(|i| state.services.get(i))
        .flat_map(|s| s.containers.iter())
        .filter(|c| c.state == "running")
        .map(|c| c.id.clone())
        .collect()
}
