//! What a release looks like from the API objects: blue-green pairs (a
//! Service whose selector picks one of two Deployments that differ only
//! in a slot label) and who last wrote a Deployment's pod template (from
//! `metadata.managedFields`). Pure: objects in, model out.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

use crate::model::{BlueGreen, RolloutState, Slot, Workload, WorkloadKind};

/// Labels that tell the slots of a blue-green pair apart, in the order
/// they are tried.
pub const SLOT_KEYS: &[&str] = &["slot", "color", "colour", "version"];

fn template_labels(d: &Deployment) -> BTreeMap<String, String> {
    d.spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

fn matches(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Every Service of `context` that fronts a blue-green pair, with each
/// slot as its workload row shows it.
pub fn pairs(
    context: &str,
    services: &[Arc<Service>],
    deployments: &[Arc<Deployment>],
    workloads: &[Workload],
) -> Vec<BlueGreen> {
    let mut out = Vec::new();
    for svc in services {
        let ns = svc.metadata.namespace.clone().unwrap_or_default();
        let Some(selector) = svc.spec.as_ref().and_then(|s| s.selector.clone()) else {
            continue;
        };
        if selector.is_empty() {
            continue;
        }
        let in_ns: Vec<(&str, BTreeMap<String, String>)> = deployments
            .iter()
            .filter(|d| d.metadata.namespace.as_deref() == Some(ns.as_str()))
            .filter_map(|d| Some((d.metadata.name.as_deref()?, template_labels(d))))
            .collect();
        let live: Vec<&(&str, BTreeMap<String, String>)> = in_ns
            .iter()
            .filter(|(_, l)| matches(&selector, l))
            .collect();
        let [(live_name, _)] = live.as_slice() else {
            continue;
        };
        let found = SLOT_KEYS.iter().find_map(|key| {
            let live_value = selector.get(*key)?;
            let mut rest = selector.clone();
            rest.remove(*key);
            let idle: Vec<(&str, &String)> = in_ns
                .iter()
                .filter(|(n, l)| n != live_name && matches(&rest, l))
                .filter_map(|(n, l)| Some((*n, l.get(*key).filter(|v| *v != live_value)?)))
                .collect();
            match idle.as_slice() {
                [(name, value)] => Some((*key, live_value.clone(), *name, (*value).clone())),
                _ => None,
            }
        });
        let Some((key, live_value, idle_name, idle_value)) = found else {
            continue;
        };
        let slot = |name: &str, value: String| -> Option<Slot> {
            let w = workloads.iter().find(|w| {
                w.id.kind == WorkloadKind::Deployment && w.id.namespace == ns && w.id.name == name
            })?;
            Some(Slot {
                name: value,
                workload: w.id.clone(),
                desired: w.desired,
                ready: w.ready,
                images: w.images.clone(),
                settled: w.rollout == RolloutState::Complete && w.updated >= w.desired,
            })
        };
        let (Some(live), Some(idle)) = (slot(live_name, live_value), slot(idle_name, idle_value))
        else {
            continue;
        };
        out.push(BlueGreen {
            context: context.to_string(),
            namespace: ns.clone(),
            service: svc.metadata.name.clone().unwrap_or_default(),
            key: key.to_string(),
            live,
            idle,
        });
    }
    out.sort_by(|a, b| (&a.namespace, &a.service).cmp(&(&b.namespace, &b.service)));
    out
}

/// The field manager that last wrote the Deployment's pod template
/// (`kubectl-set`, `kubectl-rollout`, `helm`, `opsboard`), and when.
/// Status writes never count: they do not change the template.
pub fn template_writer(
    entries: Option<&Vec<ManagedFieldsEntry>>,
) -> Option<(String, std::time::SystemTime)> {
    entries?
        .iter()
        .filter(|e| e.subresource.as_deref().is_none_or(str::is_empty))
        .filter(|e| {
            e.fields_v1
                .as_ref()
                .and_then(|f| f.0.pointer("/f:spec/f:template"))
                .is_some()
        })
        .filter_map(|e| {
            Some((
                e.manager.clone()?,
                std::time::SystemTime::from(e.time.as_ref()?.0),
            ))
        })
        .max_by_key(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(name: &str, labels: serde_json::Value) -> Arc<Deployment> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name, "namespace": "shop"},
                "spec": {"selector": {"matchLabels": labels}, "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "c", "image": format!("r/{name}:1")}]}}}
            }))
            .unwrap(),
        )
    }

    fn workload(name: &str, ready: i32) -> Workload {
        Workload {
            id: crate::model::WorkloadRef {
                context: "demo".into(),
                namespace: "shop".into(),
                kind: WorkloadKind::Deployment,
                name: name.into(),
            },
            desired: 2,
            ready,
            updated: 2,
            available: ready,
            images: vec![format!("r/{name}:1")],
            revision: Some("1".into()),
            paused: false,
            rollout: RolloutState::Complete,
            hpa: None,
            pods: vec![],
            history: vec![],
            events: vec![],
            stale: None,
        }
    }

    fn service(selector: serde_json::Value) -> Arc<Service> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": "doorbell", "namespace": "shop"},
                "spec": {"selector": selector}
            }))
            .unwrap(),
        )
    }

    #[test]
    fn a_service_over_two_slots_is_a_pair() {
        let ds = vec![
            deploy("doorbell-blue", json!({"app": "doorbell", "slot": "blue"})),
            deploy(
                "doorbell-green",
                json!({"app": "doorbell", "slot": "green"}),
            ),
            deploy("api", json!({"app": "api"})),
        ];
        let ws = vec![
            workload("doorbell-blue", 2),
            workload("doorbell-green", 1),
            workload("api", 3),
        ];
        let p = pairs(
            "demo",
            &[service(json!({"app": "doorbell", "slot": "blue"}))],
            &ds,
            &ws,
        );
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].key.as_str(), p[0].live.name.as_str()),
            ("slot", "blue")
        );
        assert_eq!(p[0].idle.workload.name, "doorbell-green");
        assert!(p[0].live.fully_ready());
        assert!(!p[0].idle.fully_ready(), "1 of 2 ready");
        // A plain Service over one Deployment is no pair.
        assert!(pairs("demo", &[service(json!({"app": "api"}))], &ds, &ws).is_empty());
        // A selector without a slot label picks both: no single live slot.
        assert!(pairs("demo", &[service(json!({"app": "doorbell"}))], &ds, &ws).is_empty());
    }

    #[test]
    fn three_slots_are_not_a_pair() {
        let ds = vec![
            deploy("d-blue", json!({"app": "d", "color": "blue"})),
            deploy("d-green", json!({"app": "d", "color": "green"})),
            deploy("d-red", json!({"app": "d", "color": "red"})),
        ];
        let ws = vec![
            workload("d-blue", 2),
            workload("d-green", 2),
            workload("d-red", 2),
        ];
        let svc = service(json!({"app": "d", "color": "blue"}));
        assert!(pairs("demo", &[svc], &ds, &ws).is_empty());
    }

    #[test]
    fn the_template_writer_is_the_latest_spec_template_manager() {
        let entries: Vec<ManagedFieldsEntry> = serde_json::from_value(json!([
            {"manager": "kubectl-create", "operation": "Update", "time": "2026-01-01T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {}}}},
            {"manager": "kubectl-set", "operation": "Update", "time": "2026-01-02T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {}}}}},
            {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
             "time": "2026-01-03T00:00:00Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:spec": {"f:template": {}}}},
            {"manager": "kubectl-scale", "operation": "Update", "time": "2026-01-04T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
        ]))
        .unwrap();
        assert_eq!(
            template_writer(Some(&entries)).map(|(m, _)| m).as_deref(),
            Some("kubectl-set")
        );
        assert_eq!(template_writer(None), None);
    }
}
