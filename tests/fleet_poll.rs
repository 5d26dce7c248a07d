//! Device fleet polling against real loopback servers: one HTTP server
//! standing in for hundreds of devices (healthy, failing, degraded,
//! hanging, garbage), counting its open connections; and a fake
//! Prometheus answering a fleet query. Only 127.0.0.1 is bound or dialled.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::misbehaving;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use misbehaving::{Conn, Server, hang, serve};
use opsboard::app::Msg;
use opsboard::clients::prometheus::{Auth, ServerSpec};
use opsboard::model::Health;
use opsboard::model::fleet::{DevicePoll, QueriedDevice};
use opsboard::model::fleet_spec::{DeviceSpec, EndpointFleet, FleetSpec, QueryFleet};
use opsboard::sources::fleet::{BATCH_MAX, DevicePoller, FleetPlan, FleetSource, poll_round};

/// How a fleet is polled, reaching a query fleet's Prometheus with a `ServerSpec`.
type Source = opsboard::model::fleet_spec::FleetSource<ServerSpec>;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What the device server saw.
#[derive(Default)]
struct Seen {
    /// Connections open now, the most at once, and accepted so far.
    open: AtomicUsize,
    max_open: AtomicUsize,
    accepted: AtomicUsize,
    /// Per answered request: host, when it was read, when its answer was
    /// about to be written.
    requests: Mutex<Vec<(String, Instant, Instant)>>,
}

/// One open connection; dropped when the connection's task ends.
struct Open(Arc<Seen>);

impl Seen {
    fn enter(self: &Arc<Self>) -> Open {
        let n = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_open.fetch_max(n, Ordering::SeqCst);
        self.accepted.fetch_add(1, Ordering::SeqCst);
        Open(self.clone())
    }

    fn get(n: &AtomicUsize) -> usize {
        n.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<(String, Instant, Instant)> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `/d/{host}/health`, keeping the connection open for the next
/// request unless the request says `Connection: close` (so the client's
/// pool decides what stays open), answering by the host's prefix after
/// `delay`:
/// `up-` healthy, `down-` 503 naming a failed check, `degr-` degraded,
/// `hang-` never, `garbage` unparsable JSON.
async fn device_server(seen: Arc<Seen>, delay: Duration) -> Server {
    serve(move |c| {
        // Counted from accept until the connection's task ends.
        let open = seen.enter();
        let seen = seen.clone();
        async move {
            let _open = open;
            answer_devices(c, &seen, delay).await;
        }
    })
    .await
}

async fn answer_devices(mut c: Conn<TcpStream>, seen: &Seen, delay: Duration) {
    while let Some(head) = c.read_head().await {
        let read = Instant::now();
        let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
        let host = path
            .strip_prefix("/d/")
            .and_then(|p| p.strip_suffix("/health"))
            .unwrap_or("")
            .to_string();
        tokio::time::sleep(delay).await;
        let (status, body): (&str, &[u8]) = match host.split('-').next().unwrap_or("") {
            "up" => ("200 OK", br#"{"status":"healthy"}"#),
            "down" => (
                "503 Service Unavailable",
                br#"{"status":"down","checks":{"disk":"down"}}"#,
            ),
            "degr" => (
                "200 OK",
                br#"{"status":"degraded","checks":{"gpu":{"status":"degraded"}}}"#,
            ),
            "hang" => {
                hang().await;
                return;
            }
            "garbage" => ("200 OK", br#"{"status": "#),
            _ => ("404 Not Found", b""),
        };
        let mut bytes = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        seen.requests
            .lock()
            .unwrap()
            .push((host, read, Instant::now()));
        if c.write(&bytes).await.is_err() || head.to_ascii_lowercase().contains("connection: close")
        {
            return;
        }
    }
}

fn endpoint_fleet(
    devices: Vec<DeviceSpec>,
    interval: Duration,
    timeout: Duration,
    concurrency: usize,
) -> EndpointFleet {
    EndpointFleet {
        devices,
        interval,
        timeout,
        concurrency,
        tls_verify: true,
    }
}

/// Devices whose URLs follow `http://127.0.0.1:PORT/d/{host}/health`.
fn devices_on(server: &Server, hosts: impl IntoIterator<Item = String>) -> Vec<DeviceSpec> {
    let labels: Arc<[(String, String)]> = Arc::from(vec![("rack".to_string(), "r1".to_string())]);
    hosts
        .into_iter()
        .map(|host| DeviceSpec {
            url: url::Url::parse(&server.url(&format!("/d/{host}/health"))).unwrap(),
            host,
            location: Some("lab".into()),
            labels: labels.clone(),
        })
        .collect()
}

/// One round; the batches as the sink got them.
async fn one_round(
    fleet: &EndpointFleet,
    spread: Duration,
) -> (DevicePoller, Vec<Vec<DevicePoll>>) {
    let poller = DevicePoller::new(fleet).unwrap();
    let mut batches = Vec::new();
    let open = poll_round(&poller, &fleet.devices, spread, |b| {
        batches.push(b);
        std::future::ready(true)
    })
    .await;
    assert!(open, "the sink never refused");
    (poller, batches)
}

fn plan(sources: Vec<Source>) -> FleetPlan {
    FleetPlan {
        fleets: sources
            .into_iter()
            .enumerate()
            .map(|(i, source)| FleetSpec {
                name: format!("fleet-{i}"),
                service: None,
                threshold: None,
                group_thresholds: BTreeMap::new(),
                source,
            })
            .collect(),
    }
}

/// Device polls from the channel until `n` have arrived (at most 20 s).
async fn collect_polls(rx: &mut mpsc::Receiver<Msg>, n: usize) -> Vec<DevicePoll> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while out.len() < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Msg::DevicePolls { results, .. })) => out.extend(results),
            Ok(Some(_)) => {}
            Ok(None) => panic!("channel closed after {} results", out.len()),
            Err(_) => panic!("only {} of {n} results in 20 s", out.len()),
        }
    }
    out
}

// (a) Every kind of device answer, one result each.

#[tokio::test]
async fn one_round_gives_one_result_per_device_with_its_status_and_reason() {
    let seen = Arc::new(Seen::default());
    let server = device_server(seen.clone(), Duration::ZERO).await;
    let hosts = (0..600).map(|i| match i {
        0 => "garbage".to_string(),
        i if i % 20 == 19 => format!("hang-{i}"),
        i if i % 10 == 6 || i % 10 == 7 => format!("down-{i}"),
        i if i % 10 == 8 => format!("degr-{i}"),
        i => format!("up-{i}"),
    });
    let fleet = endpoint_fleet(
        devices_on(&server, hosts),
        Duration::from_secs(30),
        Duration::from_secs(1),
        64,
    );
    let (_poller, batches) = one_round(&fleet, Duration::ZERO).await;

    assert!(batches.len() >= 2, "600 results cannot fit one batch");
    assert!(
        batches
            .iter()
            .all(|b| !b.is_empty() && b.len() <= BATCH_MAX)
    );
    let mut by_device: HashMap<u32, DevicePoll> = HashMap::new();
    for p in batches.into_iter().flatten() {
        let d = p.device;
        assert!(by_device.insert(d, p).is_none(), "device {d} twice");
    }
    assert_eq!(by_device.len(), 600);
    for (i, d) in fleet.devices.iter().enumerate() {
        let p = &by_device[&(i as u32)];
        let (status, reason) = match d.host.split('-').next().unwrap() {
            "up" => (Health::Up, None),
            "down" => (Health::Down, Some("HTTP 503 · disk down")),
            "degr" => (Health::Degraded, Some("gpu degraded")),
            "hang" => (Health::Down, Some("no answer in 1.0s")),
            _ => (Health::Down, Some("unparsable body")),
        };
        assert_eq!(
            (p.status, p.reason.as_deref()),
            (status, reason),
            "{}",
            d.host
        );
    }
}

// (b) Bounded sockets, with and without keep-alive reuse.

#[tokio::test]
async fn one_host_reuses_at_most_concurrency_connections() {
    let seen = Arc::new(Seen::default());
    let server = device_server(seen.clone(), Duration::from_millis(10)).await;
    let fleet = endpoint_fleet(
        devices_on(&server, (0..300).map(|i| format!("up-{i}"))),
        Duration::from_secs(30),
        Duration::from_secs(5),
        8,
    );
    let (poller, batches) = one_round(&fleet, Duration::ZERO).await;
    assert!(poller.reuses_connections());
    assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 300);
    assert_eq!(seen.requests().len(), 300);
    let accepted = Seen::get(&seen.accepted);
    assert!(
        accepted < 300,
        "connections were reused: {accepted} for 300"
    );
    let max = Seen::get(&seen.max_open);
    assert!(max <= 8, "{max} connections open at once");
    // Kept for the next round, but no more than the limit.
    assert!(Seen::get(&seen.open) <= 8);
}

#[tokio::test]
async fn many_hosts_open_one_connection_per_request_and_keep_none() {
    // 30 servers: 30 authorities for 8 requests in flight, so no reuse.
    let seen = Arc::new(Seen::default());
    let mut servers = Vec::new();
    let mut devices = Vec::new();
    for s in 0..30 {
        let server = device_server(seen.clone(), Duration::from_millis(10)).await;
        devices.extend(devices_on(&server, (0..10).map(|i| format!("up-{s}-{i}"))));
        servers.push(server);
    }
    let fleet = endpoint_fleet(devices, Duration::from_secs(30), Duration::from_secs(5), 8);
    let (poller, batches) = one_round(&fleet, Duration::ZERO).await;
    assert!(!poller.reuses_connections());
    assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 300);
    assert_eq!(Seen::get(&seen.accepted), 300);
    // Each request asks the device to close after answering, so a socket
    // is gone before the next request can start.
    let max = Seen::get(&seen.max_open);
    assert!(max <= 8, "{max} connections open at once");
    // Nothing is kept idle: every connection closes (the server notices
    // a moment later).
    let deadline = Instant::now() + Duration::from_secs(5);
    while Seen::get(&seen.open) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(Seen::get(&seen.open), 0, "idle connections kept open");
    drop(poller);
}

// (c) Pacing and rounds that never overlap.

#[tokio::test]
async fn a_round_spreads_its_requests_over_the_interval() {
    let seen = Arc::new(Seen::default());
    let server = device_server(seen.clone(), Duration::ZERO).await;
    let fleet = endpoint_fleet(
        devices_on(&server, (0..100).map(|i| format!("up-{i}"))),
        Duration::from_secs(2),
        Duration::from_secs(1),
        16,
    );
    let (tx, mut rx) = mpsc::channel(64);
    let source = FleetSource::spawn(&plan(vec![Source::Endpoints(fleet)]), 7, tx);
    let polls = collect_polls(&mut rx, 100).await;
    drop(source);
    let first = polls.iter().map(|p| p.at).min().unwrap();
    let last = polls.iter().map(|p| p.at).max().unwrap();
    let spread = last.duration_since(first).unwrap();
    // Device 99 starts 2 s × 0.8 × 99/100 ≈ 1.58 s after device 0.
    assert!(
        spread >= Duration::from_secs(1),
        "answers within {spread:?}"
    );
    assert!(polls.iter().all(|p| p.status == Health::Up));
}

#[tokio::test]
async fn a_slow_round_is_followed_by_the_next_without_overlap() {
    let seen = Arc::new(Seen::default());
    // 20 devices × 100 ms / 4 in flight ≥ 500 ms a round, for a 200 ms interval.
    let server = device_server(seen.clone(), Duration::from_millis(100)).await;
    let fleet = endpoint_fleet(
        devices_on(&server, (0..20).map(|i| format!("up-{i}"))),
        Duration::from_millis(200),
        Duration::from_secs(5),
        4,
    );
    let (tx, mut rx) = mpsc::channel(64);
    let source = FleetSource::spawn(&plan(vec![Source::Endpoints(fleet)]), 1, tx);
    let polls = collect_polls(&mut rx, 40).await;
    let requests = seen.requests();
    drop(source);

    let mut per_device: HashMap<u32, usize> = HashMap::new();
    for p in &polls[..40] {
        *per_device.entry(p.device).or_default() += 1;
    }
    assert_eq!(per_device.len(), 20);
    assert!(per_device.values().all(|&n| n == 2), "{per_device:?}");

    // Round of each request: how many earlier requests its device had.
    let mut count: HashMap<&str, usize> = HashMap::new();
    let (mut first_ends, mut second_reads) = (Vec::new(), Vec::new());
    for (host, read, answered) in &requests {
        let n = count.entry(host.as_str()).or_default();
        match *n {
            0 => first_ends.push(*answered),
            1 => second_reads.push(*read),
            _ => {}
        }
        *n += 1;
    }
    assert_eq!((first_ends.len(), second_reads.len()), (20, 20));
    let round_one_done = first_ends.iter().max().unwrap();
    let round_two_began = second_reads.iter().min().unwrap();
    assert!(
        round_two_began > round_one_done,
        "round 2 began before round 1 was answered"
    );
}

// (d) Query fleets against a fake Prometheus.

const VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[
 {"metric":{"__name__":"up","instance":"rpi-1:9100","location":"ams","job":"edge"},"value":[1700000000,"1"]},
 {"metric":{"instance":"rpi-2:9100","location":"fra"},"value":[1700000000,"0"]},
 {"metric":{"job":"edge","zone":"b"},"value":[1700000000,"NaN"]}]}}"#;

/// `/ok/` answers `up` with [`VECTOR`], `/fail/` with a 500, `/garbage/`
/// with HTML. Each query is counted.
async fn fake_prometheus(queries: Arc<AtomicUsize>) -> (String, tokio::task::JoinHandle<()>) {
    use axum::http::{StatusCode, header};
    use axum::routing::post;
    let app = axum::Router::new()
        .route(
            "/ok/api/v1/query",
            post(move |body: String| {
                queries.fetch_add(1, Ordering::SeqCst);
                async move {
                    if body.contains("query=up") {
                        (
                            StatusCode::OK,
                            [(header::CONTENT_TYPE, "application/json")],
                            VECTOR,
                        )
                    } else {
                        (
                            StatusCode::BAD_REQUEST,
                            [(header::CONTENT_TYPE, "text/plain")],
                            "no",
                        )
                    }
                }
            }),
        )
        .route(
            "/fail/api/v1/query",
            post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "query engine exploded") }),
        )
        .route(
            "/garbage/api/v1/query",
            post(|| async { "<html>not prometheus</html>" }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, handle)
}

fn query_fleet(url: &str, interval: Duration) -> Source {
    Source::Query(Box::new(QueryFleet {
        server: ServerSpec {
            name: "main".into(),
            url: url::Url::parse(url).unwrap(),
            auth: Auth::None,
            ca_pem: None,
            timeout: Duration::from_secs(5),
        },
        query: "up".into(),
        instance_label: "instance".into(),
        location_label: "location".into(),
        interval,
    }))
}

/// The next message of each of `fleets` (query or device polls).
async fn next_per_fleet(
    rx: &mut mpsc::Receiver<Msg>,
    fleets: usize,
) -> BTreeMap<usize, Result<Vec<QueriedDevice>, String>> {
    let mut out = BTreeMap::new();
    while out.len() < fleets {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(Msg::FleetQuery {
                fleet,
                generation,
                at,
                devices,
            })) => {
                assert_eq!(generation, 3);
                assert!(at <= SystemTime::now());
                out.insert(fleet, devices);
            }
            Ok(Some(Msg::DevicePolls { fleet, results, .. })) => {
                assert!(results.iter().all(|p| p.status == Health::Up));
                out.insert(fleet, Ok(Vec::new()));
            }
            Ok(Some(_)) => {}
            other => panic!("{} of {fleets} fleets answered: {other:?}", out.len()),
        }
    }
    out
}

#[tokio::test]
async fn query_fleets_list_devices_or_say_why_not_and_poll_now_reruns_them() {
    let queries = Arc::new(AtomicUsize::new(0));
    let (base, _prom) = fake_prometheus(queries.clone()).await;
    let seen = Arc::new(Seen::default());
    let server = device_server(seen.clone(), Duration::ZERO).await;
    let minute = Duration::from_secs(60);
    let plan = plan(vec![
        query_fleet(&format!("{base}/ok/"), minute),
        query_fleet(&format!("{base}/fail/"), minute),
        query_fleet(&format!("{base}/garbage/"), minute),
        query_fleet("ftp://127.0.0.1/", minute),
        Source::Endpoints(endpoint_fleet(
            devices_on(&server, ["up-1".to_string()]),
            minute,
            Duration::from_secs(1),
            4,
        )),
    ]);
    let (tx, mut rx) = mpsc::channel(64);
    let source = FleetSource::spawn(&plan, 3, tx);
    let first = next_per_fleet(&mut rx, 5).await;

    let devices = first[&0].as_ref().unwrap();
    assert_eq!(devices.len(), 3);
    assert_eq!(devices[0].name, "rpi-1:9100");
    assert_eq!(devices[0].location.as_deref(), Some("ams"));
    assert_eq!(
        devices[0].labels,
        vec![("job".to_string(), "edge".to_string())]
    );
    assert_eq!((devices[0].status, devices[0].value), (Health::Up, 1.0));
    assert_eq!(devices[1].name, "rpi-2:9100");
    assert_eq!((devices[1].status, devices[1].value), (Health::Down, 0.0));
    assert_eq!(devices[2].name, r#"{job="edge", zone="b"}"#);
    assert_eq!(devices[2].status, Health::Unknown);
    let fail = first[&1].as_ref().unwrap_err();
    assert!(
        fail.contains("HTTP 500") && fail.contains("exploded"),
        "{fail}"
    );
    let garbage = first[&2].as_ref().unwrap_err();
    assert!(garbage.contains("unexpected response"), "{garbage}");
    let settings = first[&3].as_ref().unwrap_err();
    assert!(settings.contains("ftp"), "{settings}");
    assert_eq!(queries.load(Ordering::SeqCst), 1);

    // A minute's interval: only "poll now" brings a second answer so soon.
    source.poll_now();
    let second = next_per_fleet(&mut rx, 4).await;
    assert_eq!(second.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 4]);
    assert_eq!(queries.load(Ordering::SeqCst), 2);
    assert_eq!(seen.requests().len(), 2);
    // The fleet whose settings cannot work said so once and stopped.
    drop(source);
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        assert!(
            !matches!(msg, Msg::FleetQuery { fleet: 3, .. }),
            "the broken fleet spoke again"
        );
    }
}
