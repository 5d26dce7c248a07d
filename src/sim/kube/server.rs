//! The HTTP front: routing of discovery and resource paths to their
//! handlers (RBAC refusals and injected faults first), errors answered as
//! `Status`. Served with axum over plain HTTP/1.1.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::errors::ApiError;
use super::request::{App, Format, Req};
use super::resources::Res;
use super::response::{error_response, json_response};
use super::state::Shared;
use super::{
    discovery, eviction, exec, faults, list_watch, logs, managed_fields, objects, openapi,
};

pub struct Running {
    pub task: JoinHandle<()>,
    pub cancel: CancellationToken,
}

pub async fn start(shared: Arc<Shared>, listener: TcpListener) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let cancel = CancellationToken::new();
    let app = App {
        shared,
        cancel: cancel.clone(),
        addr,
    };
    let router = Router::new().fallback(handle).with_state(app);
    let stop = cancel.clone();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, router)
            .with_graceful_shutdown(async move { stop.cancelled().await });
        if let Err(e) = serve.await {
            tracing::warn!("simulated kube-apiserver stopped: {e}");
        }
    });
    Ok(Running { task, cancel })
}

fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

async fn handle(State(app): State<App>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    // An exec upgrades the connection: it is served before the body is read.
    if let Some((ns, pod)) = exec::target(parts.uri.path()) {
        return exec::serve(&app, parts, &ns, &pod).await;
    }
    let body = match axum::body::to_bytes(body, 64 << 20).await {
        Ok(b) => b,
        Err(_) => return error_response(&ApiError::bad_request("request body too large")),
    };
    let query = parse_query(parts.uri.query());
    match route(
        &app,
        parts.method,
        parts.uri.path(),
        query,
        &parts.headers,
        body,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => error_response(&e),
    }
}

fn header(h: &HeaderMap, name: header::HeaderName) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn route(
    app: &App,
    method: Method,
    path: &str,
    query: HashMap<String, String>,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get_only = |v: Value| {
        if method == Method::GET {
            Ok(json_response(200, &v))
        } else {
            Err(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource",
            ))
        }
    };
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["version"] => return get_only(discovery::version()),
        ["healthz" | "livez" | "readyz", ..] => {
            return Ok(
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok").into_response(),
            );
        }
        ["api"] => return get_only(discovery::core_versions(&app.addr.to_string())),
        ["openapi", "v3"] => return get_only(openapi::index()),
        ["openapi", "v3", "api", v] => {
            return openapi::group_version("", v)
                .map_or_else(|| Err(ApiError::path_not_found()), get_only);
        }
        ["openapi", "v3", "apis", g, v] => {
            return openapi::group_version(g, v)
                .map_or_else(|| Err(ApiError::path_not_found()), get_only);
        }
        ["apis"] => return get_only(discovery::group_list()),
        ["apis", g] => {
            return discovery::group(g).map_or_else(|| Err(ApiError::path_not_found()), get_only);
        }
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(ApiError::path_not_found()),
    };
    if rest.is_empty() {
        return discovery::resource_list(group, version)
            .map_or_else(|| Err(ApiError::path_not_found()), get_only);
    }
    let find = |r: &str| Res::find(group, version, r);
    let (res, ns, tail): (Res, Option<&str>, &[&str]) = match rest {
        ["namespaces", ns, r, tail @ ..] if find(r).is_some_and(|x| x.namespaced()) => (
            find(r).ok_or_else(ApiError::path_not_found)?,
            Some(*ns),
            tail,
        ),
        [r, tail @ ..] => {
            let res = find(r).ok_or_else(ApiError::path_not_found)?;
            if res.namespaced() && !tail.is_empty() {
                return Err(ApiError::path_not_found());
            }
            (res, None, tail)
        }
        [] => return Err(ApiError::path_not_found()),
    };
    if tail.len() > 2 {
        return Err(ApiError::path_not_found());
    }
    let manager = managed_fields::manager_of(
        query.get("fieldManager").map(String::as_str),
        &header(headers, header::USER_AGENT),
    );
    let req = Req {
        manager,
        method,
        res,
        ns: ns.map(str::to_string),
        name: tail.first().map(|s| s.to_string()),
        sub: tail.get(1).map(|s| s.to_string()),
        query,
        format: Format::from_accept(&header(headers, header::ACCEPT)),
        content_type: header(headers, header::CONTENT_TYPE),
        body,
    };
    if let Some(sub) = &req.sub
        && !res.subresources().contains(&sub.as_str())
    {
        return Err(ApiError::path_not_found());
    }
    if app.shared.is_forbidden(res) {
        return Err(ApiError::forbidden(res, verb(&req), req.ns.as_deref()));
    }
    {
        let faults = app.shared.faults();
        if let Some(code) = faults.failing.get(&res) {
            return Err(faults::server_error(*code));
        }
        if faults.hung.contains(&res) && verb(&req) == "watch" {
            return Ok(faults::hung_watch(&app.cancel));
        }
    }
    dispatch(app, req).await
}

fn verb(req: &Req) -> &'static str {
    match (&req.method, req.name.is_some()) {
        (&Method::GET, false) if req.flag("watch") => "watch",
        (&Method::GET, false) => "list",
        (&Method::GET, true) => "get",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, false) => "deletecollection",
        (&Method::DELETE, true) => "delete",
        _ => "get",
    }
}

async fn dispatch(app: &App, req: Req) -> Result<Response, ApiError> {
    let not_allowed = || {
        Err(ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        ))
    };
    match (req.name.is_some(), req.sub.as_deref()) {
        (false, _) => match req.method {
            Method::GET if req.flag("watch") => Ok(list_watch::watch(app, &req)),
            Method::GET => list_watch::list(app, &req),
            Method::POST => objects::create(app, &req),
            Method::DELETE => objects::delete_collection(app, &req),
            _ => not_allowed(),
        },
        (true, None) => match req.method {
            Method::GET => objects::get(app, &req),
            Method::PUT => objects::update(app, &req),
            Method::PATCH => objects::patch(app, &req),
            Method::DELETE => objects::delete(app, &req),
            _ => not_allowed(),
        },
        (true, Some("scale")) => match req.method {
            Method::GET | Method::PUT | Method::PATCH => objects::scale(app, &req),
            _ => not_allowed(),
        },
        (true, Some("status")) => match req.method {
            Method::GET => objects::get(app, &req),
            Method::PUT | Method::PATCH => objects::status(app, &req),
            _ => not_allowed(),
        },
        (true, Some("log")) if req.method == Method::GET => logs::log(app, &req),
        (true, Some("eviction")) if req.method == Method::POST => eviction::create(app, &req),
        _ => not_allowed(),
    }
}
