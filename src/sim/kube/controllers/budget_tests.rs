//! The budget arithmetic against the real disruption controller's cases.

use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::sim::kube::clock::Clock;
use crate::sim::kube::pdb_rules::validate;

fn pod(name: &str, ready: bool) -> Arc<Value> {
    Arc::new(
        json!({"metadata": {"name": name, "namespace": "shop", "labels": {"app": "api"}},
        "status": {"phase": "Running", "conditions": [
            {"type": "Ready", "status": if ready { "True" } else { "False" }}]}}),
    )
}

fn deleting(p: &Arc<Value>) -> Arc<Value> {
    let mut v = (**p).clone();
    v["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:30Z");
    Arc::new(v)
}

#[test]
fn int_min_available_counts_the_matched_pods() {
    let spec = json!({"minAvailable": 2});
    assert_eq!(expected_and_desired(&spec, 3, || unreachable!()), (3, 2));
    let spec = json!({"minAvailable": 0});
    assert_eq!(expected_and_desired(&spec, 3, || 9), (3, 0));
}

#[test]
fn percentages_round_up_over_the_controllers_scale() {
    // 50% of 3 replicas: 1.5 → 2 must stay.
    assert_eq!(
        expected_and_desired(&json!({"minAvailable": "50%"}), 2, || 3),
        (3, 2)
    );
    // maxUnavailable 34% of 3: 1.02 → 2 may go, 1 must stay.
    assert_eq!(
        expected_and_desired(&json!({"maxUnavailable": "34%"}), 3, || 3),
        (3, 1)
    );
    assert_eq!(
        expected_and_desired(&json!({"maxUnavailable": "25%"}), 4, || 4),
        (4, 3)
    );
    // An int maxUnavailable is still over the scale, never below zero.
    assert_eq!(
        expected_and_desired(&json!({"maxUnavailable": 1}), 1, || 3),
        (3, 2)
    );
    assert_eq!(
        expected_and_desired(&json!({"maxUnavailable": 5}), 3, || 3),
        (3, 0)
    );
    assert_eq!(expected_and_desired(&json!({}), 3, || 3), (0, 0));
}

#[test]
fn allowed_needs_expected_pods_and_spare_health() {
    assert_eq!(allowed(3, 3, 2), 1);
    assert_eq!(allowed(3, 2, 2), 0);
    assert_eq!(allowed(3, 1, 2), 0);
    assert_eq!(allowed(0, 3, 0), 0);
}

#[test]
fn deleting_unready_and_recently_evicted_pods_are_not_healthy() {
    let pods = vec![
        pod("a", true),
        deleting(&pod("b", true)),
        pod("c", false),
        pod("d", true),
    ];
    let t = |s: &str| crate::sim::kube::clock::parse_time(s).unwrap();
    let pdb = json!({"status": {"disruptedPods": {
        "a": "2024-01-01T00:00:00Z", "b": "2024-01-01T00:00:00Z", "gone": "2024-01-01T00:00:00Z"}}});
    // Within the two minutes: a is about to go; b is already deleting
    // and gone no longer exists, so neither stays in the map.
    let pending = pending_disruptions(&pdb, &pods, t("2024-01-01T00:01:00Z"));
    assert_eq!(pending.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(count_healthy(&pods, &pending), 1);
    // After them, a counts again.
    let pending = pending_disruptions(&pdb, &pods, t("2024-01-01T00:02:01Z"));
    assert!(pending.is_empty());
    assert_eq!(count_healthy(&pods, &pending), 2);
}

#[test]
fn status_and_condition_follow_the_budget() {
    let pdb = json!({"metadata": {"generation": 3}});
    let b = Budget {
        expected_pods: 3,
        current_healthy: 3,
        desired_healthy: 2,
        disruptions_allowed: 1,
    };
    let s = status(&pdb, b, BTreeMap::new(), 1000);
    assert_eq!(s["observedGeneration"], 3);
    assert_eq!(s["expectedPods"], 3);
    assert_eq!(s["disruptionsAllowed"], 1);
    assert!(s.get("disruptedPods").is_none());
    let c = &s["conditions"][0];
    assert_eq!(
        (
            c["type"].as_str(),
            c["status"].as_str(),
            c["reason"].as_str()
        ),
        (
            Some("DisruptionAllowed"),
            Some("True"),
            Some("SufficientPods")
        )
    );
    assert_eq!(c["observedGeneration"], 3);
    // Same status later: the transition time stays; a change moves it.
    let again = status(
        &json!({"metadata": {"generation": 3}, "status": s.clone()}),
        b,
        BTreeMap::new(),
        9000,
    );
    assert_eq!(
        again["conditions"][0]["lastTransitionTime"],
        c["lastTransitionTime"]
    );
    let none = Budget {
        disruptions_allowed: 0,
        current_healthy: 2,
        ..b
    };
    let down = status(
        &json!({"metadata": {"generation": 3}, "status": s}),
        none,
        BTreeMap::new(),
        9000,
    );
    assert_eq!(down["conditions"][0]["status"], "False");
    assert_eq!(down["conditions"][0]["reason"], "InsufficientPods");
    assert_ne!(
        down["conditions"][0]["lastTransitionTime"],
        c["lastTransitionTime"]
    );
}

#[test]
fn percentages_use_the_deployment_scale_through_its_replicaset() {
    let mut store = Store::new(Arc::new(Clock::new(1.0)), 1);
    let d = store
        .create(
            Res::Deployments,
            json!({"metadata": {"name": "api", "namespace": "shop"},
        "spec": {"replicas": 4}}),
        )
        .unwrap();
    let rs = store.create(Res::ReplicaSets, json!({"metadata": {"name": "api-1", "namespace": "shop",
        "ownerReferences": [util::owner_ref(&d, "Deployment", "apps/v1")]}, "spec": {"replicas": 2}})).unwrap();
    let owned = |n: &str| {
        let mut p = (*pod(n, true)).clone();
        p["metadata"]["ownerReferences"] = json!([util::owner_ref(&rs, "ReplicaSet", "apps/v1")]);
        Arc::new(p)
    };
    let bare = pod("bare", true);
    assert_eq!(expected_scale(&store, &[owned("a"), owned("b"), bare]), 4);
}

#[test]
fn bounds_are_validated() {
    let v = |spec: Value| validate(&json!({"spec": spec}));
    assert!(v(json!({"minAvailable": 2})).is_empty());
    assert!(v(json!({"maxUnavailable": "25%"})).is_empty());
    assert!(
        v(json!({"minAvailable": 1, "maxUnavailable": 1}))[0]
            .1
            .ends_with("cannot be both set")
    );
    assert!(
        v(json!({"minAvailable": -1}))[0]
            .1
            .contains("greater than or equal to 0")
    );
    assert!(
        v(json!({"minAvailable": "150%"}))[0]
            .1
            .contains("not be greater than 100%")
    );
    assert!(
        v(json!({"maxUnavailable": "half"}))[0]
            .1
            .contains("valid percent string")
    );
}
