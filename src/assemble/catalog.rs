//! What the action layer can act on, from config: backup jobs, runbooks,
//! each service's environment, bindings and probes, and the environments
//! of hosts, servers and fleets.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clients::probe::ProbeSpec;
use crate::config::{Config, RunbookConfig};
use crate::ops::backup::{BackupSource, BackupSpec};
use crate::ops::catalog::{BackupEntry, Catalog, FleetScope, RunbookDef, ServiceInfo};

/// Where backups go when neither the job nor `[backup] dir` says.
fn default_backup_dir() -> Option<PathBuf> {
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
        key: r.key.as_ref().map(|k| k.0.clone()).unwrap_or_default(),
    }
}

/// Resolves config into a catalog. `probes` are the health specs of each
/// service in config order (from `services::plan`).
pub fn build(
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
            kube: s.kubernetes.as_ref().map(|b| b.0.clone()),
            docker: super::services::docker_binding(s),
            blue_green: s.blue_green.as_ref().map(|b| b.0.clone()),
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
fn fleet_scope(f: &crate::config::schema_fleet::FleetConfig) -> FleetScope {
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
    FleetScope {
        name: f.name.clone(),
        environment: f.environment.clone(),
        hosts,
    }
}
