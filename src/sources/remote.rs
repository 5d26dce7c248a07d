//! Polling Prometheus servers (alerts, targets, rule health, per-service
//! PromQL) and Alertmanagers (alerts, silences). Each server and each
//! service's queries run in their own task; a slow server delays nobody.
//!
//! Every task polls forever: after a failure it retries on a capped,
//! jittered backoff, but never slower than its interval
//! (`min(interval, backoff)`, so ≤ 30 s), and a task that ends or panics
//! is restarted by [`backoff::supervise`]. A server that comes back is
//! seen at the next retry. Every request has the server's timeout, from
//! connecting to the last body byte.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::backoff::{self, Backoff};
use crate::app::Msg;
use crate::clients::alertmanager::AmClient;
use crate::clients::prometheus::{PromClient, ServerSpec};
use crate::model::AlertSource;

#[path = "remote_service.rs"]
mod service;

/// A configured server and how often to poll it.
#[derive(Debug, Clone)]
pub struct Polled {
    pub spec: ServerSpec,
    pub interval: Duration,
}

/// The PromQL behind one service's metrics, already templated.
#[derive(Debug, Clone, Default)]
pub struct ServiceQueries {
    pub service: usize,
    pub server: String,
    pub interval: Duration,
    pub request_rate: Option<String>,
    pub error_ratio: Option<String>,
    pub p50: Option<String>,
    pub p95: Option<String>,
    pub p99: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub disk: Option<String>,
    /// `(label, query, unit)`.
    pub custom: Vec<(String, String, Option<String>)>,
}

/// No server is polled more often than this, whatever the config says.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Owns the polling tasks; dropping it stops them.
pub struct RemoteSource {
    _tasks: JoinSet<()>,
    alertmanagers_now: Arc<Notify>,
}

impl RemoteSource {
    pub fn spawn(
        prometheus: Vec<Polled>,
        alertmanagers: Vec<Polled>,
        queries: Vec<ServiceQueries>,
        generation: u64,
        tx: mpsc::Sender<Msg>,
    ) -> RemoteSource {
        let mut tasks = JoinSet::new();
        let now = Arc::new(Notify::new());
        let mut clients = std::collections::HashMap::new();
        for p in prometheus {
            let name = p.spec.name.clone();
            match PromClient::new(&p.spec) {
                Ok(c) => {
                    clients.insert(name.clone(), c.clone());
                    let t = tx.clone();
                    supervised(&mut tasks, format!("prometheus {name}"), &tx, move || {
                        poll_prometheus(c.clone(), p.interval, t.clone())
                    });
                }
                Err(e) => {
                    tasks.spawn(unusable(
                        AlertSource::Prometheus,
                        name,
                        e.to_string(),
                        tx.clone(),
                    ));
                }
            }
        }
        for a in alertmanagers {
            let name = a.spec.name.clone();
            match AmClient::new(&a.spec) {
                Ok(c) => {
                    let (t, now) = (tx.clone(), now.clone());
                    supervised(&mut tasks, format!("alertmanager {name}"), &tx, move || {
                        poll_alertmanager(c.clone(), a.interval, now.clone(), t.clone())
                    });
                }
                Err(e) => {
                    tasks.spawn(unusable(
                        AlertSource::Alertmanager,
                        name,
                        e.to_string(),
                        tx.clone(),
                    ));
                }
            }
        }
        for q in queries {
            if let Some(c) = clients.get(&q.server) {
                let (c, t) = (c.clone(), tx.clone());
                let what = format!("prometheus {} queries of service #{}", q.server, q.service);
                supervised(&mut tasks, what, &tx, move || {
                    service::poll_service(c.clone(), q.clone(), generation, t.clone())
                });
            }
        }
        RemoteSource {
            _tasks: tasks,
            alertmanagers_now: now,
        }
    }

    /// Fetch Alertmanager alerts and silences now (after a silence was
    /// made or expired).
    pub fn poll_alertmanagers_now(&self) {
        self.alertmanagers_now.notify_waiters();
    }
}

/// Runs `task` under [`backoff::supervise`] until the board stops
/// listening (the receiver of `tx` is gone).
fn supervised<F, Fut>(tasks: &mut JoinSet<()>, what: String, tx: &mpsc::Sender<Msg>, task: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tx = tx.clone();
    tasks.spawn(async move {
        tokio::select! {
            () = backoff::supervise(&what, task) => {}
            () = tx.closed() => {}
        }
    });
}

/// A server whose settings cannot work (no restart fixes them): said once,
/// and the feed stays failing.
async fn unusable(source: AlertSource, server: String, why: String, tx: mpsc::Sender<Msg>) {
    tracing::error!("{} {server}: {why}", source.title());
    let _ = tx.send(unusable_msg(source, &server, why)).await;
}

/// One poll of a Prometheus server, as the board receives it: its alerts,
/// then its scrape targets and rule health.
async fn prometheus_round(c: &PromClient) -> (Msg, Msg) {
    let server = c.name().to_string();
    let (alerts, targets, rules) = tokio::join!(c.alerts(), c.targets(), c.rules());
    let at = SystemTime::now();
    let a = Msg::RemoteAlerts {
        source: AlertSource::Prometheus,
        server: server.clone(),
        at,
        alerts: alerts.map_err(|e| e.to_string()),
    };
    let t = Msg::PromTargets {
        server,
        at,
        targets: targets.map_err(|e| e.to_string()),
        rules: rules.map_err(|e| e.to_string()),
    };
    (a, t)
}

/// One poll of an Alertmanager, as the board receives it: its silences,
/// then its alerts.
async fn alertmanager_round(c: &AmClient) -> (Msg, Msg) {
    let server = c.name().to_string();
    let (alerts, silences) = tokio::join!(c.alerts(), c.silences());
    let s = Msg::Silences {
        server: server.clone(),
        silences: silences.map_err(|e| e.to_string()),
    };
    let a = Msg::RemoteAlerts {
        source: AlertSource::Alertmanager,
        server,
        at: SystemTime::now(),
        alerts: alerts.map_err(|e| e.to_string()),
    };
    (s, a)
}

/// One poll of a Prometheus server, for the one-shot commands: the same
/// messages as one round of the board's poller (a server whose settings
/// cannot work is reported as failing, as the board does).
pub async fn prometheus_once(spec: &ServerSpec) -> Vec<Msg> {
    match PromClient::new(spec) {
        Ok(c) => {
            let (a, t) = prometheus_round(&c).await;
            vec![a, t]
        }
        Err(e) => vec![unusable_msg(
            AlertSource::Prometheus,
            &spec.name,
            e.to_string(),
        )],
    }
}

/// One poll of an Alertmanager, for the one-shot commands.
pub async fn alertmanager_once(spec: &ServerSpec) -> Vec<Msg> {
    match AmClient::new(spec) {
        Ok(c) => {
            let (s, a) = alertmanager_round(&c).await;
            vec![s, a]
        }
        Err(e) => vec![unusable_msg(
            AlertSource::Alertmanager,
            &spec.name,
            e.to_string(),
        )],
    }
}

/// One round of a service's PromQL against `server`, for the one-shot
/// commands (no backfill: only the current values).
pub async fn service_queries_once(
    server: &ServerSpec,
    q: &ServiceQueries,
    generation: u64,
) -> Vec<Msg> {
    let update = match PromClient::new(server) {
        Ok(c) => service::query_round(&c, q).await.0,
        Err(e) => crate::app::MetricsUpdate {
            error: Some(e.to_string()),
            at: Some(SystemTime::now()),
            ..Default::default()
        },
    };
    vec![Msg::Metrics {
        service: q.service,
        generation,
        update,
    }]
}

fn unusable_msg(source: AlertSource, server: &str, why: String) -> Msg {
    Msg::RemoteAlerts {
        source,
        server: server.to_string(),
        at: SystemTime::now(),
        alerts: Err(why),
    }
}

/// When to poll next: an interval after the last success; after a
/// failure, `min(interval, backoff)` (jittered, ≤ 30 s). Logs when a
/// server starts failing, fails differently, and answers again.
pub(super) struct Pace {
    what: String,
    interval: Duration,
    backoff: Backoff,
    /// The fault in words and since when, while failing.
    failing: Option<(String, Instant)>,
}

impl Pace {
    pub(super) fn new(what: String, interval: Duration) -> Pace {
        Pace {
            what,
            interval: interval.max(MIN_INTERVAL),
            backoff: Backoff::default(),
            failing: None,
        }
    }

    /// The wait after a poll that started at `started` and ended with
    /// `error` (the raw error when it failed).
    pub(super) fn next(&mut self, started: Instant, error: Option<&str>) -> Instant {
        let Some(raw) = error else {
            if let Some((_, since)) = self.failing.take() {
                tracing::info!(
                    "{} answers again after {}",
                    self.what,
                    humantime::format_duration(Duration::from_secs(since.elapsed().as_secs()))
                );
            }
            self.backoff.reset();
            return started + self.interval;
        };
        let wait = self.backoff.next_delay().min(self.interval);
        let words = crate::model::fault::words(raw);
        let changed = self.failing.as_ref().is_none_or(|(w, _)| *w != words);
        if changed {
            tracing::warn!(
                "{}: {words} ({raw}); retrying every {} at most",
                self.what,
                humantime::format_duration(self.interval.min(backoff::CAP))
            );
            let since = self.failing.as_ref().map_or_else(Instant::now, |f| f.1);
            self.failing = Some((words, since));
        } else {
            tracing::debug!("{}: still failing ({raw}); retry in {wait:?}", self.what);
        }
        Instant::now() + wait
    }
}

async fn poll_prometheus(c: PromClient, interval: Duration, tx: mpsc::Sender<Msg>) {
    let mut pace = Pace::new(format!("Prometheus {}", c.name()), interval);
    loop {
        let started = Instant::now();
        let (a, t) = prometheus_round(&c).await;
        let error = match &a {
            Msg::RemoteAlerts { alerts: Err(e), .. } => Some(e.as_str()),
            _ => None,
        };
        let next = pace.next(started, error);
        if tx.send(a).await.is_err() || tx.send(t).await.is_err() {
            return;
        }
        tokio::time::sleep_until(next).await;
    }
}

async fn poll_alertmanager(
    c: AmClient,
    interval: Duration,
    now: Arc<Notify>,
    tx: mpsc::Sender<Msg>,
) {
    let mut pace = Pace::new(format!("Alertmanager {}", c.name()), interval);
    loop {
        let started = Instant::now();
        let (s, a) = alertmanager_round(&c).await;
        let error = match &a {
            Msg::RemoteAlerts { alerts: Err(e), .. } => Some(e.as_str()),
            _ => None,
        };
        let next = pace.next(started, error);
        if tx.send(s).await.is_err() || tx.send(a).await.is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = now.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn failures_retry_at_most_an_interval_apart_and_success_resets() {
        let mut p = Pace::new("Prometheus t".into(), Duration::from_secs(15));
        let t0 = Instant::now();
        let mut waits = Vec::new();
        for _ in 0..12 {
            let next = p.next(Instant::now(), Some("connection refused"));
            waits.push(next - Instant::now());
        }
        assert!(waits[0] <= backoff::BASE, "{waits:?}");
        assert!(
            waits.iter().all(|w| *w <= Duration::from_secs(15)),
            "{waits:?}"
        );
        assert!(waits[11] >= Duration::from_secs(7), "grows: {waits:?}");
        assert_eq!(p.next(t0, None), t0 + Duration::from_secs(15));
        let again = p.next(Instant::now(), Some("HTTP 503"));
        assert!(
            again - Instant::now() <= backoff::BASE,
            "reset after success"
        );

        let mut slow = Pace::new("Prometheus t".into(), Duration::from_secs(300));
        for _ in 0..30 {
            let next = slow.next(Instant::now(), Some("timed out after 5s"));
            assert!(next - Instant::now() <= backoff::CAP);
        }
        let mut zero = Pace::new("Prometheus t".into(), Duration::ZERO);
        assert_eq!(zero.next(t0, None), t0 + MIN_INTERVAL);
    }
}
