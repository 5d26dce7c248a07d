//! A simulated service instance: `/health` (per its script) and `/metrics`
//! (Prometheus text) over real HTTP on a loopback port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::script::Script;

pub struct Instance {
    pub name: String,
    pub script: Script,
    pub version: String,
    pub seed: u64,
    pub started: Instant,
    requests: AtomicU64,
    /// Requests served per second in the simulated traffic (for /metrics).
    pub traffic_rps: f64,
}

pub struct RunningInstance {
    pub addr: SocketAddr,
    pub task: JoinHandle<()>,
}

impl Instance {
    pub fn new(name: &str, script: Script, version: &str, seed: u64, traffic_rps: f64) -> Instance {
        Instance {
            name: name.to_string(),
            script,
            version: version.to_string(),
            seed,
            started: Instant::now(),
            requests: AtomicU64::new(0),
            traffic_rps,
        }
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

/// Counters that grow with simulated traffic since start; the error share
/// rises while the script says the instance is failing.
async fn metrics(State(inst): State<Arc<Instance>>) -> impl IntoResponse {
    let t = inst.started.elapsed();
    let secs = t.as_secs_f64();
    let total = inst.traffic_rps * secs;
    let err_share = if inst.script.failing_at(t) {
        0.35
    } else {
        0.004
    };
    let errors = (total * err_share).floor();
    let ok = (total - errors).floor();
    let le = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
    let base = match &inst.script {
        Script::Slow { min, .. } => min.as_secs_f64(),
        _ => 0.02,
    };
    let mut out = String::with_capacity(2048);
    out.push_str(
        "# HELP http_requests_total Total HTTP requests.\n# TYPE http_requests_total counter\n",
    );
    out.push_str(&format!(
        "http_requests_total{{service=\"{}\",status=\"200\"}} {ok}\n",
        inst.name
    ));
    out.push_str(&format!(
        "http_requests_total{{service=\"{}\",status=\"503\"}} {errors}\n",
        inst.name
    ));
    out.push_str("# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n");
    for b in le {
        // A log-normal-ish share of requests under each bound.
        let share = (1.0 - (-(b / base)).exp()).clamp(0.0, 1.0);
        out.push_str(&format!(
            "http_request_duration_seconds_bucket{{le=\"{b}\"}} {}\n",
            (total * share).floor()
        ));
    }
    out.push_str(&format!(
        "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n",
        total.floor()
    ));
    out.push_str(&format!(
        "http_request_duration_seconds_sum {:.3}\n",
        total * base
    ));
    out.push_str(&format!(
        "http_request_duration_seconds_count {}\n",
        total.floor()
    ));
    out.push_str("# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\n");
    out.push_str(&format!(
        "process_resident_memory_bytes {}\n",
        80_000_000 + (inst.seed % 50) * 1_000_000
    ));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
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
