//! PodDisruptionBudget (`policy/v1`) arithmetic shared by the disruption
//! controller and the eviction subresource, after the real
//! `pkg/controller/disruption` and `pkg/registry/core/pod/storage/eviction.go`:
//! which pods a budget covers, how many must stay healthy, how many may go.
//!
//! Simulated: `minAvailable` / `maxUnavailable` as ints and percentages
//! (percentages and `maxUnavailable` over the scale of the pods'
//! controllers: Deployments through their ReplicaSets, bare ReplicaSets,
//! StatefulSets), `disruptedPods` expiring after two minutes, the
//! `DisruptionAllowed` condition, validation of the bounds. Not simulated:
//! pods whose controller has no scale (DaemonSet pods, bare pods) are left
//! out of the expected count instead of failing the sync (`SyncFailed`),
//! custom resources with a scale subresource, the `NoPods` event.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::super::clock::{SimTime, format_time, parse_time};
use super::super::resources::Res;
use super::super::selectors::LabelSelector;
use super::super::store::Store;
use super::super::util;
use super::podutil::is_ready;

/// How long an eviction's entry in `disruptedPods` keeps its pod out of
/// the healthy count if the pod is not deleted (`DeletionTimeout`).
pub const DELETION_TIMEOUT_MS: i64 = 2 * 60 * 1000;

/// The budget's verdict over its pods, as its status reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub expected_pods: i64,
    pub current_healthy: i64,
    pub desired_healthy: i64,
    pub disruptions_allowed: i64,
}

/// Whether the budget's selector covers `pod`. A missing or empty
/// selector covers nothing (as the eviction REST treats it).
pub fn covers(pdb: &Value, pod: &Value) -> bool {
    util::namespace(pdb) == util::namespace(pod)
        && LabelSelector::from_object(pdb.pointer("/spec/selector")).is_some_and(|s| s.matches(pod))
}

/// The pods `pdb` covers (deleting ones included).
pub fn pods_of(store: &Store, pdb: &Value) -> Vec<Arc<Value>> {
    let Some(sel) = LabelSelector::from_object(pdb.pointer("/spec/selector")) else {
        return vec![];
    };
    store
        .list(Res::Pods, Some(util::namespace(pdb)))
        .into_iter()
        .filter(|p| sel.matches(p))
        .collect()
}

/// The budgets covering `pod`, in name order.
pub fn budgets_of(store: &Store, pod: &Value) -> Vec<Arc<Value>> {
    store
        .list(Res::Pdbs, Some(util::namespace(pod)))
        .into_iter()
        .filter(|b| covers(b, pod))
        .collect()
}

/// The summed `spec.replicas` of the controllers of `pods` (each counted
/// once): `getExpectedScale`. Pods without a scalable controller add none.
pub fn expected_scale(store: &Store, pods: &[Arc<Value>]) -> i64 {
    let mut scales: BTreeMap<String, i64> = BTreeMap::new();
    for pod in pods {
        if let Some((uid, scale)) = controller_scale(store, pod) {
            scales.insert(uid, scale);
        }
    }
    scales.values().sum()
}

fn owner(obj: &Value) -> Option<(&str, &str)> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| (util::s(r, "/kind"), util::s(r, "/name")))
}

fn controller_scale(store: &Store, pod: &Value) -> Option<(String, i64)> {
    let ns = util::namespace(pod);
    let scale_of = |o: &Value| {
        (
            util::uid(o).to_string(),
            util::opt_i(o, "/spec/replicas").unwrap_or(1),
        )
    };
    match owner(pod)? {
        ("ReplicaSet", name) => {
            let rs = store.get(Res::ReplicaSets, ns, name)?;
            match owner(&rs) {
                Some(("Deployment", d)) => store.get(Res::Deployments, ns, d).map(|d| scale_of(&d)),
                Some(_) => None,
                None => Some(scale_of(&rs)),
            }
        }
        ("StatefulSet", name) => store.get(Res::StatefulSets, ns, name).map(|s| scale_of(&s)),
        _ => None,
    }
}

/// `(expectedCount, desiredHealthy)`: an int `minAvailable` over the
/// matched pods; a percentage, or any `maxUnavailable`, over `scale()`
/// (rounded up). With neither set nothing is expected.
pub fn expected_and_desired(
    spec: &Value,
    matched: usize,
    scale: impl FnOnce() -> i64,
) -> (i64, i64) {
    let pct = |v: &Value, total: i64| util::int_or_percent(Some(v), total, true, "0");
    if let Some(max) = spec.get("maxUnavailable").filter(|v| !v.is_null()) {
        let expected = scale();
        return (expected, (expected - pct(max, expected)).max(0));
    }
    match spec.get("minAvailable") {
        Some(Value::Number(n)) => (matched as i64, n.as_i64().unwrap_or(0)),
        Some(min @ Value::String(_)) => {
            let expected = scale();
            (expected, pct(min, expected))
        }
        _ => (0, 0),
    }
}

/// The still-pending evictions of `status.disruptedPods`: entries whose
/// pod exists, is not yet being deleted and was evicted less than
/// [`DELETION_TIMEOUT_MS`] ago (`buildDisruptedPodMap`).
pub fn pending_disruptions(
    pdb: &Value,
    pods: &[Arc<Value>],
    now: SimTime,
) -> BTreeMap<String, Value> {
    let Some(map) = pdb
        .pointer("/status/disruptedPods")
        .and_then(Value::as_object)
    else {
        return BTreeMap::new();
    };
    pods.iter()
        .filter(|p| !util::is_deleting(p))
        .filter_map(|p| {
            let at = map.get(util::name(p))?;
            let t = parse_time(at.as_str().unwrap_or(""))?;
            (t + DELETION_TIMEOUT_MS > now).then(|| (util::name(p).to_string(), at.clone()))
        })
        .collect()
}

/// Ready pods neither being deleted nor about to be (`countHealthyPods`).
pub fn count_healthy(pods: &[Arc<Value>], pending: &BTreeMap<String, Value>) -> i64 {
    pods.iter()
        .filter(|p| !util::is_deleting(p) && !pending.contains_key(util::name(p)) && is_ready(p))
        .count() as i64
}

/// Healthy beyond desired, or none while nothing is expected.
pub fn allowed(expected: i64, healthy: i64, desired: i64) -> i64 {
    if expected <= 0 {
        0
    } else {
        (healthy - desired).max(0)
    }
}

/// The budget of `pdb` over `pods` at `now`.
pub fn evaluate(
    store: &Store,
    pdb: &Value,
    pods: &[Arc<Value>],
    now: SimTime,
) -> (Budget, BTreeMap<String, Value>) {
    let (expected, desired) =
        expected_and_desired(&pdb["spec"], pods.len(), || expected_scale(store, pods));
    let pending = pending_disruptions(pdb, pods, now);
    let healthy = count_healthy(pods, &pending);
    let budget = Budget {
        expected_pods: expected,
        current_healthy: healthy,
        desired_healthy: desired,
        disruptions_allowed: allowed(expected, healthy, desired),
    };
    (budget, pending)
}

/// `UpdateDisruptionAllowedCondition`: `DisruptionAllowed` True
/// (`SufficientPods`) while a disruption is allowed, else False
/// (`InsufficientPods`); its transition time moves only with its status.
pub fn set_allowed_condition(status: &mut Value, observed_generation: i64, now: SimTime) {
    let (st, reason) = if util::i(status, "/disruptionsAllowed") > 0 {
        ("True", "SufficientPods")
    } else {
        ("False", "InsufficientPods")
    };
    let old = status
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| util::s(c, "/type") == "DisruptionAllowed")
        })
        .cloned();
    let since = match &old {
        Some(c) if util::s(c, "/status") == st => c["lastTransitionTime"].clone(),
        _ => json!(format_time(now)),
    };
    let mut conds: Vec<Value> = status
        .get("conditions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter(|c| util::s(c, "/type") != "DisruptionAllowed")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    conds.push(
        json!({"type": "DisruptionAllowed", "status": st, "reason": reason, "message": "",
        "observedGeneration": observed_generation, "lastTransitionTime": since}),
    );
    status["conditions"] = json!(conds);
}

/// The status the disruption controller writes for `budget`.
pub fn status(
    pdb: &Value,
    budget: Budget,
    pending: BTreeMap<String, Value>,
    now: SimTime,
) -> Value {
    let generation = util::i(pdb, "/metadata/generation");
    let mut status = json!({
        "observedGeneration": generation,
        "disruptionsAllowed": budget.disruptions_allowed,
        "currentHealthy": budget.current_healthy,
        "desiredHealthy": budget.desired_healthy,
        "expectedPods": budget.expected_pods,
        "conditions": pdb.pointer("/status/conditions").cloned().unwrap_or(json!([])),
    });
    if !pending.is_empty() {
        status["disruptedPods"] = json!(pending);
    }
    set_allowed_condition(&mut status, generation, now);
    status
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
