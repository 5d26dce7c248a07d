//! The task that scrapes each service's `/metrics` on its interval and
//! sends one derived point per scrape.
//!
//! One task per target (a slow endpoint delays nobody else), a shared
//! semaphore bounds the requests in flight, bodies are size-capped, and
//! the parsed scrape (which borrows the body) is reduced to a small digest
//! at once.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use super::digest::{MetricsSpec, ScrapeDigest, derive, digest};
use super::exposition::Format;
use super::parse::parse;
use crate::app::{MetricsUpdate, Msg};

/// What the exposition format's spec asks scrapers to send.
const ACCEPT: &str = "text/plain;version=0.0.4";

/// Malformed lines reported per scrape, at most.
const ERRORS_REPORTED: usize = 3;

/// One service's metrics endpoint.
#[derive(Debug, Clone)]
pub struct ScrapeJob {
    pub service: usize,
    pub url: url::Url,
    pub interval: Duration,
    pub timeout: Duration,
    pub spec: MetricsSpec,
    pub body_limit: usize,
}

/// Owns the scrape tasks; dropping it stops them.
pub struct MetricsSource {
    _tasks: JoinSet<()>,
}

impl MetricsSource {
    pub fn spawn(
        jobs: Vec<ScrapeJob>,
        generation: u64,
        max_concurrent: usize,
        tx: mpsc::Sender<Msg>,
    ) -> Result<MetricsSource, String> {
        let client = scrape_client()?;
        let permits = Arc::new(Semaphore::new(max_concurrent.max(1)));
        let mut tasks = JoinSet::new();
        for job in jobs {
            let client = client.clone();
            let permits = permits.clone();
            let tx = tx.clone();
            // A scrape task that ends or panics is started again (logged);
            // it stops only with the board.
            tasks.spawn(async move {
                let what = format!("metrics scrape of service {}", job.service);
                let gone = tx.clone();
                let task = || {
                    run(
                        job.clone(),
                        client.clone(),
                        permits.clone(),
                        generation,
                        tx.clone(),
                    )
                };
                tokio::select! {
                    () = crate::sources::backoff::supervise(&what, task) => {}
                    () = gone.closed() => {}
                }
            });
        }
        Ok(MetricsSource { _tasks: tasks })
    }
}

/// The HTTP client scrapes go through (the board's source and the
/// one-shot commands alike).
pub fn scrape_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(concat!("opsboard/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .tcp_nodelay(true)
        .gzip(true)
        .build()
        .map_err(|e| format!("cannot build HTTP client: {e}"))
}

async fn run(
    job: ScrapeJob,
    client: reqwest::Client,
    permits: Arc<Semaphore>,
    generation: u64,
    tx: mpsc::Sender<Msg>,
) {
    let mut prev: Option<ScrapeDigest> = None;
    // Spread the targets over the interval (as Prometheus does), so 200
    // targets are not 200 requests and 200 bodies in memory at one instant;
    // the first scrape still comes within a few seconds.
    let spread = job.interval.min(Duration::from_secs(5));
    let offset = spread.mul_f64((job.service as f64 * 0.618_033_988_75).fract());
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, job.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let update = {
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            scrape_once(&job, &client, &mut prev).await
        };
        let msg = Msg::Metrics {
            service: job.service,
            generation,
            update,
        };
        if tx.send(msg).await.is_err() {
            return;
        }
    }
}

/// One scrape: fetch, parse, digest, and derive against the previous one.
pub async fn scrape_once(
    job: &ScrapeJob,
    client: &reqwest::Client,
    prev: &mut Option<ScrapeDigest>,
) -> MetricsUpdate {
    let at = SystemTime::now();
    let (body, content_type) = match fetch(job, client).await {
        Ok(b) => b,
        Err(e) => {
            return MetricsUpdate {
                error: Some(e),
                at: Some(at),
                ..MetricsUpdate::default()
            };
        }
    };
    let format = Format::from_content_type(&content_type);
    let exp = parse(&body, format);
    let mut warnings: Vec<String> = exp
        .errors
        .iter()
        .take(ERRORS_REPORTED)
        .map(ToString::to_string)
        .collect();
    if exp.errors.len() > ERRORS_REPORTED {
        warnings.push(format!(
            "{} more malformed lines",
            exp.errors.len() - ERRORS_REPORTED
        ));
    }
    if exp.families.is_empty() && !exp.errors.is_empty() {
        return MetricsUpdate {
            error: Some(format!("not a metrics exposition ({})", exp.errors[0])),
            warnings,
            at: Some(at),
            ..MetricsUpdate::default()
        };
    }
    let cur = digest(&exp, &job.spec, at);
    drop(exp);
    let (point, custom) = derive(prev.as_ref(), &cur);
    *prev = Some(cur);
    MetricsUpdate {
        points: vec![point],
        custom: Some(custom),
        disk_ratio: None,
        error: None,
        warnings,
        at: Some(at),
    }
}

async fn fetch(job: &ScrapeJob, client: &reqwest::Client) -> Result<(String, String), String> {
    let resp = client
        .get(job.url.clone())
        .header(reqwest::header::ACCEPT, ACCEPT)
        .timeout(job.timeout)
        .send()
        .await
        .map_err(|e| crate::clients::failure::describe_error(&e, job.timeout))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut body: Vec<u8> = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| crate::clients::failure::describe_error(&e, job.timeout))?;
        if body.len() + chunk.len() > job.body_limit {
            return Err(format!(
                "body larger than {} (limit)",
                crate::model::fmt_bytes(job.body_limit as u64)
            ));
        }
        body.extend_from_slice(&chunk);
    }
    // A metrics body is text; a few bad bytes must not lose the rest.
    let text = match String::from_utf8(body) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok((text, content_type))
}
