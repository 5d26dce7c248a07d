//! Assembling a board from config: the services the state starts with and
//! the probe specs the health source runs.

use crate::app::ProbeId;
use crate::config::Config;
use crate::model::{ProbeState, Service, ServiceOrigin};
use crate::sources::health::ProbeSpec;

/// Services and their probe specs, indices matching.
pub struct Assembly {
    pub services: Vec<Service>,
    pub specs: Vec<ProbeSpec>,
}

pub fn assemble(config: &Config) -> Result<Assembly, String> {
    let mut services = Vec::with_capacity(config.services.len());
    let mut specs = Vec::new();
    for (si, sc) in config.services.iter().enumerate() {
        let mut svc = Service::new(sc.name.clone());
        svc.environment = sc.environment.clone();
        svc.origin = ServiceOrigin::Config;
        for (pi, pc) in sc.health.iter().enumerate() {
            let id = ProbeId {
                service: si,
                probe: pi,
            };
            let spec = ProbeSpec::from_config(id, pc, &config.defaults)
                .map_err(|e| format!("services[{si}].health[{pi}] ({}): {e}", sc.name))?;
            let mut ps = ProbeState::new(
                pc.url.display(),
                spec.interval,
                pc.failure_threshold
                    .unwrap_or(config.defaults.failure_threshold),
            );
            ps.insecure_tls = !pc.tls_verify
                && matches!(pc.url, crate::config::ProbeUrl::Http(ref u) if u.scheme() == "https");
            svc.probes.push(ps);
            specs.push(spec);
        }
        services.push(svc);
    }
    Ok(Assembly { services, specs })
}
