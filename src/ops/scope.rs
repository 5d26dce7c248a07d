//! Where a runbook runs, and under which environment's rules.
//!
//! Every target resolves to an environment or, explicitly, to none: a
//! configured service's own, the environment that lists a Kubernetes
//! context, a Docker host's, a device fleet's, a Prometheus server's (for
//! its scrape targets). When several apply, the strictest wins (read-only,
//! then protected), so binding a workload of a protected context to a
//! service in a laxer environment cannot loosen its protection. A service
//! or host opsboard has never heard of is an error, not an unprotected
//! target.

use super::catalog::{Catalog, FleetScope};
use super::policy::Policy;
use super::runbook::Placeholders;
use crate::model::RunbookScope;

/// What a runbook request resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub environment: Option<String>,
    pub values: Placeholders,
}

/// Resolves a runbook request: the environment its target belongs to and
/// the values of its placeholders (config bindings first, then what the
/// board saw).
pub fn resolve(
    catalog: &Catalog,
    policy: &Policy,
    service: Option<&str>,
    host: Option<&str>,
    scope: &RunbookScope,
) -> Result<Resolved, String> {
    let info = service.and_then(|s| catalog.service(s));
    let seen = scope.context.is_some()
        || scope.docker_host.is_some()
        || scope.fleet.is_some()
        || scope.prometheus.is_some();
    if let Some(s) = service
        && info.is_none()
        && !seen
    {
        let known: Vec<&str> = catalog.services.iter().map(|s| s.name.as_str()).collect();
        return Err(format!(
            "no service `{s}` in config (known: {}); a misspelled name would run without its environment's protection",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        ));
    }
    let workload = info.and_then(|i| i.kube.as_ref());
    // A binding's `*` context means "wherever it is found": the board's.
    let context = workload
        .map(|w| w.context.clone())
        .filter(|c| c != "*")
        .or_else(|| scope.context.clone());
    let namespace = workload
        .map(|w| w.namespace.clone())
        .or_else(|| scope.namespace.clone());
    let container = match info.and_then(|i| i.docker.as_ref()) {
        Some(crate::model::DockerBinding::Container { name }) => Some(name.clone()),
        _ => scope.container.clone(),
    };

    let mut candidates: Vec<String> = Vec::new();
    candidates.extend(info.and_then(|i| i.environment.clone()));
    if let Some(c) = &context {
        candidates.extend(catalog.environment_of_context(c));
    }
    if let Some(h) = &scope.docker_host {
        candidates.extend(lookup(&catalog.docker_host_environments, h));
    }
    if let Some(p) = &scope.prometheus {
        candidates.extend(lookup(&catalog.prometheus_environments, p));
    }
    if let Some(h) = host {
        let fleets: Vec<&FleetScope> = match &scope.fleet {
            Some(f) => catalog.fleets.iter().filter(|x| x.name == *f).collect(),
            None => catalog
                .fleets
                .iter()
                .filter(|x| x.hosts.contains(h))
                .collect(),
        };
        candidates.extend(fleets.iter().filter_map(|f| f.environment.clone()));
        let known_host = !fleets.is_empty() || seen;
        if !known_host {
            return Err(format!(
                "host `{h}` is in no [[fleet]] and was not selected on the board: opsboard cannot tell which environment's rules apply to it"
            ));
        }
    }
    Ok(Resolved {
        environment: policy.strictest(candidates),
        values: Placeholders {
            service: service.map(str::to_string),
            host: host.map(str::to_string),
            namespace,
            context,
            container,
        },
    })
}

fn lookup(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, env)| env.clone())
}
