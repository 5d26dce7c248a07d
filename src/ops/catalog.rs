//! What the action layer can act on (built by `assemble::catalog`): backup
//! jobs, runbooks, and each service's environment and probes (for
//! follow-ups).

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use super::backup::BackupSpec;
use crate::clients::probe::ProbeSpec;
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
    pub key: Vec<crate::model::keys::KeyChord>,
}

#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub name: String,
    pub environment: Option<String>,
    pub probes: Vec<ProbeSpec>,
    /// The Kubernetes workload bound in config (its context `*` matches
    /// every context).
    pub kube: Option<crate::model::WorkloadRef>,
    /// The Docker Compose service or container bound in config.
    pub docker: Option<crate::model::DockerBinding>,
    /// The blue-green Kubernetes Service bound in config.
    pub blue_green: Option<crate::model::ServiceRef>,
}

/// A device fleet's hosts and environment.
#[derive(Debug, Clone, Default)]
pub struct FleetScope {
    pub name: String,
    pub environment: Option<String>,
    pub hosts: HashSet<String>,
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
    pub fleets: Vec<FleetScope>,
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
        use crate::model::ActionRequest as R;
        match req {
            R::DockerScale { service, .. } => {
                self.docker_target_service(&crate::model::DockerTarget::Compose(service.clone()))
            }
            R::DockerRestart { target }
            | R::DockerStop { target }
            | R::DockerStart { target }
            | R::DockerRollback { target } => self.docker_target_service(target),
            _ => (None, None),
        }
    }

    /// The configured service a container or Compose service belongs to,
    /// and its environment.
    pub fn docker_target_service(
        &self,
        target: &crate::model::DockerTarget,
    ) -> (Option<String>, Option<String>) {
        use crate::model::{DockerBinding as B, DockerTarget as T};
        let matches = |s: &ServiceInfo| -> bool {
            match (target, &s.docker) {
                (T::Compose(c), Some(B::Compose { project, service })) => {
                    c.project == *project && c.service == *service
                }
                (T::Container { name, .. }, Some(B::Container { name: n })) => name == n,
                (T::Container { name, .. }, Some(B::Compose { project, service })) => {
                    name.starts_with(&format!("{project}_{service}_"))
                        || name.starts_with(&format!("{project}-{service}-"))
                }
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
            .find(|s| s.kube.as_ref().is_some_and(|b| b.binds(w)))
            .map(|s| s.name.clone())
    }

    /// The environment that lists Kubernetes context `context`.
    pub fn environment_of_context(&self, context: &str) -> Option<String> {
        self.environment_contexts
            .iter()
            .find(|(_, contexts)| contexts.iter().any(|c| c == context))
            .map(|(e, _)| e.clone())
    }

    /// A blue-green Service's board service and environment: the service
    /// bound to it, and the stricter of its environment and the one that
    /// lists the context.
    pub fn blue_green_of(
        &self,
        r: &crate::model::ServiceRef,
        policy: &super::policy::Policy,
    ) -> (Option<String>, Option<String>) {
        let bound = self.services.iter().find(|s| {
            s.blue_green.as_ref().is_some_and(|b| {
                (b.context == "*" || b.context == r.context)
                    && b.namespace == r.namespace
                    && b.name == r.name
            })
        });
        let context = self.environment_of_context(&r.context);
        let env = policy.strictest(
            bound
                .and_then(|s| s.environment.clone())
                .into_iter()
                .chain(context)
                .collect(),
        );
        (bound.map(|s| s.name.clone()), env)
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
            .find(|s| s.kube.as_ref().is_some_and(|b| b.binds(w)))
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
