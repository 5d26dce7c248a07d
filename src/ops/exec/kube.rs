//! Exec in a pod's container: planned from the pod as the API server has
//! it (the container exists and runs, the workload it belongs to),
//! opened over WebSocket with a terminal.

use std::collections::BTreeMap;

use futures::{FutureExt, SinkExt};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Status};
use kube::api::{Api, AttachParams, TerminalSize};
use tokio::sync::mpsc;

use super::{Opened, Planned};
use crate::model::{WorkloadKind, WorkloadRef, command_line};
use crate::ops::kube::api_error;

/// Which pod container, and where.
pub struct PodContainer<'a> {
    pub context: &'a str,
    pub namespace: &'a str,
    pub pod: &'a str,
    pub container: &'a str,
}

/// Plans a session in a pod's container: refused when the pod or the
/// container is not there or the container is not running.
pub async fn plan(
    client: &kube::Client,
    at: &PodContainer<'_>,
    command: &[String],
) -> Result<Planned, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), at.namespace);
    let pod = match pods.get_opt(at.pod).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return Err(format!(
                "pod {} is not in namespace {} (any more)",
                at.pod, at.namespace
            ));
        }
        Err(e) => return Err(format!("reading pod {}: {}", at.pod, api_error(&e))),
    };
    if pod.metadata.deletion_timestamp.is_some() {
        return Err(format!("pod {} is terminating", at.pod));
    }
    let spec = pod.spec.as_ref();
    let names: Vec<&str> = spec
        .map(|s| s.containers.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    if !names.contains(&at.container) {
        return Err(format!(
            "pod {} has no container {} (has: {})",
            at.pod,
            at.container,
            names.join(", ")
        ));
    }
    let image = spec
        .and_then(|s| s.containers.iter().find(|c| c.name == at.container))
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let status = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.name == at.container));
    let state = status.and_then(|s| s.state.as_ref());
    let Some(running) = state.and_then(|s| s.running.as_ref()) else {
        let why = state
            .and_then(|s| {
                s.waiting
                    .as_ref()
                    .and_then(|w| w.reason.clone())
                    .or_else(|| s.terminated.as_ref().and_then(|t| t.reason.clone()))
            })
            .unwrap_or_else(|| "not started".into());
        let hint = if why == "CrashLoopBackOff" {
            ": l then p shows the logs of its last run"
        } else {
            ""
        };
        return Err(format!(
            "container {} of pod {} is not running ({why}){hint}",
            at.container, at.pod
        ));
    };
    let since = running
        .started_at
        .as_ref()
        .map(|t| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let ago = u64::try_from(now - t.0.as_second()).unwrap_or(0);
            format!(
                " for {}",
                crate::model::fmt_duration(std::time::Duration::from_secs(ago))
            )
        })
        .unwrap_or_default();
    let node = spec
        .and_then(|s| s.node_name.clone())
        .map(|n| format!(" on node {n}"))
        .unwrap_or_default();
    let workload = owner(client, at, &pod.metadata).await;
    let line = command_line(command);
    let mut parameters = BTreeMap::from([
        ("context".to_string(), at.context.to_string()),
        ("namespace".to_string(), at.namespace.to_string()),
        ("pod".to_string(), at.pod.to_string()),
        ("container".to_string(), at.container.to_string()),
        ("command".to_string(), line.clone()),
        ("image".to_string(), image.clone()),
    ]);
    if let Some(w) = &workload {
        parameters.insert("workload".into(), w.to_string());
    }
    Ok(Planned {
        what_will_happen: vec![
            format!(
                "{} in container {} of pod {} (namespace {}, context {}), {image}, running{since}{node}.",
                super::doing(command),
                at.container,
                at.pod,
                at.namespace,
                at.context
            ),
            "The terminal is handed to the session; the board comes back when the command exits, or at once with Ctrl-].".into(),
            "What is typed runs in the container with its privileges. Start, end, exit code and duration are recorded, not what is typed.".into(),
        ],
        parameters,
        workload,
    })
}

/// The workload that controls the pod, through its ReplicaSet for a
/// Deployment; `None` for a bare pod or one whose owner cannot be read.
async fn owner(
    client: &kube::Client,
    at: &PodContainer<'_>,
    meta: &ObjectMeta,
) -> Option<WorkloadRef> {
    let o = controller(meta)?;
    let workload = |kind, name: &str| WorkloadRef {
        context: at.context.to_string(),
        namespace: at.namespace.to_string(),
        kind,
        name: name.to_string(),
    };
    match o.0.as_str() {
        "StatefulSet" => Some(workload(WorkloadKind::StatefulSet, &o.1)),
        "DaemonSet" => Some(workload(WorkloadKind::DaemonSet, &o.1)),
        "ReplicaSet" => {
            let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), at.namespace);
            let rs = rs.get_opt(&o.1).await.ok()??;
            let (kind, name) = controller(&rs.metadata)?;
            (kind == "Deployment").then(|| workload(WorkloadKind::Deployment, &name))
        }
        _ => None,
    }
}

/// The controlling owner's kind and name.
fn controller(meta: &ObjectMeta) -> Option<(String, String)> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))
        .map(|o| (o.kind.clone(), o.name.clone()))
}

/// Opens the session: `command` in the container with a terminal.
pub async fn open(
    client: kube::Client,
    at: &PodContainer<'_>,
    command: Vec<String>,
) -> Result<Opened, String> {
    let pods: Api<Pod> = Api::namespaced(client, at.namespace);
    let params = AttachParams::interactive_tty().container(at.container);
    let mut process = pods
        .exec(at.pod, command, &params)
        .await
        .map_err(|e| format!("exec in pod {}: {}", at.pod, api_error(&e)))?;
    let (Some(input), Some(output)) = (process.stdin(), process.stdout()) else {
        return Err("the exec connection has no terminal streams".into());
    };
    let (resize, mut sizes) = mpsc::unbounded_channel::<(u16, u16)>();
    if let Some(mut remote) = process.terminal_size() {
        tokio::spawn(async move {
            while let Some((width, height)) = sizes.recv().await {
                if remote.send(TerminalSize { width, height }).await.is_err() {
                    break;
                }
            }
        });
    }
    let status = process.take_status();
    let exit = async move {
        let status = match status {
            Some(s) => s.await,
            None => None,
        };
        let joined = process.join().await;
        match (status, joined) {
            (Some(s), _) => exit_code(&s),
            (None, Err(e)) => Err(format!("the exec connection failed: {e}")),
            (None, Ok(())) => Err("the session ended without an exit status".into()),
        }
    }
    .boxed();
    Ok(Opened {
        input: Box::pin(input),
        output: Box::pin(output),
        resize,
        exit,
    })
}

/// The exit code a `Status` on the exec's error channel carries: 0 for
/// `Success`, the `ExitCode` cause of `NonZeroExitCode`, else its message.
pub fn exit_code(s: &Status) -> Result<i64, String> {
    if s.status.as_deref() == Some("Success") {
        return Ok(0);
    }
    if s.reason.as_deref() == Some("NonZeroExitCode")
        && let Some(code) = s
            .details
            .as_ref()
            .and_then(|d| d.causes.as_ref())
            .and_then(|c| c.iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
            .and_then(|c| c.message.as_deref())
            .and_then(|m| m.trim().parse().ok())
    {
        return Ok(code);
    }
    Err(s
        .message
        .clone()
        .unwrap_or_else(|| "the session failed without a message".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(json: &str) -> Status {
        serde_json::from_str(json).expect("a Status")
    }

    #[test]
    fn exit_codes_come_from_the_status() {
        assert_eq!(
            exit_code(&status(r#"{"metadata":{},"status":"Success"}"#)),
            Ok(0)
        );
        let failed = status(
            r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#,
        );
        assert_eq!(exit_code(&failed), Ok(3));
        let other = status(
            r#"{"metadata":{},"status":"Failure","message":"container not found","reason":"InternalError"}"#,
        );
        assert_eq!(exit_code(&other), Err("container not found".into()));
    }
}
