//! The Kubernetes source: per context, `kube::runtime` watchers (paged
//! initial list, bookmarks, relist on 410, default backoff) feed reflector
//! stores; a snapshot of the cluster is rebuilt from the stores when they
//! change (at most every 250 ms) and sent to the board. Watch, don't poll.

pub mod events;
mod list_once;
pub mod release;
pub mod snapshot;

pub use list_once::list_once;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::{Duration, SystemTime};

use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt};
use k8s_openapi::NamespaceResourceScope;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::backoff::Backoff;
use crate::app::Msg;
use crate::clients::kube::Connected;
use crate::model::{ClusterSnapshot, Fault, ResourceStatus};

/// Snapshots are rebuilt at most this often while objects change.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// The watch of the cluster's namespaces (for `:ns`), kept out of the
/// resources whose status the board shows.
const NAMESPACES: &str = "namespaces";

/// Handle to the running watchers; dropping it stops them.
pub struct KubeSource {
    tasks: JoinSet<()>,
}

impl Drop for KubeSource {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

impl KubeSource {
    /// Stops every watcher and waits until each has ended, so that no
    /// message of this source follows in the board's queue (a scope switch
    /// relies on it).
    pub async fn shutdown(mut self) {
        std::mem::take(&mut self.tasks).shutdown().await;
    }

    /// Watches every connected context. Contexts that failed to connect
    /// report their error once, as a snapshot with `error` set.
    pub fn spawn(
        connected: Vec<Connected>,
        namespaces: Vec<String>,
        tx: mpsc::Sender<Msg>,
    ) -> KubeSource {
        let mut tasks = JoinSet::new();
        for c in connected {
            let tx = tx.clone();
            let namespaces = namespaces.clone();
            match c.client {
                Ok(client) => {
                    tasks.spawn(watch_context(
                        c.context,
                        client,
                        namespaces,
                        c.watch_timeout,
                        tx,
                    ));
                }
                Err(e) => {
                    let e = e.to_string();
                    tasks.spawn(async move {
                        let snap = ClusterSnapshot {
                            context: c.context,
                            workloads: vec![],
                            nodes: vec![],
                            events: vec![],
                            namespaces: vec![],
                            resources: vec![],
                            pairs: vec![],
                            error: Some(e),
                        };
                        let _ = tx.send(Msg::Kube(Box::new(snap))).await;
                    });
                }
            }
        }
        KubeSource { tasks }
    }
}

/// Names a watcher error the way an operator reads it: RBAC refusals say
/// what was refused where; everything else is a [`Fault`] whose words name
/// the cause (connection refused, timed out, HTTP 500 …) and whose raw
/// chain goes to the detail view and the log.
fn classify(
    e: &watcher::Error,
    resource: &str,
    namespace: Option<&str>,
    prev: Option<&Fault>,
    now: SystemTime,
) -> ResourceStatus {
    let status = match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s.as_ref()),
        watcher::Error::WatchError(s) => Some(s.as_ref()),
        _ => None,
    };
    let raw = crate::model::fault::chain(e);
    match status {
        Some(s) if s.code == 403 => {
            let verb = match e {
                watcher::Error::InitialListFailed(_) => "list",
                _ => "watch",
            };
            let scope = match namespace {
                Some(n) => format!(" in {n}"),
                None if resource == "nodes" => String::new(),
                None => " in any namespace".to_string(),
            };
            ResourceStatus::Forbidden(format!("cannot {verb} {resource}{scope} (RBAC)"))
        }
        Some(s) if s.code == 401 => {
            let mut f = Fault::update(prev, raw, now);
            f.words = "unauthorized (token expired?)".into();
            ResourceStatus::Failing(f)
        }
        Some(s) if s.code >= 400 => {
            let mut f = Fault::update(prev, raw, now);
            f.words = format!("HTTP {}", s.code);
            ResourceStatus::Failing(f)
        }
        _ => ResourceStatus::Failing(Fault::update(prev, raw, now)),
    }
}

/// Events from the watcher tasks to the context's snapshot loop.
type Change = (&'static str, Option<ResourceStatus>);

/// Watches one resource type forever. Any error, an ended stream or a
/// panic drops the watcher and starts a fresh one (a relist, as client-go's
/// reflector does) after a capped, jittered backoff, so the resource comes
/// back within one backoff step of the API server coming back.
fn spawn_watch<K>(
    tasks: &mut JoinSet<()>,
    api: Api<K>,
    config: watcher::Config,
    name: &'static str,
    namespace: Option<String>,
    changes: mpsc::Sender<Change>,
) -> Store<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone + Send + Sync,
{
    let (reader, mut writer) = reflector::store();
    tasks.spawn(async move {
        let mut backoff = Backoff::default();
        let mut failing: Option<Fault> = None;
        loop {
            let mut stream = watcher(api.clone(), config.clone()).boxed();
            let why = loop {
                let item = match AssertUnwindSafe(stream.next()).catch_unwind().await {
                    Ok(Some(item)) => item,
                    Ok(None) => break "the watch stream ended".to_string(),
                    Err(_) => break "the watcher panicked".to_string(),
                };
                let change = match item {
                    Ok(ev) => {
                        writer.apply_watcher_event(&ev);
                        match ev {
                            watcher::Event::Init | watcher::Event::InitApply(_) => None,
                            _ => {
                                backoff.reset();
                                failing = None;
                                Some(ResourceStatus::Ok)
                            }
                        }
                    }
                    Err(e) => {
                        let status = classify(
                            &e,
                            name,
                            namespace.as_deref(),
                            failing.as_ref(),
                            SystemTime::now(),
                        );
                        if let ResourceStatus::Failing(f) = &status {
                            failing = Some(f.clone());
                        }
                        if changes.send((name, Some(status))).await.is_err() {
                            return;
                        }
                        break crate::model::fault::chain(&e);
                    }
                };
                if changes.send((name, change)).await.is_err() {
                    return;
                }
            };
            let wait = backoff.next_delay();
            tracing::warn!(
                resource = name,
                namespace = namespace.as_deref().unwrap_or("*"),
                "watch failed ({why}); watching again in {wait:?}"
            );
            tokio::time::sleep(wait).await;
        }
    });
    reader
}

fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Stores of one resource type across the namespaces in scope.
struct Stores<K: Resource + 'static>(Vec<Store<K>>)
where
    K::DynamicType: Eq + std::hash::Hash + Clone;

impl<K> Stores<K>
where
    K: Resource + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    fn state(&self) -> Vec<std::sync::Arc<K>> {
        self.0.iter().flat_map(|s| s.state()).collect()
    }
}

async fn watch_context(
    context: String,
    client: Client,
    namespaces: Vec<String>,
    watch_timeout: Duration,
    tx: mpsc::Sender<Msg>,
) {
    use k8s_openapi::api::apps::v1::{
        ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
    };
    use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
    use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, Service};

    let mut tasks = JoinSet::new();
    let (ch_tx, mut ch_rx) = mpsc::channel::<Change>(4096);
    let scopes: Vec<Option<&str>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().map(|n| Some(n.as_str())).collect()
    };
    // The server ends each watch after this; one silent for longer (plus a
    // margin) is taken as dead and made again.
    let timeout = u32::try_from(watch_timeout.as_secs().max(1)).unwrap_or(290);
    let cfg = || watcher::Config::default().timeout(timeout);
    macro_rules! watch_all {
        ($k:ty, $name:literal, $cfg:expr) => {
            Stores::<$k>(
                scopes
                    .iter()
                    .map(|ns| {
                        spawn_watch(
                            &mut tasks,
                            api::<$k>(&client, *ns),
                            $cfg,
                            $name,
                            ns.map(str::to_string),
                            ch_tx.clone(),
                        )
                    })
                    .collect(),
            )
        };
    }
    let deployments = watch_all!(Deployment, "deployments", cfg());
    let statefulsets = watch_all!(StatefulSet, "statefulsets", cfg());
    let daemonsets = watch_all!(DaemonSet, "daemonsets", cfg());
    let replicasets = watch_all!(ReplicaSet, "replicasets", cfg());
    let revisions = watch_all!(ControllerRevision, "controllerrevisions", cfg());
    let pods = watch_all!(Pod, "pods", cfg());
    let hpas = watch_all!(HorizontalPodAutoscaler, "horizontalpodautoscalers", cfg());
    // Every type: Warnings for the workloads' detail, all for the Events pane.
    let events = watch_all!(Event, "events", cfg());
    // For blue-green pairs: which slot each Service's selector picks.
    let services = watch_all!(Service, "services", cfg());
    let nodes = Stores::<Node>(vec![spawn_watch(
        &mut tasks,
        Api::all(client.clone()),
        cfg(),
        "nodes",
        None,
        ch_tx.clone(),
    )]);
    // Cluster-wide whatever the scope: `:ns` lists them. Not a resource
    // the board shows, so a refusal is no notice (`:ns` then takes names
    // as typed).
    let namespace_objects = Stores::<Namespace>(vec![spawn_watch(
        &mut tasks,
        Api::all(client.clone()),
        cfg(),
        NAMESPACES,
        None,
        ch_tx.clone(),
    )]);
    drop(ch_tx);

    let mut status: BTreeMap<&'static str, ResourceStatus> = [
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "controllerrevisions",
        "pods",
        "horizontalpodautoscalers",
        "events",
        "nodes",
        "services",
    ]
    .into_iter()
    .map(|n| (n, ResourceStatus::Syncing))
    .collect();
    let mut dirty = true;
    let mut last_build = tokio::time::Instant::now() - DEBOUNCE;
    loop {
        let deadline = last_build + DEBOUNCE;
        tokio::select! {
            change = ch_rx.recv() => match change {
                Some((name, Some(s))) => {
                    if name != NAMESPACES {
                        status.insert(name, s);
                    }
                    dirty = true;
                }
                Some((_, None)) => {}
                None => return,
            },
            _ = tokio::time::sleep_until(deadline), if dirty => {
                let objects = snapshot::Objects {
                    deployments: deployments.state(),
                    statefulsets: statefulsets.state(),
                    daemonsets: daemonsets.state(),
                    replicasets: replicasets.state(),
                    revisions: revisions.state(),
                    pods: pods.state(),
                    nodes: nodes.state(),
                    hpas: hpas.state(),
                    events: events.state(),
                    services: services.state(),
                    namespaces: namespace_objects.state(),
                };
                let resources = status.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
                let snap = snapshot::build(&context, &objects, resources, SystemTime::now());
                if tx.send(Msg::Kube(Box::new(snap))).await.is_err() {
                    return;
                }
                dirty = false;
                last_build = tokio::time::Instant::now();
            }
        }
    }
}
