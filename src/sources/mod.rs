//! Sources: tasks that watch the outside world and send owned snapshots as
//! messages. They never touch `State`.

pub mod alertmanager;
pub mod backoff;
pub mod docker;
pub mod fleet;
mod fleet_query;
pub mod health;
pub mod health_body;
mod http_api;
mod http_error;
pub mod kube;
pub mod metrics;
pub mod prometheus;
pub mod remote;
