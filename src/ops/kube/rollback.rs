//! Planning `kubectl rollout undo`: a Deployment goes back to a
//! ReplicaSet's template (JSON patch), a StatefulSet or DaemonSet to a
//! ControllerRevision (strategic merge patch). The plan records the
//! workload as read, and the change runs only while its pod template (and
//! for a Deployment its annotations, which the patch replaces) are still
//! the ones the plan showed.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::api::{Api, ListParams, Patch};
use serde_json::Value;

use super::api_error;
use super::change::{Change, Op, Precondition, undo_deployment_patch, undo_revision_patch};
use super::plan_parts::{base, dry, dry_run_result, guarded, short_images};
use crate::clients::kube::template::images;
use crate::model::{ActionPlan, Target, Verb, WorkloadKind, WorkloadRef};

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
            let c = undo_deployment(client, w, to, &mut plan).await?;
            guarded(
                &mut plan,
                &c.target,
                "its pod template and annotations are unchanged and it is not paused",
            );
            c
        }
        WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
            let c = undo_revision(client, w, to, &mut plan).await?;
            guarded(&mut plan, &c.target, "its pod template is unchanged");
            c
        }
    };
    Ok((plan, change))
}

async fn undo_deployment(
    client: &kube::Client,
    w: &WorkloadRef,
    to: Option<i64>,
    plan: &mut ActionPlan,
) -> Result<Change, String> {
    let api = Api::<Deployment>::namespaced(client.clone(), &w.namespace);
    let d = api.get(&w.name).await.map_err(|e| api_error(&e))?;
    // The patch replaces the template and the annotations; a pause would
    // keep it from rolling out.
    let precondition = Precondition::of(
        w.short(),
        &d,
        &["/spec/template", "/metadata/annotations", "/spec/paused"],
    )?;
    let owned = owned_replica_sets(client, w, &precondition.uid).await?;
    let chosen = chosen_revision(&owned, to, w)?;
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
    let annotations = undo_annotations(&d, chosen);
    describe_undo(plan, w, revision, &current, &template, chosen);
    if let Some(from) = d
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("deployment.kubernetes.io/revision"))
    {
        plan.parameters.insert("from_revision".into(), from.clone());
    }
    let template = serde_json::to_value(template).map_err(|e| e.to_string())?;
    let annotations = serde_json::to_value(annotations).map_err(|e| e.to_string())?;
    let patch = undo_deployment_patch(&template, &annotations, &precondition.uid, None);
    let p: json_patch::Patch = serde_json::from_value(patch).map_err(|e| e.to_string())?;
    let dry_run = api
        .patch(&w.name, &dry(), &Patch::Json::<()>(p))
        .await
        .map(|_| ());
    plan.dry_run = Some(dry_run_result(dry_run, "server accepts the patch"));
    Ok(Change {
        op: Op::UndoDeployment {
            template,
            annotations,
        },
        target: precondition,
    })
}

/// The replica sets the deployment `uid` controls: its revisions.
async fn owned_replica_sets(
    client: &kube::Client,
    w: &WorkloadRef,
    uid: &str,
) -> Result<Vec<ReplicaSet>, String> {
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
    Ok(rss
        .items
        .into_iter()
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid && o.controller == Some(true))
        })
        .collect())
}

/// The revision to go back to: `to`, or the one before the newest (as
/// `kubectl rollout undo`).
fn chosen_revision<'a>(
    owned: &'a [ReplicaSet],
    to: Option<i64>,
    w: &WorkloadRef,
) -> Result<&'a ReplicaSet, String> {
    Ok(match to {
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
    })
}

/// The annotations the undo writes: the deployment's own that `kubectl`
/// keeps, and the chosen revision's others.
fn undo_annotations(d: &Deployment, chosen: &ReplicaSet) -> BTreeMap<String, String> {
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
    annotations
}

/// The plan's words and parameters for going back to `revision`.
fn describe_undo(
    plan: &mut ActionPlan,
    w: &WorkloadRef,
    revision: i64,
    current: &PodTemplateSpec,
    template: &PodTemplateSpec,
    chosen: &ReplicaSet,
) {
    let from = images(Some(current));
    let to_images = images(Some(template));
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
}

async fn undo_revision(
    client: &kube::Client,
    w: &WorkloadRef,
    to: Option<i64>,
    plan: &mut ActionPlan,
) -> Result<Change, String> {
    const DEPENDS_ON: &[&str] = &["/spec/template"];
    let (precondition, current_template) = match w.kind {
        WorkloadKind::StatefulSet => {
            let s = Api::<StatefulSet>::namespaced(client.clone(), &w.namespace)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?;
            let p = Precondition::of(w.short(), &s, DEPENDS_ON)?;
            (p, s.spec.map(|s| s.template).unwrap_or_default())
        }
        _ => {
            let s = Api::<DaemonSet>::namespaced(client.clone(), &w.namespace)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?;
            let p = Precondition::of(w.short(), &s, DEPENDS_ON)?;
            (p, s.spec.map(|s| s.template).unwrap_or_default())
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
                .any(|o| o.uid == precondition.uid && o.controller == Some(true))
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
    let patch = undo_revision_patch(&data, &precondition.uid, None);
    let dry_run = match w.kind {
        WorkloadKind::StatefulSet => Api::<StatefulSet>::namespaced(client.clone(), &w.namespace)
            .patch(&w.name, &dry(), &Patch::Strategic(&patch))
            .await
            .map(|_| ()),
        _ => Api::<DaemonSet>::namespaced(client.clone(), &w.namespace)
            .patch(&w.name, &dry(), &Patch::Strategic(&patch))
            .await
            .map(|_| ()),
    };
    plan.dry_run = Some(dry_run_result(dry_run, "server accepts the patch"));
    Ok(Change {
        op: Op::UndoRevision(data),
        target: precondition,
    })
}
