//! What a planned Kubernetes change sends, and the object it was planned
//! against.
//!
//! Every mutation carries that object's identity as a precondition the API
//! server enforces atomically: patches carry `metadata.resourceVersion`
//! (and `metadata.uid`, as a JSON patch `test` op for the Deployment undo),
//! a pod delete carries `preconditions.uid`. When the server refuses, the
//! object is read again and judged against what the change depends on:
//! if the uid or one of those fields moved, the job is refused ("changed
//! since the plan — plan again"); if only other things moved (a rollout
//! progressing writes status all the time), the same change is sent again
//! against the new resourceVersion — still conditional, so nothing can
//! slip in between that read and the write.

use kube::Resource;
use kube::api::Preconditions;
use serde::Serialize;
use serde_json::{Value, json};

/// How the change is made: what is sent is exactly this.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `spec.replicas` through the scale subresource, as `kubectl scale`.
    Scale(i32),
    /// `kubectl rollout restart`: the restartedAt template annotation,
    /// stamped when it runs.
    Restart,
    /// Deployment `rollout undo`: kubectl's JSON patch replacing the pod
    /// template and the annotations.
    UndoDeployment { template: Value, annotations: Value },
    /// StatefulSet/DaemonSet `rollout undo`: the ControllerRevision's data
    /// as a strategic merge patch.
    UndoRevision(Value),
    /// Delete this pod (by name; the precondition pins its uid).
    DeletePod(String),
    /// Set this Service's selector (a blue-green switch; merge patch).
    Switch {
        service: String,
        selector: std::collections::BTreeMap<String, String>,
    },
}

/// A planned change and the object it was planned against.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub op: Op,
    pub target: Precondition,
}

/// The target as the plan read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Precondition {
    /// How a refusal names it: `deployment/web`, `pod/db-0`.
    pub object: String,
    pub uid: String,
    pub resource_version: String,
    /// The fields the change depends on (JSON pointers) and their values
    /// when planned.
    pub depends_on: Vec<(&'static str, Value)>,
}

impl Precondition {
    /// Reads `obj` (as the plan saw it) for a change that depends on
    /// `fields`. An object without a uid or resourceVersion cannot be
    /// guarded, so it cannot be planned.
    pub fn of<K: Resource + Serialize>(
        object: String,
        obj: &K,
        fields: &[&'static str],
    ) -> Result<Precondition, String> {
        let meta = obj.meta();
        let present = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let (Some(uid), Some(resource_version)) =
            (present(&meta.uid), present(&meta.resource_version))
        else {
            return Err(format!(
                "the API server sent {object} without metadata.uid or metadata.resourceVersion: a change to it could not be made conditional"
            ));
        };
        let v = serde_json::to_value(obj).unwrap_or(Value::Null);
        let depends_on = fields
            .iter()
            .map(|f| (*f, v.pointer(f).cloned().unwrap_or(Value::Null)))
            .collect();
        Ok(Precondition {
            object,
            uid,
            resource_version,
            depends_on,
        })
    }

    /// What changed since the plan that the change depends on, in words;
    /// `None` when the object is the planned one with those fields as they
    /// were. `now` is the object as read again (`None`: it is gone).
    pub fn what_changed(&self, now: Option<&Value>) -> Option<String> {
        let Some(now) = now else {
            return Some("it no longer exists".into());
        };
        let uid = now
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("");
        if uid != self.uid {
            return Some(format!(
                "it was deleted and created again under the same name (uid {} → {})",
                short_uid(&self.uid),
                short_uid(uid)
            ));
        }
        let changed: Vec<String> = self
            .depends_on
            .iter()
            .filter_map(|(field, then)| {
                let now = now.pointer(field).unwrap_or(&Value::Null);
                (now != then).then(|| describe(field, then, now))
            })
            .collect();
        (!changed.is_empty()).then(|| changed.join("; "))
    }

    /// The job's failure when the target changed: the rule, why, and what
    /// the API server said.
    pub fn refusal(&self, why: &str, server: &str) -> String {
        format!(
            "{} changed since the plan — plan again: {why} (the API server said: {server})",
            self.object
        )
    }

    /// The plan's line saying the change is conditional; `unchanged` says
    /// what else must hold ("it still has 2 replicas").
    pub fn promise(&self, unchanged: &str) -> String {
        let also = if unchanged.is_empty() {
            String::new()
        } else {
            format!(", while {unchanged}")
        };
        format!(
            "runs only on {} as read now (uid {}, resourceVersion {}){also}; otherwise it is refused: plan again",
            self.object,
            short_uid(&self.uid),
            self.resource_version
        )
    }
}

/// The first block of a uid: enough to tell two objects apart in a message.
pub fn short_uid(uid: &str) -> &str {
    uid.split('-').next().unwrap_or(uid)
}

fn images(template: &Value) -> String {
    template
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("image").and_then(Value::as_str))
                .map(crate::model::kube::short_image)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn describe(field: &str, then: &Value, now: &Value) -> String {
    match field {
        "/spec/replicas" => format!("it has {now} replicas now, {then} when planned"),
        "/spec/template" if images(then) != images(now) => format!(
            "its pod template changed (images {} when planned, {} now)",
            images(then),
            images(now)
        ),
        "/spec/template" => "its pod template changed".into(),
        "/metadata/annotations" => "its annotations changed".into(),
        "/spec/paused" if now == &Value::Bool(true) => "it has been paused".into(),
        "/spec/selector" => format!("its selector is {now} now, {then} when planned"),
        other => format!(
            "{} changed",
            other.trim_start_matches('/').replace('/', ".")
        ),
    }
}

/// `metadata` that makes a merge or strategic merge patch conditional: a
/// stale resourceVersion is a 409 Conflict; a uid is never changed by it.
/// Dry runs send no resourceVersion (`None`).
fn guard(uid: &str, resource_version: Option<&str>) -> Value {
    let mut m = json!({"uid": uid});
    if let Some(rv) = resource_version {
        m["resourceVersion"] = json!(rv);
    }
    m
}

/// The merge patch of the scale subresource.
pub fn scale_patch(replicas: i32, uid: &str, resource_version: Option<&str>) -> Value {
    json!({"metadata": guard(uid, resource_version), "spec": {"replicas": replicas}})
}

/// `kubectl rollout restart`'s strategic merge patch for `now` (RFC 3339,
/// seconds).
pub fn restart_patch(
    now: chrono::DateTime<chrono::Utc>,
    uid: &str,
    resource_version: Option<&str>,
) -> Value {
    json!({
        "metadata": guard(uid, resource_version),
        "spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": now.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }}}}
    })
}

/// kubectl's Deployment undo JSON patch, led by a `test` of the uid and the
/// resourceVersion the plan read (replaced by itself: a stale one is the
/// server's 409 Conflict rather than a reasonless 422).
pub fn undo_deployment_patch(
    template: &Value,
    annotations: &Value,
    uid: &str,
    resource_version: Option<&str>,
) -> Value {
    let mut ops = vec![json!({"op": "test", "path": "/metadata/uid", "value": uid})];
    if let Some(rv) = resource_version {
        ops.push(json!({"op": "replace", "path": "/metadata/resourceVersion", "value": rv}));
    }
    ops.push(json!({"op": "replace", "path": "/spec/template", "value": template}));
    ops.push(json!({"op": "replace", "path": "/metadata/annotations", "value": annotations}));
    Value::Array(ops)
}

/// A ControllerRevision's data as a conditional strategic merge patch.
pub fn undo_revision_patch(data: &Value, uid: &str, resource_version: Option<&str>) -> Value {
    let mut patch = data.clone();
    if !patch.is_object() {
        patch = json!({});
    }
    patch["metadata"] = guard(uid, resource_version);
    patch
}

/// The pod, by uid: pod status moves all the time and is no reason to
/// refuse, so no resourceVersion.
pub(super) fn pod_precondition(uid: &str) -> Preconditions {
    Preconditions {
        uid: Some(uid.to_string()),
        resource_version: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;

    fn web(uid: &str, rv: &str, replicas: i32, image: &str) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "uid": uid, "resourceVersion": rv},
            "spec": {"replicas": replicas, "selector": {},
                "template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
            "status": {"readyReplicas": 1},
        }))
        .unwrap()
    }

    fn as_value(d: &Deployment) -> Value {
        serde_json::to_value(d).unwrap()
    }

    #[test]
    fn only_what_the_change_depends_on_counts() {
        let planned = web("aaaa-1", "10", 2, "r/web:1.0");
        let p = Precondition::of(
            "deployment/web".into(),
            &planned,
            &["/spec/replicas", "/spec/template"],
        )
        .unwrap();
        assert_eq!(
            (p.uid.as_str(), p.resource_version.as_str()),
            ("aaaa-1", "10")
        );
        // Status and resourceVersion moved: still the planned object.
        let mut status_only = web("aaaa-1", "11", 2, "r/web:1.0");
        status_only.status.as_mut().unwrap().ready_replicas = Some(2);
        assert_eq!(p.what_changed(Some(&as_value(&status_only))), None);
        assert_eq!(
            p.what_changed(Some(&as_value(&web("aaaa-1", "12", 5, "r/web:1.0")))),
            Some("it has 5 replicas now, 2 when planned".into())
        );
        assert_eq!(
            p.what_changed(Some(&as_value(&web("aaaa-1", "12", 2, "r/web:1.2")))),
            Some("its pod template changed (images web:1.0 when planned, web:1.2 now)".into())
        );
        assert_eq!(
            p.what_changed(Some(&as_value(&web("bbbb-2", "3", 2, "r/web:1.0")))),
            Some("it was deleted and created again under the same name (uid aaaa → bbbb)".into())
        );
        assert_eq!(p.what_changed(None), Some("it no longer exists".into()));
        assert!(
            p.refusal("it no longer exists", "x (404 NotFound)")
                .starts_with(
                    "deployment/web changed since the plan — plan again: it no longer exists"
                )
        );
    }

    #[test]
    fn an_object_without_identity_cannot_be_planned() {
        let d: Deployment = serde_json::from_value(json!({"metadata": {"name": "web"}})).unwrap();
        assert!(Precondition::of("deployment/web".into(), &d, &[]).is_err());
    }

    #[test]
    fn every_patch_carries_the_precondition() {
        let now = chrono::DateTime::parse_from_rfc3339("2025-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            restart_patch(now, "u", Some("7")),
            json!({"metadata": {"uid": "u", "resourceVersion": "7"},
                "spec": {"template": {"metadata": {"annotations": {
                    "kubectl.kubernetes.io/restartedAt": "2025-01-02T03:04:05Z"}}}}})
        );
        assert_eq!(
            scale_patch(3, "u", None),
            json!({"metadata": {"uid": "u"}, "spec": {"replicas": 3}})
        );
        let p = undo_deployment_patch(&json!({"t": 1}), &json!({"a": "b"}), "u", Some("7"));
        assert_eq!(
            p[0],
            json!({"op": "test", "path": "/metadata/uid", "value": "u"})
        );
        assert_eq!(
            p[1],
            json!({"op": "replace", "path": "/metadata/resourceVersion", "value": "7"})
        );
        assert_eq!(p.as_array().unwrap().len(), 4);
        assert!(serde_json::from_value::<json_patch::Patch>(p).is_ok());
        let r = undo_revision_patch(
            &json!({"spec": {"template": {"$patch": "replace"}}}),
            "u",
            Some("7"),
        );
        assert_eq!(r["metadata"], json!({"uid": "u", "resourceVersion": "7"}));
        assert_eq!(r["spec"]["template"]["$patch"], "replace");
    }
}
