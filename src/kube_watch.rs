//! The Kubernetes source as the board runs it: connect in a task of its
//! own (reading kubeconfig and exec credential plugins must not delay the
//! first frame), watch, and start again with another scope when the
//! operator switches (`:ctx`, `:ns`).
//!
//! A switch stops the old watchers and waits until they have ended, then
//! sends `Msg::KubeScope` before the new watchers start: every snapshot of
//! the old scope is ahead of it in the board's queue, which is how the
//! board tells them apart.

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::app::Msg;
use crate::clients::kube::{Clients, Connected, KubeSettings, connect, kubeconfig_contexts};
use crate::model::kube_scope::{KubeScope, ScopeReport};
use crate::sources::kube::KubeSource;

/// Work to finish before the first connect (the demo starts its
/// simulated cluster); the value lives as long as the watch.
pub type KubeSetup =
    futures::future::BoxFuture<'static, Result<Box<dyn std::any::Any + Send>, String>>;

/// The running Kubernetes watch; dropping it stops it.
pub struct KubeWatch {
    switches: mpsc::UnboundedSender<(u64, KubeScope)>,
    task: JoinHandle<()>,
}

impl Drop for KubeWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl KubeWatch {
    /// Runs `setup`, connects with `settings` and watches; the connected
    /// clients go to `clients` (for logs, describe), snapshots to `tx`.
    pub fn start(
        settings: KubeSettings,
        setup: Option<KubeSetup>,
        clients: watch::Sender<Clients>,
        tx: mpsc::Sender<Msg>,
    ) -> KubeWatch {
        let (switches, requests) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(settings, setup, clients, tx, requests));
        KubeWatch { switches, task }
    }

    /// Watches `scope` instead; the board hears back through
    /// `Msg::KubeScope` with `generation`.
    pub fn switch(&self, generation: u64, scope: KubeScope) {
        let _ = self.switches.send((generation, scope));
    }
}

/// `base` with the contexts and namespaces of `scope` (the command line's
/// `--namespace` was the starting scope; a switch replaces it).
fn scoped(base: &KubeSettings, scope: KubeScope) -> KubeSettings {
    KubeSettings {
        contexts: scope.contexts,
        namespaces: scope.namespaces,
        namespace_flag: None,
        ..base.clone()
    }
}

async fn run(
    mut settings: KubeSettings,
    setup: Option<KubeSetup>,
    clients: watch::Sender<Clients>,
    tx: mpsc::Sender<Msg>,
    mut requests: mpsc::UnboundedReceiver<(u64, KubeScope)>,
) {
    let _keep = match setup {
        Some(setup) => match setup.await {
            Ok(guard) => Some(guard),
            Err(e) => {
                tracing::error!("{e}");
                None
            }
        },
        None => None,
    };
    let mut generation = 0;
    loop {
        // A newer switch while connecting replaces this one.
        let connected = tokio::select! {
            c = connect(&settings) => c,
            Some((g, scope)) = requests.recv() => {
                generation = g;
                settings = scoped(&settings, scope);
                continue;
            }
        };
        // Nothing to watch and nobody asked: the board has no Kubernetes.
        if !connected.is_empty() || generation > 0 {
            let report = report(generation, &settings, &connected);
            tracing::info!(
                generation,
                scope = %report.scope.label(),
                "Kubernetes scope connected"
            );
            if tx.send(Msg::KubeScope(report)).await.is_err() {
                return;
            }
        }
        let _ = clients.send(Clients::from_connected(&connected));
        let source = KubeSource::spawn(connected, settings.namespaces(), tx.clone());
        let Some(mut next) = requests.recv().await else {
            return;
        };
        // Only the newest of several queued switches matters.
        while let Ok(newer) = requests.try_recv() {
            next = newer;
        }
        source.shutdown().await;
        generation = next.0;
        settings = scoped(&settings, next.1);
    }
}

/// What is watched now, by context name, and the kubeconfig's contexts.
fn report(generation: u64, settings: &KubeSettings, connected: &[Connected]) -> ScopeReport {
    let watched: Vec<String> = connected.iter().map(|c| c.context.clone()).collect();
    let (contexts, current) = match kubeconfig_contexts(settings) {
        Ok(Some(k)) => (k.names, k.current),
        // In a pod, or the kubeconfig went away: what was connected.
        _ => (watched.clone(), None),
    };
    ScopeReport {
        generation,
        scope: KubeScope {
            contexts: watched,
            namespaces: settings.namespaces(),
        },
        contexts,
        current,
    }
}
