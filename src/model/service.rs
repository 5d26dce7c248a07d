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
        }
    }

    /// The worst of the probes' statuses and the workload's health;
    /// Unknown with neither.
    pub fn status(&self) -> Health {
        let probes = self.probes.iter().map(ProbeState::effective_status).min();
        let workload = self.workload.as_ref().map(|w| w.health().0);
        match (probes, workload) {
            (Some(p), Some(w)) => p.min(w),
            (Some(h), None) | (None, Some(h)) => h,
            (None, None) => Health::Unknown,
        }
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
        if let Some(w) = &self.workload {
            if let (_, Some(r)) = w.health() {
                reasons.push(r);
            }
            if reasons.is_empty() {
                return None;
            }
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
            .map(|s| s.ok.then_some(s.latency.as_micros() as u64))
    }
}
