//! Docker actions: restart (rolling, one replica at a time, for a Compose
//! service), stop, start, scale a Compose service the way Compose itself
//! does (so `docker-compose ps`/`up` treat the new replicas as its own), and
//! roll back to the image a container or service ran before (from
//! [`ImageHistory`]). [`plan`] reads the live state and says what will
//! happen; [`run`] applies the [`DockerChange`] and follows it until every
//! container it touched is running and healthy.

pub mod clone;
pub mod history;
pub mod plan;
mod ready;
pub mod run;
pub mod scale;
pub mod scale_plan;

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerSummary, HealthConfig};
use bollard::query_parameters::ListContainersOptions;

pub use history::ImageHistory;
pub use plan::plan;
pub use run::run;

use crate::clients::docker::inspect::inspect;
use crate::clients::docker::labels::{LABEL_NUMBER, LABEL_ONEOFF, LABEL_PROJECT, LABEL_SERVICE};
use crate::clients::docker::{HostSpec, describe};
use crate::model::{ComposeRef, DockerTarget, Target};

/// What a plan says, its parameters, its risk and the change to run.
pub type Planned = (
    Vec<String>,
    std::collections::BTreeMap<String, String>,
    crate::model::Risk,
    DockerChange,
);

/// What [`run`] does; [`plan`] makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerChange {
    /// One id: a restart. Several: a rolling restart, in this order, each
    /// healthy before the next.
    Restart {
        ids: Vec<String>,
    },
    Stop {
        id: String,
    },
    Start {
        id: String,
    },
    /// Clone replicas from an existing one, or remove the highest numbers.
    Scale {
        service: ComposeRef,
        to: u32,
    },
    /// Recreate these containers, in order, with `image` (a ref or an id).
    Rollback {
        ids: Vec<String>,
        image: String,
    },
}

/// Clients per Docker host, connected on first use.
pub struct DockerClients {
    hosts: Vec<HostSpec>,
    clients: HashMap<String, Docker>,
}

impl DockerClients {
    /// `hosts`: from [``assemble::docker::hosts``] (`None`
    /// when the Docker source is disabled).
    pub fn new(hosts: Option<Vec<HostSpec>>) -> DockerClients {
        DockerClients {
            hosts: hosts.unwrap_or_default(),
            clients: HashMap::new(),
        }
    }

    pub fn client(&mut self, host: &str) -> Result<Docker, String> {
        if let Some(c) = self.clients.get(host) {
            return Ok(c.clone());
        }
        let Some(spec) = self.hosts.iter().find(|h| h.name == host) else {
            return Err(if self.hosts.is_empty() {
                "Docker is not configured ([docker] disabled)".into()
            } else {
                format!("no Docker host `{host}`")
            });
        };
        let c = crate::clients::docker::connect(spec).map_err(|e| e.to_string())?;
        self.clients.insert(host.to_string(), c.clone());
        Ok(c)
    }
}

/// The target of an action on a container or Compose service: one in
/// flight per target.
pub fn docker_target(t: &DockerTarget) -> Target {
    match t {
        DockerTarget::Container { host, name, .. } => Target {
            key: format!("docker/{host}/{name}"),
            name: name.clone(),
            service: None,
            environment: None,
        },
        DockerTarget::Compose(c) => compose_target(c),
    }
}

/// The target of an action on a Compose service.
pub fn compose_target(c: &ComposeRef) -> Target {
    Target {
        key: format!("docker/{}/{}/{}", c.host, c.project, c.service),
        name: c.service.clone(),
        service: None,
        environment: None,
    }
}

/// A container's name without the leading `/`.
pub fn name_of(c: &ContainerInspectResponse) -> String {
    c.name
        .as_deref()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_string()
}

/// The first `n` characters of `s` (never splitting a character).
fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// `sha256:0123456789ab` (12 hex digits, as `docker images` shows).
pub fn short_image_id(id: &str) -> String {
    match id.strip_prefix("sha256:") {
        Some(hex) => format!("sha256:{}", prefix(hex, 12)),
        None => prefix(id, 19).to_string(),
    }
}

/// A container id as `docker ps` shows it (12 hex digits).
pub fn short_id(id: &str) -> &str {
    prefix(id, 12)
}

pub fn state_of(c: &ContainerInspectResponse) -> String {
    c.state
        .as_ref()
        .and_then(|s| s.status)
        .map(|s| s.to_string())
        .unwrap_or_default()
}

pub fn is_running(c: &ContainerInspectResponse) -> bool {
    c.state.as_ref().and_then(|s| s.running).unwrap_or(false)
}

pub fn labels_of(c: &ContainerInspectResponse) -> HashMap<String, String> {
    c.config
        .as_ref()
        .and_then(|c| c.labels.clone())
        .unwrap_or_default()
}

/// A Compose replica: its container and number.
#[derive(Debug, Clone)]
pub struct Replica {
    pub id: String,
    pub name: String,
    pub number: u32,
    pub inspect: ContainerInspectResponse,
}

impl Replica {
    pub fn running(&self) -> bool {
        is_running(&self.inspect)
    }
}

/// The service's containers (one-off `run` containers left out), lowest
/// number first.
pub async fn replicas(docker: &Docker, service: &ComposeRef) -> Result<Vec<Replica>, String> {
    let filters = HashMap::from([(
        "label".to_string(),
        vec![
            format!("{LABEL_PROJECT}={}", service.project),
            format!("{LABEL_SERVICE}={}", service.service),
        ],
    )]);
    let list: Vec<ContainerSummary> = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(|e| {
            format!(
                "listing compose service {service} on {}: {}",
                service.host,
                describe(&e)
            )
        })?;
    let mut out = Vec::new();
    for s in list {
        let labels = s.labels.clone().unwrap_or_default();
        if labels
            .get(LABEL_ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            continue;
        }
        let Some(id) = s.id.clone() else { continue };
        let Some(inspect) = inspect(docker, &id)
            .await
            .map_err(|e| format!("inspecting a replica of {service}: {e}"))?
        else {
            continue;
        };
        out.push(Replica {
            name: name_of(&inspect),
            number: labels
                .get(LABEL_NUMBER)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            id,
            inspect,
        });
    }
    out.sort_by(|a, b| (a.number, &a.name).cmp(&(b.number, &b.name)));
    Ok(out)
}

/// A container, by id (or name), that must exist.
pub async fn container(
    docker: &Docker,
    host: &str,
    id: &str,
    name: &str,
) -> Result<ContainerInspectResponse, String> {
    let shown = if name.is_empty() { short_id(id) } else { name };
    let on = if host.is_empty() {
        String::new()
    } else {
        format!(" on {host}")
    };
    inspect(docker, id)
        .await
        .map_err(|e| format!("container {shown}{on}: {e}"))?
        .ok_or_else(|| format!("container {shown}{on}: no such container (it was removed)"))
}

/// The HEALTHCHECK in force, `None` when there is none (or it is disabled).
pub fn healthcheck(c: &ContainerInspectResponse) -> Option<HealthConfig> {
    let h = c.config.as_ref()?.healthcheck.clone()?;
    match h.test.as_deref() {
        None | Some([]) => None,
        Some([first, ..]) if first == "NONE" => None,
        _ => Some(h),
    }
}

fn secs(nanos: Option<i64>, default: f64) -> f64 {
    match nanos {
        Some(n) if n > 0 => n as f64 / 1e9,
        _ => default,
    }
}

/// What "healthy" means for this container, in words.
pub fn health_meaning(c: &ContainerInspectResponse) -> String {
    match healthcheck(c) {
        None => "running (it has no HEALTHCHECK, so running is all that is checked)".into(),
        Some(h) => {
            let test = h.test.unwrap_or_default();
            let cmd = match test.first().map(String::as_str) {
                Some("CMD") => test[1..].join(" "),
                Some("CMD-SHELL") => test[1..].join(" "),
                _ => test.join(" "),
            };
            format!(
                "running and healthy (its HEALTHCHECK `{cmd}` passes; it runs every {}s, and {} failures in a row mean unhealthy)",
                fmt_secs(secs(h.interval, 30.0)),
                h.retries.filter(|r| *r > 0).unwrap_or(3)
            )
        }
    }
}

fn fmt_secs(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

/// How long to wait for a container to become healthy: long enough for
/// its HEALTHCHECK to fail `retries` times after the start period.
pub fn ready_timeout(c: &ContainerInspectResponse) -> std::time::Duration {
    let base = match healthcheck(c) {
        None => 60.0,
        Some(h) => {
            let interval = secs(h.interval, 30.0);
            let timeout = secs(h.timeout, 30.0);
            let retries = h.retries.filter(|r| *r > 0).unwrap_or(3) as f64;
            secs(h.start_period, 0.0) + (interval + timeout) * (retries + 1.0) + 30.0
        }
    };
    std::time::Duration::from_secs_f64(base.max(60.0))
}

/// A client that waits long enough for a stop with `grace` seconds before
/// SIGKILL (the default request timeout is 2 minutes).
pub fn patient(docker: &Docker, grace: i32) -> Docker {
    let need = std::time::Duration::from_secs(grace.max(0) as u64 + 60);
    docker.clone().with_timeout(need.max(docker.timeout()))
}

/// Seconds `docker stop` waits before SIGKILL for this container.
pub fn stop_timeout(c: &ContainerInspectResponse) -> i32 {
    c.config
        .as_ref()
        .and_then(|c| c.stop_timeout)
        .map_or(10, |t| t as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms() {
        assert_eq!(
            short_image_id("sha256:0123456789abcdef0123"),
            "sha256:0123456789ab"
        );
        assert_eq!(short_id("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("äöüäöüäöüäöüäöü"), "äöüäöüäöüäöü");
        assert_eq!(short_image_id("web"), "web");
    }

    #[test]
    fn targets() {
        let t = docker_target(&DockerTarget::Compose(ComposeRef {
            host: "local".into(),
            project: "shop".into(),
            service: "web".into(),
        }));
        assert_eq!(t.key, "docker/local/shop/web");
        let t = docker_target(&DockerTarget::Container {
            host: "local".into(),
            id: "abc".into(),
            name: "db".into(),
        });
        assert_eq!((t.key.as_str(), t.name.as_str()), ("docker/local/db", "db"));
    }

    #[test]
    fn health_words_and_timeouts() {
        use bollard::models::ContainerConfig;
        let mut c = ContainerInspectResponse {
            config: Some(ContainerConfig {
                healthcheck: Some(HealthConfig {
                    test: Some(vec![
                        "CMD".into(),
                        "wget".into(),
                        "-q".into(),
                        "http://x/health".into(),
                    ]),
                    interval: Some(1_000_000_000),
                    timeout: Some(1_000_000_000),
                    retries: Some(2),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let m = health_meaning(&c);
        assert!(m.contains("`wget -q http://x/health`"), "{m}");
        assert!(m.contains("every 1s"), "{m}");
        assert!(m.contains("2 failures"), "{m}");
        assert_eq!(ready_timeout(&c).as_secs(), 60);
        c.config
            .as_mut()
            .unwrap()
            .healthcheck
            .as_mut()
            .unwrap()
            .test = Some(vec!["NONE".into()]);
        assert!(healthcheck(&c).is_none());
        assert!(health_meaning(&c).contains("no HEALTHCHECK"));
        // Docker's defaults: 30 s interval and timeout, 3 retries.
        c.config.as_mut().unwrap().healthcheck = Some(HealthConfig {
            test: Some(vec!["CMD-SHELL".into(), "true".into()]),
            ..Default::default()
        });
        assert_eq!(ready_timeout(&c).as_secs(), 270);
    }
}
