//! Eviction decisions as the real `EvictionREST.Create` makes them.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;

fn pod(phase: &str, ready: bool) -> Value {
    json!({"metadata": {"name": "api-1", "namespace": "shop", "labels": {"app": "api"}},
        "status": {"phase": phase, "conditions": [
            {"type": "Ready", "status": if ready { "True" } else { "False" }}]}})
}

fn pdb(name: &str, allowed: i64, healthy: i64, desired: i64) -> Arc<Value> {
    Arc::new(
        json!({"metadata": {"name": name, "namespace": "shop", "generation": 1},
        "spec": {"minAvailable": desired, "selector": {"matchLabels": {"app": "api"}}},
        "status": {"observedGeneration": 1, "disruptionsAllowed": allowed,
            "currentHealthy": healthy, "desiredHealthy": desired, "expectedPods": 3}}),
    )
}

fn refusal(v: Verdict) -> ApiError {
    match v {
        Verdict::Refuse(e) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn no_budget_or_terminal_pending_deleting_pods_are_deleted() {
    assert_eq!(decide(&pod("Running", true), &[]), Verdict::Delete);
    let blocked = [pdb("api", 0, 2, 2)];
    for phase in ["Pending", "Succeeded", "Failed"] {
        assert_eq!(
            decide(&pod(phase, false), &blocked),
            Verdict::Delete,
            "{phase}"
        );
    }
    let mut going = pod("Running", true);
    going["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
    assert_eq!(decide(&going, &blocked), Verdict::Delete);
}

#[test]
fn a_budget_with_room_gives_one_disruption() {
    let b = pdb("api", 1, 3, 2);
    assert_eq!(
        decide(&pod("Running", true), std::slice::from_ref(&b)),
        Verdict::Decrement(b.clone())
    );
    let s = decremented(&b, "api-1", 0);
    assert_eq!(s["disruptionsAllowed"], 0);
    assert_eq!(s["disruptedPods"]["api-1"], "1970-01-01T00:00:00Z");
    assert_eq!(s["conditions"][0]["reason"], "InsufficientPods");
}

#[test]
fn a_budget_without_room_refuses_with_429_and_its_cause() {
    let e = refusal(decide(&pod("Running", true), &[pdb("api", 0, 2, 2)]));
    assert_eq!(e.code, 429);
    assert_eq!(e.reason, "TooManyRequests");
    assert_eq!(
        e.message,
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    let status = e.to_status();
    assert_eq!(status["details"]["causes"][0]["reason"], "DisruptionBudget");
    assert_eq!(
        status["details"]["causes"][0]["message"],
        "The disruption budget api needs 2 healthy pods and has 2 currently"
    );
    assert!(status["details"].get("retryAfterSeconds").is_none());
}

#[test]
fn a_budget_not_yet_observed_asks_to_retry_later() {
    let mut b = (*pdb("api", 1, 3, 2)).clone();
    b["metadata"]["generation"] = json!(2);
    let e = refusal(decide(&pod("Running", true), &[Arc::new(b)]));
    assert_eq!(e.code, 429);
    let d = e.details.unwrap();
    assert_eq!(d["retryAfterSeconds"], 10);
    assert_eq!(
        d["causes"][0]["message"],
        "The disruption budget api is still being processed by the server."
    );
}

#[test]
fn negative_allowance_is_forbidden() {
    let e = refusal(decide(&pod("Running", true), &[pdb("api", -1, 1, 2)]));
    assert_eq!(e.code, 403);
    assert_eq!(
        e.message,
        "poddisruptionbudget.policy \"api\" is forbidden: pdb disruptions allowed is negative"
    );
}

#[test]
fn unready_pods_go_while_the_budget_is_otherwise_met() {
    let unready = pod("Running", false);
    // 2 healthy of 2 desired without this pod: it may go, nothing taken.
    assert_eq!(decide(&unready, &[pdb("api", 0, 2, 2)]), Verdict::Delete);
    // Budget not met: back to the allowance (none).
    assert_eq!(refusal(decide(&unready, &[pdb("api", 0, 1, 2)])).code, 429);
    // AlwaysAllow lets unhealthy pods go regardless.
    let mut b = (*pdb("api", 0, 1, 2)).clone();
    b["spec"]["unhealthyPodEvictionPolicy"] = json!("AlwaysAllow");
    assert_eq!(decide(&unready, &[Arc::new(b)]), Verdict::Delete);
}

#[test]
fn two_budgets_are_not_supported() {
    let v = decide(
        &pod("Running", true),
        &[pdb("a", 1, 3, 2), pdb("b", 1, 3, 2)],
    );
    assert_eq!(v, Verdict::MoreThanOneBudget);
}
