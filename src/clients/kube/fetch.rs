//! Reading one object for the describe and YAML views: the object as the
//! API server has it (every field, as `kubectl get -o json`), its events
//! (`fieldSelector=involvedObject.name=…`), and for a node the pods it
//! runs. Failures in an operator's words: forbidden, not found, the
//! server's message.

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use serde_json::Value;

use super::describe::Described;
use crate::model::WorkloadKind;
use crate::model::document::ObjectKind;

/// The API resource of a describable kind.
fn resource(kind: ObjectKind) -> ApiResource {
    let (group, version, kind, plural) = match kind {
        ObjectKind::Workload(WorkloadKind::Deployment) => {
            ("apps", "v1", "Deployment", "deployments")
        }
        ObjectKind::Workload(WorkloadKind::StatefulSet) => {
            ("apps", "v1", "StatefulSet", "statefulsets")
        }
        ObjectKind::Workload(WorkloadKind::DaemonSet) => ("apps", "v1", "DaemonSet", "daemonsets"),
        ObjectKind::Pod => ("", "v1", "Pod", "pods"),
        ObjectKind::Node => ("", "v1", "Node", "nodes"),
    };
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn api(client: &kube::Client, ar: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    }
}

/// The object alone (for the YAML view).
pub async fn object(
    client: &kube::Client,
    kind: ObjectKind,
    namespace: Option<&str>,
    name: &str,
) -> Result<Value, String> {
    let ar = resource(kind);
    let o = api(client, &ar, namespace)
        .get(name)
        .await
        .map_err(|e| words(&e, kind, name))?;
    serde_json::to_value(o).map_err(|e| format!("cannot read the {} {name}: {e}", kind.word()))
}

/// The object, its events and (for a node) its non-terminated pods. The
/// events and pods are extras: when they cannot be listed, the object is
/// still described and the gap said in the events.
pub async fn described(
    client: &kube::Client,
    kind: ObjectKind,
    namespace: Option<&str>,
    name: &str,
) -> Result<Described, String> {
    let object = object(client, kind, namespace, name).await?;
    let events_ar =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("", "v1", "Event"), "events");
    let selector = format!(
        "involvedObject.kind={},involvedObject.name={name}",
        resource(kind).kind
    );
    let (events, events_error) = match api(client, &events_ar, namespace)
        .list(&ListParams::default().fields(&selector))
        .await
    {
        Ok(l) => (values(l.items), None),
        Err(e) => (Vec::new(), Some(words(&e, kind, name))),
    };
    let node_pods = if kind == ObjectKind::Node {
        let pods = resource(ObjectKind::Pod);
        let selector = format!("spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed");
        api(client, &pods, None)
            .list(&ListParams::default().fields(&selector))
            .await
            .map(|l| values(l.items))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Described {
        object,
        events,
        events_error,
        node_pods,
    })
}

fn values(items: Vec<DynamicObject>) -> Vec<Value> {
    items
        .into_iter()
        .filter_map(|i| serde_json::to_value(i).ok())
        .collect()
}

/// A failed request in words: `forbidden: …`, `pod api-1 not found`.
fn words(e: &kube::Error, kind: ObjectKind, name: &str) -> String {
    match e {
        kube::Error::Api(s) if s.code == 404 => format!("{} {name} not found", kind.word()),
        kube::Error::Api(s) if s.code == 403 => format!("forbidden (RBAC): {}", s.message),
        kube::Error::Api(s) if !s.message.is_empty() => {
            format!(
                "the API server said \"{}\" ({} {})",
                s.message, s.code, s.reason
            )
        }
        other => crate::model::fault::chain(other),
    }
}
