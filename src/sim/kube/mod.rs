//! A simulated Kubernetes API server with the controllers that make its
//! objects move: Deployments roll out through ReplicaSets, pods start,
//! become ready or crash-loop, StatefulSets and DaemonSets roll, HPAs
//! scale, Services' Endpoints follow their pods, PodDisruptionBudgets
//! guard evictions (`pods/eviction`, so `kubectl drain` works; the
//! scheduler respects cordons and spreads each app's pods). Objects carry
//! `metadata.managedFields` for Update operations (simplified: see
//! `managed_fields`); server-side apply, EndpointSlices, RBAC beyond
//! refusals, admission and protobuf request bodies (so typed creates like
//! `kubectl create pdb` are refused with 415) are not simulated. It
//! serves real Kubernetes JSON over plain HTTP on loopback, so `kubectl`
//! and kube-rs work against it unchanged. Used by `opsboard demo` and by tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use opsboard::sim::kube::{SimCluster, World};
//! let sim = SimCluster::start(World::demo()).await?;
//! sim.write_kubeconfig(std::path::Path::new("/tmp/kubeconfig"), "sim")?;
//! // kubectl --kubeconfig /tmp/kubeconfig get pods -A
//! # Ok(()) }
//! ```

mod batch;
mod clock;
mod controllers;
mod cron;
mod defaults;
mod discovery;
mod errors;
mod eviction;
mod exec;
mod exec_stream;
mod faults;
mod kubeconfig;
mod list_watch;
mod log_lines;
mod logs;
mod managed_fields;
mod materialize;
mod materialize_batch;
mod objects;
mod openapi;
mod patch;
mod pdb_rules;
mod preconditions;
mod protobuf;
mod request;
mod resources;
mod response;
mod selectors;
mod server;
mod shell;
mod state;
mod store;
mod table;
#[cfg(test)]
mod tests;
mod util;
mod world;
mod world_pdb;
mod world_presets;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use controllers::hpa::ANN_CPU as ANN_CPU_UTILIZATION;
pub use controllers::pod_status::completion::{ANN_EXIT_CODE, ANN_RUN_FOR};
pub use controllers::pod_status::{ANN_CRASH, ANN_CRASH_AFTER, ANN_NEVER_READY, ANN_READY_AFTER};
pub use kubeconfig::TOKEN;
pub use logs::ANN_LOG_RATE;
pub use resources::Res;
pub use world::CronJobSpec;
pub use world::{Crash, HpaSpec, NodeSpec, Revision, ServiceSpec, Workload, WorkloadKind, World};

use clock::Clock;
use controllers::Controllers;
use state::{Shared, State};
use store::Store;

/// How often the controllers run (wall time).
const TICK: Duration = Duration::from_millis(100);

/// A running simulated cluster: the API server task and the controller
/// loop. Dropping it stops both.
pub struct SimCluster {
    shared: Arc<Shared>,
    addr: SocketAddr,
    /// The listening socket, kept across [`SimCluster::restart`]; `None`
    /// while the server is away ([`SimCluster::go_away`]).
    listener: Option<std::net::TcpListener>,
    server: Option<server::Running>,
    controllers: JoinHandle<()>,
}

impl SimCluster {
    /// Builds `world` (settled) and serves it on `127.0.0.1:0`.
    pub async fn start(world: World) -> std::io::Result<SimCluster> {
        let clock = Arc::new(Clock::new(1.0));
        // Settling a big world takes a while: off the async threads.
        let c = clock.clone();
        let (store, ctl) = tokio::task::spawn_blocking(move || {
            let mut store = Store::new(c.clone(), world.seed);
            let mut ctl = Controllers::new();
            materialize::materialize(&world, &mut store, &mut ctl, &c);
            (store, ctl)
        })
        .await
        .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared::new(State { store, ctl }, clock));
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let server = server::start(
            shared.clone(),
            TcpListener::from_std(listener.try_clone()?)?,
        )
        .await?;
        let controllers = tokio::spawn(run_controllers(shared.clone()));
        Ok(SimCluster {
            shared,
            addr,
            listener: Some(listener),
            server: Some(server),
            controllers,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Writes a kubeconfig for this cluster (server URL, a token user,
    /// namespace `default`) with `context` as its current context.
    pub fn write_kubeconfig(&self, path: &Path, context: &str) -> std::io::Result<()> {
        kubeconfig::write(path, &self.url(), context)
    }

    /// Writes one kubeconfig for several clusters, a context each (named
    /// as given); the first is the current context.
    pub fn write_shared_kubeconfig(
        path: &Path,
        clusters: &[(&SimCluster, &str)],
    ) -> std::io::Result<()> {
        let urls: Vec<(String, &str)> = clusters.iter().map(|(c, n)| (c.url(), *n)).collect();
        let entries: Vec<(&str, &str)> = urls.iter().map(|(u, n)| (u.as_str(), *n)).collect();
        kubeconfig::write_many(path, &entries)
    }

    /// Simulated seconds per wall-clock second (1.0 at start).
    pub fn set_time_scale(&self, factor: f64) {
        self.shared.clock.set_scale(factor);
    }

    pub fn time_scale(&self) -> f64 {
        self.shared.clock.scale()
    }

    /// Makes every request on `resource` (`nodes`, `apps/v1/deployments`…)
    /// answer 403 Forbidden. Unknown names are ignored.
    pub fn forbid(&self, resource: &str) {
        if let Some(r) = Res::parse(resource) {
            self.shared.forbid(r);
        }
    }

    /// Undoes [`SimCluster::forbid`].
    pub fn allow(&self, resource: &str) {
        if let Some(r) = Res::parse(resource) {
            self.shared.allow(r);
        }
    }

    /// Drops the watch history: a watch from any earlier resourceVersion
    /// gets a 410 `Expired` error event.
    pub fn compact(&self) {
        self.shared.lock().store.compact();
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().store.resource_version()
    }

    /// Restarts the HTTP server on the same port with the same state:
    /// every open connection and watch ends (clients must re-watch), while
    /// the listening socket stays bound, so connections made meanwhile wait
    /// for the new server instead of being refused.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        self.stop_server().await;
        let std_listener = match &self.listener {
            Some(l) => l.try_clone()?,
            None => self.bind()?,
        };
        let listener = TcpListener::from_std(std_listener)?;
        self.server = Some(server::start(self.shared.clone(), listener).await?);
        Ok(())
    }

    /// The API server goes away: open connections and watches end and the
    /// port is closed, so new connections are refused, until
    /// [`SimCluster::come_back`]. The cluster's state is kept (the
    /// controllers keep running, as etcd and the kubelets would).
    pub async fn go_away(&mut self) {
        self.stop_server().await;
        self.listener = None;
    }

    /// The API server is back on the same port with the same state.
    pub async fn come_back(&mut self) -> std::io::Result<()> {
        self.restart().await
    }

    /// Every request on `resource` answers `code` (500, 503 …) until
    /// [`SimCluster::heal`]. Unknown names are ignored.
    pub fn fail(&self, resource: &str, code: u16) {
        if let Some(r) = Res::parse(resource) {
            self.shared.faults().failing.insert(r, code);
        }
    }

    /// Watches on `resource` are accepted and then send nothing (no
    /// events, no bookmarks) until [`SimCluster::heal`]; lists still work.
    pub fn hang_watches(&self, resource: &str) {
        if let Some(r) = Res::parse(resource) {
            self.shared.faults().hung.insert(r);
        }
    }

    /// Undoes [`SimCluster::fail`] and [`SimCluster::hang_watches`] for
    /// new requests (a watch already hanging stays so until it ends).
    pub fn heal(&self, resource: &str) {
        if let Some(r) = Res::parse(resource) {
            let mut f = self.shared.faults();
            f.failing.remove(&r);
            f.hung.remove(&r);
        }
    }

    /// Binds the cluster's port again (`SO_REUSEADDR`: the old server's
    /// connections may linger in TIME_WAIT).
    fn bind(&mut self) -> std::io::Result<std::net::TcpListener> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(self.addr)?;
        let listener = socket.listen(1024)?.into_std()?;
        listener.set_nonblocking(true)?;
        self.listener = Some(listener.try_clone()?);
        Ok(listener)
    }

    async fn stop_server(&mut self) {
        if let Some(s) = self.server.take() {
            s.cancel.cancel();
            let abort = s.task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), s.task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    /// One object as stored, e.g. `object("apps/v1/deployments",
    /// Some("default"), "web")` or `object("nodes", None, "n1")`.
    pub fn object(
        &self,
        group_version_resource: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let res = Res::parse(group_version_resource)?;
        let ns = if res.namespaced() {
            namespace.unwrap_or("default")
        } else {
            ""
        };
        self.shared
            .lock()
            .store
            .get(res, ns, name)
            .map(|v| (*v).clone())
    }

    /// All objects of a resource, in one namespace or all.
    pub fn objects(&self, group_version_resource: &str, namespace: Option<&str>) -> Vec<Value> {
        let Some(res) = Res::parse(group_version_resource) else {
            return vec![];
        };
        let ns = if res.namespaced() { namespace } else { None };
        self.shared
            .lock()
            .store
            .list(res, ns)
            .into_iter()
            .map(|v| (*v).clone())
            .collect()
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.server.take() {
            s.cancel.cancel();
            s.task.abort();
        }
        self.controllers.abort();
    }
}

impl Drop for SimCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn run_controllers(shared: Arc<Shared>) {
    let mut every = tokio::time::interval(TICK);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        let mut st = shared.lock();
        let State { store, ctl } = &mut *st;
        ctl.tick(store);
    }
}
