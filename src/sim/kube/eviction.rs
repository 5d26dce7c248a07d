//! The `pods/eviction` subresource: a POST of a `policy/v1` (or
//! `policy/v1beta1`) Eviction deletes the pod unless a PodDisruptionBudget
//! covering it allows no disruption, after the real `EvictionREST.Create`:
//! pods that are terminal, pending or already being deleted go without a
//! look at budgets; an unready pod goes while its budget is otherwise met
//! (or its `unhealthyPodEvictionPolicy` is `AlwaysAllow`); otherwise the
//! budget's `disruptionsAllowed` is taken down by one and the pod recorded
//! in its `disruptedPods` until the disruption controller catches up. A
//! refusal is 429 TooManyRequests with the `DisruptionBudget` cause; more
//! than one budget on a pod is a 500. The pod gets the `DisruptionTarget`
//! condition and is deleted gracefully, as a DELETE would.
//!
//! Not simulated: the conflict retries (one lock serializes everything),
//! admission, the 2000-entry `disruptedPods` bound is checked but never
//! reached in practice.

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Value, json};

use super::clock::{SimTime, format_time};
use super::controllers::budget;
use super::controllers::podutil::is_ready;
use super::errors::ApiError;
use super::managed_fields::Writer;
use super::objects;
use super::preconditions;
use super::request::{App, Req};
use super::resources::Res;
use super::response::json_response;
use super::store::Store;
use super::util;

/// `MaxDisruptedPodSize`.
const MAX_DISRUPTED_PODS: usize = 2000;

const VIOLATION: &str = "Cannot evict pod as it would violate the pod's disruption budget.";
const MORE_THAN_ONE: &str = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.";

/// What an eviction of a pod comes to, before anything is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Delete the pod; no budget is touched.
    Delete,
    /// Take one disruption from this budget, then delete the pod.
    Decrement(Arc<Value>),
    /// Refused (429 or 403).
    Refuse(ApiError),
    /// More than one budget covers the pod (a 500 Status).
    MoreThanOneBudget,
}

fn too_many_requests(message: String, retry_after: i64) -> ApiError {
    let mut details = json!({"causes": [{"reason": "DisruptionBudget", "message": message}]});
    if retry_after > 0 {
        details["retryAfterSeconds"] = json!(retry_after);
    }
    ApiError {
        code: 429,
        reason: "TooManyRequests",
        message: VIOLATION.into(),
        details: Some(details),
    }
}

fn forbidden(pdb: &str, why: &str) -> ApiError {
    ApiError {
        code: 403,
        reason: "Forbidden",
        message: format!("poddisruptionbudget.policy {pdb:?} is forbidden: {why}"),
        details: Some(json!({"name": pdb, "group": "policy", "kind": "poddisruptionbudget"})),
    }
}

/// `canIgnorePDB`: terminal, pending or already deleting pods.
fn can_ignore_budgets(pod: &Value) -> bool {
    matches!(
        util::s(pod, "/status/phase"),
        "Succeeded" | "Failed" | "Pending"
    ) || util::is_deleting(pod)
}

/// `checkAndDecrement` without the write: whether `pdb` can give one
/// disruption now.
fn check(pdb: &Arc<Value>) -> Verdict {
    let name = util::name(pdb);
    if util::i(pdb, "/status/observedGeneration") < util::i(pdb, "/metadata/generation") {
        return Verdict::Refuse(too_many_requests(
            format!("The disruption budget {name} is still being processed by the server."),
            10,
        ));
    }
    let allowed = util::i(pdb, "/status/disruptionsAllowed");
    if allowed < 0 {
        return Verdict::Refuse(forbidden(name, "pdb disruptions allowed is negative"));
    }
    let disrupted = pdb
        .pointer("/status/disruptedPods")
        .and_then(Value::as_object)
        .map_or(0, |m| m.len());
    if disrupted > MAX_DISRUPTED_PODS {
        return Verdict::Refuse(forbidden(
            name,
            "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
        ));
    }
    if allowed == 0 {
        return Verdict::Refuse(too_many_requests(
            format!(
                "The disruption budget {name} needs {} healthy pods and has {} currently",
                util::i(pdb, "/status/desiredHealthy"),
                util::i(pdb, "/status/currentHealthy")
            ),
            0,
        ));
    }
    Verdict::Decrement(pdb.clone())
}

/// What evicting `pod` comes to, given the budgets covering it.
pub fn decide(pod: &Value, budgets: &[Arc<Value>]) -> Verdict {
    if can_ignore_budgets(pod) {
        return Verdict::Delete;
    }
    let pdb = match budgets {
        [] => return Verdict::Delete,
        [one] => one,
        _ => return Verdict::MoreThanOneBudget,
    };
    if !is_ready(pod) {
        let always = util::s(pdb, "/spec/unhealthyPodEvictionPolicy") == "AlwaysAllow";
        let desired = util::i(pdb, "/status/desiredHealthy");
        if always || (util::i(pdb, "/status/currentHealthy") >= desired && desired > 0) {
            return Verdict::Delete;
        }
    }
    check(pdb)
}

/// The budget's status after giving one disruption to `pod` at `now`.
pub fn decremented(pdb: &Value, pod: &str, now: SimTime) -> Value {
    let mut status = pdb.get("status").cloned().unwrap_or(json!({}));
    let left = util::i(&status, "/disruptionsAllowed") - 1;
    status["disruptionsAllowed"] = json!(left);
    if left == 0 {
        let observed = util::i(&status, "/observedGeneration");
        budget::set_allowed_condition(&mut status, observed, now);
    }
    if !status.get("disruptedPods").is_some_and(Value::is_object) {
        status["disruptedPods"] = json!({});
    }
    status["disruptedPods"][pod] = json!(format_time(now));
    status
}

/// The Eviction in the body, checked against the URL.
fn parse(req: &Req, pod: &str) -> Result<Value, ApiError> {
    let body: Value = if req.body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&req.body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })?
    };
    if !body.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let api_version = util::s(&body, "/apiVersion");
    if !matches!(api_version, "" | "policy/v1" | "policy/v1beta1") {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version (policy/v1)"
        )));
    }
    let kind = util::s(&body, "/kind");
    if !matches!(kind, "" | "Eviction") {
        return Err(ApiError::bad_request(format!(
            "not a Eviction object: *{kind}"
        )));
    }
    if util::name(&body) != pod {
        return Err(ApiError::bad_request(
            "name in URL does not match name in Eviction object",
        ));
    }
    Ok(body)
}

fn success() -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})
}

/// `POST …/pods/NAME/eviction`.
pub fn create(app: &App, req: &Req) -> Result<Response, ApiError> {
    let name = req.name.as_deref().unwrap_or("");
    let eviction = parse(req, name)?;
    let opts = eviction
        .get("deleteOptions")
        .filter(|o| o.is_object())
        .cloned()
        .unwrap_or(json!({}));
    let dry_run = req.dry_run()
        || opts
            .get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
    let mut st = app.shared.lock();
    let pod = st
        .store
        .get(Res::Pods, req.ns(), name)
        .ok_or_else(|| ApiError::not_found(Res::Pods, name))?;
    let verdict = decide(&pod, &budget::budgets_of(&st.store, &pod));
    let pdb = match verdict {
        Verdict::Refuse(e) => return Err(e),
        Verdict::MoreThanOneBudget => {
            let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": MORE_THAN_ONE, "code": 500});
            return Ok(json_response(500, &status));
        }
        Verdict::Delete => None,
        Verdict::Decrement(pdb) => Some(pdb),
    };
    preconditions::delete(Res::Pods, &pod, &opts)?;
    if dry_run {
        return Ok(json_response(201, &success()));
    }
    let now = st.store.now();
    if let Some(pdb) = pdb {
        let status = decremented(&pdb, name, now);
        // The eviction REST writes the budget through its loopback client.
        st.store
            .with_writer(Writer::client("kube-apiserver", Some("status")), |s| {
                s.modify(Res::Pdbs, util::namespace(&pdb), util::name(&pdb), |p| {
                    p["status"] = status;
                })
            });
    }
    st.store
        .with_writer(req.writer(), |s| evict(s, &pod, &opts, now));
    Ok(json_response(201, &success()))
}

/// Marks the pod as a disruption target and deletes it as a DELETE would.
fn evict(store: &mut Store, pod: &Value, opts: &Value, now: SimTime) {
    let (ns, name) = (util::namespace(pod), util::name(pod));
    let marked = store.modify(Res::Pods, ns, name, |p| {
        let mut conds: Vec<Value> = p
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        conds.retain(|c| util::s(c, "/type") != "DisruptionTarget");
        conds.push(
            json!({"type": "DisruptionTarget", "status": "True", "lastProbeTime": null,
            "lastTransitionTime": format_time(now), "reason": "EvictionByEvictionAPI",
            "message": "Eviction API: evicting"}),
        );
        p["status"]["conditions"] = json!(conds);
    });
    let current = marked.map_or_else(|| pod.clone(), |p| (*p).clone());
    objects::delete_one(store, Res::Pods, &current, opts);
}

#[cfg(test)]
#[path = "eviction_tests.rs"]
mod tests;
