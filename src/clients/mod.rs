//! Clients: connections and requests to Docker, Kubernetes, Prometheus,
//! Alertmanager and health endpoints, shared by `sources` (which watch) and `ops` (which act).
//! They hold no board state and know nothing of config: the caller hands
//! them specs.

pub mod alertmanager;
pub mod docker;
pub mod failure;
pub mod http;
mod http_error;
pub mod kube;
pub mod probe;
pub mod prometheus;
