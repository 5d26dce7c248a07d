//! Sources: tasks that watch the outside world and send owned snapshots as
//! messages. They never touch `State`.

pub mod docker;
pub mod health;
pub mod health_body;
pub mod kube;
