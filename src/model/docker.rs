//! Docker containers and Compose services as the board shows them: plain
//! data built by `sources/docker`.

use std::time::SystemTime;

use serde::Serialize;

/// The Compose labels of a container (`com.docker.compose.*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComposeLabels {
    pub project: String,
    pub service: String,
    /// `container-number`.
    pub number: u32,
    pub oneoff: bool,
    pub config_hash: Option<String>,
}

/// HEALTHCHECK state of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerHealth {
    /// `starting`, `healthy` or `unhealthy`.
    pub status: String,
    pub failing_streak: i64,
    /// Output of the last probe, trimmed.
    pub last_output: Option<String>,
}

/// Resource use computed like `docker stats`: CPU in percent of one core
/// (200 % = two cores busy), memory = usage − inactive_file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ContainerStats {
    pub cpu_percent: f64,
    pub mem_bytes: u64,
    pub mem_limit: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContainerInfo {
    /// The Docker host label (e.g. `local`).
    pub host: String,
    pub id: String,
    pub name: String,
    pub image: String,
    pub image_id: String,
    /// `running`, `exited`, `restarting`, `paused`, `created`, `dead`.
    pub state: String,
    /// Docker's status text, e.g. `Up 3 minutes (healthy)`.
    pub status_text: String,
    pub exit_code: Option<i64>,
    pub health: Option<ContainerHealth>,
    pub restart_count: i64,
    pub started_at: Option<SystemTime>,
    /// `127.0.0.1:8080->80/tcp`.
    pub ports: Vec<String>,
    pub compose: Option<ComposeLabels>,
    pub stats: Option<ContainerStats>,
    /// Set while the Docker host cannot be reached: the last known state.
    pub stale: Option<super::Stale>,
}

impl ContainerInfo {
    /// Up / Degraded / Down as the board judges it: a running container
    /// whose HEALTHCHECK says unhealthy is never Up.
    pub fn health_verdict(&self) -> super::Health {
        use super::Health;
        if self.stale.is_some() {
            return Health::Unknown;
        }
        match self.state.as_str() {
            "running" => match self.health.as_ref().map(|h| h.status.as_str()) {
                Some("unhealthy") => Health::Down,
                Some("starting") => Health::Degraded,
                _ => Health::Up,
            },
            "restarting" | "paused" => Health::Degraded,
            _ => Health::Down,
        }
    }
}

/// A Compose service on one host: `project/service`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ComposeRef {
    pub host: String,
    pub project: String,
    pub service: String,
}

impl std::fmt::Display for ComposeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.project, self.service)
    }
}

/// Everything one Docker host shows, rebuilt as events arrive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DockerSnapshot {
    pub host: String,
    /// With `error` set: the last known containers, each marked stale.
    pub containers: Vec<ContainerInfo>,
    /// Set while the daemon cannot be reached (the source retries with a
    /// capped backoff): the fault in words, its raw chain, since when.
    pub error: Option<super::Fault>,
}
