//! Joining source snapshots into services: a Kubernetes workload lands on
//! the service bound to it in config, else on a discovered service of its
//! own.

use std::collections::HashSet;

use super::clusters::ClusterInfo;
use super::state::{State, View};
use crate::model::{ClusterSnapshot, Service, ServiceOrigin, WorkloadRef};

/// Applies one context's snapshot: workloads move into their services,
/// nodes and resource status into `state.clusters`.
pub fn apply_cluster(state: &mut State, snap: ClusterSnapshot) {
    let ClusterSnapshot {
        context,
        workloads,
        nodes,
        events,
        namespaces,
        resources,
        pairs,
        error,
    } = snap;
    for s in &mut state.services {
        if s.workload.as_ref().is_some_and(|w| w.id.context == context) {
            s.workload = None;
        }
    }
    let slots = super::join_pairs::slot_workloads(&pairs);
    let mut in_pairs = Vec::new();
    // While the workloads cannot be watched, they are the last known state.
    let stale =
        crate::model::kube::workloads_stale_since(&resources).map(|since| crate::model::Stale {
            source: format!("k8s {context}"),
            since,
        });
    let mut seen: HashSet<WorkloadRef> = HashSet::new();
    for mut w in workloads {
        w.stale.clone_from(&stale);
        seen.insert(w.id.clone());
        let configured = state
            .services
            .iter()
            .any(|s| s.kube_binding.as_ref().is_some_and(|b| b.binds(&w.id)));
        if slots.contains(&w.id) && !configured {
            in_pairs.push(w);
            continue;
        }
        let target = state
            .services
            .iter()
            .position(|s| s.kube_binding.as_ref().is_some_and(|b| b.binds(&w.id)))
            .or_else(|| {
                state.services.iter().position(|s| {
                    s.origin == ServiceOrigin::Discovered && s.kube_binding.as_ref() == Some(&w.id)
                })
            });
        match target {
            Some(i) => state.services[i].workload = Some(w),
            None => {
                let name = discovered_name(state, &w.id);
                let mut s = Service::new(name);
                s.origin = ServiceOrigin::Discovered;
                s.kube_binding = Some(w.id.clone());
                s.workload = Some(w);
                state.services.push(s);
            }
        }
    }
    let paired = super::join_pairs::apply(state, &context, pairs, in_pairs);
    // Discovered services whose workload (or pair) is gone from this
    // context leave.
    // They have no probes, so removing them never shifts a probe's index:
    // configured services always come first.
    let mut i = state.services.len();
    while i > 0 {
        i -= 1;
        let s = &state.services[i];
        let gone = s.origin == ServiceOrigin::Discovered
            && s.probes.is_empty()
            && (s
                .kube_binding
                .as_ref()
                .is_some_and(|b| b.context == context && !seen.contains(b))
                || s.blue_green_binding
                    .as_ref()
                    .is_some_and(|b| b.context == context && !paired.contains(b)));
        if gone {
            state.services.remove(i);
            state.view = match state.view {
                View::Detail { service, .. } if service == i => View::Services,
                View::Detail { service, scroll } if service > i => View::Detail {
                    service: service - 1,
                    scroll,
                },
                v => v,
            };
        }
    }
    state.clusters.insert(
        context,
        ClusterInfo {
            nodes,
            events,
            namespaces,
            resources,
            error,
        },
    );
    state.reorder();
    state.dirty = true;
}

/// `api`, or `shop/api` when `api` is taken, or `prod/shop/api`.
fn discovered_name(state: &State, w: &WorkloadRef) -> String {
    let taken = |n: &str| state.services.iter().any(|s| s.name == n);
    for candidate in [
        w.name.clone(),
        format!("{}/{}", w.namespace, w.name),
        format!("{}/{}/{}", w.context, w.namespace, w.name),
    ] {
        if !taken(&candidate) {
            return candidate;
        }
    }
    w.to_string()
}

/// Applies one Docker host's snapshot: containers land on the service bound
/// to their Compose service (or name), else on a discovered service per
/// Compose service, or per standalone container.
///
/// A snapshot with `error` set says the host cannot be reached: its
/// containers (the ones it carries, else the ones already on the board)
/// stay, marked stale since the fault began, until a fresh snapshot
/// replaces them; the fault in words goes to `docker_errors`.
pub fn apply_docker(state: &mut State, snap: crate::model::DockerSnapshot) {
    use crate::model::DockerBinding;
    let crate::model::DockerSnapshot {
        host,
        mut containers,
        error,
    } = snap;
    let mut previous = Vec::new();
    for s in &mut state.services {
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut s.containers)
            .into_iter()
            .partition(|c| c.host == host);
        s.containers = others;
        previous.extend(mine);
    }
    if let Some(fault) = &error {
        if containers.is_empty() {
            containers = std::mem::take(&mut previous);
        }
        let stale = crate::model::Stale {
            source: format!("docker {host}"),
            since: fault.since,
        };
        for c in &mut containers {
            c.stale = Some(stale.clone());
            c.stats = None;
        }
    }
    let mut seen: HashSet<DockerBinding> = HashSet::new();
    for c in containers {
        if c.compose.as_ref().is_some_and(|l| l.oneoff) {
            continue;
        }
        let target = state
            .services
            .iter()
            .position(|s| s.docker_binding.as_ref().is_some_and(|b| b.matches(&c)));
        let i = match target {
            Some(i) => i,
            None => {
                let binding = match &c.compose {
                    Some(l) => DockerBinding::Compose {
                        project: l.project.clone(),
                        service: l.service.clone(),
                    },
                    None => DockerBinding::Container {
                        name: c.name.clone(),
                    },
                };
                let name = match &binding {
                    DockerBinding::Compose { project, service } => {
                        [service.clone(), format!("{project}/{service}")]
                            .into_iter()
                            .find(|n| !state.services.iter().any(|s| &s.name == n))
                            .unwrap_or_else(|| format!("{host}:{project}/{service}"))
                    }
                    DockerBinding::Container { name } => [name.clone(), format!("{host}:{name}")]
                        .into_iter()
                        .find(|n| !state.services.iter().any(|s| &s.name == n))
                        .unwrap_or_else(|| {
                            // By characters: an id is whatever the daemon
                            // (or something posing as one) sent.
                            let short: String = c.id.chars().take(12).collect();
                            format!("{host}:{name}:{short}")
                        }),
                };
                let mut s = Service::new(name);
                s.origin = ServiceOrigin::Discovered;
                s.docker_binding = Some(binding);
                state.services.push(s);
                state.services.len() - 1
            }
        };
        if let Some(b) = &state.services[i].docker_binding {
            seen.insert(b.clone());
        }
        if let Some(before) = previous.iter().find(|p| p.name == c.name)
            && before.image != c.image
            && error.is_none()
        {
            let service = state.services[i].name.clone();
            state.change_log.record(
                &service,
                crate::model::Change {
                    at: state.now,
                    kind: crate::model::ChangeKind::Image,
                    what: format!("{}: {} → {}", c.name, before.image, c.image),
                    who: None,
                    release: Some(format!(
                        "{} changed image to {}",
                        c.name,
                        super::timeline::tag(&c.image)
                    )),
                },
            );
        }
        state.services[i].containers.push(c);
    }
    for s in &mut state.services {
        s.containers.sort_by(|a, b| {
            let n = |c: &crate::model::ContainerInfo| c.compose.as_ref().map_or(0, |l| l.number);
            n(a).cmp(&n(b)).then_with(|| a.name.cmp(&b.name))
        });
    }
    // Discovered Docker services with no container left on any host go.
    let mut i = state.services.len();
    while i > 0 {
        i -= 1;
        let s = &state.services[i];
        let gone = s.origin == ServiceOrigin::Discovered
            && s.probes.is_empty()
            && s.workload.is_none()
            && s.kube_binding.is_none()
            && s.docker_binding.as_ref().is_some_and(|b| !seen.contains(b))
            && s.containers.is_empty();
        if gone {
            state.services.remove(i);
            state.view = match state.view {
                View::Detail { service, .. } if service == i => View::Services,
                View::Detail { service, scroll } if service > i => View::Detail {
                    service: service - 1,
                    scroll,
                },
                v => v,
            };
        }
    }
    match error {
        Some(fault) => {
            state
                .docker_errors
                .insert(host.clone(), fault.words.clone());
            state.docker_faults.insert(host, fault);
        }
        None => {
            state.docker_errors.remove(&host);
            state.docker_faults.remove(&host);
        }
    }
    // A bound service with no container found while a host cannot be
    // asked is not known to be down: its containers may be on that host.
    let unreachable = state
        .docker_faults
        .iter()
        .min_by_key(|(_, f)| f.since)
        .map(|(h, f)| crate::model::Stale {
            source: format!("docker {h}"),
            since: f.since,
        });
    for s in &mut state.services {
        s.docker_stale = match (&s.docker_binding, s.containers.is_empty()) {
            (Some(_), true) => unreachable.clone(),
            _ => None,
        };
    }
    state.reorder();
    state.dirty = true;
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::app::{Banner, Keymap};
    use crate::model::{DockerBinding, DockerSnapshot, Fault, Health};

    #[test]
    fn a_bound_service_on_a_host_never_reached_is_not_called_down() {
        let mut web = Service::new("web");
        web.docker_binding = Some(DockerBinding::Compose {
            project: "shop".into(),
            service: "web".into(),
        });
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(50_000);
        let mut state = State::new(vec![web], Keymap::default(), Banner::default(), t0);
        assert_eq!(
            state.services[0].status(),
            Health::Down,
            "no container: down"
        );
        apply_docker(
            &mut state,
            DockerSnapshot {
                host: "local".into(),
                containers: vec![],
                error: Some(Fault::new("connection refused", t0)),
            },
        );
        let s = &state.services[0];
        assert_eq!(s.status(), Health::Unknown);
        assert!(s.stale().is_some());
        assert!(
            s.reason()
                .unwrap_or_default()
                .contains("docker local unreachable since"),
            "{:?}",
            s.reason()
        );
        apply_docker(
            &mut state,
            DockerSnapshot {
                host: "local".into(),
                containers: vec![],
                error: None,
            },
        );
        assert_eq!(state.services[0].status(), Health::Down);
        assert!(state.services[0].stale().is_none());
    }
}
