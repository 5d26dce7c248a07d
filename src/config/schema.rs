//! The TOML schema. Every struct denies unknown keys so a typo is an error
//! that names the key, not a silently ignored setting.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::basic_auth::BasicAuth;
use super::durations::{duration, opt_duration};
use crate::model::ProbeUrl;
use crate::model::keys::{Action, KeyChord};
use crate::model::secret::{HeaderValue, Secret};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Refuse every action (enforced in the action layer).
    #[serde(default)]
    pub read_only: bool,
    /// Theme name (`default`, `light`, `high-contrast`, `mono`) or a path to
    /// a theme TOML file.
    pub theme: Option<String>,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentConfig>,
    #[serde(default)]
    pub services: Vec<ServiceConfig>,
    /// Key bindings that replace the defaults for the named actions.
    #[serde(default)]
    pub keys: BTreeMap<Action, KeyList>,
    #[serde(default)]
    pub backup: BackupDefaults,
    #[serde(default)]
    pub audit: AuditConfig,
    /// Runbooks available on every service.
    #[serde(default)]
    pub runbooks: Vec<RunbookConfig>,
    #[serde(default)]
    pub kubernetes: KubernetesConfig,
    #[serde(default)]
    pub docker: DockerConfig,
    /// Prometheus servers: per-service queries, alerts, targets, rules.
    #[serde(default)]
    pub prometheus: Vec<super::schema_metrics::ServerConfig>,
    /// Alertmanagers: alerts and silences.
    #[serde(default)]
    pub alertmanager: Vec<super::schema_metrics::ServerConfig>,
    /// opsboard's own alert rules.
    #[serde(default)]
    pub rules: super::schema_metrics::RulesConfig,
    /// Device fleets: hosts' health endpoints or a Prometheus query.
    #[serde(default)]
    pub fleet: Vec<super::schema_fleet::FleetConfig>,
}

/// Which clusters to watch. With nothing set, the current kubeconfig
/// context (or in-cluster config) is used when one exists.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    /// A kubeconfig file; default: `$KUBECONFIG`, then `~/.kube/config`.
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Contexts shown at once, each labelled; default: the current one.
    #[serde(default)]
    pub contexts: Vec<String>,
    /// Namespaces watched; default: all.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Turn the Kubernetes source off even when a kubeconfig exists.
    #[serde(default)]
    pub disabled: bool,
    /// How long one watch request lasts before it is made again (default
    /// 290s, as kube and client-go); an API server silent for longer than
    /// this plus 15s is taken as gone.
    #[serde(default, with = "opt_duration")]
    pub watch_timeout: Option<Duration>,
}

/// `context/namespace/kind/name`, or `namespace/kind/name` for any context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadBinding(pub crate::model::WorkloadRef);

impl<'de> Deserialize<'de> for WorkloadBinding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let full = if s.split('/').count() == 3 {
            format!("*/{s}")
        } else {
            s
        };
        crate::model::WorkloadRef::parse(&full)
            .map(WorkloadBinding)
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupDefaults {
    /// Where backup files go (each job in its own subdirectory). Default:
    /// `backups/` in the XDG data dir.
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The audit log file. Default: `audit.jsonl` in the XDG data dir.
    pub path: Option<std::path::PathBuf>,
}

/// A backup job. Which keys apply depends on `kind`; validation says which
/// one is missing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupJobConfig {
    /// Unique across all services; names the subdirectory and the files.
    pub name: String,
    pub kind: crate::model::BackupKind,
    /// Overrides `[backup] dir` for this job.
    pub dir: Option<std::path::PathBuf>,
    /// Recovery point objective: a job whose newest verified backup is
    /// older is flagged and raises an alert.
    #[serde(default, with = "opt_duration")]
    pub rpo: Option<Duration>,
    /// Keep the newest N backups.
    pub keep_last: Option<u32>,
    /// Delete backups older than this (never the newest verified one).
    #[serde(default, with = "opt_duration")]
    pub max_age: Option<Duration>,
    /// Give up after this long (default 1h).
    #[serde(default, with = "opt_duration")]
    pub timeout: Option<Duration>,
    /// redis: `host:port` of the server.
    pub address: Option<String>,
    /// redis: ACL user name, when not `default`.
    pub username: Option<String>,
    /// redis: password (secret reference).
    pub password: Option<Secret>,
    /// postgres: connection string `postgres://user:pw@host:port/db` (secret
    /// reference, since it carries the password).
    pub url: Option<Secret>,
    /// files: the directory to archive.
    pub path: Option<std::path::PathBuf>,
    /// command: argv (no shell) whose stdout is the backup.
    #[serde(default)]
    pub command: Vec<String>,
    /// command: file extension of the output (default "out").
    pub extension: Option<String>,
    /// command: gzip the output (default true).
    pub compress: Option<bool>,
    /// command: environment beyond the small allowlist every child gets
    /// (`PATH`, `HOME`, `LANG`, …); values may be secret references.
    #[serde(default)]
    pub env: BTreeMap<String, HeaderValue>,
}

/// A named command an operator can run from the board or `opsboard do`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookConfig {
    pub name: String,
    pub description: Option<String>,
    /// argv template, no shell. Placeholders `{service}`, `{namespace}`,
    /// `{context}`, `{container}` are substituted inside each element and
    /// never split it.
    pub command: Vec<String>,
    /// A key that plans this runbook directly (besides the `:` palette).
    pub key: Option<KeyList>,
    /// Kill the command after this long (default 5m).
    #[serde(default, with = "opt_duration")]
    pub timeout: Option<Duration>,
    /// Working directory.
    pub cwd: Option<std::path::PathBuf>,
    /// Extra environment; values may be secret references.
    #[serde(default)]
    pub env: BTreeMap<String, HeaderValue>,
    /// Ask before running (default true).
    #[serde(default = "yes")]
    pub confirm: bool,
    /// Hidden and refused in read-only mode.
    #[serde(default)]
    pub dangerous: bool,
    /// Follow-up: the service's health must be Up within this long after
    /// the command succeeds.
    #[serde(default, with = "opt_duration")]
    pub verify_health_within: Option<Duration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default = "default_interval", with = "duration")]
    pub interval: Duration,
    #[serde(default = "default_timeout", with = "duration")]
    pub timeout: Duration,
    #[serde(default = "default_threshold")]
    pub failure_threshold: u32,
    /// Probes in flight at once, across all services.
    #[serde(default = "default_concurrency")]
    pub max_concurrent_probes: usize,
    /// Health bodies past this size are refused (bytes).
    #[serde(default = "default_body_limit")]
    pub body_limit_bytes: usize,
    /// Other hosts (`host:port`) a health probe may follow a redirect to;
    /// redirects within a probe's own host are followed anyway.
    #[serde(default)]
    pub follow_redirects_to: Vec<crate::model::RedirectHost>,
    /// When a rollout counts as regressed, for every service.
    #[serde(default)]
    pub rollback_on: super::schema_release::RollbackOnConfig,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            interval: default_interval(),
            timeout: default_timeout(),
            failure_threshold: default_threshold(),
            max_concurrent_probes: default_concurrency(),
            body_limit_bytes: default_body_limit(),
            follow_redirects_to: Vec::new(),
            rollback_on: Default::default(),
        }
    }
}

fn default_interval() -> Duration {
    Duration::from_secs(10)
}
fn default_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_threshold() -> u32 {
    3
}
fn default_concurrency() -> usize {
    64
}
fn default_body_limit() -> usize {
    64 * 1024
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    /// Actions on targets here need the target's name typed to confirm.
    #[serde(default)]
    pub protected: bool,
    /// Refuse every action on targets in this environment.
    #[serde(default)]
    pub read_only: bool,
    /// Kubernetes contexts whose workloads belong to this environment.
    #[serde(default)]
    pub contexts: Vec<String>,
    /// A protected environment lets the board roll back a regressed
    /// rollout by itself (`rollback_on.mode = "act"`) only when this is set.
    #[serde(default)]
    pub automatic_rollback: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub name: String,
    /// Name of an entry in `[environments]`.
    pub environment: Option<String>,
    #[serde(default)]
    pub health: Vec<ProbeConfig>,
    #[serde(default)]
    pub backups: Vec<BackupJobConfig>,
    /// Runbooks for this service only.
    #[serde(default)]
    pub runbooks: Vec<RunbookConfig>,
    /// The Kubernetes workload behind this service:
    /// `"context/namespace/kind/name"` or `"namespace/kind/name"` (any context).
    pub kubernetes: Option<WorkloadBinding>,
    /// The Docker Compose service behind this service: `"project/service"`.
    pub compose: Option<ComposeBinding>,
    /// A standalone Docker container behind this service, by name.
    pub container: Option<String>,
    /// A `/metrics` endpoint scraped directly.
    pub metrics: Option<super::schema_metrics::MetricsConfig>,
    /// PromQL queries for this service's metrics.
    pub prometheus: Option<super::schema_metrics::PromQueriesConfig>,
    /// What `x` runs in this service's containers (a shell when unset):
    /// `["/bin/bash", "-l"]`, `["rails", "console"]`.
    pub exec: Option<Vec<String>>,
    /// The Kubernetes Service of a blue-green pair behind this service:
    /// `"context/namespace/service"` (`*` context: any).
    pub blue_green: Option<super::schema_release::BlueGreenBinding>,
    /// When a rollout of this service counts as regressed (over
    /// `[defaults.rollback_on]`).
    pub rollback_on: Option<super::schema_release::RollbackOnConfig>,
}

/// `project/service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeBinding {
    pub project: String,
    pub service: String,
}

impl<'de> Deserialize<'de> for ComposeBinding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.split_once('/') {
            Some((p, svc)) if !p.is_empty() && !svc.is_empty() && !svc.contains('/') => {
                Ok(ComposeBinding {
                    project: p.to_string(),
                    service: svc.to_string(),
                })
            }
            _ => Err(serde::de::Error::custom(format!(
                "`{s}` is not project/service (the Compose project and service names, e.g. \"shop/web\")"
            ))),
        }
    }
}

/// Docker hosts to watch. With nothing set, the local engine is used when
/// its socket (or `DOCKER_HOST`, or the current `docker context`) is there.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerConfig {
    #[serde(default)]
    pub hosts: Vec<DockerHostConfig>,
    /// Turn the Docker source off.
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerHostConfig {
    /// Label shown on the board.
    pub name: String,
    /// `unix:///var/run/docker.sock`, `tcp://host:2376`; default: as the
    /// docker CLI finds it.
    pub endpoint: Option<String>,
    /// Use TLS with the certificates in this directory (ca.pem, cert.pem,
    /// key.pem), like `DOCKER_CERT_PATH`.
    pub tls_cert_path: Option<std::path::PathBuf>,
    /// The environment its containers belong to, unless a service bound to
    /// them names its own: actions obey its `read_only` and `protected`.
    pub environment: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// `http://…`, `https://…` or `tcp://host:port`.
    pub url: ProbeUrl,
    /// HTTP statuses that count as success (default: any 2xx).
    #[serde(default)]
    pub expect_status: Vec<u16>,
    #[serde(default, with = "opt_duration")]
    pub interval: Option<Duration>,
    #[serde(default, with = "opt_duration")]
    pub timeout: Option<Duration>,
    pub failure_threshold: Option<u32>,
    /// Verify the server's TLS certificate (on by default; turning it off is
    /// shown as a warning on the board).
    #[serde(default = "yes")]
    pub tls_verify: bool,
    #[serde(default)]
    pub headers: BTreeMap<String, HeaderValue>,
    pub bearer: Option<Secret>,
    pub basic: Option<BasicAuth>,
}

fn yes() -> bool {
    true
}

/// One key or a list of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyList(pub Vec<KeyChord>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        let raw = match OneOrMany::deserialize(d)? {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        };
        raw.iter()
            .map(|s| KeyChord::parse(s).map_err(serde::de::Error::custom))
            .collect::<Result<Vec<_>, _>>()
            .map(KeyList)
    }
}
