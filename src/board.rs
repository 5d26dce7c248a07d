//! Assembling a board from config: the services the state starts with, the
//! probe specs the health source runs, and what the action layer needs.

use std::path::PathBuf;

use crate::app::{Banner, Keymap, ProbeId, RunbookEntry, State};
use crate::config::Config;
use crate::model::{ProbeState, Service, ServiceOrigin};
use crate::ops::OpsContext;
use crate::ops::audit::AuditLog;
use crate::ops::catalog::{self, Catalog};
use crate::ops::policy::Policy;
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
        svc.kube_binding = sc.kubernetes.as_ref().map(|b| b.0.clone());
        svc.docker_binding = match (&sc.compose, &sc.container) {
            (Some(c), _) => Some(crate::model::DockerBinding::Compose {
                project: c.project.clone(),
                service: c.service.clone(),
            }),
            (None, Some(name)) => {
                Some(crate::model::DockerBinding::Container { name: name.clone() })
            }
            (None, None) => None,
        };
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

/// Where the board keeps its files when config does not say: overrides
/// for the demo (which must never touch the user's real data).
#[derive(Debug, Clone, Default)]
pub struct Locations {
    pub audit_log: Option<PathBuf>,
    pub backup_base: Option<PathBuf>,
}

/// Everything a board (interactive or headless) runs with.
pub struct Built {
    pub assembly: Assembly,
    pub catalog: Catalog,
    pub policy: Policy,
    pub audit: Option<AuditLog>,
    /// Clusters to watch and act on; `None` when turned off.
    pub kube: Option<crate::clients::kube::KubeSettings>,
    /// Docker hosts to watch and act on; `None` when turned off.
    pub docker: Option<Vec<crate::clients::docker::HostSpec>>,
    /// The record of images seen on Docker hosts (for roll back).
    pub image_history: Option<PathBuf>,
    /// Metrics scrapes, Prometheus and Alertmanager servers.
    pub metrics: crate::board_metrics::MetricsPlan,
    pub rules: crate::rules::RuleSettings,
    /// Device fleets to poll.
    pub fleet: crate::board_fleet::FleetPlan,
}

/// Kubernetes settings from config and the command line.
pub fn kube_settings(
    config: &Config,
    contexts: &[String],
    namespace: Option<&str>,
) -> Option<crate::clients::kube::KubeSettings> {
    let k = &config.kubernetes;
    if k.disabled {
        return None;
    }
    Some(crate::clients::kube::KubeSettings {
        kubeconfig: k.kubeconfig.clone(),
        contexts: if contexts.is_empty() {
            k.contexts.clone()
        } else {
            contexts.to_vec()
        },
        namespaces: k.namespaces.clone(),
        namespace_flag: namespace.map(str::to_string),
        watch_timeout: k
            .watch_timeout
            .unwrap_or(crate::clients::kube::connect::WATCH_TIMEOUT),
    })
}

pub fn build(config: &Config, read_only: bool, locations: &Locations) -> Result<Built, String> {
    let mut assembly = assemble(config)?;
    let (metrics, starts) = crate::board_metrics::plan(config)?;
    for (svc, m) in assembly.services.iter_mut().zip(starts) {
        svc.metrics = m;
    }
    let mut catalog =
        catalog::from_config(config, &assembly.specs, locations.backup_base.as_deref())?;
    catalog.alertmanagers = metrics
        .alertmanagers
        .iter()
        .map(|a| a.spec.clone())
        .collect();
    let policy = Policy {
        read_only: read_only || config.read_only,
        environments: config.environments.clone(),
    };
    let audit = config
        .audit
        .path
        .clone()
        .or_else(|| locations.audit_log.clone())
        .or_else(AuditLog::default_path)
        .map(AuditLog::new);
    // Zero config: watch the local engine only when there is one to watch.
    let local_engine = std::env::var_os("DOCKER_HOST").is_some()
        || std::path::Path::new("/var/run/docker.sock").exists()
        || directories::BaseDirs::new()
            .is_some_and(|b| b.home_dir().join(".docker/config.json").exists());
    let docker = crate::sources::docker::hosts_from_config(&config.docker)
        .filter(|h| !config.docker.hosts.is_empty() || (local_engine && !h.is_empty()));
    let image_history = crate::logging::log_dir().map(|d| d.join("docker-images.jsonl"));
    Ok(Built {
        assembly,
        catalog,
        policy,
        audit,
        kube: None,
        docker,
        image_history,
        metrics,
        rules: config.rules.settings(),
        fleet: crate::board_fleet::plan(config)?,
    })
}

impl Built {
    /// The initial state and the action layer's context. Runbook keys that
    /// collide with built-in keys are dropped and named in the notice.
    pub fn into_board(
        self,
        keymap: Keymap,
        mut banner: Banner,
        now: std::time::SystemTime,
    ) -> (State, Vec<ProbeSpec>, OpsContext) {
        let mut keys: Vec<_> = Vec::new();
        for r in &self.catalog.runbooks {
            for k in r.key.iter().flat_map(|k| k.0.iter()) {
                // A service runbook and a global one may share name and key.
                if !keys.contains(&(*k, r.name.clone())) {
                    keys.push((*k, r.name.clone()));
                }
            }
        }
        let (keymap, shadowed) = keymap.with_runbooks(keys);
        if !shadowed.is_empty() {
            let note = shadowed.join("; ");
            banner.notice = Some(match banner.notice.take() {
                Some(n) => format!("{n} · {note}"),
                None => note,
            });
        }
        let mut state = State::new(self.assembly.services, keymap, banner, now);
        state.backups = self.catalog.backup_jobs();
        state.runbooks = self
            .catalog
            .runbooks
            .iter()
            .map(|r| RunbookEntry {
                name: r.name.clone(),
                description: r.description.clone(),
                service: r.service.clone(),
                dangerous: r.dangerous,
                uses_host: r.command.iter().any(|a| a.contains("{host}")),
            })
            .collect();
        state.audit_path = self.audit.as_ref().map(|a| a.path().display().to_string());
        state.banner.read_only = self.policy.read_only;
        state.rules = crate::rules::Rules::new(self.rules);
        state.fleet = crate::app::fleet::FleetState::from_plan(&self.fleet);
        state.alerts.alertmanagers = self
            .metrics
            .alertmanagers
            .iter()
            .map(|a| a.spec.name.clone())
            .collect();
        let ctx = OpsContext {
            catalog: self.catalog,
            policy: self.policy,
            audit: self.audit,
            kube: self.kube,
            docker: self.docker,
            image_history: self.image_history,
        };
        (state, self.assembly.specs, ctx)
    }
}
