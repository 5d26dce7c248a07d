//! What the action layer can act on, resolved from config: backup jobs,
//! runbooks, and each service's environment and probes (for follow-ups).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::backup::{BackupSource, BackupSpec};
use crate::clients::probe::ProbeSpec;
use crate::config::{Config, RunbookConfig};
use crate::model::BackupJob;
use crate::model::secret::HeaderValue;

/// A backup job and where it belongs.
#[derive(Debug, Clone)]
pub struct BackupEntry {
    pub spec: BackupSpec,
    pub environment: Option<String>,
    pub rpo: Option<Duration>,
}

/// A runbook, global (`service: None`) or for one service.
#[derive(Debug, Clone)]
pub struct RunbookDef {
    pub name: String,
    pub description: Option<String>,
    pub service: Option<String>,
    pub command: Vec<String>,
    pub timeout: Duration,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, HeaderValue)>,
    pub confirm: bool,
    pub dangerous: bool,
    pub verify_health_within: Option<Duration>,
    /// Keys that plan this runbook directly.
    pub key: Option<crate::config::schema::KeyList>,
}

#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub name: String,
    pub environment: Option<String>,
    pub probes: Vec<ProbeSpec>,
    /// The Kubernetes workload bound in config.
    pub kube: Option<crate::config::WorkloadBinding>,
    /// The Docker Compose service or container bound in config.
    pub docker: Option<crate::model::DockerBinding>,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub backups: Vec<BackupEntry>,
    pub runbooks: Vec<RunbookDef>,
    pub services: Vec<ServiceInfo>,
    /// `(environment, Kubernetes contexts in it)`.
    pub environment_contexts: Vec<(String, Vec<String>)>,
    /// Alertmanagers silences can be made on.
    pub alertmanagers: Vec<crate::clients::prometheus::ServerSpec>,
    /// `(Docker host, environment)` for hosts that name one.
    pub docker_host_environments: Vec<(String, String)>,
    /// `(Alertmanager, environment)`: silences obey it.
    pub alertmanager_environments: Vec<(String, String)>,
    /// `(Prometheus server, environment)`: runbooks on its targets obey it.
    pub prometheus_environments: Vec<(String, String)>,
    /// Every device fleet's hosts, so `--host` resolves to its fleet.
    pub fleets: Vec<super::scope::FleetScope>,
}

impl Catalog {
    pub fn backup(&self, job: &str) -> Option<&BackupEntry> {
        self.backups.iter().find(|b| b.spec.name == job)
    }

    pub fn service(&self, name: &str) -> Option<&ServiceInfo> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The configured service behind a Docker request, and its environment.
    pub fn docker_service_of(
        &self,
        req: &crate::model::ActionRequest,
    ) -> (Option<String>, Option<String>) {
        use crate::model::{ActionRequest as R, DockerTarget};
        let matches = |s: &ServiceInfo| -> bool {
            match (req, &s.docker) {
                (
                    R::DockerScale { service, .. },
                    Some(crate::model::DockerBinding::Compose {
                        project,
                        service: svc,
                    }),
                ) => *project == service.project && *svc == service.service,
                (
                    R::DockerRestart { target }
                    | R::DockerStop { target }
                    | R::DockerStart { target }
                    | R::DockerRollback { target },
                    Some(b),
                ) => match (target, b) {
                    (
                        DockerTarget::Compose(c),
                        crate::model::DockerBinding::Compose { project, service },
                    ) => c.project == *project && c.service == *service,
                    (
                        DockerTarget::Container { name, .. },
                        crate::model::DockerBinding::Container { name: n },
                    ) => name == n,
                    (
                        DockerTarget::Container { name, .. },
                        crate::model::DockerBinding::Compose { project, service },
                    ) => {
                        name.starts_with(&format!("{project}_{service}_"))
                            || name.starts_with(&format!("{project}-{service}-"))
                    }
                    _ => false,
                },
                _ => false,
            }
        };
        match self.services.iter().find(|s| matches(s)) {
            Some(s) => (Some(s.name.clone()), s.environment.clone()),
            None => (None, None),
        }
    }

    /// The configured service bound to a workload.
    pub fn service_of(&self, w: &crate::model::WorkloadRef) -> Option<String> {
        self.services
            .iter()
            .find(|s| s.kube.as_ref().is_some_and(|b| b.matches(w)))
            .map(|s| s.name.clone())
    }

    /// The environment that lists Kubernetes context `context`.
    pub fn environment_of_context(&self, context: &str) -> Option<String> {
        self.environment_contexts
            .iter()
            .find(|(_, contexts)| contexts.iter().any(|c| c == context))
            .map(|(e, _)| e.clone())
    }

    /// A workload's environment: its bound service's or the one that lists
    /// its context, whichever is stricter (a service in a lax environment
    /// cannot loosen a protected context).
    pub fn environment_of(
        &self,
        w: &crate::model::WorkloadRef,
        policy: &super::policy::Policy,
    ) -> Option<String> {
        let service = self
            .services
            .iter()
            .find(|s| s.kube.as_ref().is_some_and(|b| b.matches(w)))
            .and_then(|s| s.environment.clone());
        let context = self.environment_of_context(&w.context);
        policy.strictest(service.into_iter().chain(context).collect())
    }

    /// A runbook by name: the service's own first, then a global one.
    pub fn runbook(&self, name: &str, service: Option<&str>) -> Option<&RunbookDef> {
        self.runbooks
            .iter()
            .find(|r| r.name == name && r.service.is_some() && r.service.as_deref() == service)
            .or_else(|| {
                self.runbooks
                    .iter()
                    .find(|r| r.name == name && r.service.is_none())
            })
    }

    /// The board's view of the backup jobs (files arrive from scans).
    pub fn backup_jobs(&self) -> Vec<BackupJob> {
        self.backups
            .iter()
            .map(|b| BackupJob {
                name: b.spec.name.clone(),
                service: b.spec.service.clone(),
                kind: b.spec.kind(),
                dir: b.spec.dir.clone(),
                rpo: b.rpo,
                keep_last: b.spec.keep_last,
                max_age: b.spec.max_age,
                files: Vec::new(),
                scan_error: None,
                last_run: None,
            })
            .collect()
    }
}

/// Where backups go when neither the job nor `[backup] dir` says.
pub fn default_backup_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "opsboard").map(|d| d.data_dir().join("backups"))
}

fn runbook(r: &RunbookConfig, service: Option<&str>) -> RunbookDef {
    RunbookDef {
        name: r.name.clone(),
        description: r.description.clone(),
        service: service.map(str::to_string),
        command: r.command.clone(),
        timeout: r.timeout.unwrap_or(Duration::from_secs(300)),
        cwd: r.cwd.clone(),
        env: r.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        confirm: r.confirm,
        dangerous: r.dangerous,
        verify_health_within: r.verify_health_within,
        key: r.key.clone(),
    }
}

/// Resolves config into a catalog. `probes` are the health specs of each
/// service in config order (from `board::assemble`).
pub fn from_config(
    config: &Config,
    probes: &[ProbeSpec],
    backup_base: Option<&Path>,
) -> Result<Catalog, String> {
    let base = config
        .backup
        .dir
        .clone()
        .or_else(|| backup_base.map(Path::to_path_buf))
        .or_else(default_backup_dir);
    let mut catalog = Catalog::default();
    for (si, s) in config.services.iter().enumerate() {
        catalog.services.push(ServiceInfo {
            name: s.name.clone(),
            environment: s.environment.clone(),
            probes: probes
                .iter()
                .filter(|p| p.id.service == si)
                .cloned()
                .collect(),
            kube: s.kubernetes.clone(),
            docker: match (&s.compose, &s.container) {
                (Some(c), _) => Some(crate::model::DockerBinding::Compose {
                    project: c.project.clone(),
                    service: c.service.clone(),
                }),
                (None, Some(name)) => {
                    Some(crate::model::DockerBinding::Container { name: name.clone() })
                }
                (None, None) => None,
            },
        });
        for b in &s.backups {
            let dir = b
                .dir
                .clone()
                .or_else(|| base.clone())
                .ok_or_else(|| {
                    format!(
                        "backup job `{}`: no backup directory (set [backup] dir)",
                        b.name
                    )
                })?
                .join(&b.name);
            let source = match b.kind {
                crate::model::BackupKind::Redis => BackupSource::Redis {
                    address: b.address.clone().unwrap_or_default(),
                    username: b.username.clone(),
                    password: b.password.clone(),
                },
                crate::model::BackupKind::Postgres => BackupSource::Postgres {
                    url: b
                        .url
                        .clone()
                        .ok_or_else(|| format!("backup job `{}` needs url", b.name))?,
                },
                crate::model::BackupKind::Files => BackupSource::Files {
                    path: b.path.clone().unwrap_or_default(),
                },
                crate::model::BackupKind::Command => BackupSource::Command {
                    argv: b.command.clone(),
                    extension: b.extension.clone().unwrap_or_else(|| "out".into()),
                    compress: b.compress.unwrap_or(true),
                    env: b.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                },
            };
            catalog.backups.push(BackupEntry {
                spec: BackupSpec {
                    name: b.name.clone(),
                    service: s.name.clone(),
                    source,
                    dir,
                    keep_last: b.keep_last,
                    max_age: b.max_age,
                    timeout: b.timeout.unwrap_or(Duration::from_secs(3600)),
                },
                environment: s.environment.clone(),
                rpo: b.rpo,
            });
        }
        for r in &s.runbooks {
            catalog.runbooks.push(runbook(r, Some(&s.name)));
        }
    }
    for r in &config.runbooks {
        catalog.runbooks.push(runbook(r, None));
    }
    catalog.environment_contexts = config
        .environments
        .iter()
        .filter(|(_, e)| !e.contexts.is_empty())
        .map(|(n, e)| (n.clone(), e.contexts.clone()))
        .collect();
    let named = |name: &String, env: &Option<String>| env.clone().map(|e| (name.clone(), e));
    catalog.docker_host_environments = config
        .docker
        .hosts
        .iter()
        .filter_map(|h| named(&h.name, &h.environment))
        .collect();
    catalog.alertmanager_environments = config
        .alertmanager
        .iter()
        .filter_map(|a| named(&a.name, &a.environment))
        .collect();
    catalog.prometheus_environments = config
        .prometheus
        .iter()
        .filter_map(|p| named(&p.name, &p.environment))
        .collect();
    catalog.fleets = config.fleet.iter().map(fleet_scope).collect();
    Ok(catalog)
}

/// A fleet's hosts as listed in config (ranges expanded, as the poller
/// does; a query fleet lists none: its hosts come from Prometheus).
fn fleet_scope(f: &crate::config::schema_fleet::FleetConfig) -> super::scope::FleetScope {
    let patterns = f
        .hosts
        .iter()
        .chain(f.groups.iter().flat_map(|g| g.hosts.iter()));
    let hosts = patterns
        .filter_map(|p| {
            crate::config::schema_fleet::expand_hosts(p, crate::config::schema_fleet::MAX_DEVICES)
                .ok()
        })
        .flatten()
        .collect();
    super::scope::FleetScope {
        name: f.name.clone(),
        environment: f.environment.clone(),
        hosts,
    }
}
