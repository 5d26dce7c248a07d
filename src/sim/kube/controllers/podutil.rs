//! Pod helpers shared by the controllers (like `k8s.io/kubectl/pkg/util/podutils`):
//! readiness, availability, activity and pods from templates.

use serde_json::{Value, json};

use crate::sim::kube::clock::{SimTime, parse_time};
use crate::sim::kube::defaults;
use crate::sim::kube::resources::Res;
use crate::sim::kube::util;

pub fn is_ready(pod: &Value) -> bool {
    super::get_condition(&pod["status"], "Ready").is_some_and(|c| util::s(c, "/status") == "True")
}

/// Ready for at least `min_ready_seconds` at `now`.
pub fn is_available(pod: &Value, min_ready_seconds: i64, now: SimTime) -> bool {
    let Some(c) = super::get_condition(&pod["status"], "Ready") else {
        return false;
    };
    if util::s(c, "/status") != "True" {
        return false;
    }
    if min_ready_seconds <= 0 {
        return true;
    }
    parse_time(util::s(c, "/lastTransitionTime"))
        .is_some_and(|t| t + min_ready_seconds * 1000 <= now)
}

pub fn is_active(pod: &Value) -> bool {
    !util::is_deleting(pod) && !matches!(util::s(pod, "/status/phase"), "Succeeded" | "Failed")
}

/// A new pod from a workload's template.
pub fn from_template(
    template: &Value,
    owner: &Value,
    owner_res: Res,
    name: Option<String>,
    extra_labels: &[(&str, String)],
) -> Value {
    let mut meta = template.get("metadata").cloned().unwrap_or(json!({}));
    if let Some(m) = meta.as_object_mut() {
        m.retain(|k, v| !v.is_null() && k != "creationTimestamp");
    }
    for (k, v) in extra_labels {
        // Label keys contain '/': no JSON pointer here.
        if !meta["labels"].is_object() {
            meta["labels"] = json!({});
        }
        meta["labels"][*k] = json!(v);
    }
    meta["namespace"] = json!(util::namespace(owner));
    match name {
        Some(n) => meta["name"] = json!(n),
        None => meta["generateName"] = json!(format!("{}-", util::name(owner))),
    }
    meta["ownerReferences"] = json!([util::owner_ref(
        owner,
        owner_res.kind(),
        &owner_res.api_version()
    )]);
    let mut spec = template.get("spec").cloned().unwrap_or(json!({}));
    defaults::default_pod_spec(&mut spec);
    let has_requests = spec
        .get("containers")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.pointer("/resources/requests").is_some())
        });
    let mut pod = json!({"metadata": meta, "spec": spec,
        "status": {"phase": "Pending", "qosClass": if has_requests { "Burstable" } else { "BestEffort" }}});
    defaults::apply_defaults(Res::Pods, &mut pod);
    pod
}
