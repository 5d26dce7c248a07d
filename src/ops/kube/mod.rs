//! Kubernetes actions with kubectl's semantics: scale (the `scale`
//! subresource), `rollout restart` (the `restartedAt` template annotation,
//! strategic merge patch, field manager `kubectl-rollout`), `rollout undo`
//! (ReplicaSet template + JSON patch for Deployments, ControllerRevision
//! strategic merge patch for StatefulSets and DaemonSets), pod deletion,
//! and following the rollout the way `kubectl rollout status` does.
//!
//! Unlike kubectl, every change runs only on the object its plan was made
//! against (see [`change`]): a target changed since the plan is refused.

pub mod change;
pub mod drain;
pub mod follow;
pub mod node;
pub mod plan;
mod plan_parts;
pub mod rollback;
pub mod run;
pub mod switch;

use std::collections::HashMap;

use crate::clients::kube::{KubeSettings, connect, connect_for_sessions};
use crate::model::{Target, WorkloadRef};

/// Clients per context, connected on first use: one for requests, one
/// without a read timeout for exec sessions.
pub struct KubeClients {
    settings: Option<KubeSettings>,
    clients: HashMap<String, kube::Client>,
    sessions: HashMap<String, kube::Client>,
}

impl KubeClients {
    pub fn new(settings: Option<KubeSettings>) -> KubeClients {
        KubeClients {
            settings,
            clients: HashMap::new(),
            sessions: HashMap::new(),
        }
    }

    pub async fn client(&mut self, context: &str) -> Result<kube::Client, String> {
        self.connected(context, false).await
    }

    /// A client for exec sessions: answers may be silent for long.
    pub async fn session_client(&mut self, context: &str) -> Result<kube::Client, String> {
        self.connected(context, true).await
    }

    async fn connected(&mut self, context: &str, session: bool) -> Result<kube::Client, String> {
        let cache = if session {
            &self.sessions
        } else {
            &self.clients
        };
        if let Some(c) = cache.get(context) {
            return Ok(c.clone());
        }
        let Some(settings) = &self.settings else {
            return Err(
                "Kubernetes is not configured (no kubeconfig, or [kubernetes] disabled)".into(),
            );
        };
        let mut wanted = settings.clone();
        wanted.contexts = vec![context.to_string()];
        let connected = if session {
            connect_for_sessions(&wanted).await
        } else {
            connect(&wanted).await
        };
        for c in connected {
            if c.context == context {
                let client = c.client.map_err(|e| e.to_string())?;
                let cache = if session {
                    &mut self.sessions
                } else {
                    &mut self.clients
                };
                cache.insert(context.to_string(), client.clone());
                return Ok(client);
            }
        }
        Err(format!("no Kubernetes context `{context}`"))
    }
}

/// The target of an action on a workload: one in flight per workload.
pub fn workload_target(w: &WorkloadRef, environment: Option<String>) -> Target {
    Target {
        key: format!("k8s/{w}"),
        name: w.name.clone(),
        service: None,
        environment,
    }
}

/// A Kubernetes API error in an operator's words: the server's message,
/// quoted as kubectl prints it.
pub fn api_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if !s.message.is_empty() => {
            format!("{} ({} {})", s.message, s.code, s.reason)
        }
        other => crate::model::fault::chain(other),
    }
}
