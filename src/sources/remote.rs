//! Polling Prometheus servers (alerts, targets, rule health, per-service
//! PromQL) and Alertmanagers (alerts, silences). Each server and each
//! service's queries run in their own task; a slow server delays nobody.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

use super::alertmanager::AmClient;
use super::prometheus::{PromClient, QueryResult, ServerSpec};
use crate::app::{MetricsUpdate, Msg};
use crate::model::AlertSource;
use crate::model::metrics::{CustomValue, MetricPoint};

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

/// How far back charts are filled at start-up.
const BACKFILL: Duration = Duration::from_secs(3600);

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
            match PromClient::new(&p.spec) {
                Ok(c) => {
                    clients.insert(p.spec.name.clone(), c.clone());
                    tasks.spawn(poll_prometheus(c, p.interval, tx.clone()));
                }
                Err(e) => {
                    let tx = tx.clone();
                    let name = p.spec.name.clone();
                    tasks.spawn(async move {
                        let _ = tx
                            .send(Msg::RemoteAlerts {
                                source: AlertSource::Prometheus,
                                server: name,
                                at: SystemTime::now(),
                                alerts: Err(e.to_string()),
                            })
                            .await;
                    });
                }
            }
        }
        for a in alertmanagers {
            let tx = tx.clone();
            let now = now.clone();
            match AmClient::new(&a.spec) {
                Ok(c) => {
                    tasks.spawn(poll_alertmanager(c, a.interval, now, tx));
                }
                Err(e) => {
                    let name = a.spec.name.clone();
                    tasks.spawn(async move {
                        let _ = tx
                            .send(Msg::RemoteAlerts {
                                source: AlertSource::Alertmanager,
                                server: name,
                                at: SystemTime::now(),
                                alerts: Err(e.to_string()),
                            })
                            .await;
                    });
                }
            }
        }
        for q in queries {
            if let Some(c) = clients.get(&q.server) {
                tasks.spawn(poll_service(c.clone(), q, generation, tx.clone()));
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

async fn poll_prometheus(c: PromClient, interval: Duration, tx: mpsc::Sender<Msg>) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (alerts, targets, rules) = tokio::join!(c.alerts(), c.targets(), c.rules());
        let at = SystemTime::now();
        let server = c.name().to_string();
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
        if tx.send(a).await.is_err() || tx.send(t).await.is_err() {
            return;
        }
    }
}

async fn poll_alertmanager(
    c: AmClient,
    interval: Duration,
    now: Arc<Notify>,
    tx: mpsc::Sender<Msg>,
) {
    loop {
        let (alerts, silences) = tokio::join!(c.alerts(), c.silences());
        let server = c.name().to_string();
        let a = Msg::RemoteAlerts {
            source: AlertSource::Alertmanager,
            server: server.clone(),
            at: SystemTime::now(),
            alerts: alerts.map_err(|e| e.to_string()),
        };
        let s = Msg::Silences {
            server,
            silences: silences.map_err(|e| e.to_string()),
        };
        if tx.send(s).await.is_err() || tx.send(a).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = now.notified() => {}
        }
    }
}

/// The first value of a query's result (the queries are expected to
/// aggregate to one series).
fn first_value(r: &Result<QueryResult, String>) -> f32 {
    r.as_ref()
        .ok()
        .and_then(|q| q.series.first())
        .and_then(|s| s.points.last())
        .map_or(f32::NAN, |(_, v)| *v as f32)
}

fn secs(t: SystemTime) -> u32 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}

async fn run_query(c: &PromClient, q: &Option<String>) -> Option<Result<QueryResult, String>> {
    match q {
        Some(q) => Some(c.query(q, None).await.map_err(|e| e.to_string())),
        None => None,
    }
}

async fn poll_service(c: PromClient, q: ServiceQueries, generation: u64, tx: mpsc::Sender<Msg>) {
    // Fill the charts with the last hour first.
    let backfill = backfill(&c, &q).await;
    if !backfill.points.is_empty() || backfill.error.is_some() {
        let msg = Msg::Metrics {
            service: q.service,
            generation,
            update: backfill,
        };
        if tx.send(msg).await.is_err() {
            return;
        }
    }
    let mut tick = tokio::time::interval(q.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let at = SystemTime::now();
        let fields = [
            &q.request_rate,
            &q.error_ratio,
            &q.p50,
            &q.p95,
            &q.p99,
            &q.cpu,
            &q.memory,
            &q.disk,
        ];
        let results = futures::future::join_all(fields.iter().map(|f| run_query(&c, f))).await;
        let customs =
            futures::future::join_all(q.custom.iter().map(|(_, query, _)| c.query(query, None)))
                .await;
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for r in results.iter().flatten() {
            match r {
                Ok(qr) => warnings.extend(qr.warnings.iter().cloned()),
                Err(e) => errors.push(e.clone()),
            }
        }
        let v = |i: usize| results[i].as_ref().map_or(f32::NAN, first_value);
        let point = MetricPoint {
            at_s: secs(at),
            req_rate: v(0),
            error_ratio: v(1),
            p50: v(2),
            p95: v(3),
            p99: v(4),
            cpu: v(5),
            mem: v(6),
        };
        let disk = v(7);
        let custom = q
            .custom
            .iter()
            .zip(customs)
            .map(|((label, _, unit), r)| CustomValue {
                label: label.clone(),
                value: r
                    .ok()
                    .and_then(|qr| qr.series.first().and_then(|s| s.points.last()).map(|p| p.1)),
                unit: unit.clone(),
            })
            .collect();
        errors.dedup();
        warnings.dedup();
        let update = MetricsUpdate {
            points: vec![point],
            custom: Some(custom),
            disk_ratio: (!disk.is_nan()).then_some(f64::from(disk)),
            error: (!errors.is_empty()).then(|| errors.join("; ")),
            warnings,
            at: Some(at),
        };
        let msg = Msg::Metrics {
            service: q.service,
            generation,
            update,
        };
        if tx.send(msg).await.is_err() {
            return;
        }
    }
}

/// `query_range` over the last hour for the charted fields.
async fn backfill(c: &PromClient, q: &ServiceQueries) -> MetricsUpdate {
    let end = SystemTime::now();
    let start = end - BACKFILL;
    let step = q.interval.max(Duration::from_secs(15));
    let range = |query: &Option<String>| {
        let query = query.clone();
        async move {
            match query {
                Some(query) => Some(c.query_range(&query, start, end, step).await),
                None => None,
            }
        }
    };
    let (rate, errors, p95) =
        tokio::join!(range(&q.request_rate), range(&q.error_ratio), range(&q.p95));
    let mut by_time: std::collections::BTreeMap<u32, MetricPoint> = Default::default();
    let mut failure = None;
    for (i, r) in [rate, errors, p95].into_iter().enumerate() {
        match r {
            Some(Ok(qr)) => {
                if let Some(s) = qr.series.first() {
                    for (t, v) in &s.points {
                        let p = by_time
                            .entry(secs(*t))
                            .or_insert_with(|| MetricPoint::unknown(secs(*t)));
                        match i {
                            0 => p.req_rate = *v as f32,
                            1 => p.error_ratio = *v as f32,
                            _ => p.p95 = *v as f32,
                        }
                    }
                }
            }
            Some(Err(e)) => failure = Some(e.to_string()),
            None => {}
        }
    }
    MetricsUpdate {
        points: by_time.into_values().collect(),
        error: failure,
        at: Some(end),
        ..MetricsUpdate::default()
    }
}
