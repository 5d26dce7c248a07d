//! Carrying out a planned Kubernetes change: sent with its precondition
//! (see [`super::change`]), and when the API server refuses it, judged
//! against the object as it is now: refused if what the plan relied on
//! changed, sent again against the new resourceVersion if only other
//! things moved. Following the rollout is in [`super::follow`].

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde::Serialize;
use serde_json::Value;

use super::api_error;
use super::change::{
    Change, Op, pod_precondition, restart_patch, scale_patch, short_uid, undo_deployment_patch,
    undo_revision_patch,
};
use crate::model::{WorkloadKind, WorkloadRef};

/// Conflicts in a row, each on a target whose relevant fields had not
/// changed (status churning), before giving up.
const ATTEMPTS: usize = 5;

fn params(manager: &str) -> PatchParams {
    PatchParams {
        field_manager: Some(manager.into()),
        ..Default::default()
    }
}

/// Sends the change. Returns what was done, in words; on failure the
/// reason, "… changed since the plan — plan again: …" when the target is
/// no longer the one planned.
pub async fn apply(
    client: &kube::Client,
    w: &WorkloadRef,
    change: &Change,
) -> Result<String, String> {
    match (&change.op, w.kind) {
        (Op::DeletePod(pod), _) => return delete_pod(client, w, change, pod).await,
        (Op::Switch { .. }, _) => return super::switch::apply(client, &w.namespace, change).await,
        (Op::Scale(_), WorkloadKind::DaemonSet) => {
            return Err("a daemon set cannot be scaled".into());
        }
        _ => {}
    }
    let target = &change.target;
    let mut resource_version = target.resource_version.clone();
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        let err = match send(client, w, &change.op, &target.uid, &resource_version).await {
            Ok(()) => return Ok(done(w, change)),
            Err(e) => e,
        };
        if !worth_a_second_look(&err) {
            return Err(failure(&change.op, &err));
        }
        let Ok(now) = read(client, w).await else {
            return Err(failure(&change.op, &err));
        };
        if let Some(why) = target.what_changed(now.as_ref()) {
            return Err(target.refusal(&why, &api_error(&err)));
        }
        // Only what the change does not rely on moved (a rollout writing
        // status): the same change, against the version just read.
        let fresh = now
            .as_ref()
            .and_then(|n| n.pointer("/metadata/resourceVersion"))
            .and_then(Value::as_str);
        match fresh {
            Some(rv) if is_conflict(&err) => resource_version = rv.to_string(),
            _ => return Err(failure(&change.op, &err)),
        }
        last = api_error(&err);
    }
    Err(format!(
        "{} kept changing while the change was sent ({ATTEMPTS} conflicts in a row): plan again (the API server said: {last})",
        target.object
    ))
}

/// A conflict, a missing object or a patch that no longer applies: the
/// target may have changed since the plan.
fn worth_a_second_look(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if matches!(s.code, 404 | 409 | 422))
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409)
}

fn failure(op: &Op, e: &kube::Error) -> String {
    match op {
        Op::UndoDeployment { .. } | Op::UndoRevision(_) => {
            format!("failed restoring revision: {}", api_error(e))
        }
        _ => api_error(e),
    }
}

fn done(w: &WorkloadRef, change: &Change) -> String {
    match &change.op {
        Op::Scale(n) => format!("{} scaled to {n}", w.short()),
        Op::Restart => format!("{} restarted", w.short()),
        Op::UndoDeployment { .. } | Op::UndoRevision(_) => format!("{} rolled back", w.short()),
        Op::DeletePod(pod) => format!("pod {pod} (uid {}) deleted", short_uid(&change.target.uid)),
        Op::Switch { service, .. } => format!("service/{service} switched"),
    }
}

/// One conditional write: the planned uid, and `resource_version`.
async fn send(
    client: &kube::Client,
    w: &WorkloadRef,
    op: &Op,
    uid: &str,
    resource_version: &str,
) -> Result<(), kube::Error> {
    let ns = &w.namespace;
    let rv = Some(resource_version);
    let deployments = || Api::<Deployment>::namespaced(client.clone(), ns);
    let statefulsets = || Api::<StatefulSet>::namespaced(client.clone(), ns);
    let daemonsets = || Api::<DaemonSet>::namespaced(client.clone(), ns);
    let rollout = params("kubectl-rollout");
    match op {
        Op::Scale(n) => {
            let patch = scale_patch(*n, uid, rv);
            let p = params("kubectl-scale");
            match w.kind {
                WorkloadKind::Deployment => deployments()
                    .patch_scale(&w.name, &p, &Patch::Merge(&patch))
                    .await
                    .map(|_| ()),
                _ => statefulsets()
                    .patch_scale(&w.name, &p, &Patch::Merge(&patch))
                    .await
                    .map(|_| ()),
            }
        }
        Op::Restart => {
            let patch = restart_patch(chrono::Utc::now(), uid, rv);
            strategic(w, &patch, &rollout, deployments, statefulsets, daemonsets).await
        }
        Op::UndoDeployment {
            template,
            annotations,
        } => {
            let patch = undo_deployment_patch(template, annotations, uid, rv);
            let p: json_patch::Patch =
                serde_json::from_value(patch).map_err(kube::Error::SerdeError)?;
            deployments()
                .patch(&w.name, &rollout, &Patch::Json::<()>(p))
                .await
                .map(|_| ())
        }
        Op::UndoRevision(data) => {
            let patch = undo_revision_patch(data, uid, rv);
            strategic(w, &patch, &rollout, deployments, statefulsets, daemonsets).await
        }
        Op::Switch { .. } => unreachable_switch(),
        Op::DeletePod(pod) => {
            let dp = DeleteParams {
                preconditions: Some(pod_precondition(uid)),
                ..Default::default()
            };
            Api::<Pod>::namespaced(client.clone(), ns)
                .delete(pod, &dp)
                .await
                .map(|_| ())
        }
    }
}

/// A strategic merge patch of the workload, whatever its kind.
async fn strategic<P: Serialize + std::fmt::Debug>(
    w: &WorkloadRef,
    patch: &P,
    params: &PatchParams,
    deployments: impl Fn() -> Api<Deployment>,
    statefulsets: impl Fn() -> Api<StatefulSet>,
    daemonsets: impl Fn() -> Api<DaemonSet>,
) -> Result<(), kube::Error> {
    let patch = Patch::Strategic(patch);
    match w.kind {
        WorkloadKind::Deployment => deployments()
            .patch(&w.name, params, &patch)
            .await
            .map(|_| ()),
        WorkloadKind::StatefulSet => statefulsets()
            .patch(&w.name, params, &patch)
            .await
            .map(|_| ()),
        WorkloadKind::DaemonSet => daemonsets()
            .patch(&w.name, params, &patch)
            .await
            .map(|_| ()),
    }
}

/// The workload as it is now, `None` when it is gone.
async fn read(client: &kube::Client, w: &WorkloadRef) -> Result<Option<Value>, kube::Error> {
    fn value<K: Serialize>(k: Option<K>) -> Option<Value> {
        k.and_then(|k| serde_json::to_value(k).ok())
    }
    let ns = &w.namespace;
    Ok(match w.kind {
        WorkloadKind::Deployment => value(
            Api::<Deployment>::namespaced(client.clone(), ns)
                .get_opt(&w.name)
                .await?,
        ),
        WorkloadKind::StatefulSet => value(
            Api::<StatefulSet>::namespaced(client.clone(), ns)
                .get_opt(&w.name)
                .await?,
        ),
        WorkloadKind::DaemonSet => value(
            Api::<DaemonSet>::namespaced(client.clone(), ns)
                .get_opt(&w.name)
                .await?,
        ),
    })
}

/// Deletes the planned pod, by uid: the API server refuses (409) when the
/// pod of that name is another one. No resourceVersion: pod status moves
/// all the time and is no reason to refuse.
async fn delete_pod(
    client: &kube::Client,
    w: &WorkloadRef,
    change: &Change,
    pod: &str,
) -> Result<String, String> {
    let target = &change.target;
    let Err(e) = send(client, w, &change.op, &target.uid, &target.resource_version).await else {
        return Ok(done(w, change));
    };
    if worth_a_second_look(&e)
        && let Ok(now) = Api::<Pod>::namespaced(client.clone(), &w.namespace)
            .get_opt(pod)
            .await
    {
        let now = now.and_then(|p| serde_json::to_value(p).ok());
        if let Some(why) = target.what_changed(now.as_ref()) {
            return Err(target.refusal(&why, &api_error(&e)));
        }
    }
    Err(api_error(&e))
}

/// A switch is sent by [`super::switch::apply`], never here.
fn unreachable_switch() -> Result<(), kube::Error> {
    Err(kube::Error::Service(
        "a blue-green switch is sent by the switch module".into(),
    ))
}
