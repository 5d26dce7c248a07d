//! A simulated device fleet: edge devices across locations, each answering
//! `GET /d/{host}/health` on one loopback HTTP server. Behaviour is
//! deterministic from the plan's seed, so the demo replays.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::http::RunningInstance;
use super::script::jitter;
use crate::config::schema_fleet::{FleetConfig, FleetGroupConfig};

/// Every device of every location, and the seed their behaviour follows.
#[derive(Debug, Clone)]
pub struct DevicePlan {
    pub locations: Vec<LocationPlan>,
    pub seed: u64,
}

#[derive(Debug, Clone)]
pub struct LocationPlan {
    /// e.g. `ams-1`.
    pub location: String,
    /// Host name prefix, e.g. `edge-ams-`; hosts are `edge-ams-001` ….
    pub prefix: String,
    pub count: usize,
    /// The `region` label's value.
    pub region: String,
    pub uplink: Uplink,
}

/// A location's link to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uplink {
    Steady,
    /// Up until `first_loss_after`, then the whole location is unreachable
    /// for `down`, back for `up`, and so on.
    Flaky {
        up: Duration,
        down: Duration,
        first_loss_after: Duration,
    },
}

impl Uplink {
    /// How long the uplink stays down from `t` since start (`None`: it is up).
    fn down_for(&self, t: Duration) -> Option<Duration> {
        let Uplink::Flaky {
            up,
            down,
            first_loss_after,
        } = *self
        else {
            return None;
        };
        let since = t.checked_sub(first_loss_after)?;
        let cycle = (up + down).as_millis().max(1);
        let into = Duration::from_millis((since.as_millis() % cycle) as u64);
        down.checked_sub(into).filter(|left| !left.is_zero())
    }
}

/// What one device answers, apart from its location's uplink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Healthy,
    Degraded,
    /// HTTP 503 for good.
    Down,
    /// Healthy and down in turns of [`FLAP_WINDOW`], starting `offset` in.
    Flapping {
        offset: Duration,
    },
}

const FLAP_WINDOW: Duration = Duration::from_secs(20);

const HEALTHY: &str = r#"{"status":"healthy","checks":{"uplink":"healthy"}}"#;
const DEGRADED: &str = r#"{"status":"degraded","checks":{"sensor":"degraded"}}"#;
const UNHEALTHY: &str = r#"{"status":"unhealthy","checks":{"disk":"unhealthy"}}"#;

impl Behaviour {
    /// ~1 % down, ~2 % degraded, ~3 % flapping, the rest healthy.
    fn of(seed: u64, index: u64) -> Behaviour {
        let roll = jitter(seed, index);
        if roll < 0.01 {
            Behaviour::Down
        } else if roll < 0.03 {
            Behaviour::Degraded
        } else if roll < 0.06 {
            let phase = jitter(seed ^ 0xF1A9, index);
            Behaviour::Flapping {
                offset: (2 * FLAP_WINDOW).mul_f64(phase),
            }
        } else {
            Behaviour::Healthy
        }
    }

    fn answer(self, t: Duration) -> (StatusCode, &'static str) {
        match self {
            Behaviour::Healthy => (StatusCode::OK, HEALTHY),
            Behaviour::Degraded => (StatusCode::OK, DEGRADED),
            Behaviour::Down => (StatusCode::SERVICE_UNAVAILABLE, UNHEALTHY),
            Behaviour::Flapping { offset } => {
                let window = (t + offset).as_millis() / FLAP_WINDOW.as_millis();
                if window % 2 == 1 {
                    (StatusCode::SERVICE_UNAVAILABLE, UNHEALTHY)
                } else {
                    (StatusCode::OK, HEALTHY)
                }
            }
        }
    }
}

impl DevicePlan {
    /// ~300 devices in 6 locations; sin-1 loses its uplink 20 s in, then
    /// is down 90 s of every 150 s.
    pub fn demo() -> DevicePlan {
        let loc = |location: &str, city: &str, count, region: &str, uplink| LocationPlan {
            location: location.into(),
            prefix: format!("edge-{city}-"),
            count,
            region: region.into(),
            uplink,
        };
        let flaky = Uplink::Flaky {
            up: Duration::from_secs(60),
            down: Duration::from_secs(90),
            first_loss_after: Duration::from_secs(20),
        };
        DevicePlan {
            locations: vec![
                loc("ams-1", "ams", 52, "eu", Uplink::Steady),
                loc("fra-1", "fra", 48, "eu", Uplink::Steady),
                loc("lon-1", "lon", 45, "eu", Uplink::Steady),
                loc("nyc-1", "nyc", 60, "us", Uplink::Steady),
                loc("sfo-1", "sfo", 55, "us", Uplink::Steady),
                loc("sin-1", "sin", 40, "ap", flaky),
            ],
            seed: 7,
        }
    }

    /// `devices` spread evenly over `locations` (`loc-01` …, hosts
    /// `dev-loc01-001` …), every uplink steady. For load tests.
    pub fn uniform(devices: usize, locations: usize, seed: u64) -> DevicePlan {
        let locations = locations.clamp(1, devices.max(1));
        let width = digits(locations).max(2);
        let regions = ["eu", "us", "ap"];
        DevicePlan {
            locations: (0..locations)
                .map(|i| LocationPlan {
                    location: format!("loc-{:0width$}", i + 1),
                    prefix: format!("dev-loc{:0width$}-", i + 1),
                    count: devices / locations + usize::from(i < devices % locations),
                    region: regions[i % regions.len()].into(),
                    uplink: Uplink::Steady,
                })
                .collect(),
            seed,
        }
    }

    /// `(location, host)` for every device, in plan order.
    pub fn hosts(&self) -> impl Iterator<Item = (&str, String)> {
        self.locations.iter().flat_map(|l| {
            let width = host_width(l.count);
            (1..=l.count).map(move |n| (l.location.as_str(), format!("{}{n:0width$}", l.prefix)))
        })
    }
}

impl LocationPlan {
    /// `edge-ams-{001..052}`: expands to exactly this location's hosts.
    fn host_pattern(&self) -> String {
        let width = host_width(self.count);
        format!("{}{{{:0width$}..{:0width$}}}", self.prefix, 1, self.count)
    }
}

fn digits(n: usize) -> usize {
    n.max(1).ilog10() as usize + 1
}

fn host_width(count: usize) -> usize {
    digits(count).max(3)
}

/// The health endpoint template for a fleet served at `addr`.
pub fn url_template(addr: SocketAddr) -> String {
    format!("http://{addr}/d/{{host}}/health")
}

/// One group per location, polled every 10 s with a 2 s timeout.
pub fn fleet_config(plan: &DevicePlan, addr: SocketAddr, name: &str) -> FleetConfig {
    FleetConfig {
        name: name.into(),
        url: Some(url_template(addr)),
        hosts: vec![],
        groups: plan
            .locations
            .iter()
            .filter(|l| l.count > 0)
            .map(|l| FleetGroupConfig {
                location: l.location.clone(),
                hosts: vec![l.host_pattern()],
                labels: BTreeMap::from([("region".to_string(), l.region.clone())]),
                offline_threshold: None,
            })
            .collect(),
        prometheus: None,
        query: None,
        instance_label: None,
        location_label: None,
        interval: Some(Duration::from_secs(10)),
        timeout: Some(Duration::from_secs(2)),
        concurrency: None,
        offline_threshold: None,
        environment: None,
        service: None,
        tls_verify: true,
    }
}

/// An opsboard config file that watches only this fleet (Docker and
/// Kubernetes off), for load tests of the real binary.
pub fn fleet_toml(
    plan: &DevicePlan,
    addr: SocketAddr,
    name: &str,
    interval_s: u64,
    timeout_s: u64,
) -> String {
    let q = |s: &str| toml::Value::String(s.into()).to_string();
    let mut out = format!(
        "[docker]\ndisabled = true\n\n[kubernetes]\ndisabled = true\n\n\
         [[fleet]]\nname = {}\nurl = {}\ninterval = \"{interval_s}s\"\ntimeout = \"{timeout_s}s\"\n",
        q(name),
        q(&url_template(addr)),
    );
    for l in plan.locations.iter().filter(|l| l.count > 0) {
        out.push_str(&format!(
            "\n[[fleet.groups]]\nlocation = {}\nhosts = [{}]\nlabels = {{ region = {} }}\n",
            q(&l.location),
            q(&l.host_pattern()),
            q(&l.region),
        ));
    }
    out
}

struct DeviceInfo {
    location: usize,
    behaviour: Behaviour,
}

struct Fleet {
    devices: HashMap<String, DeviceInfo>,
    uplinks: Vec<Uplink>,
    started: Instant,
}

/// Binds 127.0.0.1 on an ephemeral port and serves every device of `plan`
/// until the task is aborted.
pub async fn serve(plan: DevicePlan) -> std::io::Result<RunningInstance> {
    let mut devices = HashMap::new();
    for (i, l) in plan.locations.iter().enumerate() {
        let width = host_width(l.count);
        for n in 1..=l.count {
            let index = devices.len() as u64;
            let info = DeviceInfo {
                location: i,
                behaviour: Behaviour::of(plan.seed, index),
            };
            devices.insert(format!("{}{n:0width$}", l.prefix), info);
        }
    }
    let fleet = Fleet {
        devices,
        uplinks: plan.locations.iter().map(|l| l.uplink).collect(),
        started: Instant::now(),
    };
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/d/{host}/health", get(device_health))
        .with_state(Arc::new(fleet));
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!("simulated device fleet stopped: {e}");
        }
    });
    Ok(RunningInstance { addr, task })
}

async fn device_health(Path(host): Path<String>, State(fleet): State<Arc<Fleet>>) -> Response {
    let Some(device) = fleet.devices.get(&host) else {
        return (StatusCode::NOT_FOUND, "no such device\n").into_response();
    };
    let t = fleet.started.elapsed();
    let uplink = fleet.uplinks.get(device.location).copied();
    if let Some(left) = uplink.and_then(|u| u.down_for(t)) {
        // Unreachable: the client's timeout fires. Bounded by the outage so
        // sockets of clients that gave up are not held for long.
        tokio::time::sleep(left).await;
    }
    let (status, body) = device.behaviour.answer(fleet.started.elapsed());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schema_fleet::{MAX_DEVICES, expand_hosts};

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn behaviours(plan: &DevicePlan) -> Vec<Behaviour> {
        (0..plan.hosts().count() as u64)
            .map(|i| Behaviour::of(plan.seed, i))
            .collect()
    }

    #[test]
    fn plans_name_hosts_zero_padded() {
        let demo = DevicePlan::demo();
        let hosts: Vec<_> = demo.hosts().collect();
        assert_eq!(hosts.len(), 300);
        assert_eq!(hosts[0], ("ams-1", "edge-ams-001".to_string()));
        assert_eq!(hosts[299], ("sin-1", "edge-sin-040".to_string()));
        let uniform = DevicePlan::uniform(10_000, 20, 1);
        assert_eq!(uniform.locations.len(), 20);
        assert!(uniform.locations.iter().all(|l| l.count == 500));
        assert_eq!(uniform.locations[19].location, "loc-20");
        let last = uniform.hosts().last().map(|(_, h)| h);
        assert_eq!(last.as_deref(), Some("dev-loc20-500"));
        let big = DevicePlan::uniform(2_001, 2, 1);
        assert_eq!(big.locations[0].count, 1_001);
        assert_eq!(
            big.hosts().next().map(|(_, h)| h).as_deref(),
            Some("dev-loc01-0001")
        );
    }

    #[test]
    fn group_patterns_expand_to_the_plans_hosts() {
        let addr: SocketAddr = ([127, 0, 0, 1], 9).into();
        for plan in [DevicePlan::demo(), DevicePlan::uniform(2_001, 3, 1)] {
            let fleet = fleet_config(&plan, addr, "edge");
            assert_eq!(fleet.groups.len(), plan.locations.len());
            for (group, l) in fleet.groups.iter().zip(&plan.locations) {
                let expanded = expand_hosts(&group.hosts[0], MAX_DEVICES).unwrap();
                let planned: Vec<String> = plan
                    .hosts()
                    .filter(|(loc, _)| *loc == l.location)
                    .map(|(_, h)| h)
                    .collect();
                assert_eq!(expanded, planned, "{}", group.hosts[0]);
                assert_eq!(group.labels["region"], l.region);
            }
        }
        assert_eq!(url_template(addr), "http://127.0.0.1:9/d/{host}/health");
    }

    #[test]
    fn behaviour_shares_are_roughly_as_planned() {
        let all = behaviours(&DevicePlan::uniform(10_000, 20, 3));
        let share = |f: fn(&Behaviour) -> bool| all.iter().filter(|b| f(b)).count() as f64 / 1e4;
        let flapping = share(|b| matches!(b, Behaviour::Flapping { .. }));
        let down = share(|b| *b == Behaviour::Down);
        let degraded = share(|b| *b == Behaviour::Degraded);
        assert!((0.01..0.06).contains(&flapping), "flapping {flapping}");
        assert!((0.003..0.02).contains(&down), "down {down}");
        assert!((0.01..0.04).contains(&degraded), "degraded {degraded}");
        // Flapping devices are out of step with each other.
        let failing_now = all
            .iter()
            .filter(|b| matches!(b, Behaviour::Flapping { .. }))
            .filter(|b| b.answer(S(5)).0 != StatusCode::OK)
            .count() as f64;
        assert!((0.2..0.8).contains(&(failing_now / (flapping * 1e4))));
    }

    #[test]
    fn flaky_uplinks_cycle_after_the_first_loss() {
        let u = DevicePlan::demo().locations[5].uplink;
        assert_eq!(u.down_for(S(10)), None);
        assert_eq!(u.down_for(S(20)), Some(S(90)));
        assert_eq!(u.down_for(S(109)), Some(S(1)));
        assert_eq!(u.down_for(S(110)), None);
        assert_eq!(u.down_for(S(170)), Some(S(90)));
        assert_eq!(Uplink::Steady.down_for(S(20)), None);
    }

    #[test]
    fn fleet_toml_parses_as_a_config() {
        let plan = DevicePlan::uniform(10_000, 20, 1);
        let addr: SocketAddr = ([127, 0, 0, 1], 4000).into();
        let text = fleet_toml(&plan, addr, "perf", 30, 5);
        let config: crate::config::Config = toml::from_str(&text).unwrap();
        assert!(config.docker.disabled && config.kubernetes.disabled);
        let [fleet] = config.fleet.as_slice() else {
            panic!("one fleet expected: {text}");
        };
        assert_eq!(fleet.name, "perf");
        assert_eq!(
            fleet.url.as_deref(),
            Some("http://127.0.0.1:4000/d/{host}/health")
        );
        assert_eq!((fleet.interval(), fleet.timeout()), (S(30), S(5)));
        assert_eq!(fleet.groups.len(), 20);
        assert_eq!(fleet.groups[0].location, "loc-01");
        assert_eq!(fleet.groups[0].hosts, ["dev-loc01-{001..500}"]);
        assert_eq!(fleet.groups[1].labels["region"], "us");
    }

    fn client(timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder().timeout(timeout).build().unwrap()
    }

    #[tokio::test]
    async fn devices_answer_over_http() {
        let plan = DevicePlan::demo();
        let kinds = behaviours(&plan);
        let host_of = |want: Behaviour| {
            plan.hosts()
                .zip(&kinds)
                .find(|((loc, _), b)| **b == want && *loc != "sin-1")
                .map(|((_, h), _)| h)
                .unwrap()
        };
        let (healthy, down) = (host_of(Behaviour::Healthy), host_of(Behaviour::Down));
        let running = serve(plan.clone()).await.unwrap();
        let url = |host: &str| url_template(running.addr).replace("{host}", host);
        let http = client(S(5));

        let ok = http.get(url(&healthy)).send().await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.headers()["content-type"], "application/json");
        assert_eq!(ok.text().await.unwrap(), HEALTHY);
        let bad = http.get(url(&down)).send().await.unwrap();
        assert_eq!(bad.status(), 503);
        assert_eq!(bad.text().await.unwrap(), UNHEALTHY);
        let missing = http.get(url("edge-zzz-001")).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        running.task.abort();
    }

    #[tokio::test]
    async fn devices_behind_a_lost_uplink_time_out() {
        let mut plan = DevicePlan::uniform(4, 2, 1);
        plan.locations[1].uplink = Uplink::Flaky {
            up: S(1),
            down: S(3600),
            first_loss_after: Duration::ZERO,
        };
        let running = serve(plan).await.unwrap();
        let url = |host: &str| url_template(running.addr).replace("{host}", host);
        let http = client(Duration::from_millis(300));
        let reachable = http.get(url("dev-loc01-001")).send().await.unwrap();
        assert!(reachable.status() == 200 || reachable.status() == 503);
        let err = http.get(url("dev-loc02-001")).send().await.unwrap_err();
        assert!(err.is_timeout(), "{err}");
        running.task.abort();
    }
}
