//! Scraping `/metrics` from real HTTP servers on loopback that misbehave on
//! purpose: each failure marks that one scrape failing with the reason, a
//! malformed line is reported with its number while the rest is used, and
//! two scrapes give rates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::misbehaving;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use opsboard::sources::metrics::digest::MetricsSpec;
use opsboard::sources::metrics::scrape::{ScrapeJob, scrape_once};

fn job(url: String, body_limit: usize) -> ScrapeJob {
    ScrapeJob {
        service: 0,
        url: url.parse().unwrap(),
        interval: Duration::from_secs(15),
        timeout: Duration::from_secs(2),
        spec: MetricsSpec::default(),
        body_limit,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().gzip(true).build().unwrap()
}

const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[tokio::test]
async fn two_scrapes_give_rates_and_a_bad_line_is_reported_not_fatal() {
    let n = Arc::new(AtomicU64::new(0));
    let seen = n.clone();
    let server = misbehaving::serve(move |mut c| {
        let k = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            let head = c.read_head().await.unwrap_or_default();
            assert!(
                head.to_ascii_lowercase()
                    .contains("accept: text/plain;version=0.0.4"),
                "{head}"
            );
            // 100 requests per scrape, 5 of them 500s; a broken line in
            // the middle.
            let ok = 95 * (k + 1);
            let err = 5 * (k + 1);
            let body = format!(
                "# TYPE http_requests_total counter\n\
                 http_requests_total{{status=\"200\"}} {ok}\n\
                 this line is broken {{\n\
                 http_requests_total{{status=\"500\"}} {err}\n"
            );
            let resp = misbehaving::response("200 OK", &[("Content-Type", TEXT)], body.as_bytes());
            let _ = c.write(&resp).await;
        }
    })
    .await;
    let j = job(server.url("/metrics"), 1 << 20);
    let c = client();
    let mut prev = None;
    let first = scrape_once(&j, &c, &mut prev).await;
    assert_eq!(first.error, None);
    assert!(
        first.warnings.iter().any(|w| w.starts_with("line 3:")),
        "{:?}",
        first.warnings
    );
    // Let the clock move so the rate has an interval.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = scrape_once(&j, &c, &mut prev).await;
    let p = second.points[0];
    assert!(p.req_rate > 50.0 && p.req_rate < 100.0, "{p:?}");
    assert!((p.error_ratio - 0.05).abs() < 1e-6, "{p:?}");
}

#[tokio::test]
async fn garbage_and_http_errors_fail_that_scrape_with_the_reason() {
    let html = misbehaving::fixed(
        "200 OK",
        &[("Content-Type", "text/html")],
        b"<html><body>Login required {</body></html>",
    )
    .await;
    let u = scrape_once(&job(html.url("/metrics"), 1 << 20), &client(), &mut None).await;
    let e = u.error.expect("garbage is an error");
    assert!(e.contains("not a metrics exposition"), "{e}");
    assert!(u.points.is_empty());

    let down = misbehaving::fixed("503 Service Unavailable", &[], b"busy").await;
    let u = scrape_once(&job(down.url("/metrics"), 1 << 20), &client(), &mut None).await;
    assert_eq!(u.error.as_deref(), Some("HTTP 503"));

    let port = misbehaving::closed_port().await;
    let u = scrape_once(
        &job(format!("http://127.0.0.1:{port}/metrics"), 1 << 20),
        &client(),
        &mut None,
    )
    .await;
    assert!(
        u.error.as_deref().is_some_and(|e| e.contains("refused")),
        "{:?}",
        u.error
    );
}

#[tokio::test]
async fn oversize_bodies_are_refused_and_gzip_is_accepted() {
    let big = vec![b'#'; 64 * 1024];
    let server = misbehaving::serve(move |mut c| {
        let big = big.clone();
        async move {
            c.answer("200 OK", &[("Content-Type", TEXT)], &big).await;
        }
    })
    .await;
    let u = scrape_once(
        &job(server.url("/metrics"), 16 * 1024),
        &client(),
        &mut None,
    )
    .await;
    assert!(
        u.error.as_deref().is_some_and(|e| e.contains("limit")),
        "{:?}",
        u.error
    );

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"process_resident_memory_bytes 1048576\n")
        .unwrap();
    let body = gz.finish().unwrap();
    let server = misbehaving::serve(move |mut c| {
        let body = body.clone();
        async move {
            let _ = c.read_head().await;
            let resp = misbehaving::response(
                "200 OK",
                &[("Content-Type", TEXT), ("Content-Encoding", "gzip")],
                &body,
            );
            let _ = c.write(&resp).await;
        }
    })
    .await;
    let u = scrape_once(&job(server.url("/metrics"), 1 << 20), &client(), &mut None).await;
    assert_eq!(u.error, None);
    assert_eq!(u.points[0].mem, 1_048_576.0);
}
