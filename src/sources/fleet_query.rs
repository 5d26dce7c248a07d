//! Query-backed fleets: one PromQL query every interval, each series a
//! device (`up{job="edge"}` gives one per scrape target).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::backoff::Backoff;
use crate::app::Msg;
use crate::clients::http::ApiError;
use crate::clients::prometheus::{PromClient, Series, ServerSpec};
use crate::model::Health;
use crate::model::fleet::QueriedDevice;
use crate::model::fleet_spec::QueryFleet;

/// Runs a query fleet's query every interval; after a failure, again
/// after a capped backoff (never later than the interval), so that the
/// fleet is back within one step of its Prometheus. Returns only when the
/// receiver is gone.
pub(super) async fn poll_query(
    fleet: usize,
    name: &str,
    q: QueryFleet<ServerSpec>,
    generation: u64,
    wake: Arc<Notify>,
    tx: mpsc::Sender<Msg>,
) {
    let message = |devices| Msg::FleetQuery {
        fleet,
        generation,
        at: SystemTime::now(),
        devices,
    };
    let client = match PromClient::new(&q.server) {
        Ok(c) => c,
        Err(e) => {
            // Settings that cannot work will not start working: say so
            // once, and wait here (ending would only be restarted).
            let raw = raw_error(&e);
            tracing::error!(fleet = name, error = %raw, "fleet query cannot run");
            let _ = tx.send(message(Err(raw))).await;
            return std::future::pending().await;
        }
    };
    let mut backoff = Backoff::default();
    let mut failing: Option<String> = None;
    loop {
        let started = Instant::now();
        let devices = query_devices(&client, &q).await;
        let wait = match &devices {
            Ok(_) => {
                if failing.take().is_some() {
                    tracing::info!(fleet = name, "fleet query answers again");
                }
                backoff.reset();
                q.interval
            }
            Err(raw) => {
                // The whole chain goes to the log once per new cause; the
                // board shows it in words.
                if failing.as_deref() != Some(raw.as_str()) {
                    tracing::warn!(fleet = name, error = %raw, "fleet query failed");
                    failing = Some(raw.clone());
                }
                backoff.next_delay().min(q.interval)
            }
        };
        if tx.send(message(devices)).await.is_err() {
            return;
        }
        let next = (started + wait).max(Instant::now());
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = wake.notified() => {}
        }
    }
}

/// One run of the fleet's query: its devices, or the failure's raw text.
async fn query_devices(
    client: &PromClient,
    q: &QueryFleet<ServerSpec>,
) -> Result<Vec<QueriedDevice>, String> {
    client
        .query(&q.query, None)
        .await
        .map(|r| queried_devices(r.series, &q.instance_label, &q.location_label))
        .map_err(|e| raw_error(&e))
}

/// One run of a query fleet's query, for the one-shot commands: the
/// message the board's poller sends.
pub(super) async fn query_once(fleet: usize, q: &QueryFleet<ServerSpec>, generation: u64) -> Msg {
    let devices = match PromClient::new(&q.server) {
        Ok(client) => query_devices(&client, q).await,
        Err(e) => Err(raw_error(&e)),
    };
    Msg::FleetQuery {
        fleet,
        generation,
        at: SystemTime::now(),
        devices,
    }
}

/// A Prometheus failure as the fault's raw text, from which the board
/// reads its words (`HTTP 503`, `connection refused`, `timed out`).
fn raw_error(e: &ApiError) -> String {
    match e {
        // `bad_data: parse error …` would read as just `bad_data`.
        ApiError::Api { error_type, error } => {
            format!("query refused ({error_type}): {error}")
        }
        other => crate::model::fault::chain(other),
    }
}

/// Each series as a device: named by `instance_label`, placed by
/// `location_label`; a positive value is up, zero (or less) down, NaN or
/// no value unknown.
pub fn queried_devices(
    series: Vec<Series>,
    instance_label: &str,
    location_label: &str,
) -> Vec<QueriedDevice> {
    series
        .into_iter()
        .map(|s| {
            let value = s.points.last().map_or(f64::NAN, |(_, v)| *v);
            let status = if value.is_nan() {
                Health::Unknown
            } else if value > 0.0 {
                Health::Up
            } else {
                Health::Down
            };
            let name = s
                .labels
                .get(instance_label)
                .cloned()
                .unwrap_or_else(|| label_set(&s.labels));
            let location = s.labels.get(location_label).cloned();
            let labels = s
                .labels
                .into_iter()
                .filter(|(k, _)| k != "__name__" && k != instance_label && k != location_label)
                .collect();
            QueriedDevice {
                name,
                location,
                labels,
                status,
                value,
            }
        })
        .collect()
}

/// A series named the way PromQL writes it: `up{job="edge", zone="a"}`.
fn label_set(labels: &BTreeMap<String, String>) -> String {
    let mut out = labels.get("__name__").cloned().unwrap_or_default();
    out.push('{');
    let mut first = true;
    for (k, v) in labels.iter().filter(|(k, _)| *k != "__name__") {
        if !first {
            out.push_str(", ");
        }
        first = false;
        let _ = write!(out, "{k}={v:?}");
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn series(labels: &[(&str, &str)], value: Option<f64>) -> Series {
        Series {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            points: value
                .map(|v| (SystemTime::UNIX_EPOCH + Duration::from_secs(1), v))
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn series_become_devices() {
        let d = queried_devices(
            vec![
                series(
                    &[
                        ("__name__", "up"),
                        ("instance", "rpi-1:9100"),
                        ("site", "ams"),
                        ("job", "edge"),
                    ],
                    Some(1.0),
                ),
                series(&[("instance", "rpi-2:9100")], Some(0.0)),
                series(&[("instance", "rpi-3:9100")], Some(f64::NAN)),
                series(&[("instance", "rpi-4:9100")], None),
            ],
            "instance",
            "site",
        );
        assert_eq!(d[0].name, "rpi-1:9100");
        assert_eq!(d[0].location.as_deref(), Some("ams"));
        assert_eq!(d[0].labels, vec![("job".to_string(), "edge".to_string())]);
        assert_eq!((d[0].status, d[0].value), (Health::Up, 1.0));
        assert_eq!((d[1].status, d[1].location.clone()), (Health::Down, None));
        assert_eq!(d[2].status, Health::Unknown);
        assert_eq!(d[3].status, Health::Unknown);
        assert!(d[3].value.is_nan());
    }

    #[test]
    fn a_series_without_the_instance_label_is_named_by_its_labels() {
        let d = queried_devices(
            vec![
                series(
                    &[("__name__", "up"), ("job", "edge"), ("zone", "a")],
                    Some(2.0),
                ),
                series(&[], Some(1.0)),
            ],
            "host",
            "location",
        );
        assert_eq!(d[0].name, r#"up{job="edge", zone="a"}"#);
        assert_eq!(d[0].status, Health::Up);
        assert_eq!(d[1].name, "{}");
    }
}
