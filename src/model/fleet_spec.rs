//! The device fleets to poll, as assembled from config: every host of an
//! endpoint fleet with its URL, location and labels; the query of a
//! query-backed one. `S` is how a query fleet reaches its Prometheus (the
//! sources' server settings): the model does not know HTTP clients.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::fleet::{Instance, InstanceKind};

/// The device fleets the runtime polls and the board shows.
#[derive(Debug, Clone)]
pub struct FleetPlan<S> {
    pub fleets: Vec<FleetSpec<S>>,
}

impl<S> Default for FleetPlan<S> {
    fn default() -> Self {
        FleetPlan { fleets: Vec::new() }
    }
}

#[derive(Debug, Clone)]
pub struct FleetSpec<S> {
    pub name: String,
    pub service: Option<String>,
    /// The fleet's offline threshold (else `[rules] fleet_offline`).
    pub threshold: Option<f64>,
    /// Per location, overriding `threshold`.
    pub group_thresholds: BTreeMap<String, f64>,
    pub source: FleetSource<S>,
}

#[derive(Debug, Clone)]
pub enum FleetSource<S> {
    Endpoints(EndpointFleet),
    Query(Box<QueryFleet<S>>),
}

#[derive(Debug, Clone)]
pub struct EndpointFleet {
    pub devices: Vec<DeviceSpec>,
    pub interval: Duration,
    pub timeout: Duration,
    /// Requests, and so sockets, in flight at most.
    pub concurrency: usize,
    pub tls_verify: bool,
}

#[derive(Debug, Clone)]
pub struct DeviceSpec {
    pub host: String,
    pub location: Option<String>,
    /// Shared by every device of its config group.
    pub labels: Arc<[(String, String)]>,
    pub url: url::Url,
}

#[derive(Debug, Clone)]
pub struct QueryFleet<S> {
    pub server: S,
    pub query: String,
    pub instance_label: String,
    pub location_label: String,
    pub interval: Duration,
}

impl<S> FleetSpec<S> {
    /// The devices as the board starts with them: every endpoint device
    /// unknown until its first poll; a query fleet empty until its first
    /// answer.
    pub fn initial_devices(&self) -> Vec<Instance> {
        let FleetSource::Endpoints(e) = &self.source else {
            return Vec::new();
        };
        let source = format!("fleet {}", self.name);
        e.devices
            .iter()
            .map(|d| {
                let mut i = Instance::new(InstanceKind::Device, d.host.clone(), source.clone());
                i.host = Some(d.host.clone());
                i.location = d.location.clone();
                i.service = self.service.clone();
                i.labels = d.labels.to_vec();
                i.reason = Some("not polled yet".into());
                i
            })
            .collect()
    }
}
