//! Helpers of the Deployment controller, after
//! `pkg/controller/deployment/util/deployment_util.go`: revision and
//! replica annotations, surge/unavailable fenceposts and status.

use serde_json::{Value, json};

use super::{get_condition, set_condition};
use crate::sim::kube::util;

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// Annotations never copied from a Deployment to its ReplicaSets.
const SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

/// Longest `revision-history` annotation kept.
const MAX_REV_HISTORY_CHARS: usize = 2000;

pub fn replicas(v: &Value) -> i64 {
    util::opt_i(v, "/spec/replicas").unwrap_or(1)
}

pub fn revision(rs: &Value) -> i64 {
    util::annotation(rs, REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

pub fn is_rolling(d: &Value) -> bool {
    util::s(d, "/spec/strategy/type") != "Recreate"
}

/// `ResolveFenceposts`: surge rounds up, unavailable down, never both 0.
pub fn fenceposts(d: &Value) -> (i64, i64) {
    let r = replicas(d);
    let ru = d.pointer("/spec/strategy/rollingUpdate");
    let surge = util::int_or_percent(ru.and_then(|x| x.get("maxSurge")), r, true, "25%");
    let mut unavail =
        util::int_or_percent(ru.and_then(|x| x.get("maxUnavailable")), r, false, "25%");
    if surge == 0 && unavail == 0 {
        unavail = 1;
    }
    (surge, unavail)
}

pub fn max_surge(d: &Value) -> i64 {
    if !is_rolling(d) {
        return 0;
    }
    fenceposts(d).0
}

pub fn max_unavailable(d: &Value) -> i64 {
    if !is_rolling(d) || replicas(d) == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas(d))
}

pub fn has_progress_deadline(d: &Value) -> bool {
    util::opt_i(d, "/spec/progressDeadlineSeconds").is_some_and(|s| s != i32::MAX as i64)
}

#[expect(
    clippy::expect_used,
    reason = "a proven invariant, named in the expect message"
)]
fn annotations_mut(v: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !v["metadata"]["annotations"].is_object() {
        v["metadata"]["annotations"] = json!({});
    }
    v["metadata"]["annotations"]
        .as_object_mut()
        .expect("object")
}

fn copy_annotations(d: &Value, rs: &mut Value) -> bool {
    let mut changed = false;
    let from = d
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let to = annotations_mut(rs);
    for (k, v) in from {
        if SKIP.contains(&k.as_str()) || to.get(&k) == Some(&v) {
            continue;
        }
        to.insert(k, v);
        changed = true;
    }
    changed
}

/// `SetReplicasAnnotations`.
pub fn set_replicas_annotations(rs: &mut Value, desired: i64, max: i64) -> bool {
    let a = annotations_mut(rs);
    let (d, m) = (desired.to_string(), max.to_string());
    let mut changed = false;
    if a.get(DESIRED).and_then(Value::as_str) != Some(d.as_str()) {
        a.insert(DESIRED.into(), json!(d));
        changed = true;
    }
    if a.get(MAX_REPLICAS).and_then(Value::as_str) != Some(m.as_str()) {
        a.insert(MAX_REPLICAS.into(), json!(m));
        changed = true;
    }
    changed
}

pub fn replicas_annotations_need_update(rs: &Value, desired: i64, max: i64) -> bool {
    util::annotation(rs, DESIRED) != Some(desired.to_string().as_str())
        || util::annotation(rs, MAX_REPLICAS) != Some(max.to_string().as_str())
}

/// `SetNewReplicaSetAnnotations`: copies the Deployment's annotations,
/// raises the revision (keeping the old one in `revision-history` when a
/// ReplicaSet is re-used by a rollback) and, for a new ReplicaSet, sets the
/// replica annotations.
pub fn set_new_rs_annotations(d: &Value, rs: &mut Value, new_revision: i64, exists: bool) -> bool {
    let mut changed = copy_annotations(d, rs);
    let old = util::annotation(rs, REVISION).map(str::to_string);
    let old_rev: i64 = match &old {
        Some(s) => match s.parse() {
            Ok(n) => n,
            Err(_) => return false,
        },
        None => 0,
    };
    if old_rev < new_revision {
        annotations_mut(rs).insert(REVISION.into(), json!(new_revision.to_string()));
        changed = true;
        if let Some(old) = old {
            let history = util::annotation(rs, REVISION_HISTORY)
                .unwrap_or("")
                .to_string();
            let mut parts: Vec<String> = if history.is_empty() {
                vec![]
            } else {
                history.split(',').map(str::to_string).collect()
            };
            parts.push(old);
            while parts.join(",").len() > MAX_REV_HISTORY_CHARS && parts.len() > 1 {
                parts.remove(0);
            }
            annotations_mut(rs).insert(REVISION_HISTORY.into(), json!(parts.join(",")));
        }
    }
    if !exists {
        let r = replicas(d);
        changed |= set_replicas_annotations(rs, r, r + max_surge(d));
    }
    changed
}

pub fn set_deployment_revision(d: &mut Value, revision: &str) -> bool {
    if util::annotation(d, REVISION) == Some(revision) {
        return false;
    }
    annotations_mut(d).insert(REVISION.into(), json!(revision));
    true
}

fn sum(rss: &[&Value], pointer: &str) -> i64 {
    rss.iter().map(|r| util::i(r, pointer)).sum()
}

/// `calculateStatus`.
pub fn calculate_status(d: &Value, all: &[&Value], new: Option<&Value>, now: &str) -> Value {
    let available = sum(all, "/status/availableReplicas");
    let total = all.iter().map(|r| replicas(r)).sum::<i64>();
    let unavailable = (total - available).max(0);
    let mut status = json!({"observedGeneration": util::i(d, "/metadata/generation")});
    let mut put = |k: &str, v: i64| {
        if v != 0 {
            status[k] = json!(v);
        }
    };
    put("replicas", sum(all, "/status/replicas"));
    put(
        "updatedReplicas",
        new.map_or(0, |n| util::i(n, "/status/replicas")),
    );
    put("readyReplicas", sum(all, "/status/readyReplicas"));
    put("availableReplicas", available);
    put("unavailableReplicas", unavailable);
    if let Some(c) = d.pointer("/status/collisionCount") {
        status["collisionCount"] = c.clone();
    }
    status["conditions"] = d
        .pointer("/status/conditions")
        .cloned()
        .unwrap_or(json!([]));
    if available >= replicas(d) - max_unavailable(d) {
        set_condition(
            &mut status,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            now,
            true,
        );
    } else {
        set_condition(
            &mut status,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            now,
            true,
        );
    }
    status
}

pub fn status_i(s: &Value, k: &str) -> i64 {
    s.get(k).and_then(Value::as_i64).unwrap_or(0)
}

/// `DeploymentComplete`.
pub fn deployment_complete(d: &Value, s: &Value) -> bool {
    let r = replicas(d);
    status_i(s, "updatedReplicas") == r
        && status_i(s, "replicas") == r
        && status_i(s, "availableReplicas") == r
        && status_i(s, "observedGeneration") >= util::i(d, "/metadata/generation")
}

/// `DeploymentProgressing`: any progress since the stored status.
pub fn deployment_progressing(d: &Value, new: &Value) -> bool {
    let old = d.get("status").cloned().unwrap_or(json!({}));
    let old_old = status_i(&old, "replicas") - status_i(&old, "updatedReplicas");
    let new_old = status_i(new, "replicas") - status_i(new, "updatedReplicas");
    status_i(new, "updatedReplicas") > status_i(&old, "updatedReplicas")
        || new_old < old_old
        || status_i(new, "readyReplicas") > status_i(&old, "readyReplicas")
        || status_i(new, "availableReplicas") > status_i(&old, "availableReplicas")
}

/// `DeploymentTimedOut`.
pub fn deployment_timed_out(d: &Value, new: &Value, now: i64) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = get_condition(new, "Progressing") else {
        return false;
    };
    match util::s(c, "/reason") {
        "NewReplicaSetAvailable" => false,
        "ProgressDeadlineExceeded" => true,
        _ => {
            let from =
                crate::sim::kube::clock::parse_time(util::s(c, "/lastUpdateTime")).unwrap_or(now);
            from + util::i(d, "/spec/progressDeadlineSeconds") * 1000 < now
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenceposts_round_like_kubernetes() {
        let d = json!({"spec": {"replicas": 3, "strategy": {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}});
        assert_eq!(fenceposts(&d), (1, 0));
        let d = json!({"spec": {"replicas": 10, "strategy": {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}}});
        assert_eq!(fenceposts(&d), (0, 1));
        let d = json!({"spec": {"replicas": 2, "strategy": {"type": "Recreate"}}});
        assert_eq!((max_surge(&d), max_unavailable(&d)), (0, 0));
    }

    #[test]
    fn rollback_bumps_revision_and_keeps_history() {
        let d = json!({"metadata": {"annotations": {"kubernetes.io/change-cause": "undo", REVISION: "3"}},
            "spec": {"replicas": 1}});
        let mut rs = json!({"metadata": {"annotations": {REVISION: "2"}}});
        assert!(set_new_rs_annotations(&d, &mut rs, 4, true));
        assert_eq!(util::annotation(&rs, REVISION), Some("4"));
        assert_eq!(util::annotation(&rs, REVISION_HISTORY), Some("2"));
        assert_eq!(util::annotation(&rs, CHANGE_CAUSE), Some("undo"));
        assert!(!set_new_rs_annotations(&d, &mut rs, 4, true));
        assert!(set_new_rs_annotations(&d, &mut rs, 6, true));
        assert_eq!(util::annotation(&rs, REVISION_HISTORY), Some("2,4"));
    }
}
