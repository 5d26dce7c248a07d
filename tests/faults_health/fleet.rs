//! Device fleets under each fault, through a running FleetSource: every
//! device UP, then the fault on every device (the reason each cell would
//! show), then every device UP again by itself. And a query fleet whose
//! Prometheus answers 503 and then goes away: the notice line says so in
//! words, and the fleet comes back within a backoff step, well before its
//! one-minute interval.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use opsboard::app::Msg;
use opsboard::app::fleet::FleetState;
use opsboard::clients::probe::ProbeNet;
use opsboard::clients::prometheus::{Auth, ServerSpec};
use opsboard::model::Health;
use opsboard::model::fleet::DevicePoll;
use opsboard::model::fleet_spec::{DeviceSpec, EndpointFleet, FleetSpec, QueryFleet};
use opsboard::sources::fleet::{FleetPlan, FleetSource};
use tokio::sync::mpsc;

use crate::misbehaving::{Misbehaviour, switchable, test_tls, tls_switchable};
use crate::{PATIENCE, TestDns};

/// How a fleet is polled, reaching a query fleet's Prometheus with a `ServerSpec`.
type Source = opsboard::model::fleet_spec::FleetSource<ServerSpec>;

const DEVICES: usize = 3;

fn plan(source: Source) -> FleetPlan {
    FleetPlan {
        fleets: vec![FleetSpec {
            name: "edge".into(),
            service: None,
            threshold: None,
            group_thresholds: BTreeMap::new(),
            source,
        }],
    }
}

/// Three devices at `url(i)`, polled every 300 ms with a 1 s timeout.
fn endpoints(url: impl Fn(usize) -> String) -> Source {
    let devices = (0..DEVICES)
        .map(|i| DeviceSpec {
            host: format!("dev-{i}"),
            location: None,
            labels: Arc::from(Vec::new()),
            url: url::Url::parse(&url(i)).unwrap(),
        })
        .collect();
    Source::Endpoints(EndpointFleet {
        devices,
        interval: Duration::from_millis(300),
        timeout: Duration::from_secs(1),
        concurrency: 4,
        tls_verify: true,
    })
}

/// The latest poll of every device, updated from the source's messages.
struct Fleet {
    rx: mpsc::Receiver<Msg>,
    _source: FleetSource,
    latest: HashMap<u32, DevicePoll>,
}

impl Fleet {
    fn start(source: Source, net: &ProbeNet) -> Fleet {
        let (tx, rx) = mpsc::channel(64);
        let source = FleetSource::spawn_with(&plan(source), 1, tx, net);
        Fleet {
            rx,
            _source: source,
            latest: HashMap::new(),
        }
    }

    /// Polls until every device's latest satisfies `want`.
    async fn until(&mut self, what: &str, want: impl Fn(&DevicePoll) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.latest.len() < DEVICES || !self.latest.values().all(&want) {
            let msg = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("not every device {what}: {:?}", self.latest))
                .expect("the source stopped");
            if let Msg::DevicePolls { results, .. } = msg {
                for p in results {
                    self.latest.insert(p.device, p);
                }
            }
        }
    }

    /// Every device UP; `on()`; every device down with `reason`; `off()`;
    /// every device UP again.
    async fn fault_and_recovery(&mut self, on: impl FnOnce(), reason: &str, off: impl FnOnce()) {
        self.until("UP", |p| p.status == Health::Up).await;
        on();
        self.until(&format!("down with {reason:?}"), |p| {
            p.status == Health::Down && p.reason.as_deref() == Some(reason)
        })
        .await;
        off();
        self.until("UP again", |p| p.status == Health::Up && p.reason.is_none())
            .await;
    }
}

async fn plain(fault: Misbehaviour, reason: &str) {
    let (server, switch) = switchable(Misbehaviour::Healthy).await;
    let mut fleet = Fleet::start(
        endpoints(|i| server.url(&format!("/d/{i}/health"))),
        &ProbeNet::default(),
    );
    let (on, off) = (switch.clone(), switch.clone());
    fleet
        .fault_and_recovery(
            move || on.set(fault),
            reason,
            move || off.set(Misbehaviour::Healthy),
        )
        .await;
}

#[tokio::test]
async fn fleet_hang() {
    plain(Misbehaviour::Hang, "no answer in 1.0s").await;
}

#[tokio::test]
async fn fleet_reset() {
    plain(Misbehaviour::Reset, "connection reset").await;
}

#[tokio::test]
async fn fleet_trickle() {
    plain(Misbehaviour::Trickle, "no answer in 1.0s").await;
}

#[tokio::test]
async fn fleet_garbage() {
    plain(Misbehaviour::NotHttp, "not an HTTP response").await;
    plain(Misbehaviour::GarbageBody, "unparsable body").await;
}

#[tokio::test]
async fn fleet_10_mb_body() {
    plain(Misbehaviour::Huge, "body over 64 KiB").await;
}

#[tokio::test]
async fn fleet_untrusted_certificate() {
    let tls = test_tls();
    let bad = Arc::new(AtomicBool::new(false));
    let (_, switch) = switchable(Misbehaviour::Healthy).await;
    let server = tls_switchable(&tls, bad.clone(), switch).await;
    let port = server.addr.port();
    let net = TestDns::new(true).net(Some(&tls.ca_pem));
    let mut fleet = Fleet::start(
        endpoints(|i| format!("https://127.0.0.1:{port}/d/{i}/health")),
        &net,
    );
    let (on, off) = (bad.clone(), bad.clone());
    fleet
        .fault_and_recovery(
            move || on.store(true, Ordering::SeqCst),
            "TLS certificate not trusted",
            move || off.store(false, Ordering::SeqCst),
        )
        .await;
}

#[tokio::test]
async fn fleet_dns_failure() {
    let (server, _switch) = switchable(Misbehaviour::Healthy).await;
    let port = server.addr.port();
    let dns = TestDns::new(true);
    let mut fleet = Fleet::start(
        endpoints(|i| format!("http://dev-{i}.test:{port}/health")),
        &dns.net(None),
    );
    let (on, off) = (dns.clone(), dns.clone());
    fleet
        .fault_and_recovery(
            move || on.set_up(false),
            "DNS lookup failed",
            move || off.set_up(true),
        )
        .await;
    assert!(
        dns.lookups() >= 2 * DEVICES,
        "the test resolver was not used"
    );
}

// A query fleet whose Prometheus fails, then comes back.

const VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"rpi-1:9100"},"value":[1700000000,"1"]}]}}"#;

/// A fake Prometheus on `addr` (or a fresh port): mode 0 answers the
/// query, 1 answers 503. Every answer closes its connection, so that
/// stopping the server refuses the next query (no kept-alive socket
/// outlives it).
async fn prometheus(
    addr: Option<std::net::SocketAddr>,
    mode: Arc<AtomicU8>,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use axum::http::{StatusCode, header};
    let app = axum::Router::new().route(
        "/api/v1/query",
        axum::routing::post(move || {
            let failing = mode.load(Ordering::SeqCst) == 1;
            async move {
                if failing {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [
                            (header::CONTENT_TYPE, "text/plain"),
                            (header::CONNECTION, "close"),
                        ],
                        "query engine overloaded",
                    )
                } else {
                    (
                        StatusCode::OK,
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::CONNECTION, "close"),
                        ],
                        VECTOR,
                    )
                }
            }
        }),
    );
    let bind = addr.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, handle)
}

/// Applies the source's messages to the board until `want` holds.
async fn board_until(
    rx: &mut mpsc::Receiver<Msg>,
    board: &mut FleetState,
    what: &str,
    want: impl Fn(&FleetState) -> bool,
) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !want(board) {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what}: {:?}", board.errors()))
            .expect("the source stopped");
        if let Msg::FleetQuery {
            fleet, at, devices, ..
        } = msg
        {
            board.apply_query(fleet, at, devices);
        }
    }
}

#[tokio::test]
async fn a_query_fleet_says_why_in_words_and_comes_back_by_itself() {
    let mode = Arc::new(AtomicU8::new(0));
    let (addr, server) = prometheus(None, mode.clone()).await;
    let source = Source::Query(Box::new(QueryFleet {
        server: ServerSpec {
            name: "main".into(),
            url: url::Url::parse(&format!("http://{addr}/")).unwrap(),
            auth: Auth::None,
            ca_pem: None,
            timeout: Duration::from_secs(2),
        },
        query: "up".into(),
        instance_label: "instance".into(),
        location_label: "location".into(),
        // Far longer than the test: every retry below is the backoff's.
        interval: Duration::from_secs(60),
    }));
    let plan = plan(source);
    let mut board = FleetState::from_plan(&plan);
    let (tx, mut rx) = mpsc::channel(64);
    let fleet = FleetSource::spawn_with(&plan, 1, tx, &ProbeNet::default());
    let answered = |b: &FleetState| b.fleets[0].devices.len() == 1 && b.errors().is_empty();
    board_until(&mut rx, &mut board, "first answer", answered).await;

    mode.store(1, Ordering::SeqCst);
    fleet.poll_now();
    board_until(&mut rx, &mut board, "503", |b| !b.errors().is_empty()).await;
    assert_eq!(board.errors(), ["fleet edge: HTTP 503"]);
    let fault = board.fleets[0].fault.clone().expect("the fault is kept");
    assert!(fault.raw.contains("query engine overloaded"), "{fault:?}");
    assert_eq!(board.fleets[0].error.as_deref(), Some("HTTP 503"));

    // Prometheus goes away: refused, still in words, still since the 503.
    server.abort();
    let _ = server.await;
    board_until(&mut rx, &mut board, "refusal", |b| {
        b.errors() == ["fleet edge: connection refused"]
    })
    .await;
    assert_eq!(board.fleets[0].fault.as_ref().unwrap().since, fault.since);

    // Back on the same address: the fleet recovers without a poke.
    mode.store(0, Ordering::SeqCst);
    let (_, _server) = prometheus(Some(addr), mode).await;
    board_until(&mut rx, &mut board, "recovery", answered).await;
    assert_eq!(board.fleets[0].error, None);
    assert_eq!(board.fleets[0].fault, None);
    assert_eq!(board.fleets[0].devices[0].status, Health::Up);
}
