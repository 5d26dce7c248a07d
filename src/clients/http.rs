//! What the Prometheus and Alertmanager clients share: the server settings,
//! one HTTP client per server (timeouts, auth, a custom CA), bounded body
//! reads, and the mapping of every failure to one short [`ApiError`].

use super::http_error::chain;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::model::{Alert, AlertSource, AlertState, Severity};

/// Bodies larger than this are refused (a `/api/v1/query` for a huge
/// vector is the usual culprit).
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// How much of an unexpected body an error quotes.
const SNIPPET_CHARS: usize = 200;

/// How to authenticate to a server. Credentials in the URL
/// (`http://user:pw@host/`) are used as basic auth too.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => write!(f, "Basic {{ user: {user:?}, password: \"***\" }}"),
            Auth::Bearer(_) => f.write_str("Bearer(\"***\")"),
        }
    }
}

/// One configured Prometheus or Alertmanager.
#[derive(Clone)]
pub struct ServerSpec {
    /// The name shown on the board and put in `origin`.
    pub name: String,
    /// The base URL, with any path prefix: `http://127.0.0.1:9090/`,
    /// `https://ops.example/prometheus/`.
    pub url: url::Url,
    pub auth: Auth,
    /// Extra CA certificates (PEM, one or more) trusted besides the
    /// system's.
    pub ca_pem: Option<Vec<u8>>,
    /// For each request, from connecting to the last body byte.
    pub timeout: Duration,
}

impl fmt::Debug for ServerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        if url.password().is_some() {
            let _ = url.set_password(Some("***"));
        }
        f.debug_struct("ServerSpec")
            .field("name", &self.name)
            .field("url", &url.as_str())
            .field("auth", &self.auth)
            .field("ca_pem", &self.ca_pem.as_ref().map(|p| p.len()))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a request to a Prometheus or Alertmanager failed. The texts are
/// short enough for a one-line status and never contain credentials or
/// the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Could not reach the server: `connection refused`, `cannot resolve
    /// prom.internal`, `connection reset`.
    #[error("{0}")]
    Connect(String),
    #[error("timed out after {}", humantime::format_duration(*.after))]
    Timeout { after: Duration },
    #[error("TLS: {0}")]
    Tls(String),
    /// A non-success status; `body` is the server's message or the first
    /// 200 characters of the body.
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// 401 or 403.
    #[error("HTTP {code}: {word}", code = .0, word = if *.0 == 403 { "forbidden" } else { "unauthorized" })]
    Unauthorized(u16),
    /// Prometheus' error envelope: `bad_data: parse error at char 5: …`.
    #[error("{error_type}: {error}")]
    Api { error_type: String, error: String },
    /// The body is not what the API documents.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The settings cannot work (a CA file with no certificate, a token
    /// that cannot go in a header).
    #[error("bad settings: {0}")]
    Config(String),
}

/// The HTTP side of one server: a client and how to address and
/// authenticate requests to it.
#[derive(Debug, Clone)]
pub(super) struct HttpApi {
    name: String,
    base: url::Url,
    host: String,
    auth: Auth,
    timeout: Duration,
    client: reqwest::Client,
}

impl HttpApi {
    pub(super) fn new(spec: &ServerSpec) -> Result<HttpApi, ApiError> {
        let scheme = spec.url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(ApiError::Config(format!(
                "the URL scheme must be http or https, not {scheme:?}"
            )));
        }
        let Some(host) = spec.url.host_str().map(str::to_owned) else {
            return Err(ApiError::Config("the URL has no host".into()));
        };
        if let Auth::Bearer(token) = &spec.auth
            && reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).is_err()
        {
            return Err(ApiError::Config(
                "the bearer token has characters not allowed in an HTTP header".into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("opsboard/", env!("CARGO_PKG_VERSION")))
            // Like health probes: monitoring servers are internal; a proxy
            // from the environment would only get in the way.
            .no_proxy()
            .connect_timeout(spec.timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90));
        if let Some(pem) = &spec.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ApiError::Tls(format!("cannot read the CA bundle: {}", chain(&e))))?;
            if certs.is_empty() {
                return Err(ApiError::Tls("the CA bundle has no certificate".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| {
            ApiError::Config(format!("cannot set up the HTTP client: {}", chain(&e)))
        })?;
        // Without a trailing slash, joining would replace the last segment
        // of a path prefix.
        let mut base = spec.url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);
        Ok(HttpApi {
            name: spec.name.clone(),
            base,
            host,
            auth: spec.auth.clone(),
            timeout: spec.timeout,
            client,
        })
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `path` is relative to the base (`api/v1/query`); `segment`, when
    /// given, is appended percent-encoded (an ID from elsewhere).
    pub(super) fn request(
        &self,
        method: Method,
        path: &str,
        segment: Option<&str>,
    ) -> Result<RequestBuilder, ApiError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|e| ApiError::Config(format!("cannot address {path}: {e}")))?;
        if let Some(segment) = segment {
            url.path_segments_mut()
                .map_err(|_| ApiError::Config("the URL cannot have a path".into()))?
                .pop_if_empty()
                .push(segment);
        }
        let req = self.client.request(method, url).timeout(self.timeout);
        Ok(match &self.auth {
            Auth::None => req,
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
            Auth::Bearer(token) => req.bearer_auth(token),
        })
    }

    /// Sends `req` and decodes a success body as `T`; any other status
    /// becomes the matching error.
    pub(super) async fn json<T: DeserializeOwned>(
        &self,
        req: RequestBuilder,
    ) -> Result<T, ApiError> {
        let (status, body) = self.send(req).await?;
        if !status.is_success() {
            return Err(status_error(status, &body));
        }
        decode(&body)
    }

    /// Sends `req` and checks only the status.
    pub(super) async fn ok(&self, req: RequestBuilder) -> Result<(), ApiError> {
        let (status, body) = self.send(req).await?;
        if !status.is_success() {
            return Err(status_error(status, &body));
        }
        Ok(())
    }

    async fn send(&self, req: RequestBuilder) -> Result<(StatusCode, Vec<u8>), ApiError> {
        let mut resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        let too_large =
            || ApiError::Decode(format!("the body is larger than {} MiB", BODY_LIMIT >> 20));
        if resp.content_length().is_some_and(|n| n > BODY_LIMIT as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(&e))? {
            if body.len() + chunk.len() > BODY_LIMIT {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }

    /// Names a transport failure the way an on-call engineer would.
    fn transport(&self, e: &reqwest::Error) -> ApiError {
        // The whole chain, for the log; the board shows the short form.
        tracing::debug!(server = %self.name, "request failed: {}", chain(e));
        if e.is_timeout() {
            return ApiError::Timeout {
                after: self.timeout,
            };
        }
        let detail = chain(e);
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = cur {
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind as K;
                match io.kind() {
                    K::ConnectionRefused => return ApiError::Connect("connection refused".into()),
                    K::TimedOut => {
                        return ApiError::Timeout {
                            after: self.timeout,
                        };
                    }
                    K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
                        if !super::failure::is_tls_text(&detail) =>
                    {
                        return ApiError::Connect("connection reset".into());
                    }
                    _ => {}
                }
            }
            cur = err.source();
        }
        if super::failure::looks_like_dns(&detail) {
            return ApiError::Connect(format!("cannot resolve {}", self.host));
        }
        if super::failure::is_tls_text(&detail) {
            return ApiError::Tls(detail);
        }
        ApiError::Connect(detail)
    }
}

/// A non-success response as an error, quoting the server's own message:
/// Prometheus' envelope, Alertmanager's JSON string or `{code, message}`,
/// or the start of a plain-text body.
fn status_error(status: StatusCode, body: &[u8]) -> ApiError {
    let code = status.as_u16();
    if code == 401 || code == 403 {
        return ApiError::Unauthorized(code);
    }
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(s)) => snippet(s.as_bytes()),
        Ok(serde_json::Value::Object(o)) => {
            let field = |k: &str| o.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            if o.get("status").and_then(|v| v.as_str()) == Some("error")
                && let Some(error) = field("error")
            {
                return ApiError::Api {
                    error_type: field("errorType").unwrap_or_else(|| "error".into()),
                    error,
                };
            }
            field("message")
                .or_else(|| field("error"))
                .map(|m| snippet(m.as_bytes()))
                .unwrap_or_else(|| snippet(body))
        }
        _ => snippet(body),
    };
    let body = if text.is_empty() {
        status.canonical_reason().unwrap_or("no body").to_owned()
    } else {
        text
    };
    ApiError::Http { status: code, body }
}

/// Decodes a JSON body, naming where it differs from what was expected.
pub(super) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if !matches!(first, Some(b'{' | b'[' | b'"')) {
        return Err(ApiError::Decode(format!("not JSON: {:?}", snippet(body))));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::Decode(inner.to_string())
        } else {
            ApiError::Decode(format!("{path}: {inner}"))
        }
    })
}

/// The start of a body as one line.
pub(super) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let words: Vec<&str> = text.split_whitespace().collect();
    let one_line = words.join(" ");
    let mut out: String = one_line.chars().take(SNIPPET_CHARS).collect();
    if one_line.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out
}

/// RFC 3339 as both APIs write it; Go's zero time (`0001-01-01T00:00:00Z`,
/// "never") and anything before 1970 are `None`.
pub(super) fn parse_time(s: &str) -> Option<SystemTime> {
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    let t = SystemTime::from(t);
    (t > SystemTime::UNIX_EPOCH).then_some(t)
}

/// RFC 3339 in UTC with milliseconds, as Alertmanager accepts it.
pub(super) fn format_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An alert from a server, before the caller joins it to a service.
pub(super) fn remote_alert(
    source: AlertSource,
    origin: &str,
    state: AlertState,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
) -> Alert {
    let name = labels.get("alertname").cloned().unwrap_or_default();
    let summary = annotations
        .get("summary")
        .or_else(|| annotations.get("description"))
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| name.clone());
    let severity = Severity::from_label(labels.get("severity").map(String::as_str));
    let mut alert = Alert::bare(name, severity, source, labels, summary);
    alert.origin = origin.to_owned();
    alert.state = state;
    alert.annotations = annotations;
    alert
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
