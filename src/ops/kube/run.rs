//! Carrying out a planned Kubernetes change and following the rollout to
//! completion, failure or timeout, with kubectl's messages as progress.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use tokio_util::sync::CancellationToken;

use super::api_error;
use super::plan::{Change, restart_patch};
use crate::model::{Outcome, Progress, WorkloadKind, WorkloadRef};
use crate::sources::kube::rollout::{self, Status};

/// How long a rollout may take before the action reports it timed out.
pub const FOLLOW_TIMEOUT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_millis(500);

fn params(manager: &str) -> PatchParams {
    PatchParams {
        field_manager: Some(manager.into()),
        ..Default::default()
    }
}

/// Sends the change. Returns what was done, in words.
pub async fn apply(
    client: &kube::Client,
    w: &WorkloadRef,
    change: &Change,
) -> Result<String, String> {
    let ns = &w.namespace;
    match change {
        Change::Scale(n) => {
            let patch = serde_json::json!({"spec": {"replicas": n}});
            let r = match w.kind {
                WorkloadKind::Deployment => Api::<Deployment>::namespaced(client.clone(), ns)
                    .patch_scale(&w.name, &params("kubectl-scale"), &Patch::Merge(&patch))
                    .await
                    .map(|_| ()),
                WorkloadKind::StatefulSet => Api::<StatefulSet>::namespaced(client.clone(), ns)
                    .patch_scale(&w.name, &params("kubectl-scale"), &Patch::Merge(&patch))
                    .await
                    .map(|_| ()),
                WorkloadKind::DaemonSet => return Err("a daemon set cannot be scaled".into()),
            };
            r.map_err(|e| api_error(&e))?;
            Ok(format!("{} scaled to {n}", w.short()))
        }
        Change::Restart => {
            let now = chrono::Utc::now();
            let patch = restart_patch(now);
            let p = params("kubectl-rollout");
            let r = match w.kind {
                WorkloadKind::Deployment => {
                    let api = Api::<Deployment>::namespaced(client.clone(), ns);
                    // Checked again at execution: it may have been paused since.
                    let d = api.get(&w.name).await.map_err(|e| api_error(&e))?;
                    if d.spec.and_then(|s| s.paused).unwrap_or(false) {
                        return Err(format!(
                            "deployments.apps \"{}\" can't restart paused deployment (run rollout resume first)",
                            w.name
                        ));
                    }
                    api.patch(&w.name, &p, &Patch::Strategic(&patch))
                        .await
                        .map(|_| ())
                }
                WorkloadKind::StatefulSet => Api::<StatefulSet>::namespaced(client.clone(), ns)
                    .patch(&w.name, &p, &Patch::Strategic(&patch))
                    .await
                    .map(|_| ()),
                WorkloadKind::DaemonSet => Api::<DaemonSet>::namespaced(client.clone(), ns)
                    .patch(&w.name, &p, &Patch::Strategic(&patch))
                    .await
                    .map(|_| ()),
            };
            r.map_err(|e| api_error(&e))?;
            Ok(format!("{} restarted", w.short()))
        }
        Change::JsonPatch(patch) => {
            let p: json_patch::Patch =
                serde_json::from_value(patch.clone()).map_err(|e| e.to_string())?;
            Api::<Deployment>::namespaced(client.clone(), ns)
                .patch(&w.name, &params("kubectl-rollout"), &Patch::Json::<()>(p))
                .await
                .map_err(|e| format!("failed restoring revision: {}", api_error(&e)))?;
            Ok(format!("{} rolled back", w.short()))
        }
        Change::Strategic(data) => {
            let p = params("kubectl-rollout");
            let r = match w.kind {
                WorkloadKind::StatefulSet => Api::<StatefulSet>::namespaced(client.clone(), ns)
                    .patch(&w.name, &p, &Patch::Strategic(data))
                    .await
                    .map(|_| ()),
                _ => Api::<DaemonSet>::namespaced(client.clone(), ns)
                    .patch(&w.name, &p, &Patch::Strategic(data))
                    .await
                    .map(|_| ()),
            };
            r.map_err(|e| format!("failed restoring revision: {}", api_error(&e)))?;
            Ok(format!("{} rolled back", w.short()))
        }
        Change::DeletePod(pod) => {
            Api::<Pod>::namespaced(client.clone(), ns)
                .delete(pod, &DeleteParams::default())
                .await
                .map_err(|e| api_error(&e))?;
            Ok(format!("pod {pod} deleted"))
        }
    }
}

/// What `kubectl rollout status` says about the workload now.
pub async fn status(client: &kube::Client, w: &WorkloadRef) -> Result<Status, String> {
    let ns = &w.namespace;
    Ok(match w.kind {
        WorkloadKind::Deployment => rollout::deployment(
            &Api::<Deployment>::namespaced(client.clone(), ns)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?,
        ),
        WorkloadKind::StatefulSet => rollout::statefulset(
            &Api::<StatefulSet>::namespaced(client.clone(), ns)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?,
        ),
        WorkloadKind::DaemonSet => rollout::daemonset(
            &Api::<DaemonSet>::namespaced(client.clone(), ns)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?,
        ),
    })
}

/// Follows the rollout until it completes, fails, times out or is
/// cancelled. For a deleted pod, first waits for that pod to be gone.
pub async fn follow(
    client: &kube::Client,
    w: &WorkloadRef,
    change: &Change,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &CancellationToken,
    timeout: Duration,
) -> (Outcome, String) {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = String::from("waiting for the first status");
    let mut steps = 0u32;
    if let Change::DeletePod(pod) = change {
        let api = Api::<Pod>::namespaced(client.clone(), &w.namespace);
        loop {
            match api.get_opt(pod).await {
                Ok(None) => break,
                Ok(Some(_)) => progress(Progress {
                    phase: Some(format!("waiting for pod {pod} to go")),
                    ..Default::default()
                }),
                Err(e) => last = api_error(&e),
            }
            if tokio::time::Instant::now() > deadline {
                return (
                    Outcome::Failed,
                    format!(
                        "pod {pod} still there after {}: {last}",
                        humantime::format_duration(timeout)
                    ),
                );
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = cancel.cancelled() => return (Outcome::Cancelled, "stopped following (the change was already made)".into()),
            }
        }
    }
    loop {
        match status(client, w).await {
            Ok(Status::Done(m)) => return (Outcome::Succeeded, m),
            Ok(Status::Failed(m)) => return (Outcome::Failed, m),
            Ok(Status::Waiting(m)) => {
                if m != last {
                    steps += 1;
                }
                last = m;
                progress(Progress {
                    phase: Some(last.clone()),
                    step: Some((steps, 0)),
                    ..Default::default()
                });
            }
            // The API may blip during a rollout: keep following.
            Err(e) => last = e,
        }
        if tokio::time::Instant::now() > deadline {
            return (
                Outcome::Failed,
                format!(
                    "timed out after {} waiting for the rollout: {last}",
                    humantime::format_duration(timeout)
                ),
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = cancel.cancelled() => return (Outcome::Cancelled, format!("stopped following (the change was already made): {last}")),
        }
    }
}
