//! HTTP(S) and TCP health probes.
//!
//! Each probe runs as its own task (so at most one request per target is in
//! flight, and a hanging endpoint delays nobody else), bounded by a shared
//! semaphore, and sends each outcome to the runtime as a [`Msg::Probe`].

mod prober;
mod redirect;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;

use super::{backoff, health_body};
use crate::app::{Msg, ProbeId};
use crate::config::{ProbeConfig, RedirectHost, Secret};
use crate::model::ProbeOutcome;
use crate::model::ProbeUrl;

pub use prober::{ProbeNet, Prober};
pub use redirect::MAX_REDIRECTS;

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
    /// Other hosts a redirect may lead to (its own host is always fine).
    pub follow_redirects_to: Vec<RedirectHost>,
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
            follow_redirects_to: defaults.follow_redirects_to.clone(),
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
            follow_redirects_to: Vec::new(),
        }
    }
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
        HealthSource::spawn_with(
            Prober::new()?,
            specs,
            services,
            generation,
            max_concurrent,
            tx,
        )
    }

    /// As [`HealthSource::spawn`], probing with `prober`. Each probe's task
    /// is supervised: should it ever end or panic, it is logged and started
    /// again; it stops only when the receiver is gone or this is dropped.
    pub fn spawn_with(
        prober: Prober,
        specs: Vec<ProbeSpec>,
        services: usize,
        generation: u64,
        max_concurrent: usize,
        tx: mpsc::Sender<Msg>,
    ) -> Result<HealthSource, String> {
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
            // Spread rounds over the first tenth of the interval.
            let offset = spec.interval.min(Duration::from_secs(10)) / 10 * n as u32 / count;
            let what = format!("health probe {}", spec.url.display());
            let task = ProbeTask {
                prober: prober.clone(),
                spec,
                limit: limit.clone(),
                wake: notify,
                tx: tx.clone(),
                generation,
                offset,
            };
            tasks.spawn(async move {
                let gone = task.tx.clone();
                tokio::select! {
                    () = backoff::supervise(&what, || task.clone().run()) => {}
                    () = gone.closed() => {}
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

/// One probe's loop: probe, report, wait for the interval or a wake-up.
#[derive(Clone)]
struct ProbeTask {
    prober: Prober,
    spec: ProbeSpec,
    limit: Arc<Semaphore>,
    wake: Arc<Notify>,
    tx: mpsc::Sender<Msg>,
    generation: u64,
    offset: Duration,
}

impl ProbeTask {
    /// Returns only when the receiver is gone.
    async fn run(self) {
        let spec = &self.spec;
        let mut next = tokio::time::Instant::now();
        loop {
            let outcome = {
                let Ok(_permit) = self.limit.acquire().await else {
                    return;
                };
                self.prober.probe(spec).await
            };
            let msg = Msg::Probe {
                id: spec.id,
                generation: self.generation,
                outcome,
            };
            if self.tx.send(msg).await.is_err() {
                return;
            }
            next += spec.interval;
            let now = tokio::time::Instant::now();
            if next < now {
                // Fell behind (slow endpoint): do not burst to catch up.
                next = now;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(next + self.offset) => {}
                _ = self.wake.notified() => { next = tokio::time::Instant::now(); }
            }
        }
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
