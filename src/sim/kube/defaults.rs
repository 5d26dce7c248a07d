//! Defaulting and validation, as the API server applies them on create and
//! update: the fields kubectl and the controllers rely on.

use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::resources::Res;
use super::selectors::LabelSelector;
use super::util;

fn default(m: &mut Map<String, Value>, key: &str, v: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_string(), v);
    }
}

#[expect(
    clippy::expect_used,
    reason = "a proven invariant, named in the expect message"
)]
fn obj_at<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !v.get(key).is_some_and(Value::is_object) {
        v[key] = json!({});
    }
    v[key].as_object_mut().expect("just made an object")
}

fn image_pull_policy(image: &str) -> &'static str {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return "IfNotPresent";
    }
    match last.split_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ => "Always",
    }
}

fn default_containers(list: Option<&mut Value>) {
    let Some(list) = list.and_then(Value::as_array_mut) else {
        return;
    };
    for c in list {
        let Some(m) = c.as_object_mut() else { continue };
        let image = m
            .get("image")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        default(m, "terminationMessagePath", json!("/dev/termination-log"));
        default(m, "terminationMessagePolicy", json!("File"));
        default(m, "imagePullPolicy", json!(image_pull_policy(&image)));
        default(m, "resources", json!({}));
        if let Some(ports) = m.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports {
                if let Some(pm) = p.as_object_mut() {
                    default(pm, "protocol", json!("TCP"));
                }
            }
        }
    }
}

pub fn default_pod_spec(spec: &mut Value) {
    if !spec.is_object() {
        *spec = json!({});
    }
    let Some(m) = spec.as_object_mut() else {
        return;
    };
    default(m, "restartPolicy", json!("Always"));
    default(m, "terminationGracePeriodSeconds", json!(30));
    default(m, "dnsPolicy", json!("ClusterFirst"));
    default(m, "securityContext", json!({}));
    default(m, "schedulerName", json!("default-scheduler"));
    default_containers(m.get_mut("containers"));
    default_containers(m.get_mut("initContainers"));
}

fn default_template(spec: &mut Map<String, Value>) {
    let t = spec.entry("template").or_insert_with(|| json!({}));
    if !t.is_object() {
        *t = json!({});
    }
    if let Some(tm) = t.as_object_mut() {
        tm.entry("metadata").or_insert_with(|| json!({}));
        if let Some(md) = tm.get_mut("metadata").and_then(Value::as_object_mut) {
            md.retain(|_, v| !v.is_null());
        }
        default_pod_spec(tm.entry("spec").or_insert_with(|| json!({})));
    }
}

/// Applies the API server's defaults for `res` in place.
pub fn apply_defaults(res: Res, obj: &mut Value) {
    match res {
        Res::Deployments => {
            let spec = obj_at(obj, "spec");
            default(spec, "replicas", json!(1));
            default(spec, "revisionHistoryLimit", json!(10));
            default(spec, "progressDeadlineSeconds", json!(600));
            let strategy = spec.entry("strategy").or_insert_with(|| json!({}));
            if let Some(st) = strategy.as_object_mut() {
                default(st, "type", json!("RollingUpdate"));
                if st.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                    let ru = st.entry("rollingUpdate").or_insert_with(|| json!({}));
                    if let Some(ru) = ru.as_object_mut() {
                        default(ru, "maxSurge", json!("25%"));
                        default(ru, "maxUnavailable", json!("25%"));
                    }
                }
            }
            default_template(spec);
        }
        Res::ReplicaSets => {
            let spec = obj_at(obj, "spec");
            default(spec, "replicas", json!(1));
            default_template(spec);
        }
        Res::StatefulSets => {
            let spec = obj_at(obj, "spec");
            default(spec, "replicas", json!(1));
            default(spec, "podManagementPolicy", json!("OrderedReady"));
            default(spec, "revisionHistoryLimit", json!(10));
            default(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            let us = spec.entry("updateStrategy").or_insert_with(|| json!({}));
            if let Some(us) = us.as_object_mut() {
                default(us, "type", json!("RollingUpdate"));
                if us.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                    let ru = us.entry("rollingUpdate").or_insert_with(|| json!({}));
                    if let Some(ru) = ru.as_object_mut() {
                        default(ru, "partition", json!(0));
                    }
                }
            }
            default_template(spec);
        }
        Res::DaemonSets => {
            let spec = obj_at(obj, "spec");
            default(spec, "revisionHistoryLimit", json!(10));
            let us = spec.entry("updateStrategy").or_insert_with(|| json!({}));
            if let Some(us) = us.as_object_mut() {
                default(us, "type", json!("RollingUpdate"));
                if us.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
                    let ru = us.entry("rollingUpdate").or_insert_with(|| json!({}));
                    if let Some(ru) = ru.as_object_mut() {
                        default(ru, "maxUnavailable", json!(1));
                        default(ru, "maxSurge", json!(0));
                    }
                }
            }
            default_template(spec);
        }
        Res::Pods => {
            obj_at(obj, "spec");
            default_pod_spec(&mut obj["spec"]);
            let spec = obj_at(obj, "spec");
            default(spec, "serviceAccountName", json!("default"));
            default(spec, "serviceAccount", json!("default"));
            default(spec, "enableServiceLinks", json!(true));
            default(spec, "priority", json!(0));
            default(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
            default(
                spec,
                "tolerations",
                json!([
                    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
                ]),
            );
            let status = obj_at(obj, "status");
            default(status, "phase", json!("Pending"));
            default(status, "qosClass", json!("BestEffort"));
        }
        Res::Hpas => {
            let spec = obj_at(obj, "spec");
            default(spec, "minReplicas", json!(1));
        }
        Res::Services => {
            let spec = obj_at(obj, "spec");
            default(spec, "type", json!("ClusterIP"));
            default(spec, "sessionAffinity", json!("None"));
            default(spec, "ipFamilies", json!(["IPv4"]));
            default(spec, "ipFamilyPolicy", json!("SingleStack"));
            default(spec, "internalTrafficPolicy", json!("Cluster"));
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ports {
                    if let Some(pm) = p.as_object_mut() {
                        default(pm, "protocol", json!("TCP"));
                        let port = pm.get("port").cloned().unwrap_or(json!(80));
                        default(pm, "targetPort", port);
                    }
                }
            }
        }
        Res::Namespaces => {
            let name = util::name(obj).to_string();
            let labels = obj_at(obj_at_meta(obj), "labels");
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
            let spec = obj_at(obj, "spec");
            default(spec, "finalizers", json!(["kubernetes"]));
            let status = obj_at(obj, "status");
            default(status, "phase", json!("Active"));
        }
        Res::Jobs | Res::CronJobs => super::batch::apply_defaults(res, obj, default_pod_spec),
        Res::Nodes | Res::Events | Res::ControllerRevisions | Res::Endpoints | Res::Pdbs => {}
    }
}

fn obj_at_meta(obj: &mut Value) -> &mut Value {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    &mut obj["metadata"]
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn go_map(m: Option<&Value>) -> String {
    let inner: Vec<String> = m
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    format!("map[string]string{{{}}}", inner.join(", "))
}

/// Validates `obj` (the new state) against `old` (the stored state, for
/// updates); errors are 422 Invalid.
pub fn validate(res: Res, obj: &Value, old: Option<&Value>) -> Result<(), ApiError> {
    let mut causes: Vec<(String, String)> = Vec::new();
    let name = util::name(obj);
    if old.is_none() && !is_dns_subdomain(name) {
        causes.push((
            "metadata.name".into(),
            format!("Invalid value: {name:?}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
        ));
    }
    // ValidateObjectMetaUpdate: a patch may not change the uid (an empty
    // one means "the stored one").
    if let Some(old) = old {
        let uid = util::s(obj, "/metadata/uid");
        if !uid.is_empty() && uid != util::uid(old) {
            causes.push((
                "metadata.uid".into(),
                format!("Invalid value: {uid:?}: field is immutable"),
            ));
        }
    }
    if matches!(
        res,
        Res::Deployments | Res::ReplicaSets | Res::StatefulSets | Res::DaemonSets
    ) {
        if res != Res::DaemonSets {
            match obj.pointer("/spec/replicas") {
                Some(Value::Number(n)) if n.as_i64().is_some_and(|r| r < 0) => causes.push((
                    "spec.replicas".into(),
                    format!("Invalid value: {n}: must be greater than or equal to 0"),
                )),
                Some(Value::Number(n)) if n.as_i64().is_none() => causes.push((
                    "spec.replicas".into(),
                    format!("Invalid value: {n}: must be an integer"),
                )),
                _ => {}
            }
        }
        let sel = obj.pointer("/spec/selector");
        match LabelSelector::from_object(sel) {
            None => causes.push(("spec.selector".into(), "Required value".into())),
            Some(s) => {
                let labels = obj.pointer("/spec/template/metadata/labels");
                if !s.matches_labels(labels) {
                    causes.push((
                        "spec.template.metadata.labels".into(),
                        format!(
                            "Invalid value: {}: `selector` does not match template `labels`",
                            go_map(labels)
                        ),
                    ));
                }
            }
        }
        if let Some(old) = old
            && res != Res::ReplicaSets
            && util::normalized(&old["spec"]["selector"])
                != util::normalized(&obj["spec"]["selector"])
        {
            causes.push((
                "spec.selector".into(),
                format!(
                    "Invalid value: v1.LabelSelector{{MatchLabels:{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: field is immutable",
                    go_map(obj.pointer("/spec/selector/matchLabels"))
                ),
            ));
        }
        let containers = obj
            .pointer("/spec/template/spec/containers")
            .and_then(Value::as_array);
        match containers {
            None => causes.push((
                "spec.template.spec.containers".into(),
                "Required value".into(),
            )),
            Some(cs) if cs.is_empty() => causes.push((
                "spec.template.spec.containers".into(),
                "Required value".into(),
            )),
            Some(cs) => {
                for (n, c) in cs.iter().enumerate() {
                    if util::s(c, "/name").is_empty() {
                        causes.push((
                            format!("spec.template.spec.containers[{n}].name"),
                            "Required value".into(),
                        ));
                    }
                    if util::s(c, "/image").is_empty() {
                        causes.push((
                            format!("spec.template.spec.containers[{n}].image"),
                            "Required value".into(),
                        ));
                    }
                }
            }
        }
        if res == Res::Deployments {
            let ru = obj.pointer("/spec/strategy/rollingUpdate");
            let replicas = util::i(obj, "/spec/replicas");
            if util::s(obj, "/spec/strategy/type") == "RollingUpdate"
                && let Some(ru) = ru
            {
                let surge =
                    util::int_or_percent(ru.get("maxSurge"), replicas.max(100), true, "25%");
                let unavail =
                    util::int_or_percent(ru.get("maxUnavailable"), replicas.max(100), false, "25%");
                if surge == 0 && unavail == 0 {
                    causes.push((
                        "spec.strategy.rollingUpdate.maxUnavailable".into(),
                        "Invalid value: intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}: may not be 0 when `maxSurge` is 0".to_string(),
                    ));
                }
            }
            if util::s(obj, "/spec/strategy/type") == "Recreate"
                && obj
                    .pointer("/spec/strategy/rollingUpdate")
                    .is_some_and(|v| !v.is_null())
            {
                causes.push((
                    "spec.strategy.rollingUpdate".into(),
                    "Forbidden: may not be specified when strategy `type` is 'Recreate'".into(),
                ));
            }
        }
    }
    if res == Res::Hpas {
        let min = util::opt_i(obj, "/spec/minReplicas").unwrap_or(1);
        let max = util::i(obj, "/spec/maxReplicas");
        if min < 1 {
            causes.push((
                "spec.minReplicas".into(),
                format!("Invalid value: {min}: must be greater than or equal to 1"),
            ));
        }
        if max < min {
            causes.push((
                "spec.maxReplicas".into(),
                format!("Invalid value: {max}: must be greater than or equal to `minReplicas`"),
            ));
        }
    }
    if res == Res::Pdbs {
        causes.extend(super::pdb_rules::validate(obj));
    }
    causes.extend(super::batch::validate(res, obj, old));
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(res.kind(), res.group(), name, &causes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Value {
        json!({"metadata": {"name": "web", "namespace": "default"},
               "spec": {"selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}})
    }

    #[test]
    fn deployment_defaults() {
        let mut d = deployment();
        apply_defaults(Res::Deployments, &mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
        assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
        let before = d.clone();
        apply_defaults(Res::Deployments, &mut d);
        assert_eq!(before, d);
        assert!(validate(Res::Deployments, &d, None).is_ok());
    }

    #[test]
    fn validation_errors() {
        let mut d = deployment();
        d["spec"]["replicas"] = json!(-1);
        let e = validate(Res::Deployments, &d, None).unwrap_err();
        assert_eq!(e.code, 422);
        assert!(
            e.message.contains("spec.replicas: Invalid value: -1"),
            "{}",
            e.message
        );
        let mut d = deployment();
        d["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
        assert!(
            validate(Res::Deployments, &d, None)
                .unwrap_err()
                .message
                .contains("does not match")
        );
        let old = deployment();
        let mut d = deployment();
        d["spec"]["selector"]["matchLabels"]["x"] = json!("y");
        d["spec"]["template"]["metadata"]["labels"]["x"] = json!("y");
        assert!(
            validate(Res::Deployments, &d, Some(&old))
                .unwrap_err()
                .message
                .contains("immutable")
        );
        assert_eq!(image_pull_policy("nginx"), "Always");
        assert_eq!(
            image_pull_policy("registry.local:5000/api:1.4.1"),
            "IfNotPresent"
        );
        assert_eq!(image_pull_policy("registry.local:5000/api"), "Always");
    }
}
