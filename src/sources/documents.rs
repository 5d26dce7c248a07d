//! The describe, YAML and inspect views' documents, read on demand: one
//! task per request GETs the object (Kubernetes through the connected
//! context's client, Docker through the host's daemon), renders it off the
//! UI and sends it back as `Msg::Document`, tagged with the request so a
//! late answer for a view already closed is dropped.

use std::time::SystemTime;

use tokio::sync::mpsc;

use crate::app::Msg;
use crate::clients::docker::HostSpec;
use crate::clients::kube::Clients;
use crate::model::document::{Document, ObjectRef, Rendering};

/// Reads and renders `object`, then sends the result.
pub async fn fetch(
    request: u64,
    object: ObjectRef,
    rendering: Rendering,
    kube: Clients,
    docker_hosts: Vec<HostSpec>,
    tx: mpsc::Sender<Msg>,
) {
    let result = read(&object, rendering, &kube, &docker_hosts).await;
    if let Err(e) = &result {
        tracing::warn!("{} {object}: {e}", rendering.word());
    }
    let _ = tx.send(Msg::Document { request, result }).await;
}

async fn read(
    object: &ObjectRef,
    rendering: Rendering,
    kube: &Clients,
    docker_hosts: &[HostSpec],
) -> Result<Document, String> {
    use crate::clients::kube::{describe, fetch, yaml};
    match object {
        ObjectRef::Kube {
            context,
            namespace,
            kind,
            name,
        } => {
            let client = kube.get(context).ok_or_else(|| {
                format!("context {context} is not connected (yet): nothing to ask")
            })?;
            let ns = namespace.as_deref();
            match rendering {
                Rendering::Yaml => yaml::yaml(&fetch::object(&client, *kind, ns, name).await?),
                Rendering::Describe | Rendering::Inspect => {
                    let d = fetch::described(&client, *kind, ns, name).await?;
                    Ok(describe::describe(*kind, &d, SystemTime::now()))
                }
            }
        }
        ObjectRef::Docker { host, id, name } => {
            let spec = docker_hosts
                .iter()
                .find(|h| h.name == *host)
                .ok_or_else(|| format!("Docker host {host} is not on the board"))?;
            let docker = crate::clients::docker::connect(spec).map_err(|e| e.to_string())?;
            crate::clients::docker::negotiate(&docker).await?;
            let inspected = crate::clients::docker::inspect::inspect(&docker, id)
                .await?
                .ok_or_else(|| format!("container {name} no longer exists on {host}"))?;
            let body = serde_json::to_value(&inspected)
                .map_err(|e| format!("cannot read the inspect of {name}: {e}"))?;
            Ok(crate::clients::docker::inspect_doc::inspect_document(
                host, &body,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::document::ObjectKind;

    #[tokio::test]
    async fn an_unconnected_context_and_an_unknown_host_say_so() {
        let (tx, mut rx) = mpsc::channel(4);
        let pod = ObjectRef::Kube {
            context: "prod".into(),
            namespace: Some("shop".into()),
            kind: ObjectKind::Pod,
            name: "api-1".into(),
        };
        fetch(
            7,
            pod,
            Rendering::Describe,
            Clients::default(),
            Vec::new(),
            tx.clone(),
        )
        .await;
        let Some(Msg::Document { request, result }) = rx.recv().await else {
            panic!("no answer");
        };
        assert_eq!(request, 7);
        assert_eq!(
            result.unwrap_err(),
            "context prod is not connected (yet): nothing to ask"
        );
        let container = ObjectRef::Docker {
            host: "edge-1".into(),
            id: "abc".into(),
            name: "web-1".into(),
        };
        fetch(
            8,
            container,
            Rendering::Inspect,
            Clients::default(),
            Vec::new(),
            tx,
        )
        .await;
        let Some(Msg::Document { result, .. }) = rx.recv().await else {
            panic!("no answer");
        };
        assert_eq!(
            result.unwrap_err(),
            "Docker host edge-1 is not on the board"
        );
    }
}
