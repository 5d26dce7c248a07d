//! A load target for the performance scripts (`scripts/perf/`): serves
//! `GET /health/{n}` with a small healthy JSON body on 127.0.0.1 and prints
//! `PORT <port>` on stdout once it is listening.
//!
//! `GET /stats` returns `{"requests": total, "paths": distinct n seen,
//! "min": fewest hits on any of n = 1..=expect, "max": most hits}` so a script
//! can tell when every probe has been answered N times.
//!
//! ```text
//! cargo run --release --example loopback_health -- [--port 0] [--expect 1000]
//! ```
//!
//! Single-threaded on purpose: it takes at most one core of a small machine,
//! and its CPU time can be read apart from opsboard's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // an example may stop on a bad setup

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// Paths `/health/0` … `/health/{MAX_N - 1}` are counted one by one.
const MAX_N: usize = 100_000;

const BODY: &str =
    r#"{"status":"healthy","checks":{"database":"healthy","cache":"healthy"},"version":"1.4.2"}"#;

struct Counters {
    total: AtomicU64,
    per_path: Vec<AtomicU64>,
    expect: usize,
}

async fn health(Path(n): Path<usize>, State(c): State<Arc<Counters>>) -> impl IntoResponse {
    c.total.fetch_add(1, Ordering::Relaxed);
    if let Some(slot) = c.per_path.get(n) {
        slot.fetch_add(1, Ordering::Relaxed);
    }
    ([(header::CONTENT_TYPE, "application/json")], BODY)
}

async fn stats(State(c): State<Arc<Counters>>) -> impl IntoResponse {
    let counts: Vec<u64> = c
        .per_path
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .collect();
    let paths = counts.iter().filter(|&&n| n > 0).count();
    let expected = counts.get(1..=c.expect.min(MAX_N - 1)).unwrap_or(&[]);
    let min = expected.iter().copied().min().unwrap_or(0);
    let max = counts.iter().copied().max().unwrap_or(0);
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!(
            r#"{{"requests":{},"paths":{paths},"min":{min},"max":{max}}}"#,
            c.total.load(Ordering::Relaxed)
        ),
    )
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: loopback_health [--port PORT] [--expect N]");
        return Ok(());
    }
    let port: u16 = arg(&args, "--port")
        .map(|p| p.parse().expect("--port takes a number"))
        .unwrap_or(0);
    let expect: usize = arg(&args, "--expect")
        .map(|p| p.parse().expect("--expect takes a number"))
        .unwrap_or(1000);
    let counters = Arc::new(Counters {
        total: AtomicU64::new(0),
        per_path: (0..MAX_N).map(|_| AtomicU64::new(0)).collect(),
        expect,
    });
    let app = Router::new()
        .route("/health/{n}", get(health))
        .route("/stats", get(stats))
        .with_state(counters);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        // Scripts wait for this line.
        println!("PORT {}", addr.port());
        use std::io::Write;
        std::io::stdout().flush()?;
        axum::serve(listener, app).await
    })
}
