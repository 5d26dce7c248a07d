//! One service's PromQL, polled every interval (and the last hour
//! backfilled at start): request rate, errors, latency, resources and the
//! custom metrics, sent as [`Msg::Metrics`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Pace, ServiceQueries};
use crate::app::{MetricsUpdate, Msg};
use crate::clients::prometheus::{PromClient, QueryResult};
use crate::model::metrics::{CustomValue, MetricPoint};

/// How far back charts are filled at start-up.
const BACKFILL: Duration = Duration::from_secs(3600);

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

pub(super) async fn poll_service(
    c: PromClient,
    q: ServiceQueries,
    generation: u64,
    tx: mpsc::Sender<Msg>,
) {
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
    let what = format!("Prometheus {} queries for service #{}", c.name(), q.service);
    let mut pace = Pace::new(what, q.interval);
    loop {
        let started = Instant::now();
        let (update, failed) = query_round(&c, &q).await;
        let next = pace.next(started, failed.as_deref());
        let msg = Msg::Metrics {
            service: q.service,
            generation,
            update,
        };
        if tx.send(msg).await.is_err() {
            return;
        }
        tokio::time::sleep_until(next).await;
    }
}

/// One round of a service's queries: what the board is sent, and the
/// server's error when no query got an answer (the server failing, not a
/// query).
pub(super) async fn query_round(
    c: &PromClient,
    q: &ServiceQueries,
) -> (MetricsUpdate, Option<String>) {
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
    let results = futures::future::join_all(fields.iter().map(|f| run_query(c, f))).await;
    let customs =
        futures::future::join_all(q.custom.iter().map(|(_, query, _)| c.query(query, None))).await;
    // Failing when no query got an answer: the server, not a query.
    let asked = results.iter().flatten().count() + customs.len();
    let answered = results.iter().flatten().filter(|r| r.is_ok()).count()
        + customs.iter().filter(|r| r.is_ok()).count();
    let custom_error = customs
        .iter()
        .find_map(|r| r.as_ref().err().map(ToString::to_string));
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
    let failed = (asked > 0 && answered == 0)
        .then(|| errors.first().cloned().or(custom_error))
        .flatten();
    (update, failed)
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
