//! `pods/{name}/exec`: a command in a pod's container over a WebSocket, as
//! the real API server serves it to `kubectl exec` (1.30+: WebSocket with
//! `v5.channel.k8s.io`, through its stream translator) and to older
//! clients (`v4.channel.k8s.io`, relayed to the kubelet's runtime). The
//! process is [`super::shell`]'s simulated one.
//!
//! Refused before the upgrade, as a `Status`: a method other than GET or
//! POST (405), RBAC and injected faults on pods, a missing pod (404), no
//! or an unknown container, a pod without a node, no stream asked for, no
//! command (400), a request that is not a WebSocket upgrade (SPDY is not
//! simulated; kubectl only falls back to it when the upgrade fails), no
//! subprotocol we speak (only v5 and v4; the base64 variants and the
//! unversioned `channel.k8s.io` are refused). After the upgrade (v5) or
//! before it (v4, as the kubelet answers): a container that is not running
//! (`container not found ("app")`); after the upgrade: a command the
//! runtime cannot start. A POST upgrade is accepted too (the real server
//! only takes GET).

use axum::extract::FromRequestParts;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::clock::parse_time;
use super::errors::{ApiError, USER};
use super::exec_stream::{self, Call, Plan, Protocol, Running};
use super::faults;
use super::request::App;
use super::resources::Res;
use super::response::error_response;
use super::shell::{Container, Session, Streams};
use super::util;

pub const V5: &str = "v5.channel.k8s.io";
pub const V4: &str = "v4.channel.k8s.io";

/// `(namespace, pod)` when `path` is a pod's `exec` subresource.
pub fn target(path: &str) -> Option<(String, String)> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["api", "v1", "namespaces", ns, "pods", name, "exec"] => {
            Some((ns.to_string(), name.to_string()))
        }
        _ => None,
    }
}

/// The query: `command` repeated, in order; the stream flags.
#[derive(Debug, Default, PartialEq)]
struct Query {
    command: Vec<String>,
    container: Option<String>,
    stdin: bool,
    stdout: bool,
    stderr: bool,
    tty: bool,
}

impl Query {
    fn parse(q: Option<&str>) -> Query {
        let mut out = Query::default();
        for (k, v) in url::form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
            let on = matches!(v.as_ref(), "true" | "1" | "True" | "TRUE");
            match k.as_ref() {
                "command" => out.command.push(v.into_owned()),
                "container" if !v.is_empty() => out.container = Some(v.into_owned()),
                "stdin" => out.stdin = on,
                "stdout" => out.stdout = on,
                "stderr" => out.stderr = on,
                "tty" => out.tty = on,
                _ => {}
            }
        }
        // A terminal has no separate stderr.
        out.stderr &= !out.tty;
        out
    }
}

pub async fn serve(app: &App, parts: Parts, ns: &str, pod: &str) -> Response {
    match open(app, parts, ns, pod).await {
        Ok(r) => r,
        Err(e) => error_response(&e),
    }
}

fn forbidden(ns: &str, pod: &str) -> ApiError {
    ApiError {
        code: 403,
        reason: "Forbidden",
        message: format!(
            "pods \"{pod}\" is forbidden: User \"{USER}\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"{ns}\""
        ),
        details: Some(json!({"name": pod, "kind": "pods"})),
    }
}

/// The container the request is about (the only one when none is named).
fn container<'a>(pod: &'a Value, name: &str, asked: Option<&str>) -> Result<&'a Value, ApiError> {
    let containers: Vec<&Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().collect())
        .unwrap_or_default();
    let named = |n: &str| {
        containers
            .iter()
            .find(|c| util::s(c, "/name") == n)
            .copied()
    };
    match asked {
        Some(c) => named(c).ok_or_else(|| {
            ApiError::bad_request(format!("container {c} is not valid for pod {name}"))
        }),
        None => match containers.as_slice() {
            [one] => Ok(one),
            [] => Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}"
            ))),
            many => {
                let names: Vec<&str> = many.iter().map(|c| util::s(c, "/name")).collect();
                Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    names.join(" ")
                )))
            }
        },
    }
}

fn is_upgrade_to(parts: &Parts, what: &str) -> bool {
    parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains(what))
}

async fn open(app: &App, mut parts: Parts, ns: &str, name: &str) -> Result<Response, ApiError> {
    if parts.method != Method::GET && parts.method != Method::POST {
        return Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ));
    }
    if app.shared.is_forbidden(Res::Pods) {
        return Err(forbidden(ns, name));
    }
    if let Some(code) = app.shared.faults().failing.get(&Res::Pods) {
        return Err(faults::server_error(*code));
    }
    let q = Query::parse(parts.uri.query());
    let (pod, now) = {
        let st = app.shared.lock();
        let pod = st
            .store
            .get(Res::Pods, ns, name)
            .ok_or_else(|| ApiError::not_found(Res::Pods, name))?;
        (pod, app.shared.clock.now())
    };
    let spec = container(&pod, name, q.container.as_deref())?.clone();
    let cname = util::s(&spec, "/name").to_string();
    if util::s(&pod, "/spec/nodeName").is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    if !(q.stdin || q.stdout || q.stderr) {
        return Err(ApiError::bad_request(
            "you must specify at least 1 of stdin, stdout, stderr",
        ));
    }
    if q.command.is_empty() {
        return Err(ApiError::bad_request(
            "you must specify at least one command for the container",
        ));
    }
    if !is_upgrade_to(&parts, "websocket") {
        return Err(ApiError::bad_request(if is_upgrade_to(&parts, "spdy") {
            "the simulated API server serves exec over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io), not SPDY"
        } else {
            "Upgrade request required"
        }));
    }
    // axum upgrades GET only (RFC 6455); the path is the same for POST.
    parts.method = Method::GET;
    let ws = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .map_err(|r| ApiError::bad_request(r.body_text()))?
        .protocols([V5, V4]);
    let protocol = match ws.selected_protocol().map(|p| p.as_bytes()) {
        Some(p) if p == V5.as_bytes() => Protocol::V5,
        Some(_) => Protocol::V4,
        None => {
            let asked: Vec<String> = ws
                .requested_protocols()
                .map(|p| String::from_utf8_lossy(p.as_bytes()).into_owned())
                .collect();
            return Err(ApiError::bad_request(format!(
                "requested protocol(s) are not supported: [{}]; supports [{V5} {V4}]",
                asked.join(" ")
            )));
        }
    };
    let status = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| util::s(c, "/name") == cname));
    let started = status.and_then(|c| parse_time(util::s(c, "/state/running/startedAt")));
    let not_found = format!("container not found (\"{cname}\")");
    let plan = match (started, protocol) {
        // The kubelet refuses before any upgrade.
        (None, Protocol::V4) => {
            return Ok((
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                not_found,
            )
                .into_response());
        }
        (None, Protocol::V5) => Plan::Fail(exec_stream::internal_error(&format!(
            "unable to upgrade connection: {not_found}"
        ))),
        (Some(started), _) => {
            let streams = Streams {
                stdin: q.stdin,
                tty: q.tty,
            };
            let shell = Container::of_pod(&pod, &spec, started);
            // The exec'd process's PID: later sessions get higher ones.
            let pid = 7 + u32::try_from((now - started).max(0) / 1000 % 30_000).unwrap_or(0);
            match Session::start(shell, &q.command, streams, now, pid) {
                Ok((s, first)) => Plan::Run(Box::new(s), first),
                Err(e) => Plan::Fail(cannot_start(
                    protocol, ns, name, &cname, &q.command, now, &e.detail,
                )),
            }
        }
    };
    let call = Call {
        protocol,
        stdin: q.stdin,
        stdout: q.stdout,
        stderr: q.stderr,
        tty: q.tty,
        argv: q.command,
        running: Running {
            shared: app.shared.clone(),
            cancel: app.cancel.clone(),
            namespace: ns.to_string(),
            pod: name.to_string(),
            container: cname,
            started: started.unwrap_or_default(),
        },
    };
    Ok(ws.on_upgrade(move |socket| exec_stream::serve(socket, call, plan)))
}

/// The runtime's refusal to start the command, wrapped as each protocol's
/// path wraps it (v5: once more by the translator).
fn cannot_start(
    protocol: Protocol,
    ns: &str,
    pod: &str,
    container: &str,
    argv: &[String],
    now: i64,
    detail: &str,
) -> Vec<u8> {
    let id = hex::encode(Sha256::digest(
        format!("{ns}/{pod}/{container}/{argv:?}/{now}").as_bytes(),
    ));
    let runtime = format!(
        "error executing command in container: failed to exec in container: failed to start exec \"{id}\": OCI runtime exec failed: exec failed: unable to start container process: {detail}: unknown"
    );
    match protocol {
        Protocol::V4 => exec_stream::internal_error(&runtime),
        Protocol::V5 => exec_stream::internal_error(&format!("Internal error occurred: {runtime}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_the_pod() {
        assert_eq!(
            target("/api/v1/namespaces/shop/pods/api-1/exec"),
            Some(("shop".into(), "api-1".into()))
        );
        assert_eq!(target("/api/v1/namespaces/shop/pods/api-1/log"), None);
        assert_eq!(target("/api/v1/namespaces/shop/pods/api-1"), None);
    }

    #[test]
    fn commands_keep_their_order() {
        let q = Query::parse(Some(
            "command=sh&command=-c&command=echo+%22a+b%22&container=app&stdin=true&stdout=true&stderr=true&tty=true",
        ));
        assert_eq!(q.command, ["sh", "-c", "echo \"a b\""]);
        assert_eq!(q.container.as_deref(), Some("app"));
        assert!(q.stdin && q.stdout && q.tty);
        assert!(!q.stderr, "a terminal merges stderr");
        assert_eq!(Query::parse(None), Query::default());
    }
}
