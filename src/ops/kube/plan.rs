//! Planning Kubernetes actions: read the live objects, say what will
//! happen, and ask the API server for a dry run (`dryRun=All`). Every plan
//! records the object it was made against ([`Precondition`]); the change
//! runs only on that object, as the plan describes it.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch};

use super::api_error;
use super::change::{
    Change, Op, Precondition, pod_precondition, restart_patch, scale_patch, short_uid,
};
use super::plan_parts::{base, dry, dry_run_result, guarded};
use crate::model::{ActionPlan, DryRun, Risk, Target, Verb, WorkloadKind, WorkloadRef};

/// The HPA that scales this workload, if any.
async fn hpa_of(
    client: &kube::Client,
    w: &WorkloadRef,
    kind: &str,
) -> Option<HorizontalPodAutoscaler> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), &w.namespace);
    let list = api.list(&ListParams::default()).await.ok()?;
    list.items.into_iter().find(|h| {
        h.spec
            .as_ref()
            .is_some_and(|s| s.scale_target_ref.kind == kind && s.scale_target_ref.name == w.name)
    })
}

pub async fn scale(
    client: &kube::Client,
    w: &WorkloadRef,
    replicas: i32,
    id: u64,
    target: Target,
) -> Result<(ActionPlan, Change), String> {
    if replicas < 0 {
        return Err(format!("{replicas} is not a replica count"));
    }
    // "From N to M" is only true while the count is still N.
    const DEPENDS_ON: &[&str] = &["/spec/replicas"];
    let (current, kind, precondition) = match w.kind {
        WorkloadKind::Deployment => {
            let d = Api::<Deployment>::namespaced(client.clone(), &w.namespace)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?;
            let p = Precondition::of(w.short(), &d, DEPENDS_ON)?;
            (
                d.spec.and_then(|s| s.replicas).unwrap_or(1),
                "Deployment",
                p,
            )
        }
        WorkloadKind::StatefulSet => {
            let s = Api::<StatefulSet>::namespaced(client.clone(), &w.namespace)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?;
            let p = Precondition::of(w.short(), &s, DEPENDS_ON)?;
            (
                s.spec.and_then(|s| s.replicas).unwrap_or(1),
                "StatefulSet",
                p,
            )
        }
        WorkloadKind::DaemonSet => {
            return Err("a daemon set runs one pod per node and cannot be scaled".into());
        }
    };
    let mut plan = base(id, target, Verb::Scale { replicas }, w);
    plan.parameters.insert("from".into(), current.to_string());
    plan.parameters
        .insert("replicas".into(), replicas.to_string());
    plan.what_will_happen.push(format!(
        "scale {} in {} (context {}) from {current} to {replicas} replicas (the scale subresource, as `kubectl scale`)",
        w.short(),
        w.namespace,
        w.context
    ));
    if replicas == 0 {
        plan.what_will_happen
            .push("⚠ 0 replicas: every pod stops and the service is down".into());
        plan.risk = Risk::High;
    }
    if let Some(h) = hpa_of(client, w, kind).await {
        let spec = h.spec.unwrap_or_default();
        let min = spec.min_replicas.unwrap_or(1);
        plan.what_will_happen.push(format!(
            "⚠ HPA {} owns the replica count ({min}–{}): it will move it back into that range",
            h.metadata.name.unwrap_or_default(),
            spec.max_replicas
        ));
    }
    plan.what_will_happen
        .push("follow the rollout until it completes (as `kubectl rollout status`)".into());
    guarded(
        &mut plan,
        &precondition,
        &format!("it still has {current} replicas"),
    );
    let patch = scale_patch(replicas, &precondition.uid, None);
    let dry_run = match w.kind {
        WorkloadKind::Deployment => Api::<Deployment>::namespaced(client.clone(), &w.namespace)
            .patch_scale(&w.name, &dry(), &Patch::Merge(&patch))
            .await
            .map(|s| s.spec.and_then(|s| s.replicas)),
        _ => Api::<StatefulSet>::namespaced(client.clone(), &w.namespace)
            .patch_scale(&w.name, &dry(), &Patch::Merge(&patch))
            .await
            .map(|s| s.spec.and_then(|s| s.replicas)),
    };
    plan.dry_run = Some(match dry_run {
        Ok(r) => DryRun {
            ok: true,
            text: format!("server accepts spec.replicas = {}", r.unwrap_or(replicas)),
        },
        Err(e) => DryRun {
            ok: false,
            text: api_error(&e),
        },
    });
    Ok((
        plan,
        Change {
            op: Op::Scale(replicas),
            target: precondition,
        },
    ))
}

/// A restart only stamps the time into the template: it never writes back
/// anything the plan read. So it needs the same object (uid), and for a
/// Deployment one that is still not paused; a rollout, a scale or an HPA
/// moving replicas since the plan do not make it wrong.
pub async fn restart(
    client: &kube::Client,
    w: &WorkloadRef,
    id: u64,
    target: Target,
) -> Result<(ActionPlan, Change), String> {
    let params = dry();
    let (precondition, unchanged, dry_run) = match w.kind {
        WorkloadKind::Deployment => {
            let api = Api::<Deployment>::namespaced(client.clone(), &w.namespace);
            let d = api.get(&w.name).await.map_err(|e| api_error(&e))?;
            if d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
                return Err(format!(
                    "deployments.apps \"{}\" can't restart paused deployment (run rollout resume first)",
                    w.name
                ));
            }
            let p = Precondition::of(w.short(), &d, &["/spec/paused"])?;
            let patch = restart_patch(chrono::Utc::now(), &p.uid, None);
            let r = api
                .patch(&w.name, &params, &Patch::Strategic(&patch))
                .await
                .map(|_| ());
            (p, "it is not paused", r)
        }
        WorkloadKind::StatefulSet => {
            let api = Api::<StatefulSet>::namespaced(client.clone(), &w.namespace);
            let s = api.get(&w.name).await.map_err(|e| api_error(&e))?;
            let p = Precondition::of(w.short(), &s, &[])?;
            let patch = restart_patch(chrono::Utc::now(), &p.uid, None);
            let r = api
                .patch(&w.name, &params, &Patch::Strategic(&patch))
                .await
                .map(|_| ());
            (p, "", r)
        }
        WorkloadKind::DaemonSet => {
            let api = Api::<DaemonSet>::namespaced(client.clone(), &w.namespace);
            let s = api.get(&w.name).await.map_err(|e| api_error(&e))?;
            let p = Precondition::of(w.short(), &s, &[])?;
            let patch = restart_patch(chrono::Utc::now(), &p.uid, None);
            let r = api
                .patch(&w.name, &params, &Patch::Strategic(&patch))
                .await
                .map(|_| ());
            (p, "", r)
        }
    };
    let mut plan = base(id, target, Verb::Restart, w);
    plan.what_will_happen = vec![
        format!(
            "set the pod template annotation kubectl.kubernetes.io/restartedAt on {} in {} (as `kubectl rollout restart`)",
            w.short(),
            w.namespace
        ),
        "every pod is replaced, following the rollout strategy".into(),
        "follow the rollout until it completes (as `kubectl rollout status`)".into(),
    ];
    guarded(&mut plan, &precondition, unchanged);
    plan.dry_run = Some(dry_run_result(dry_run, "server accepts the patch"));
    Ok((
        plan,
        Change {
            op: Op::Restart,
            target: precondition,
        },
    ))
}

/// A pod delete is pinned to the pod's uid: a pod of the same name made
/// since (a StatefulSet's replacement) is never the one deleted.
pub async fn delete_pod(
    client: &kube::Client,
    w: &WorkloadRef,
    pod: &str,
    id: u64,
    target: Target,
) -> Result<(ActionPlan, Change), String> {
    let api = Api::<Pod>::namespaced(client.clone(), &w.namespace);
    let p = api.get(pod).await.map_err(|e| api_error(&e))?;
    let precondition = Precondition::of(format!("pod/{pod}"), &p, &[])?;
    let node = p
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_else(|| "?".into());
    let mut plan = base(
        id,
        target,
        Verb::DeletePod {
            pod: pod.to_string(),
        },
        w,
    );
    plan.parameters.insert("pod".into(), pod.to_string());
    plan.what_will_happen = vec![
        format!(
            "delete pod {pod} (uid {}) in {} (on node {node})",
            short_uid(&precondition.uid),
            w.namespace
        ),
        format!(
            "{} replaces it; wait until that pod is gone and all its pods are ready again",
            w.short()
        ),
    ];
    guarded(&mut plan, &precondition, "");
    let dp = DeleteParams {
        dry_run: true,
        preconditions: Some(pod_precondition(&precondition.uid)),
        ..Default::default()
    };
    plan.dry_run = Some(dry_run_result(
        api.delete(pod, &dp).await.map(|_| ()),
        "server accepts the delete",
    ));
    Ok((
        plan,
        Change {
            op: Op::DeletePod(pod.to_string()),
            target: precondition,
        },
    ))
}
