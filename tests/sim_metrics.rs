//! The demo world's simulated services, scraped over real HTTP on loopback
//! the way the board scrapes them: through the URLs the demo config names.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::time::Duration;

use opsboard::sim::DemoWorld;
use opsboard::sim::http::Instance;
use opsboard::sim::metrics::BOUNDS;
use opsboard::sources::metrics::digest::histogram_quantile;
use opsboard::sources::metrics::exposition::{Exposition, Format};
use opsboard::sources::metrics::parse::parse;

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

async fn get(url: &str) -> (u16, String, String) {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, response.text().await.unwrap())
}

fn value(exp: &Exposition<'_>, series: &str) -> f64 {
    exp.series(series).map(|s| s.value).sum()
}

fn requests(exp: &Exposition<'_>, status: &str) -> f64 {
    exp.series("http_requests_total")
        .filter(|s| s.label("status") == Some(status))
        .map(|s| s.value)
        .sum()
}

/// `(le, cumulative count)`, in the order written.
fn buckets(exp: &Exposition<'_>) -> Vec<(f64, f64)> {
    exp.series("http_request_duration_seconds_bucket")
        .map(|s| {
            let le = s.label("le").unwrap_or_default();
            (le.parse().unwrap_or(f64::NAN), s.value)
        })
        .collect()
}

/// Cumulative buckets over the standard bounds, `_count` = `+Inf`.
fn assert_histogram_consistent(name: &str, exp: &Exposition<'_>) {
    let b = buckets(exp);
    let bounds: Vec<f64> = b.iter().map(|(le, _)| *le).collect();
    let mut expected = BOUNDS.to_vec();
    expected.push(f64::INFINITY);
    assert_eq!(bounds, expected, "{name}");
    assert!(b.windows(2).all(|w| w[0].1 <= w[1].1), "{name}: {b:?}");
    let inf = b.last().map(|(_, n)| *n);
    assert_eq!(
        Some(value(exp, "http_request_duration_seconds_count")),
        inf,
        "{name}"
    );
    assert_eq!(Some(value(exp, "http_requests_total")), inf, "{name}");
}

#[tokio::test]
async fn every_demo_service_serves_metrics_the_config_scrapes() {
    let world = DemoWorld::start().await.unwrap();
    let config = world.config();
    let scraped: Vec<(String, String)> = config
        .services
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.metrics.as_ref()?.url.0.to_string())))
        .collect();
    let names: Vec<&str> = scraped.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "web-client",
            "api",
            "ml-service",
            "nginx",
            "worker",
            "grafana",
            "prometheus"
        ]
    );

    let mut first = Vec::new();
    for (name, url) in &scraped {
        let (status, content_type, body) = get(url).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(content_type, CONTENT_TYPE, "{name}");
        first.push(body);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for ((name, url), before) in scraped.iter().zip(&first) {
        let (_, _, after) = get(url).await;
        let (then, now) = (parse(before, Format::Text), parse(&after, Format::Text));
        assert!(then.errors.is_empty(), "{name}: {:?}", then.errors);
        assert!(now.errors.is_empty(), "{name}: {:?}", now.errors);
        assert_histogram_consistent(name, &now);
        for counter in [
            "http_requests_total",
            "http_request_duration_seconds_count",
            "http_request_duration_seconds_sum",
            "process_cpu_seconds_total",
        ] {
            // Grafana's 1.5 req/s may not complete a request in a second.
            let grows = name != "grafana" || counter == "process_cpu_seconds_total";
            let (a, b) = (value(&then, counter), value(&now, counter));
            assert!(
                if grows { b > a } else { b >= a },
                "{name}: {counter} {a} → {b}"
            );
        }
        let memory = value(&now, "process_resident_memory_bytes");
        assert!(memory > 10e6 && memory < 512.0 * 1024.0 * 1024.0, "{name}");
        let queue = now.series("ml_queue_depth").next().map(|s| s.value);
        if name == "ml-service" {
            assert!(
                queue.is_some_and(|q| (0.0..=150.0).contains(&q)),
                "{queue:?}"
            );
        } else {
            assert_eq!(queue, None, "{name}");
        }
    }
}

/// The demo's replica of `service`, as if it had been up for `age`.
fn demo_instance(service: &str, age: Duration) -> Instance {
    let (script, version, traffic) = DemoWorld::plan()
        .into_iter()
        .find(|(name, _, _)| *name == service)
        .and_then(|(_, _, replicas)| replicas.into_iter().next())
        .unwrap();
    Instance::new(service, script, version, 11, traffic).started_ago(age)
}

#[tokio::test]
async fn the_degraded_ml_service_fails_3_to_8_percent_and_is_slow() {
    let running = demo_instance("ml-service", Duration::from_secs(600))
        .serve()
        .await
        .unwrap();
    let url = format!("http://{}/metrics", running.addr);
    let (_, _, body) = get(&url).await;
    let exp = parse(&body, Format::Text);
    assert!(exp.errors.is_empty(), "{:?}", exp.errors);
    assert_histogram_consistent("ml-service", &exp);

    let total = value(&exp, "http_requests_total");
    let server_errors = requests(&exp, "500") + requests(&exp, "503");
    assert!(total > 4000.0, "{total}");
    let share = server_errors / total;
    assert!((0.03..0.08).contains(&share), "{share}");
    let p95 = histogram_quantile(0.95, &buckets(&exp));
    assert!((1.5..3.0).contains(&p95), "p95 {p95}");

    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, _, later) = get(&url).await;
    let later = parse(&later, Format::Text);
    assert!(value(&later, "http_requests_total") > total);
    assert!(requests(&later, "500") >= requests(&exp, "500"));
    running.task.abort();
}

#[tokio::test]
async fn the_down_worker_answers_503_to_everything() {
    // The outage covers the worker's first 40 s.
    let running = demo_instance("worker", Duration::from_secs(5))
        .serve()
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let (status, _, _) = get(&format!("{base}/health")).await;
    assert_eq!(status, 503);
    let (_, _, before) = get(&format!("{base}/metrics")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, _, after) = get(&format!("{base}/metrics")).await;
    let (then, now) = (parse(&before, Format::Text), parse(&after, Format::Text));
    let served = value(&now, "http_requests_total") - value(&then, "http_requests_total");
    let failed = requests(&now, "503") - requests(&then, "503");
    assert!(served >= 4.0, "{served}");
    assert_eq!(failed, served);
    assert_eq!(requests(&now, "200"), 0.0);
    running.task.abort();
}
