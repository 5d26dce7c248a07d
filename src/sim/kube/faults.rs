//! Faults a test (or a demo) can inject into the simulated API server:
//! a resource answering 5xx, watches that hang with nothing sent. The
//! shared state keeps them, beside the RBAC refusals; the server going away
//! and coming back is [`super::SimCluster::go_away`].

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::response::Response;
use tokio_util::sync::CancellationToken;

use super::errors::ApiError;
use super::resources::Res;
use super::response::body_response;

/// What is currently broken.
#[derive(Debug, Default)]
pub struct Faults {
    /// Every request on the resource answers this status.
    pub failing: HashMap<Res, u16>,
    /// Watches on the resource answer 200 and then send nothing at all.
    pub hung: HashSet<Res>,
}

/// The error a failing resource answers with, as a real API server's
/// aggregated or etcd errors look.
pub fn server_error(code: u16) -> ApiError {
    let (reason, message) = match code {
        503 => (
            "ServiceUnavailable",
            "the server is currently unable to handle the request",
        ),
        504 => (
            "Timeout",
            "the server was unable to return a response in the time allotted",
        ),
        _ => (
            "InternalError",
            "an error on the server (\"etcdserver: request timed out\") has prevented the request from succeeding",
        ),
    };
    ApiError {
        code,
        reason,
        message: message.into(),
        details: None,
    }
}

/// A watch that is accepted and then silent until this server instance
/// stops (`stopped` is cancelled): what a client sees from a wedged API
/// server or a proxy that swallows the stream.
pub fn hung_watch(stopped: &CancellationToken) -> Response {
    let cancel = stopped.clone();
    let silent = futures::stream::once(async move {
        cancel.cancelled().await;
        Ok::<Bytes, Infallible>(Bytes::new())
    });
    body_response(200, "application/json", Body::from_stream(silent))
}
