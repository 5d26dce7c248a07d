//! The blue-green switch: a Service's selector moved to the other slot
//! (its slot label's value), as a merge patch guarded by the Service's
//! uid and resourceVersion, dry-run first; then followed until the
//! Service's Endpoints are exactly the new slot's ready pods. Switching
//! back is the same action the other way — the instant rollback.
//!
//! Refused when the target slot is not fully ready (every desired pod
//! ready and updated, its rollout observed), when the Service already
//! points there, or when the slot's pods would not match the new
//! selector.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::api_error;
use super::change::{Change, Op, Precondition};
use super::plan_parts::{base, dry, dry_run_result, guarded, short_images};
use crate::model::{ActionPlan, Outcome, Progress, Risk, ServiceRef, Target, Verb, WorkloadRef};

/// The follow gives up after this long without the endpoints settling.
pub const SWITCH_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(500);
/// Conflicts in a row on a Service whose selector had not changed.
const ATTEMPTS: usize = 5;

/// The board's target for a Service: busy while a switch runs on it.
pub fn service_target(r: &ServiceRef, service: Option<String>, env: Option<String>) -> Target {
    Target {
        key: format!("k8s/{r}"),
        name: r.name.clone(),
        service,
        environment: env,
    }
}

fn selector_text(s: &BTreeMap<String, String>) -> String {
    s.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Plans moving `r`'s traffic to `to` (slot `slot` of label `key`).
pub async fn plan(
    client: &kube::Client,
    r: &ServiceRef,
    to: &WorkloadRef,
    key: &str,
    slot: &str,
    id: u64,
    target: Target,
) -> Result<(ActionPlan, Change), String> {
    let services = Api::<Service>::namespaced(client.clone(), &r.namespace);
    let svc = services.get(&r.name).await.map_err(|e| api_error(&e))?;
    let object = format!("service/{}", r.name);
    let precondition = Precondition::of(object.clone(), &svc, &["/spec/selector"])?;
    let selector = svc
        .spec
        .as_ref()
        .and_then(|s| s.selector.clone())
        .unwrap_or_default();
    let Some(from) = selector.get(key).cloned() else {
        return Err(format!(
            "{object} does not select on `{key}` (its selector is {}): it is not a blue-green pair",
            selector_text(&selector)
        ));
    };
    if from == slot {
        return Err(format!("{object} already sends its traffic to {slot}"));
    }
    let mut next = selector.clone();
    next.insert(key.to_string(), slot.to_string());
    let d = Api::<Deployment>::namespaced(client.clone(), &to.namespace)
        .get(&to.name)
        .await
        .map_err(|e| api_error(&e))?;
    ready_to_take_traffic(&d, to, slot, &next)?;
    let pods = ready_pods(client, &to.namespace, &next).await?;
    let images = crate::clients::kube::template::images(d.spec.as_ref().map(|s| &s.template));
    let mut plan = base(id, target, Verb::Switch { to: slot.into() }, to);
    plan.risk = Risk::High;
    plan.parameters.insert("service".into(), object.clone());
    plan.parameters.insert("from".into(), from.clone());
    plan.parameters.insert("to".into(), slot.into());
    plan.parameters
        .insert("selector".into(), selector_text(&next));
    plan.what_will_happen = vec![
        format!(
            "move {object}'s traffic from {from} to {slot}: selector {} → {}",
            selector_text(&selector),
            selector_text(&next)
        ),
        format!(
            "{slot} is {} ({}), {} ready pods: {}",
            to.short(),
            short_images(&images),
            pods.len(),
            pods.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        format!(
            "then follow until the Service's endpoints are exactly those pods; switching back to {from} is the instant rollback"
        ),
    ];
    let patch = json!({"metadata": {"uid": precondition.uid}, "spec": {"selector": next}});
    let dry_run = services
        .patch(&r.name, &dry(), &Patch::Merge(&patch))
        .await
        .map(|_| ());
    plan.dry_run = Some(dry_run_result(dry_run, "server accepts the selector patch"));
    guarded(&mut plan, &precondition, "its selector is unchanged");
    Ok((
        plan,
        Change {
            op: Op::Switch {
                service: r.name.clone(),
                selector: next,
            },
            target: precondition,
        },
    ))
}

/// Every desired pod of the slot is ready and of its newest template,
/// and its pods carry the labels the new selector asks for.
fn ready_to_take_traffic(
    d: &Deployment,
    to: &WorkloadRef,
    slot: &str,
    next: &BTreeMap<String, String>,
) -> Result<(), String> {
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = d.status.clone().unwrap_or_default();
    let ready = st.ready_replicas.unwrap_or(0);
    let updated = st.updated_replicas.unwrap_or(0);
    let observed = st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
    if want == 0 || ready < want || updated < want || !observed {
        return Err(format!(
            "{slot} ({}) is not fully ready: {ready}/{want} ready, {updated}/{want} updated — switching now would send traffic to pods that cannot take it all",
            to.short()
        ));
    }
    let labels = d
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    if let Some((k, v)) = next.iter().find(|(k, v)| labels.get(*k) != Some(*v)) {
        return Err(format!(
            "{}'s pods are not labelled {k}={v}: the new selector would match none of them",
            to.short()
        ));
    }
    Ok(())
}

/// Ready pods matching `selector`, by name.
async fn ready_pods(
    client: &kube::Client,
    ns: &str,
    selector: &BTreeMap<String, String>,
) -> Result<BTreeSet<String>, String> {
    let lp = ListParams::default().labels(&selector_text(selector));
    let pods = Api::<Pod>::namespaced(client.clone(), ns)
        .list(&lp)
        .await
        .map_err(|e| api_error(&e))?;
    Ok(pods
        .items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .filter_map(|p| p.metadata.name.clone())
        .collect())
}

/// Sends the selector patch, guarded; on a conflict reads the Service
/// again and sends it anew only if its selector is still the planned one.
pub async fn apply(client: &kube::Client, ns: &str, change: &Change) -> Result<String, String> {
    let Op::Switch { service, selector } = &change.op else {
        return Err("not a switch".into());
    };
    let api = Api::<Service>::namespaced(client.clone(), ns);
    let params = PatchParams {
        field_manager: Some("opsboard".into()),
        ..Default::default()
    };
    let target = &change.target;
    let mut rv = target.resource_version.clone();
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        let patch = json!({"metadata": {"uid": target.uid, "resourceVersion": rv},
            "spec": {"selector": selector}});
        let err = match api.patch(service, &params, &Patch::Merge(&patch)).await {
            Ok(_) => {
                return Ok(format!(
                    "service/{service} now selects {}",
                    selector_text(selector)
                ));
            }
            Err(e) => e,
        };
        let kube::Error::Api(s) = &err else {
            return Err(api_error(&err));
        };
        if !matches!(s.code, 404 | 409) {
            return Err(api_error(&err));
        }
        let now = api
            .get_opt(service)
            .await
            .map_err(|e| api_error(&e))?
            .and_then(|s| serde_json::to_value(s).ok());
        if let Some(why) = target.what_changed(now.as_ref()) {
            return Err(target.refusal(&why, &api_error(&err)));
        }
        match now
            .as_ref()
            .and_then(|n| n.pointer("/metadata/resourceVersion"))
            .and_then(Value::as_str)
        {
            Some(fresh) if s.code == 409 => rv = fresh.to_string(),
            _ => return Err(api_error(&err)),
        }
        last = api_error(&err);
    }
    Err(format!(
        "{} kept changing while the switch was sent ({ATTEMPTS} conflicts in a row): plan again (the API server said: {last})",
        target.object
    ))
}

/// The ready addresses' pod names in the Service's Endpoints.
async fn endpoint_pods(
    client: &kube::Client,
    ns: &str,
    service: &str,
) -> Result<BTreeSet<String>, String> {
    let ep = Api::<Endpoints>::namespaced(client.clone(), ns)
        .get_opt(service)
        .await
        .map_err(|e| api_error(&e))?;
    Ok(ep
        .iter()
        .flat_map(|e| e.subsets.iter().flatten())
        .flat_map(|s| s.addresses.iter().flatten())
        .filter_map(|a| a.target_ref.as_ref()?.name.clone())
        .collect())
}

/// Follows the switch until the Service's endpoints are exactly the new
/// slot's ready pods (and there is at least one).
pub async fn follow(
    client: &kube::Client,
    ns: &str,
    change: &Change,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    let Op::Switch { service, selector } = &change.op else {
        return (Outcome::Failed, "not a switch".into());
    };
    let deadline = tokio::time::Instant::now() + SWITCH_TIMEOUT;
    loop {
        let last = match (
            ready_pods(client, ns, selector).await,
            endpoint_pods(client, ns, service).await,
        ) {
            (Ok(want), Ok(have)) => {
                if !want.is_empty() && want == have {
                    return (
                        Outcome::Succeeded,
                        format!(
                            "service/{service} endpoints are the {} ready pods of the new slot: {}",
                            want.len(),
                            want.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
                let new = have.intersection(&want).count();
                let old = have.difference(&want).count();
                format!(
                    "endpoints: {new} of {} new pods in, {old} old left",
                    want.len()
                )
            }
            (Err(e), _) | (_, Err(e)) => format!("reading endpoints: {e}"),
        };
        progress(Progress {
            phase: Some(last.clone()),
            ..Default::default()
        });
        if tokio::time::Instant::now() > deadline {
            return (
                Outcome::Failed,
                format!(
                    "timed out after {}s ({last}); the selector was changed — check the Service",
                    SWITCH_TIMEOUT.as_secs()
                ),
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = cancel.cancelled() => {
                return (Outcome::Cancelled, "stopped following (the selector was already changed)".into());
            }
        }
    }
}
