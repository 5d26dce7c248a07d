//! HTTP(S) and TCP health probes.
//!
//! Each probe runs as its own task (so at most one request per target is in
//! flight, and a hanging endpoint delays nobody else), bounded by a shared
//! semaphore, and sends each outcome to the runtime as a [`Msg::Probe`].

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;

use super::health_body;
use crate::app::{Msg, ProbeId};
use crate::config::{ProbeConfig, ProbeUrl, Secret};
use crate::model::{Health, ProbeFailure, ProbeOutcome};

/// Everything needed to run one probe.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    pub id: ProbeId,
    pub url: ProbeUrl,
    /// Statuses that count as success; empty means any 2xx.
    pub expect_status: Vec<u16>,
    pub interval: Duration,
    pub timeout: Duration,
    pub tls_verify: bool,
    pub headers: HeaderMap,
    pub bearer: Option<Secret>,
    pub basic: Option<(String, Secret)>,
    pub body_limit: usize,
}

impl ProbeSpec {
    /// Builds a spec from config, with the config's defaults filled in.
    pub fn from_config(
        id: ProbeId,
        p: &ProbeConfig,
        defaults: &crate::config::Defaults,
    ) -> Result<ProbeSpec, String> {
        let mut headers = HeaderMap::new();
        for (k, v) in &p.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("`{k}` is not a valid HTTP header name"))?;
            let mut value = HeaderValue::from_str(v.expose())
                .map_err(|_| format!("the value of header `{k}` is not valid in HTTP"))?;
            if matches!(v, crate::config::HeaderValue::Secret(_)) {
                value.set_sensitive(true);
            }
            headers.insert(name, value);
        }
        Ok(ProbeSpec {
            id,
            url: p.url.clone(),
            expect_status: p.expect_status.clone(),
            interval: p.interval.unwrap_or(defaults.interval),
            timeout: p.timeout.unwrap_or(defaults.timeout),
            tls_verify: p.tls_verify,
            headers,
            bearer: p.bearer.clone(),
            basic: p
                .basic
                .as_ref()
                .map(|b| (b.username.clone(), b.password.clone())),
            body_limit: defaults.body_limit_bytes,
        })
    }

    /// A plain GET probe with defaults, for the demo and tests.
    pub fn simple(id: ProbeId, url: ProbeUrl, interval: Duration, timeout: Duration) -> ProbeSpec {
        ProbeSpec {
            id,
            url,
            expect_status: vec![],
            interval,
            timeout,
            tls_verify: true,
            headers: HeaderMap::new(),
            bearer: None,
            basic: None,
            body_limit: 64 * 1024,
        }
    }
}

/// Runs probes. Holds two HTTP clients (verifying and, only for probes that
/// opted out, non-verifying) whose connection pools are shared by all probes.
#[derive(Clone)]
pub struct Prober {
    verified: reqwest::Client,
    unverified: reqwest::Client,
}

impl Prober {
    pub fn new() -> Result<Prober, String> {
        Prober::with_pool(usize::MAX, Duration::from_secs(90))
    }

    /// A prober whose pools keep at most `max_idle_per_host` idle
    /// connections per host, each for at most `idle_timeout`. With 0 every
    /// request opens its own connection and closes it when done: for
    /// fleets of many hosts, where one kept-alive socket per host would
    /// pile up to thousands.
    pub fn with_pool(max_idle_per_host: usize, idle_timeout: Duration) -> Result<Prober, String> {
        let build = |verify: bool| {
            reqwest::Client::builder()
                .user_agent(concat!("opsboard/", env!("CARGO_PKG_VERSION")))
                // A redirect from a health endpoint is itself news: show it.
                .redirect(reqwest::redirect::Policy::none())
                // Health targets are usually internal; never route them
                // through a proxy from the environment.
                .no_proxy()
                .tcp_nodelay(true)
                .pool_max_idle_per_host(max_idle_per_host)
                .pool_idle_timeout(idle_timeout)
                .danger_accept_invalid_certs(!verify)
                .build()
                .map_err(|e| format!("cannot build HTTP client: {e}"))
        };
        Ok(Prober {
            verified: build(true)?,
            unverified: build(false)?,
        })
    }

    /// Runs one probe to completion (or to its timeout).
    pub async fn probe(&self, spec: &ProbeSpec) -> ProbeOutcome {
        let at = SystemTime::now();
        let started = Instant::now();
        let result = tokio::time::timeout(spec.timeout, self.attempt(spec)).await;
        let latency = started.elapsed();
        match result {
            Ok(attempt) => ProbeOutcome {
                at,
                latency,
                http_status: attempt.http_status,
                report: attempt.report,
                result: attempt.result,
            },
            Err(_) => ProbeOutcome {
                at,
                latency,
                http_status: None,
                report: None,
                result: Err(ProbeFailure::Timeout {
                    after_ms: spec.timeout.as_millis() as u64,
                }),
            },
        }
    }

    async fn attempt(&self, spec: &ProbeSpec) -> Attempt {
        match &spec.url {
            ProbeUrl::Tcp { host, port } => tcp(host, *port, spec.timeout).await,
            ProbeUrl::Http(url) => self.http(spec, url).await,
        }
    }

    async fn http(&self, spec: &ProbeSpec, url: &url::Url) -> Attempt {
        let client = if spec.tls_verify {
            &self.verified
        } else {
            &self.unverified
        };
        // Exactly one Authorization header: bearer, else basic, else a
        // configured header (config validation refuses combinations).
        let mut headers = spec.headers.clone();
        if spec.bearer.is_some() || spec.basic.is_some() {
            headers.remove(reqwest::header::AUTHORIZATION);
        }
        let mut req = client.get(url.clone()).headers(headers);
        if let Some(token) = &spec.bearer {
            req = req.bearer_auth(token.expose());
        } else if let Some((user, pw)) = &spec.basic {
            req = req.basic_auth(user, Some(pw.expose()));
        }
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::failed(classify(&e, spec.timeout)),
        };
        let code = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if resp
            .content_length()
            .is_some_and(|n| n as usize > spec.body_limit)
        {
            return Attempt {
                http_status: Some(code),
                report: None,
                result: Err(ProbeFailure::BodyTooLarge {
                    limit: spec.body_limit,
                }),
            };
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > spec.body_limit {
                        return Attempt {
                            http_status: Some(code),
                            report: None,
                            result: Err(ProbeFailure::BodyTooLarge {
                                limit: spec.body_limit,
                            }),
                        };
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Attempt {
                        http_status: Some(code),
                        report: None,
                        result: Err(classify(&e, spec.timeout)),
                    };
                }
            }
        }
        let parsed = health_body::parse(content_type.as_deref(), &body);
        let expected = if spec.expect_status.is_empty() {
            (200..300).contains(&code)
        } else {
            spec.expect_status.contains(&code)
        };
        if !expected {
            return Attempt {
                http_status: Some(code),
                report: parsed.ok().flatten(),
                result: Err(ProbeFailure::HttpStatus { code }),
            };
        }
        match parsed {
            Err(detail) => Attempt {
                http_status: Some(code),
                report: None,
                result: Err(ProbeFailure::UnparsableBody { detail }),
            },
            Ok(report) => {
                let verdict = report.as_ref().and_then(|r| r.verdict());
                let result = match verdict {
                    Some(Health::Down) => Err(ProbeFailure::BodyUnhealthy {
                        stated: Health::Down,
                    }),
                    Some(Health::Degraded) => Ok(Health::Degraded),
                    _ => Ok(Health::Up),
                };
                Attempt {
                    http_status: Some(code),
                    report,
                    result,
                }
            }
        }
    }
}

struct Attempt {
    http_status: Option<u16>,
    report: Option<crate::model::HealthReport>,
    result: Result<Health, ProbeFailure>,
}

impl Attempt {
    fn failed(f: ProbeFailure) -> Attempt {
        Attempt {
            http_status: None,
            report: None,
            result: Err(f),
        }
    }
}

async fn tcp(host: &str, port: u16, timeout: Duration) -> Attempt {
    match tokio::net::TcpStream::connect((host, port)).await {
        Ok(_) => Attempt {
            http_status: None,
            report: None,
            result: Ok(Health::Up),
        },
        Err(e) => Attempt::failed(classify_io(&e, host, timeout)),
    }
}

fn classify_io(e: &std::io::Error, host: &str, timeout: Duration) -> ProbeFailure {
    use std::io::ErrorKind as K;
    let detail = e.to_string();
    match e.kind() {
        K::ConnectionRefused => ProbeFailure::Refused { detail },
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            ProbeFailure::Reset { detail }
        }
        K::TimedOut => ProbeFailure::Timeout {
            after_ms: timeout.as_millis() as u64,
        },
        _ if looks_like_dns(&detail) => ProbeFailure::Dns {
            detail: format!("{host}: {detail}"),
        },
        _ => ProbeFailure::Connect { detail },
    }
}

pub(crate) fn looks_like_dns(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.contains("dns error")
        || s.contains("failed to lookup address")
        || s.contains("name or service not known")
        || s.contains("no address associated")
        || s.contains("temporary failure in name resolution")
        || s.contains("nodename nor servname")
}

/// The causes of a reqwest error as one line, without repeated links and
/// without the URL (the board shows the target already, and words in a URL
/// such as `/tls-terminator/` must not decide the classification).
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    if cur.is_none() {
        let mut top = e.to_string();
        if let Some(u) = e.url() {
            top = top
                .replace(&format!(" for url ({})", u.as_str()), "")
                .replace(u.as_str(), "");
        }
        return top;
    }
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// A reqwest failure in one line for other sources' status: the short
/// reason, then what the error chain said.
pub(crate) fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    let f = classify(e, timeout);
    match f.detail() {
        Some(d) if !d.is_empty() && f.short() != "error" => format!("{}: {d}", f.short()),
        Some(d) if !d.is_empty() => d.to_string(),
        _ => f.short(),
    }
}

/// Names a reqwest failure the way an on-call engineer would.
fn classify(e: &reqwest::Error, timeout: Duration) -> ProbeFailure {
    if e.is_timeout() {
        return ProbeFailure::Timeout {
            after_ms: timeout.as_millis() as u64,
        };
    }
    let detail = chain(e);
    // The most specific cause is an io::Error down the chain, if any.
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused => return ProbeFailure::Refused { detail },
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
                    if !is_tls_text(&detail) =>
                {
                    return ProbeFailure::Reset { detail };
                }
                _ => {}
            }
        }
        cur = err.source();
    }
    if looks_like_dns(&detail) {
        return ProbeFailure::Dns { detail };
    }
    if is_tls_text(&detail) {
        return ProbeFailure::Tls { detail };
    }
    let lower = detail.to_ascii_lowercase();
    if lower.contains("connection closed")
        || lower.contains("incomplete message")
        || lower.contains("connection reset")
        || lower.contains("unexpected eof")
    {
        return ProbeFailure::Reset { detail };
    }
    if e.is_connect() {
        return ProbeFailure::Connect { detail };
    }
    if lower.contains("invalid http")
        || lower.contains("invalid status")
        || lower.contains("invalid header")
        || lower.contains("parse")
    {
        return ProbeFailure::NotHttp { detail };
    }
    if e.is_decode() || e.is_body() {
        return ProbeFailure::UnparsableBody { detail };
    }
    ProbeFailure::Other { detail }
}

pub(crate) fn is_tls_text(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.contains("certificate")
        || s.contains("tls")
        || s.contains("ssl")
        || s.contains("handshake")
        || s.contains("unknownissuer")
}

/// Handle to the running probe tasks.
pub struct HealthSource {
    /// Per service, one wake-up per probe, for "poll now". `notify_one`
    /// keeps a press that arrives mid-probe, so it is never lost.
    wake: Vec<Vec<Arc<Notify>>>,
    tasks: JoinSet<()>,
}

impl HealthSource {
    /// Starts one task per probe. Each probes at once, then every interval
    /// (spread by a small per-probe offset so a thousand probes do not fire
    /// in the same millisecond). A probe holds one of `max_concurrent`
    /// permits only while it runs; a hung endpoint holds its permit until
    /// its timeout, never longer.
    pub fn spawn(
        specs: Vec<ProbeSpec>,
        services: usize,
        generation: u64,
        max_concurrent: usize,
        tx: mpsc::Sender<Msg>,
    ) -> Result<HealthSource, String> {
        let prober = Prober::new()?;
        let limit = Arc::new(Semaphore::new(max_concurrent.max(1)));
        let mut wake: Vec<Vec<Arc<Notify>>> = vec![Vec::new(); services];
        let mut tasks = JoinSet::new();
        let count = specs.len().max(1) as u32;
        for (n, spec) in specs.into_iter().enumerate() {
            let Some(slot) = wake.get_mut(spec.id.service) else {
                continue;
            };
            let notify = Arc::new(Notify::new());
            slot.push(notify.clone());
            let prober = prober.clone();
            let limit = limit.clone();
            let tx = tx.clone();
            // Spread rounds over the first tenth of the interval.
            let offset = spec.interval.min(Duration::from_secs(10)) / 10 * n as u32 / count;
            tasks.spawn(async move {
                let mut next = tokio::time::Instant::now();
                loop {
                    let outcome = {
                        let Ok(_permit) = limit.acquire().await else {
                            return;
                        };
                        prober.probe(&spec).await
                    };
                    let msg = Msg::Probe {
                        id: spec.id,
                        generation,
                        outcome,
                    };
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                    next += spec.interval;
                    let now = tokio::time::Instant::now();
                    if next < now {
                        // Fell behind (slow endpoint): do not burst to catch up.
                        next = now;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep_until(next + offset) => {}
                        _ = notify.notified() => { next = tokio::time::Instant::now(); }
                    }
                }
            });
        }
        Ok(HealthSource { wake, tasks })
    }

    /// Probes the given services (or all) now.
    pub fn poll_now(&self, services: Option<&[usize]>) {
        let wake = |probes: &Vec<Arc<Notify>>| probes.iter().for_each(|n| n.notify_one());
        match services {
            Some(list) => list.iter().filter_map(|&s| self.wake.get(s)).for_each(wake),
            None => self.wake.iter().for_each(wake),
        }
    }

    pub fn shutdown(&mut self) {
        self.tasks.abort_all();
    }
}

impl Drop for HealthSource {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// One round of every probe, concurrently (bounded), for `check` and
/// `snapshot`. Returns outcomes in spec order.
pub async fn run_once(
    specs: &[ProbeSpec],
    max_concurrent: usize,
) -> Result<Vec<(ProbeId, ProbeOutcome)>, String> {
    let prober = Prober::new()?;
    let limit = Arc::new(Semaphore::new(max_concurrent.max(1)));
    let mut set = JoinSet::new();
    for (i, spec) in specs.iter().cloned().enumerate() {
        let prober = prober.clone();
        let limit = limit.clone();
        set.spawn(async move {
            let _permit = limit.acquire().await;
            (i, spec.id, prober.probe(&spec).await)
        });
    }
    let mut out: Vec<(usize, ProbeId, ProbeOutcome)> = Vec::with_capacity(specs.len());
    while let Some(r) = set.join_next().await {
        match r {
            Ok(x) => out.push(x),
            Err(e) => return Err(format!("probe task failed: {e}")),
        }
    }
    out.sort_by_key(|(i, _, _)| *i);
    Ok(out.into_iter().map(|(_, id, o)| (id, o)).collect())
}
