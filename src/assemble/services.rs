//! The services the board starts with, from `[[services]]`, and the probe
//! specs the health source runs (indices matching).

use crate::clients::probe::ProbeSpec;
use crate::config::{Config, ServiceConfig};
use crate::model::{DockerBinding, ProbeId, ProbeState, ProbeUrl, Service, ServiceOrigin};

/// Services and their probe specs, indices matching.
pub struct ServicePlan {
    pub services: Vec<Service>,
    pub specs: Vec<ProbeSpec>,
}

pub fn plan(config: &Config) -> Result<ServicePlan, String> {
    let mut services = Vec::with_capacity(config.services.len());
    let mut specs = Vec::new();
    for (si, sc) in config.services.iter().enumerate() {
        let mut svc = Service::new(sc.name.clone());
        svc.environment = sc.environment.clone();
        svc.exec = sc.exec.clone();
        svc.kube_binding = sc.kubernetes.as_ref().map(|b| b.0.clone());
        svc.blue_green_binding = sc.blue_green.as_ref().map(|b| b.0.clone());
        let defaults = config
            .defaults
            .rollback_on
            .over(crate::model::RollbackOn::default());
        svc.rollback_on = sc
            .rollback_on
            .as_ref()
            .map_or(defaults, |r| r.over(defaults));
        svc.docker_binding = docker_binding(sc);
        svc.origin = ServiceOrigin::Config;
        for (pi, pc) in sc.health.iter().enumerate() {
            let id = ProbeId {
                service: si,
                probe: pi,
            };
            let spec = super::probes::probe_spec(id, pc, &config.defaults)
                .map_err(|e| format!("services[{si}].health[{pi}] ({}): {e}", sc.name))?;
            let mut ps = ProbeState::new(
                pc.url.display(),
                spec.interval,
                pc.failure_threshold
                    .unwrap_or(config.defaults.failure_threshold),
            );
            ps.insecure_tls =
                !pc.tls_verify && matches!(pc.url, ProbeUrl::Http(ref u) if u.scheme() == "https");
            svc.probes.push(ps);
            specs.push(spec);
        }
        services.push(svc);
    }
    Ok(ServicePlan { services, specs })
}

/// A service's Docker binding: its Compose service, else its container.
pub(super) fn docker_binding(sc: &ServiceConfig) -> Option<DockerBinding> {
    match (&sc.compose, &sc.container) {
        (Some(c), _) => Some(DockerBinding::Compose {
            project: c.project.clone(),
            service: c.service.clone(),
        }),
        (None, Some(name)) => Some(DockerBinding::Container { name: name.clone() }),
        (None, None) => None,
    }
}
