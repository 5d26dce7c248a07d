//! Polling device fleets: thousands of small HTTP health endpoints per
//! fleet, or one Prometheus query that lists the devices.
//!
//! An endpoint fleet runs as one task that walks its devices each round,
//! spreading request starts over most of the interval with at most
//! `concurrency` requests (and so sockets) in flight. Rounds never
//! overlap: a round that overruns is followed by the next at once, without
//! a burst to catch up. Results go to the runtime in batches.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{backoff, fleet_query};
use crate::app::Msg;
use crate::clients::probe::{ProbeNet, ProbeSpec, Prober};
use crate::clients::prometheus::ServerSpec;
use crate::model::ProbeId;
use crate::model::fleet::DevicePoll;
use crate::model::fleet_spec::{self, DeviceSpec, EndpointFleet};
use crate::model::{Health, ProbeFailure, ProbeOutcome, ProbeUrl};

/// The device fleets to poll; a query fleet reaches its Prometheus with a
/// [`ServerSpec`].
pub type FleetPlan = fleet_spec::FleetPlan<ServerSpec>;

/// A batch goes out when this many results are pending…
pub const BATCH_MAX: usize = 512;
/// …or this long after its first result arrived.
pub const BATCH_WAIT: Duration = Duration::from_millis(500);
/// Share of the interval a round's request starts are spread over; the
/// rest is slack for the last devices' answers.
const SPREAD: f64 = 0.8;
/// A manual refresh (Ctrl-R) spreads its round over this at most: fast,
/// but still not every request in the same millisecond.
const MANUAL_SPREAD: Duration = Duration::from_secs(1);

/// Starts due this soon go out with the ones due now: a few requests per
/// wake-up instead of one, for the same even spread.
pub const START_SLACK: Duration = Duration::from_millis(20);

/// Owns one polling task per fleet; dropping it stops them.
pub struct FleetSource {
    /// Per fleet. `notify_one` keeps a press that arrives mid-round, so
    /// the next round starts as soon as this one ends.
    wake: Vec<Arc<Notify>>,
    tasks: JoinSet<()>,
}

impl FleetSource {
    /// One task per fleet; `fleet` in each message is the index into
    /// `plan.fleets`.
    pub fn spawn(plan: &FleetPlan, generation: u64, tx: mpsc::Sender<Msg>) -> FleetSource {
        FleetSource::spawn_with(plan, generation, tx, &ProbeNet::default())
    }

    /// As [`FleetSource::spawn`], reaching endpoint devices through `net`.
    /// Each fleet's task is supervised: should it ever end or panic, it is
    /// logged and started again after a backoff; it stops only when the
    /// receiver is gone or this is dropped.
    pub fn spawn_with(
        plan: &FleetPlan,
        generation: u64,
        tx: mpsc::Sender<Msg>,
        net: &ProbeNet,
    ) -> FleetSource {
        let mut tasks = JoinSet::new();
        let mut wake = Vec::with_capacity(plan.fleets.len());
        for (fleet, spec) in plan.fleets.iter().enumerate() {
            let notify = Arc::new(Notify::new());
            wake.push(notify.clone());
            let what = format!("fleet {}", spec.name);
            let source = spec.source.clone();
            let gone = tx.clone();
            let tx = tx.clone();
            let net = net.clone();
            let name = spec.name.clone();
            let task = move || {
                let (tx, notify, name) = (tx.clone(), notify.clone(), name.clone());
                let source = source.clone();
                let net = net.clone();
                async move {
                    match source {
                        fleet_spec::FleetSource::Endpoints(e) => {
                            poll_endpoints(fleet, e, generation, notify, tx, &net).await;
                        }
                        fleet_spec::FleetSource::Query(q) => {
                            fleet_query::poll_query(fleet, &name, *q, generation, notify, tx).await;
                        }
                    }
                }
            };
            tasks.spawn(async move {
                tokio::select! {
                    () = backoff::supervise(&what, task) => {}
                    () = gone.closed() => {}
                }
            });
        }
        FleetSource { wake, tasks }
    }

    /// Polls every endpoint device and runs every query now.
    pub fn poll_now(&self) {
        self.wake.iter().for_each(|n| n.notify_one());
    }
}

impl Drop for FleetSource {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// The HTTP side of one endpoint fleet: a prober whose connection pool
/// suits the fleet, and the probe settings every device shares.
pub struct DevicePoller {
    prober: Prober,
    /// Cloned per request with the device's URL, so 10,000 devices do not
    /// keep 10,000 specs.
    template: ProbeSpec,
    concurrency: usize,
    reuse: bool,
}

impl DevicePoller {
    pub fn new(fleet: &EndpointFleet) -> Result<DevicePoller, String> {
        DevicePoller::with_net(fleet, &ProbeNet::default())
    }

    /// As [`DevicePoller::new`], reaching the devices through `net`.
    pub fn with_net(fleet: &EndpointFleet, net: &ProbeNet) -> Result<DevicePoller, String> {
        let concurrency = fleet.concurrency.max(1);
        let reuse = reuse_connections(&fleet.devices, concurrency);
        let prober = if reuse {
            // Kept until just past the next round, so a round reuses the
            // last one's connections.
            Prober::with_net(concurrency, fleet.interval + Duration::from_secs(10), net)?
        } else {
            Prober::with_net(0, Duration::ZERO, net)?
        };
        let placeholder = url::Url::parse("http://device.invalid/").map_err(|e| e.to_string())?;
        let mut template = ProbeSpec::simple(
            ProbeId {
                service: usize::MAX,
                probe: 0,
            },
            ProbeUrl::Http(placeholder),
            fleet.interval,
            fleet.timeout,
        );
        template.tls_verify = fleet.tls_verify;
        if !reuse {
            // Ask the device to close its end too: it keeps no idle socket
            // for a request that will not come, and the board's side holds
            // no socket past the answer.
            template.headers.insert(
                reqwest::header::CONNECTION,
                reqwest::header::HeaderValue::from_static("close"),
            );
        }
        Ok(DevicePoller {
            prober,
            template,
            concurrency,
            reuse,
        })
    }

    /// Whether idle connections are kept for the next request to the
    /// same host (few hosts) or every request has its own (many hosts).
    pub fn reuses_connections(&self) -> bool {
        self.reuse
    }

    async fn poll(&self, index: usize, device: &DeviceSpec) -> DevicePoll {
        let mut spec = self.template.clone();
        spec.id.probe = index;
        spec.url = ProbeUrl::Http(device.url.clone());
        let outcome = self.prober.probe(&spec).await;
        device_poll(index, outcome)
    }
}

/// Whether keep-alive reuse is safe: only when the devices sit behind at
/// most `concurrency` distinct scheme/host/port authorities. Beyond that,
/// one idle socket per host would pile up to one per device.
pub fn reuse_connections(devices: &[DeviceSpec], concurrency: usize) -> bool {
    let mut seen = HashSet::new();
    for d in devices {
        let u = &d.url;
        seen.insert((u.scheme(), u.host_str(), u.port_or_known_default()));
        if seen.len() > concurrency {
            return false;
        }
    }
    true
}

/// One round over an endpoint fleet: device `i` starts at
/// `start + spread * i / n` (up to [`START_SLACK`] early, so one wake-up
/// starts a few), or later when `concurrency` requests are already in
/// flight; each is bounded by the fleet's timeout. Results go
/// to `sink` in batches of at most [`BATCH_MAX`], at most [`BATCH_WAIT`]
/// after the first of a batch arrived, and the rest when the round ends.
/// Returns false, at once, when `sink` does (the receiver is gone).
pub async fn poll_round<Fut>(
    poller: &DevicePoller,
    devices: &[DeviceSpec],
    spread: Duration,
    mut sink: impl FnMut(Vec<DevicePoll>) -> Fut,
) -> bool
where
    Fut: Future<Output = bool>,
{
    let n = devices.len();
    let start = Instant::now();
    let start_at = |i: usize| start + spread.mul_f64(i as f64 / n.max(1) as f64);
    let mut next = 0;
    let mut in_flight = FuturesUnordered::new();
    let mut pending: Vec<DevicePoll> = Vec::new();
    let mut first_pending: Option<Instant> = None;
    let timer = tokio::time::sleep_until(start);
    tokio::pin!(timer);
    loop {
        let now = Instant::now();
        while next < n
            && in_flight.len() < poller.concurrency
            && start_at(next) <= now + START_SLACK
        {
            in_flight.push(poller.poll(next, &devices[next]));
            next += 1;
        }
        let due = first_pending.is_some_and(|t| now >= t + BATCH_WAIT);
        if pending.len() >= BATCH_MAX || due {
            first_pending = None;
            if !sink(std::mem::take(&mut pending)).await {
                return false;
            }
        }
        if next == n && in_flight.is_empty() {
            break;
        }
        // Besides an answer, wake for the next start (if a slot is free)
        // or for the pending batch's deadline.
        let start_due = (next < n && in_flight.len() < poller.concurrency).then(|| start_at(next));
        let batch_due = first_pending.map(|t| t + BATCH_WAIT);
        let wake = match (start_due, batch_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(at) = wake {
            timer.as_mut().reset(at);
        }
        tokio::select! {
            Some(poll) = in_flight.next(), if !in_flight.is_empty() => {
                first_pending.get_or_insert_with(Instant::now);
                pending.push(poll);
            }
            () = &mut timer, if wake.is_some() => {}
            else => break,
        }
    }
    pending.is_empty() || sink(pending).await
}

/// What the board shows for one answer (or its absence).
fn device_poll(index: usize, o: ProbeOutcome) -> DevicePoll {
    let failing = || {
        let checks: Vec<String> = o
            .report
            .iter()
            .flat_map(|r| r.failing_checks())
            .map(|c| format!("{} {}", c.name, c.status))
            .collect();
        (!checks.is_empty()).then(|| checks.join(", "))
    };
    let (status, reason) = match &o.result {
        Ok(Health::Up) => (Health::Up, None),
        Ok(Health::Degraded) => (
            Health::Degraded,
            Some(failing().unwrap_or_else(|| "body says degraded".into())),
        ),
        Ok(other) => (*other, None),
        Err(ProbeFailure::Timeout { after_ms }) => {
            let after = crate::model::fmt_duration(Duration::from_millis(*after_ms));
            (Health::Down, Some(format!("no answer in {after}")))
        }
        // A failing body often names the broken dependency.
        Err(f @ (ProbeFailure::HttpStatus { .. } | ProbeFailure::BodyUnhealthy { .. })) => {
            let reason = match failing() {
                Some(checks) => format!("{} · {checks}", f.short()),
                None => f.short(),
            };
            (Health::Down, Some(reason))
        }
        Err(f) => (Health::Down, Some(f.short())),
    };
    DevicePoll {
        device: u32::try_from(index).unwrap_or(u32::MAX),
        status,
        reason,
        // When it answered (or gave up): what "last seen" means.
        at: o.at + o.latency,
    }
}

/// Polls an endpoint fleet round after round; returns only when the
/// receiver is gone.
async fn poll_endpoints(
    fleet: usize,
    spec: EndpointFleet,
    generation: u64,
    wake: Arc<Notify>,
    tx: mpsc::Sender<Msg>,
    net: &ProbeNet,
) {
    let send = |results: Vec<DevicePoll>| {
        let tx = tx.clone();
        async move {
            let msg = Msg::DevicePolls {
                fleet,
                generation,
                results,
            };
            tx.send(msg).await.is_ok()
        }
    };
    let poller = match DevicePoller::with_net(&spec, net) {
        Ok(p) => p,
        Err(e) => {
            // No client, no polls: say why on every device, once. Settings
            // that cannot work will not start working by trying again.
            tracing::error!(fleet, error = %e, "device fleet cannot poll");
            let at = std::time::SystemTime::now();
            let down = |(i, _)| DevicePoll {
                device: u32::try_from(i).unwrap_or(u32::MAX),
                status: Health::Down,
                reason: Some(e.clone()),
                at,
            };
            let all: Vec<DevicePoll> = spec.devices.iter().enumerate().map(down).collect();
            for chunk in all.chunks(BATCH_MAX) {
                if !send(chunk.to_vec()).await {
                    return;
                }
            }
            return std::future::pending().await;
        }
    };
    let spread = spec.interval.mul_f64(SPREAD);
    let mut manual = false;
    loop {
        let started = Instant::now();
        let spread = if manual {
            spread.min(MANUAL_SPREAD)
        } else {
            spread
        };
        if !poll_round(&poller, &spec.devices, spread, &send).await {
            return;
        }
        // One interval after this round started, or at once if it overran.
        let next = (started + spec.interval).max(Instant::now());
        manual = tokio::select! {
            () = tokio::time::sleep_until(next) => false,
            () = wake.notified() => true,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DependencyCheck, HealthReport};
    use std::time::SystemTime;

    fn device(url: &str) -> DeviceSpec {
        DeviceSpec {
            host: "h".into(),
            location: None,
            labels: Arc::from(Vec::new()),
            url: url::Url::parse(url).unwrap(),
        }
    }

    fn outcome(result: Result<Health, ProbeFailure>, report: Option<HealthReport>) -> ProbeOutcome {
        ProbeOutcome {
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(100),
            latency: Duration::from_millis(250),
            http_status: None,
            report,
            result,
        }
    }

    fn report(check: &str, status: Health) -> Option<HealthReport> {
        Some(HealthReport {
            stated: None,
            checks: vec![DependencyCheck {
                name: check.into(),
                status,
                detail: None,
            }],
            version: None,
        })
    }

    #[test]
    fn reuse_only_when_authorities_fit_in_concurrency() {
        let same: Vec<DeviceSpec> = (0..100)
            .map(|i| device(&format!("http://gw:8080/d/{i}/health")))
            .collect();
        assert!(reuse_connections(&same, 1));
        let many: Vec<DeviceSpec> = (0..100)
            .map(|i| device(&format!("https://rpi-{i}/health")))
            .collect();
        assert!(reuse_connections(&many, 100));
        assert!(!reuse_connections(&many, 99));
        // Scheme and port count: the default port is the same authority.
        let mixed = [
            device("http://a/x"),
            device("http://a:80/y"),
            device("https://a/x"),
            device("http://a:81/x"),
        ];
        assert!(reuse_connections(&mixed, 3));
        assert!(!reuse_connections(&mixed, 2));
        assert!(reuse_connections(&[], 1));
    }

    #[test]
    fn answers_map_to_status_and_reason() {
        let p = device_poll(7, outcome(Ok(Health::Up), None));
        assert_eq!((p.device, p.status, p.reason), (7, Health::Up, None));
        assert_eq!(
            p.at,
            SystemTime::UNIX_EPOCH + Duration::from_millis(100_250)
        );

        let p = device_poll(1, outcome(Ok(Health::Degraded), report("db", Health::Down)));
        assert_eq!(p.status, Health::Degraded);
        assert_eq!(p.reason.as_deref(), Some("db down"));
        let p = device_poll(1, outcome(Ok(Health::Degraded), None));
        assert_eq!(p.reason.as_deref(), Some("body says degraded"));
    }

    #[test]
    fn failures_are_down_with_a_short_reason() {
        let cases = [
            (
                ProbeFailure::Timeout { after_ms: 2000 },
                None,
                "no answer in 2.0s",
            ),
            (ProbeFailure::HttpStatus { code: 503 }, None, "HTTP 503"),
            (
                ProbeFailure::HttpStatus { code: 503 },
                report("disk", Health::Down),
                "HTTP 503 · disk down",
            ),
            (
                ProbeFailure::Refused {
                    detail: "os error 111".into(),
                },
                None,
                "connection refused",
            ),
            (
                ProbeFailure::UnparsableBody {
                    detail: "invalid JSON".into(),
                },
                None,
                "unparsable body",
            ),
        ];
        for (failure, report, want) in cases {
            let p = device_poll(0, outcome(Err(failure), report));
            assert_eq!(p.status, Health::Down);
            assert_eq!(p.reason.as_deref(), Some(want));
        }
    }
}
