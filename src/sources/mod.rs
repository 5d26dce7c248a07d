//! Sources: tasks that watch the outside world and send owned snapshots as
//! messages. They never touch `State`.

pub mod backoff;
pub mod docker;
pub mod documents;
pub mod fleet;
mod fleet_once;
mod fleet_query;
pub mod health;
pub mod kube;
pub mod logs;
pub mod metrics;
pub mod remote;

pub use fleet_once::poll_once as fleet_poll_once;
