//! The Docker source: per host, one list and an inspect per container to
//! start, then the daemon's event stream (container events only, debounced)
//! drives inspects of exactly the containers the events name. A list every
//! 30 s catches anything missed; stats stream only for the containers on
//! screen. Watch, don't poll.
//!
//! Faults: a lost daemon or a cut event stream starts a fresh session (a
//! new list, a new subscription) at once, then after a capped, jittered
//! backoff while the daemon stays away. Meanwhile the host's last known
//! containers are sent marked stale, with the fault (`error`) in words.
//! Each host's task runs under [`crate::sources::backoff::supervise`]: if
//! it ever ends or panics, it is logged and started again.

mod host;
mod lost;
mod once;
mod reporter;
pub mod snapshot;
pub mod stats;
mod watch;

use std::collections::HashSet;

use tokio::sync::{mpsc, watch as tokio_watch};
use tokio::task::JoinHandle;

use crate::app::Msg;
use crate::clients::docker::HostSpec;
pub use once::snapshot_once;
pub use snapshot::snapshot;

/// Handle to the running host watchers; dropping it stops them.
pub struct DockerSource {
    tasks: Vec<JoinHandle<()>>,
    visible: tokio_watch::Sender<HashSet<String>>,
}

impl Drop for DockerSource {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl DockerSource {
    /// Starts a watcher per host, each supervised: restarted (and logged)
    /// whenever it ends, until the board is gone. Must be called inside a
    /// Tokio runtime.
    pub fn spawn(hosts: Vec<HostSpec>, tx: mpsc::Sender<Msg>) -> DockerSource {
        let (visible, visible_rx) = tokio_watch::channel(HashSet::new());
        let tasks = hosts
            .into_iter()
            .map(|h| {
                let (tx, visible_rx) = (tx.clone(), visible_rx.clone());
                tokio::spawn(async move {
                    let what = format!("docker {}", h.name);
                    let board = tx.clone();
                    let task = || host::run_host(h.clone(), tx.clone(), visible_rx.clone());
                    tokio::select! {
                        _ = crate::sources::backoff::supervise(&what, task) => {}
                        _ = board.closed() => {}
                    }
                })
            })
            .collect();
        DockerSource { tasks, visible }
    }

    /// The containers on screen: stats are collected for these (the
    /// running ones) only.
    pub fn set_visible(&self, container_ids: Vec<String>) {
        let ids: HashSet<String> = container_ids.into_iter().collect();
        self.visible.send_if_modified(|v| {
            if *v == ids {
                false
            } else {
                *v = ids;
                true
            }
        });
    }
}
