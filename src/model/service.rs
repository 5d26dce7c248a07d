//! A service: what an on-call engineer thinks in, joined from its bindings.

use super::health::Health;
use super::probe::ProbeState;

/// Where a service came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceOrigin {
    Config,
    Discovered,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub environment: Option<String>,
    pub origin: ServiceOrigin,
    pub probes: Vec<ProbeState>,
    /// Config binding to a Kubernetes workload (`*` context = any).
    pub kube_binding: Option<super::WorkloadRef>,
    /// The bound or discovered workload, as last seen.
    pub workload: Option<super::Workload>,
    /// Config binding to a Compose service (`project/service`) or, with
    /// an empty project, one standalone container by name.
    pub docker_binding: Option<DockerBinding>,
    /// The containers behind the service, as last seen.
    pub containers: Vec<super::ContainerInfo>,
    /// Request rate, errors, latency… when the service has a metrics
    /// endpoint or Prometheus queries (boxed: most rows have none).
    pub metrics: Option<Box<super::metrics::ServiceMetrics>>,
    /// Set while no container of the binding is known and a Docker host
    /// cannot be asked: "no container" would then be a guess, not a fact.
    pub docker_stale: Option<super::Stale>,
    /// What `x` runs in the service's containers; a shell when `None`.
    pub exec: Option<Vec<String>>,
    /// Config binding to a blue-green Service (`context/namespace/name`).
    pub blue_green_binding: Option<super::ServiceRef>,
    /// The blue-green pair behind the service, as last seen; its live
    /// slot's workload is `workload`.
    pub blue_green: Option<super::BlueGreen>,
    /// When a rollout counts as regressed, and what the board does then.
    pub rollback_on: super::RollbackOn,
}

/// What a service is bound to on Docker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DockerBinding {
    Compose { project: String, service: String },
    Container { name: String },
}

impl DockerBinding {
    pub fn matches(&self, c: &super::ContainerInfo) -> bool {
        match self {
            DockerBinding::Compose { project, service } => c
                .compose
                .as_ref()
                .is_some_and(|l| !l.oneoff && l.project == *project && l.service == *service),
            DockerBinding::Container { name } => c.name == *name,
        }
    }
}

impl std::fmt::Display for DockerBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DockerBinding::Compose { project, service } => write!(f, "{project}/{service}"),
            DockerBinding::Container { name } => write!(f, "container {name}"),
        }
    }
}

impl Service {
    pub fn new(name: impl Into<String>) -> Self {
        Service {
            name: name.into(),
            environment: None,
            origin: ServiceOrigin::Config,
            probes: Vec::new(),
            kube_binding: None,
            workload: None,
            docker_binding: None,
            containers: Vec::new(),
            metrics: None,
            docker_stale: None,
            exec: None,
            blue_green_binding: None,
            blue_green: None,
            rollback_on: super::RollbackOn::default(),
        }
    }

    /// The worst of the probes' statuses and the workload's health;
    /// Unknown with neither.
    pub fn status(&self) -> Health {
        let probes = self.probes.iter().map(ProbeState::effective_status).min();
        let workload = self.workload.as_ref().map(|w| w.health().0);
        let docker = self.docker_health().map(|(h, _)| h);
        [probes, workload, docker]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(Health::Unknown)
    }

    /// The containers' verdict: Down when none runs healthily, Degraded
    /// when some do not (an unhealthy container is never Up).
    pub fn docker_health(&self) -> Option<(Health, Option<String>)> {
        if let Some(st) = self.containers.iter().find_map(|c| c.stale.as_ref()) {
            return Some((Health::Unknown, Some(st.reason())));
        }
        if self.containers.is_empty() {
            if let (Some(_), Some(st)) = (&self.docker_binding, &self.docker_stale) {
                return Some((Health::Unknown, Some(st.reason())));
            }
            return self
                .docker_binding
                .as_ref()
                .map(|b| (Health::Down, Some(format!("no container for {b}"))));
        }
        let total = self.containers.len();
        let up = self
            .containers
            .iter()
            .filter(|c| c.health_verdict() == Health::Up)
            .count();
        let worst = self.containers.iter().min_by_key(|c| c.health_verdict());
        let why = worst.filter(|c| c.health_verdict() != Health::Up).map(|c| {
            let state = match &c.health {
                Some(h) if c.state == "running" => h.status.clone(),
                _ => c.state.clone(),
            };
            format!("{} {state}", c.name)
        });
        if up == total {
            Some((Health::Up, None))
        } else if up == 0 {
            Some((
                Health::Down,
                Some(format!("0/{total} healthy · {}", why.unwrap_or_default())),
            ))
        } else {
            Some((
                Health::Degraded,
                Some(format!(
                    "{up}/{total} healthy · {}",
                    why.unwrap_or_default()
                )),
            ))
        }
    }

    /// Set when what the row shows came (in part) from a source that cannot
    /// reach its backend now: the row is the last known state, not current.
    pub fn stale(&self) -> Option<&super::Stale> {
        self.workload
            .as_ref()
            .and_then(|w| w.stale.as_ref())
            .or_else(|| self.containers.iter().find_map(|c| c.stale.as_ref()))
            .or_else(|| {
                self.docker_stale
                    .as_ref()
                    .filter(|_| self.containers.is_empty())
            })
    }

    /// Latest latency of the slowest probe.
    pub fn last_latency(&self) -> Option<std::time::Duration> {
        self.probes.iter().filter_map(|p| p.last_latency).max()
    }

    pub fn latency_p95(&self) -> Option<std::time::Duration> {
        self.probes.iter().filter_map(ProbeState::latency_p95).max()
    }

    /// Uptime of the least available probe.
    pub fn uptime_percent(&self) -> Option<f64> {
        self.probes
            .iter()
            .filter_map(ProbeState::uptime_percent)
            .min_by(|a, b| a.total_cmp(b))
    }

    /// The reasons the service is not Up, one per probe that has one,
    /// joined for a table cell.
    pub fn reason(&self) -> Option<String> {
        let mut reasons: Vec<String> = self.probes.iter().filter_map(ProbeState::reason).collect();
        if let Some(w) = &self.workload
            && let (_, Some(r)) = w.health()
        {
            reasons.push(r);
        }
        if let Some((_, Some(r))) = self.docker_health() {
            reasons.push(r);
        }
        if reasons.is_empty() && (self.workload.is_some() || !self.containers.is_empty()) {
            return None;
        }
        if reasons.is_empty() {
            if self.probes.is_empty() {
                return Some("no probes configured".into());
            }
            if self.probes.iter().all(|p| p.last_at.is_none()) {
                return Some("not polled yet".into());
            }
            None
        } else {
            Some(reasons.join("; "))
        }
    }

    pub fn any_insecure_tls(&self) -> bool {
        self.probes.iter().any(|p| p.insecure_tls)
    }

    /// Latencies of the probe with the most history, oldest first, in
    /// microseconds (`None` for a failed sample), for a sparkline.
    pub fn latency_series_us(&self) -> impl Iterator<Item = Option<u64>> + '_ {
        self.probes
            .iter()
            .max_by_key(|p| p.history.len())
            .into_iter()
            .flat_map(|p| p.history.iter())
            .map(|s| s.ok.then_some(s.latency().as_micros() as u64))
    }
}
