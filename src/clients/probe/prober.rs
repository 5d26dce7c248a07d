//! Running one probe: a TCP connect, or an HTTP(S) GET that follows the
//! redirects it may, reads a bounded body and turns the answer into a
//! verdict.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;

use super::redirect::{Trail, is_redirect};
use super::{ProbeSpec, body};
use crate::clients::failure::{classify, classify_io};
use crate::model::ProbeUrl;
use crate::model::{DependencyCheck, Health, HealthReport, ProbeFailure, ProbeOutcome};

/// How probes reach their targets. The default is the system's resolver
/// and trust anchors; a test swaps in a resolver that never leaves the
/// machine and a CA of its own.
#[derive(Clone, Default)]
pub struct ProbeNet {
    /// Resolves every host name instead of the system resolver.
    pub resolver: Option<Arc<dyn reqwest::dns::Resolve>>,
    /// Trusted besides the system's roots.
    pub extra_roots: Vec<reqwest::Certificate>,
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
        Prober::with_net(max_idle_per_host, idle_timeout, &ProbeNet::default())
    }

    /// As [`Prober::with_pool`], reaching targets through `net`.
    pub fn with_net(
        max_idle_per_host: usize,
        idle_timeout: Duration,
        net: &ProbeNet,
    ) -> Result<Prober, String> {
        let build = |verify: bool| {
            let mut b = reqwest::Client::builder()
                .user_agent(concat!("opsboard/", env!("CARGO_PKG_VERSION")))
                // Redirects are followed by hand (see `redirect`), so that
                // each hop is checked and shown.
                .redirect(reqwest::redirect::Policy::none())
                // Health targets are usually internal; never route them
                // through a proxy from the environment.
                .no_proxy()
                .tcp_nodelay(true)
                .pool_max_idle_per_host(max_idle_per_host)
                .pool_idle_timeout(idle_timeout)
                .danger_accept_invalid_certs(!verify);
            if let Some(r) = &net.resolver {
                b = b.dns_resolver2(r.clone());
            }
            for cert in &net.extra_roots {
                b = b.add_root_certificate(cert.clone());
            }
            b.build()
                .map_err(|e| format!("cannot build HTTP client: {e}"))
        };
        Ok(Prober {
            verified: build(true)?,
            unverified: build(false)?,
        })
    }

    /// Runs one probe to completion (or to its timeout, which bounds the
    /// whole of it: every redirect and the last byte of the body).
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

    /// The request to `url`, with the probe's headers and credentials only
    /// when `url` is the probe's own host.
    fn request(&self, spec: &ProbeSpec, url: &url::Url, home: bool) -> reqwest::RequestBuilder {
        let client = if spec.tls_verify {
            &self.verified
        } else {
            &self.unverified
        };
        // Exactly one Authorization header: bearer, else basic, else a
        // configured header (config validation refuses combinations).
        let mut headers: HeaderMap = spec.headers.clone();
        if spec.bearer.is_some() || spec.basic.is_some() || !home {
            headers.remove(reqwest::header::AUTHORIZATION);
        }
        if !home {
            // Secret headers (API keys) stay with the probe's own host.
            let secret: Vec<_> = headers
                .iter()
                .filter(|(_, v)| v.is_sensitive())
                .map(|(k, _)| k.clone())
                .collect();
            for k in secret {
                headers.remove(k);
            }
        }
        let mut req = client.get(url.clone()).headers(headers);
        if home {
            if let Some(token) = &spec.bearer {
                req = req.bearer_auth(token.expose());
            } else if let Some((user, pw)) = &spec.basic {
                req = req.basic_auth(user, Some(pw.expose()));
            }
        }
        req
    }

    async fn http(&self, spec: &ProbeSpec, start: &url::Url) -> Attempt {
        let mut trail = Trail::new(start);
        let mut url = start.clone();
        let mut resp = loop {
            let home = trail.is_home(&url);
            let resp = match self.request(spec, &url, home).send().await {
                Ok(r) => r,
                Err(e) => return Attempt::failed(classify(&e, spec.timeout)),
            };
            let code = resp.status().as_u16();
            // A redirect the probe expects (`expect_status = [302]`) is
            // the answer itself.
            if !is_redirect(code) || spec.expect_status.contains(&code) {
                break resp;
            }
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| v.as_bytes().to_vec());
            // Its body is not read: dropping it frees the connection.
            drop(resp);
            match trail.follow(code, &url, location.as_deref(), &spec.follow_redirects_to) {
                Ok(next) => url = next,
                Err(f) => {
                    return Attempt {
                        http_status: Some(code),
                        report: None,
                        result: Err(f),
                    };
                }
            }
        };
        let code = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let too_large = || Attempt {
            http_status: Some(code),
            report: None,
            result: Err(ProbeFailure::BodyTooLarge {
                limit: spec.body_limit,
            }),
        };
        if resp
            .content_length()
            .is_some_and(|n| n > spec.body_limit as u64)
        {
            return too_large();
        }
        // Never more than the limit in memory: a chunk that would pass it
        // ends the read (and the connection) at once.
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > spec.body_limit {
                        return too_large();
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
        let mut attempt = verdict(spec, code, content_type.as_deref(), &body);
        if let Some(hops) = trail.summary() {
            let mut report = attempt.report.unwrap_or_default();
            report.checks.push(DependencyCheck {
                name: crate::model::health::REDIRECT_CHECK.into(),
                status: Health::Up,
                detail: Some(hops),
            });
            attempt.report = Some(report);
        }
        attempt
    }
}

/// The verdict of a complete answer: its status, then its body.
fn verdict(spec: &ProbeSpec, code: u16, content_type: Option<&str>, body: &[u8]) -> Attempt {
    let parsed = body::parse(content_type, body);
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
            let verdict = report.as_ref().and_then(HealthReport::verdict);
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

struct Attempt {
    http_status: Option<u16>,
    report: Option<HealthReport>,
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
