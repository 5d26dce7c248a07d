//! A simulated service instance: `/health` (per its script) and `/metrics`
//! (Prometheus text) over real HTTP on a loopback port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::metrics::{CONTENT_TYPE, Traffic, TrafficMeter};
use super::script::Script;

pub struct Instance {
    pub name: String,
    pub script: Script,
    pub version: String,
    pub seed: u64,
    pub started: Instant,
    requests: AtomicU64,
    /// The simulated traffic's totals, for /metrics.
    meter: Mutex<TrafficMeter>,
}

pub struct RunningInstance {
    pub addr: SocketAddr,
    pub task: JoinHandle<()>,
}

impl Instance {
    pub fn new(name: &str, script: Script, version: &str, seed: u64, traffic: Traffic) -> Instance {
        Instance {
            name: name.to_string(),
            meter: Mutex::new(TrafficMeter::new(traffic, script.clone(), seed)),
            script,
            version: version.to_string(),
            seed,
            started: Instant::now(),
            requests: AtomicU64::new(0),
        }
    }

    /// As if the instance had been running for `age` already (tests use
    /// it to see minutes of traffic at once).
    pub fn started_ago(mut self, age: Duration) -> Instance {
        self.started = Instant::now().checked_sub(age).unwrap_or(self.started);
        self
    }

    /// Errors follow `release` (see [`super::metrics::BadRelease`]).
    pub fn with_release(self, release: super::metrics::BadRelease) -> Instance {
        let meter = self.meter().clone().with_release(release);
        Instance {
            meter: Mutex::new(meter),
            ..self
        }
    }

    fn meter(&self) -> MutexGuard<'_, TrafficMeter> {
        self.meter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds 127.0.0.1 on an ephemeral port and serves until the task is
    /// aborted.
    pub async fn serve(self) -> std::io::Result<RunningInstance> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/health", get(health))
            .route("/metrics", get(metrics))
            .with_state(Arc::new(self));
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!("simulated service stopped: {e}");
            }
        });
        Ok(RunningInstance { addr, task })
    }
}

async fn health(State(inst): State<Arc<Instance>>) -> impl IntoResponse {
    let n = inst.requests.fetch_add(1, Ordering::Relaxed);
    let a = inst
        .script
        .answer(inst.started.elapsed(), n, inst.seed, &inst.version);
    tokio::time::sleep(a.delay).await;
    (
        StatusCode::from_u16(a.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        a.body,
    )
}

/// The instance's traffic so far, in Prometheus text. A down instance
/// still answers: its process is up and failing every request with 503.
async fn metrics(State(inst): State<Arc<Instance>>) -> impl IntoResponse {
    let body = inst.meter().scrape(inst.started.elapsed());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body)
}

/// A TCP endpoint that accepts connections (for `tcp://` probes), like a
/// Redis or PostgreSQL port.
pub async fn serve_tcp(greeting: &'static [u8]) -> std::io::Result<RunningInstance> {
    use tokio::io::AsyncWriteExt;
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((mut sock, _)) => {
                    tokio::spawn(async move {
                        let _ = sock.write_all(greeting).await;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    });
                }
                Err(e) => {
                    tracing::warn!("simulated tcp endpoint: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    Ok(RunningInstance { addr, task })
}
