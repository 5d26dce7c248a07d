//! Health probes under each fault, through a running HealthSource: UP,
//! then the fault (what the services table would say), then UP again once
//! the fault ends, without restarting anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opsboard::app::Msg;
use opsboard::clients::probe::{ProbeNet, ProbeSpec, Prober};
use opsboard::model::ProbeId;
use opsboard::model::ProbeUrl;
use opsboard::model::{Health, ProbeFailure, ProbeOutcome, ProbeState};
use opsboard::sources::health::HealthSource;
use tokio::sync::mpsc;

use crate::misbehaving::{HUGE, Misbehaviour, Switch, switchable, test_tls, tls_switchable};
use crate::{PATIENCE, TestDns};

const INTERVAL: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_secs(1);

/// One probe running in a HealthSource, and the board's view of it.
struct Running {
    rx: mpsc::Receiver<Msg>,
    _source: HealthSource,
    board: ProbeState,
}

fn spec(url: &str, timeout: Duration) -> ProbeSpec {
    let id = ProbeId {
        service: 0,
        probe: 0,
    };
    ProbeSpec::simple(id, ProbeUrl::parse(url).unwrap(), INTERVAL, timeout)
}

fn start(spec: ProbeSpec, net: &ProbeNet) -> Running {
    let prober = Prober::with_net(usize::MAX, Duration::from_secs(90), net).unwrap();
    let (tx, rx) = mpsc::channel(64);
    let board = ProbeState::new(spec.url.display(), spec.interval, 1);
    let source = HealthSource::spawn_with(prober, vec![spec], 1, 1, 4, tx).unwrap();
    Running {
        rx,
        _source: source,
        board,
    }
}

impl Running {
    /// Outcomes, each applied to the board, until one is `want`ed.
    async fn until(&mut self, what: &str, want: impl Fn(&ProbeOutcome) -> bool) -> ProbeOutcome {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}: {:?}", self.board))
                .expect("the source stopped");
            let Msg::Probe { outcome, .. } = msg else {
                continue;
            };
            self.board.apply(outcome.clone());
            if want(&outcome) {
                return outcome;
            }
        }
    }

    /// UP; `on()` starts the fault; the fault is seen and shown; `off()`
    /// ends it; UP again. Returns the failing outcome and the reason the
    /// board showed for it.
    async fn fault_and_recovery(
        &mut self,
        on: impl FnOnce(),
        is_fault: impl Fn(&ProbeFailure) -> bool,
        off: impl FnOnce(),
    ) -> (ProbeOutcome, String) {
        self.until("first UP", |o| o.result == Ok(Health::Up)).await;
        on();
        let failed = self
            .until("fault", |o| o.result.as_ref().err().is_some_and(&is_fault))
            .await;
        assert_eq!(self.board.status, Health::Down);
        let shown = self.board.reason().expect("a down probe says why");
        off();
        self.until("recovery", |o| o.result == Ok(Health::Up)).await;
        assert_eq!(self.board.status, Health::Up);
        assert_eq!(self.board.reason(), None);
        (failed, shown)
    }
}

/// A plain server playing `fault` between two healthy spells.
async fn plain_fault(
    fault: Misbehaviour,
    timeout: Duration,
    is_fault: impl Fn(&ProbeFailure) -> bool,
) -> (ProbeOutcome, String, Switch) {
    let (server, switch) = switchable(Misbehaviour::Healthy).await;
    let mut run = start(spec(&server.url("/health"), timeout), &ProbeNet::default());
    let (on, off) = (switch.clone(), switch.clone());
    let (failed, shown) = run
        .fault_and_recovery(
            move || on.set(fault),
            is_fault,
            move || off.set(Misbehaviour::Healthy),
        )
        .await;
    (failed, shown, switch)
}

#[tokio::test]
async fn hang_times_out_and_recovers() {
    let (o, shown, _) = plain_fault(Misbehaviour::Hang, TIMEOUT, |f| {
        matches!(f, ProbeFailure::Timeout { .. })
    })
    .await;
    assert_eq!(o.result, Err(ProbeFailure::Timeout { after_ms: 1000 }));
    assert!(o.latency >= TIMEOUT, "{o:?}");
    assert_eq!(shown, "timeout 1.0s");
}

#[tokio::test]
async fn reset_is_named_and_recovers() {
    let (_, shown, _) = plain_fault(Misbehaviour::Reset, TIMEOUT, |f| {
        matches!(f, ProbeFailure::Reset { .. })
    })
    .await;
    assert_eq!(shown, "connection reset");
}

#[tokio::test]
async fn trickle_is_a_timeout_returned_at_the_timeout_and_recovers() {
    let (o, shown, _) = plain_fault(Misbehaviour::Trickle, TIMEOUT, |f| {
        matches!(f, ProbeFailure::Timeout { .. })
    })
    .await;
    assert_eq!(o.result, Err(ProbeFailure::Timeout { after_ms: 1000 }));
    // The whole body would take 40 s: the probe gave up at its timeout.
    assert!(o.latency >= TIMEOUT, "{o:?}");
    assert!(o.latency < PATIENCE, "waited for the trickle: {o:?}");
    assert_eq!(shown, "timeout 1.0s");
}

#[tokio::test]
async fn garbage_is_named_and_recovers() {
    let (_, shown, _) = plain_fault(Misbehaviour::NotHttp, TIMEOUT, |f| {
        matches!(f, ProbeFailure::NotHttp { .. })
    })
    .await;
    assert_eq!(shown, "not an HTTP response");
    let (o, shown, _) = plain_fault(Misbehaviour::GarbageBody, TIMEOUT, |f| {
        matches!(f, ProbeFailure::UnparsableBody { .. })
    })
    .await;
    assert_eq!(shown, "unparsable body");
    let detail = o.result.unwrap_err().to_string();
    assert!(detail.contains("not UTF-8"), "{detail}");
}

#[tokio::test]
async fn a_10_mb_body_is_refused_at_the_limit_and_recovers() {
    // A generous timeout: the refusal must come from the limit.
    let timeout = Duration::from_secs(15);
    let (o, shown, switch) = plain_fault(Misbehaviour::Huge, timeout, |f| {
        matches!(f, ProbeFailure::BodyTooLarge { .. })
    })
    .await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::BodyTooLarge { limit: 64 * 1024 })
    );
    assert!(o.latency < timeout, "{o:?}");
    assert_eq!(shown, "body over 64 KiB");
    // The client hung up instead of reading on: the server could not hand
    // over the whole body (memory stays bounded by the limit).
    let sent = switch.huge_sent.lock().unwrap().clone();
    assert!(!sent.is_empty(), "the server never finished an answer");
    assert!(sent.iter().all(|n| *n < HUGE), "whole body taken: {sent:?}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_named_and_recovers_when_fixed() {
    let tls = test_tls();
    let bad = Arc::new(AtomicBool::new(false));
    let (_, switch) = switchable(Misbehaviour::Healthy).await;
    let server = tls_switchable(&tls, bad.clone(), switch).await;
    let url = format!("https://127.0.0.1:{}/health", server.addr.port());
    let dns = TestDns::new(true);
    let mut run = start(spec(&url, TIMEOUT), &dns.net(Some(&tls.ca_pem)));
    let (on, off) = (bad.clone(), bad.clone());
    let (o, shown) = run
        .fault_and_recovery(
            move || on.store(true, Ordering::SeqCst),
            |f| matches!(f, ProbeFailure::Tls { .. }),
            move || off.store(false, Ordering::SeqCst),
        )
        .await;
    assert_eq!(shown, "TLS certificate not trusted");
    let detail = o.result.unwrap_err().to_string();
    assert!(detail.contains("UnknownIssuer"), "{detail}");
}

#[tokio::test]
async fn a_name_that_stops_resolving_is_named_and_recovers() {
    let (server, _switch) = switchable(Misbehaviour::Healthy).await;
    let url = format!("http://api.test:{}/health", server.addr.port());
    let dns = TestDns::new(true);
    let mut run = start(spec(&url, TIMEOUT), &dns.net(None));
    let (on, off) = (dns.clone(), dns.clone());
    let (o, shown) = run
        .fault_and_recovery(
            move || on.set_up(false),
            |f| matches!(f, ProbeFailure::Dns { .. }),
            move || off.set_up(true),
        )
        .await;
    assert_eq!(shown, "DNS lookup failed");
    let detail = o.result.unwrap_err().to_string();
    assert!(detail.contains("Name or service not known"), "{detail}");
    assert!(dns.lookups() >= 3, "the test resolver was not used");
}
