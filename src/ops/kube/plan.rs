//! Planning Kubernetes actions: read the live objects, say what will
//! happen, and ask the API server for a dry run (`dryRun=All`).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::api_error;
use crate::model::{
    ActionPlan, Confirmation, DryRun, Risk, Target, Verb, WorkloadKind, WorkloadRef,
};
use crate::sources::kube::snapshot::images;

/// How an action's changes are patched in; `run` sends exactly this.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Merge patch of the `scale` subresource.
    Scale(i32),
    /// The restartedAt annotation; its time is taken when it runs.
    Restart,
    /// A JSON patch (Deployment undo).
    JsonPatch(Value),
    /// A strategic merge patch (StatefulSet/DaemonSet undo).
    Strategic(Value),
    DeletePod(String),
}

fn short_images(v: &[String]) -> String {
    v.iter()
        .map(|i| crate::model::kube::short_image(i).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `kubectl.kubernetes.io/restartedAt` patch for `now` (RFC 3339, seconds).
pub fn restart_patch(now: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": now.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }}}}})
}

fn dry() -> PatchParams {
    PatchParams {
        dry_run: true,
        field_manager: Some("opsboard".into()),
        ..Default::default()
    }
}

fn base(id: u64, target: Target, verb: Verb, w: &WorkloadRef) -> ActionPlan {
    let mut parameters = BTreeMap::new();
    parameters.insert("context".into(), w.context.clone());
    parameters.insert("namespace".into(), w.namespace.clone());
    parameters.insert("workload".into(), w.short());
    ActionPlan {
        id,
        target,
        verb,
        parameters,
        what_will_happen: vec![],
        risk: Risk::Medium,
        confirmation: Confirmation::YesNo,
        dry_run: None,
        follow_up: None,
        cancellable: true,
    }
}

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
    let (current, kind) = match w.kind {
        WorkloadKind::Deployment => {
            let d = Api::<Deployment>::namespaced(client.clone(), &w.namespace)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?;
            (d.spec.and_then(|s| s.replicas).unwrap_or(1), "Deployment")
        }
        WorkloadKind::StatefulSet => {
            let s = Api::<StatefulSet>::namespaced(client.clone(), &w.namespace)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?;
            (s.spec.and_then(|s| s.replicas).unwrap_or(1), "StatefulSet")
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
    let patch = json!({"spec": {"replicas": replicas}});
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
    Ok((plan, Change::Scale(replicas)))
}

pub async fn restart(
    client: &kube::Client,
    w: &WorkloadRef,
    id: u64,
    target: Target,
) -> Result<(ActionPlan, Change), String> {
    let patch = restart_patch(chrono::Utc::now());
    let params = dry();
    let dry_run = match w.kind {
        WorkloadKind::Deployment => {
            let api = Api::<Deployment>::namespaced(client.clone(), &w.namespace);
            let d = api.get(&w.name).await.map_err(|e| api_error(&e))?;
            if d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
                return Err(format!(
                    "deployments.apps \"{}\" can't restart paused deployment (run rollout resume first)",
                    w.name
                ));
            }
            api.patch(&w.name, &params, &Patch::Strategic(&patch))
                .await
                .map(|_| ())
        }
        WorkloadKind::StatefulSet => Api::<StatefulSet>::namespaced(client.clone(), &w.namespace)
            .patch(&w.name, &params, &Patch::Strategic(&patch))
            .await
            .map(|_| ()),
        WorkloadKind::DaemonSet => Api::<DaemonSet>::namespaced(client.clone(), &w.namespace)
            .patch(&w.name, &params, &Patch::Strategic(&patch))
            .await
            .map(|_| ()),
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
    plan.dry_run = Some(match dry_run {
        Ok(()) => DryRun {
            ok: true,
            text: "server accepts the patch".into(),
        },
        Err(e) => DryRun {
            ok: false,
            text: api_error(&e),
        },
    });
    Ok((plan, Change::Restart))
}

fn revision_of(rs: &ReplicaSet) -> Option<i64> {
    rs.metadata
        .annotations
        .as_ref()?
        .get("deployment.kubernetes.io/revision")?
        .parse()
        .ok()
}

/// Templates equal but for the `pod-template-hash` label.
fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        if let Some(l) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            l.remove("pod-template-hash");
        }
        serde_json::to_value(t).unwrap_or(Value::Null)
    };
    strip(a) == strip(b)
}

/// Annotations kept from the deployment, never copied from the ReplicaSet.
const ANNOTATIONS_TO_SKIP: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

pub async fn rollback(
    client: &kube::Client,
    w: &WorkloadRef,
    to: Option<i64>,
    id: u64,
    target: Target,
) -> Result<(ActionPlan, Change), String> {
    let mut plan = base(id, target, Verb::Rollback { to_revision: to }, w);
    let change = match w.kind {
        WorkloadKind::Deployment => {
            let api = Api::<Deployment>::namespaced(client.clone(), &w.namespace);
            let d = api.get(&w.name).await.map_err(|e| api_error(&e))?;
            let uid = d.metadata.uid.clone().unwrap_or_default();
            let rss = Api::<ReplicaSet>::namespaced(client.clone(), &w.namespace)
                .list(&ListParams::default())
                .await
                .map_err(|e| {
                    format!(
                        "failed to retrieve replica sets from deployment {}: {}",
                        w.name,
                        api_error(&e)
                    )
                })?;
            let owned: Vec<ReplicaSet> = rss
                .items
                .into_iter()
                .filter(|rs| {
                    rs.metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|o| o.uid == uid && o.controller == Some(true))
                })
                .collect();
            let chosen = match to {
                Some(r) => owned
                    .iter()
                    .find(|rs| revision_of(rs) == Some(r))
                    .ok_or_else(|| format!("unable to find specified revision {r} in history"))?,
                None => {
                    let mut by_rev: Vec<(i64, &ReplicaSet)> = owned
                        .iter()
                        .filter_map(|rs| revision_of(rs).map(|r| (r, rs)))
                        .collect();
                    by_rev.sort_by_key(|(r, _)| *r);
                    let n = by_rev.len();
                    if n < 2 {
                        return Err(format!(
                            "no rollout history found for deployment \"{}\"",
                            w.name
                        ));
                    }
                    by_rev[n - 2].1
                }
            };
            let revision = revision_of(chosen).unwrap_or(0);
            if d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false) {
                return Err(format!(
                    "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/{}' and try again",
                    w.name
                ));
            }
            let mut template = chosen
                .spec
                .as_ref()
                .and_then(|s| s.template.clone())
                .unwrap_or_default();
            let current = d
                .spec
                .as_ref()
                .map(|s| s.template.clone())
                .unwrap_or_default();
            if equal_ignore_hash(&template, &current) {
                return Err(format!(
                    "skipped rollback (current template already matches revision {revision})"
                ));
            }
            if let Some(l) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
                l.remove("pod-template-hash");
            }
            let mut annotations = BTreeMap::new();
            for k in ANNOTATIONS_TO_SKIP {
                if let Some(v) = d.metadata.annotations.as_ref().and_then(|a| a.get(*k)) {
                    annotations.insert(k.to_string(), v.clone());
                }
            }
            for (k, v) in chosen.metadata.annotations.iter().flatten() {
                if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
                    annotations.insert(k.clone(), v.clone());
                }
            }
            let from = images(Some(&current));
            let to_images = images(Some(&template));
            plan.parameters
                .insert("to_revision".into(), revision.to_string());
            plan.parameters.insert(
                "images".into(),
                format!("{} → {}", short_images(&from), short_images(&to_images)),
            );
            plan.what_will_happen = vec![
                format!(
                    "roll {} in {} back to revision {revision} (as `kubectl rollout undo`)",
                    w.short(),
                    w.namespace
                ),
                format!(
                    "images: {} → {}",
                    short_images(&from),
                    short_images(&to_images)
                ),
                "replace spec.template with that revision's template (JSON patch)".into(),
                "follow the rollout until it completes (as `kubectl rollout status`)".into(),
            ];
            if let Some(cause) = chosen
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubernetes.io/change-cause"))
            {
                plan.what_will_happen
                    .insert(1, format!("that revision's change-cause: {cause}"));
            }
            let patch = json!([
                {"op": "replace", "path": "/spec/template", "value": template},
                {"op": "replace", "path": "/metadata/annotations", "value": annotations},
            ]);
            let p: json_patch::Patch =
                serde_json::from_value(patch.clone()).map_err(|e| e.to_string())?;
            let dry_run = api.patch(&w.name, &dry(), &Patch::Json::<()>(p)).await;
            plan.dry_run = Some(match dry_run {
                Ok(_) => DryRun {
                    ok: true,
                    text: "server accepts the patch".into(),
                },
                Err(e) => DryRun {
                    ok: false,
                    text: api_error(&e),
                },
            });
            Change::JsonPatch(patch)
        }
        WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
            let (uid, current_template) = match w.kind {
                WorkloadKind::StatefulSet => {
                    let s = Api::<StatefulSet>::namespaced(client.clone(), &w.namespace)
                        .get(&w.name)
                        .await
                        .map_err(|e| api_error(&e))?;
                    (
                        s.metadata.uid.clone().unwrap_or_default(),
                        s.spec.map(|s| s.template).unwrap_or_default(),
                    )
                }
                _ => {
                    let s = Api::<DaemonSet>::namespaced(client.clone(), &w.namespace)
                        .get(&w.name)
                        .await
                        .map_err(|e| api_error(&e))?;
                    (
                        s.metadata.uid.clone().unwrap_or_default(),
                        s.spec.map(|s| s.template).unwrap_or_default(),
                    )
                }
            };
            let revs = Api::<ControllerRevision>::namespaced(client.clone(), &w.namespace)
                .list(&ListParams::default())
                .await
                .map_err(|e| api_error(&e))?;
            let mut history: Vec<ControllerRevision> = revs
                .items
                .into_iter()
                .filter(|r| {
                    r.metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|o| o.uid == uid && o.controller == Some(true))
                })
                .collect();
            history.sort_by_key(|r| r.revision);
            if to.is_none() && history.len() <= 1 {
                return Err("no last revision to roll back to".into());
            }
            let chosen = match to {
                Some(r) => history
                    .iter()
                    .find(|h| h.revision == r)
                    .ok_or_else(|| format!("unable to find specified revision {r} in history"))?,
                None => &history[history.len() - 2],
            };
            let data = chosen
                .data
                .as_ref()
                .map(|d| d.0.clone())
                .unwrap_or(Value::Null);
            let target_template: Option<PodTemplateSpec> = data
                .pointer("/spec/template")
                .and_then(|t| serde_json::from_value(t.clone()).ok());
            if target_template
                .as_ref()
                .is_some_and(|t| equal_ignore_hash(t, &current_template))
            {
                return Err(format!(
                    "skipped rollback (current template already matches revision {})",
                    chosen.revision
                ));
            }
            let from = images(Some(&current_template));
            let to_images = images(target_template.as_ref());
            plan.parameters
                .insert("to_revision".into(), chosen.revision.to_string());
            plan.parameters.insert(
                "images".into(),
                format!("{} → {}", short_images(&from), short_images(&to_images)),
            );
            plan.what_will_happen = vec![
                format!(
                    "roll {} in {} back to revision {} (as `kubectl rollout undo`)",
                    w.short(),
                    w.namespace,
                    chosen.revision
                ),
                format!(
                    "images: {} → {}",
                    short_images(&from),
                    short_images(&to_images)
                ),
                "apply that ControllerRevision's template (strategic merge patch)".into(),
                "follow the rollout until it completes (as `kubectl rollout status`)".into(),
            ];
            let dry_run = match w.kind {
                WorkloadKind::StatefulSet => {
                    Api::<StatefulSet>::namespaced(client.clone(), &w.namespace)
                        .patch(&w.name, &dry(), &Patch::Strategic(&data))
                        .await
                        .map(|_| ())
                }
                _ => Api::<DaemonSet>::namespaced(client.clone(), &w.namespace)
                    .patch(&w.name, &dry(), &Patch::Strategic(&data))
                    .await
                    .map(|_| ()),
            };
            plan.dry_run = Some(match dry_run {
                Ok(()) => DryRun {
                    ok: true,
                    text: "server accepts the patch".into(),
                },
                Err(e) => DryRun {
                    ok: false,
                    text: api_error(&e),
                },
            });
            Change::Strategic(data)
        }
    };
    Ok((plan, change))
}

pub async fn delete_pod(
    client: &kube::Client,
    w: &WorkloadRef,
    pod: &str,
    id: u64,
    target: Target,
) -> Result<(ActionPlan, Change), String> {
    let api = Api::<Pod>::namespaced(client.clone(), &w.namespace);
    let p = api.get(pod).await.map_err(|e| api_error(&e))?;
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
        format!("delete pod {pod} in {} (on node {node})", w.namespace),
        format!(
            "{} replaces it; wait until all its pods are ready again",
            w.short()
        ),
    ];
    let dp = DeleteParams {
        dry_run: true,
        ..Default::default()
    };
    plan.dry_run = Some(match api.delete(pod, &dp).await {
        Ok(_) => DryRun {
            ok: true,
            text: "server accepts the delete".into(),
        },
        Err(e) => DryRun {
            ok: false,
            text: api_error(&e),
        },
    });
    Ok((plan, Change::DeletePod(pod.to_string())))
}
