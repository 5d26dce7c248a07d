//! The composition root: the only reader of `Config`. It builds the specs
//! the sources and the action layer run with and the first `State`; the
//! runtime takes it from there.

pub mod catalog;
pub mod docker;
pub mod first_state;
pub mod fleet;
pub mod metrics;
pub mod probes;
pub mod rules;
pub mod services;

use std::path::PathBuf;

use crate::config::Config;
use crate::ops::audit::AuditLog;
use crate::ops::catalog::Catalog;
use crate::ops::policy::{Environment, Policy};
use services::ServicePlan;

/// Where the board keeps its files when config does not say: overrides
/// for the demo (which must never touch the user's real data).
#[derive(Debug, Clone, Default)]
pub struct Locations {
    pub audit_log: Option<PathBuf>,
    pub backup_base: Option<PathBuf>,
}

/// Everything a board (interactive or headless) runs with, assembled from
/// config.
pub struct Assembled {
    pub services: ServicePlan,
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
    pub metrics: metrics::MetricsPlan,
    pub rules: crate::rules::RuleSettings,
    /// Device fleets to poll.
    pub fleet: crate::sources::fleet::FleetPlan,
}

/// The Kubernetes settings: config's, with the command line's contexts,
/// namespace and kubeconfig (`--kubeconfig`) over them.
pub fn kube_settings(
    config: &Config,
    contexts: &[String],
    namespace: Option<&str>,
    kubeconfig: Option<&std::path::Path>,
) -> Option<crate::clients::kube::KubeSettings> {
    let k = &config.kubernetes;
    if k.disabled {
        return None;
    }
    Some(crate::clients::kube::KubeSettings {
        kubeconfig: kubeconfig
            .map(std::path::Path::to_path_buf)
            .or_else(|| k.kubeconfig.clone()),
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

/// Assembles everything a board runs with; an error names the config
/// part it comes from.
pub fn build(config: &Config, read_only: bool, locations: &Locations) -> Result<Assembled, String> {
    let mut services = services::plan(config)?;
    let (metrics, starts) = metrics::plan(config)?;
    for (svc, m) in services.services.iter_mut().zip(starts) {
        svc.metrics = m;
    }
    let mut catalog = catalog::build(config, &services.specs, locations.backup_base.as_deref())?;
    catalog.alertmanagers = metrics
        .alertmanagers
        .iter()
        .map(|a| a.spec.clone())
        .collect();
    let policy = Policy {
        read_only: read_only || config.read_only,
        environments: config
            .environments
            .iter()
            .map(|(name, e)| {
                let env = Environment {
                    protected: e.protected,
                    read_only: e.read_only,
                    automatic_rollback: e.automatic_rollback,
                };
                (name.clone(), env)
            })
            .collect(),
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
    let docker = docker::hosts(&config.docker)
        .filter(|h| !config.docker.hosts.is_empty() || (local_engine && !h.is_empty()));
    let image_history = crate::logging::log_dir().map(|d| d.join("docker-images.jsonl"));
    Ok(Assembled {
        services,
        catalog,
        policy,
        audit,
        kube: None,
        docker,
        image_history,
        metrics,
        rules: rules::rule_settings(&config.rules),
        fleet: fleet::plan(config)?,
    })
}
