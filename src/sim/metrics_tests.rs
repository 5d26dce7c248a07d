//! The simulated metrics as the board reads them: each exposition parsed,
//! digested and derived into points over 5 s windows, on a simulated clock.

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::model::metrics::{CustomValue, MetricPoint};
use crate::model::selector::Selector;
use crate::sim::DemoWorld;
use crate::sources::metrics::digest::{
    CustomFunction, CustomMetric, MetricsSpec, ScrapeDigest, derive, digest, histogram_quantile,
};
use crate::sources::metrics::exposition::Format;
use crate::sources::metrics::parse::parse;

/// The first replica of a demo service.
fn demo(service: &str) -> TrafficMeter {
    let (script, traffic) = DemoWorld::plan()
        .into_iter()
        .find(|(name, _, _)| *name == service)
        .and_then(|(_, _, replicas)| replicas.into_iter().next())
        .map(|(script, _, traffic)| (script, traffic))
        .unwrap_or_else(|| panic!("no demo service {service}"));
    TrafficMeter::new(traffic, script, 7)
}

fn spec() -> MetricsSpec {
    MetricsSpec {
        custom: vec![CustomMetric {
            label: "queue".into(),
            selector: Selector::new("ml_queue_depth"),
            function: CustomFunction::Gauge,
            unit: None,
        }],
        ..MetricsSpec::default()
    }
}

fn scrape_digest(meter: &mut TrafficMeter, t: Duration) -> ScrapeDigest {
    let text = meter.scrape(t);
    let exp = parse(&text, Format::Text);
    assert!(exp.errors.is_empty(), "{:?}\n{text}", exp.errors);
    digest(&exp, &spec(), UNIX_EPOCH + t)
}

/// The points the board derives scraping every 5 s for `minutes`.
fn board_points(meter: &mut TrafficMeter, minutes: u64) -> Vec<(MetricPoint, Vec<CustomValue>)> {
    let mut prev = scrape_digest(meter, Duration::ZERO);
    (1..=minutes * 12)
        .map(|i| {
            let cur = scrape_digest(meter, Duration::from_secs(5 * i));
            let point = derive(Some(&prev), &cur);
            prev = cur;
            point
        })
        .collect()
}

fn mean(values: impl Iterator<Item = f32>) -> f64 {
    let v: Vec<f64> = values.map(f64::from).collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn totals_do_not_depend_on_when_it_is_scraped() {
    let mut once = demo("api");
    once.advance(Duration::from_secs(300));
    let mut often = demo("api");
    let mut t = 0.0;
    while t < 300.0 {
        often.advance(Duration::from_secs_f64(t));
        t += 0.37;
    }
    often.advance(Duration::from_secs(300));
    assert!(once.requests_total().abs_diff(often.requests_total()) <= 1);
    assert!(once.requests_total() > 0);
    assert!((once.cpu_seconds - often.cpu_seconds).abs() < 1e-6);
    assert!((once.latency_sum - often.latency_sum).abs() < 1.0);
}

#[test]
fn counters_only_grow_and_the_histogram_is_consistent() {
    // The flapping replica: its mix of statuses changes every few seconds.
    let (script, _, traffic) = DemoWorld::plan()[0].2[1].clone();
    let mut meter = TrafficMeter::new(traffic, script, 3);
    let mut before: Vec<(String, f64)> = Vec::new();
    for step in 1..200u64 {
        let text = meter.scrape(Duration::from_millis(step * step * 7));
        let exp = parse(&text, Format::Text);
        assert!(exp.errors.is_empty(), "{:?}", exp.errors);
        let mut now: Vec<(String, f64)> = Vec::new();
        for name in [
            "http_requests_total",
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_sum",
            "http_request_duration_seconds_count",
            "process_cpu_seconds_total",
        ] {
            for s in exp.series(name) {
                now.push((format!("{name}{:?}", s.labels), s.value));
            }
        }
        if !before.is_empty() {
            assert_eq!(before.len(), now.len());
            for ((name, then), (_, value)) in before.iter().zip(&now) {
                assert!(value >= then, "{name} went from {then} to {value}");
            }
        }
        before = now;

        let buckets: Vec<f64> = exp
            .series("http_request_duration_seconds_bucket")
            .map(|s| s.value)
            .collect();
        assert_eq!(buckets.len(), BOUNDS.len() + 1);
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
        let count = exp.series("http_request_duration_seconds_count").next();
        assert_eq!(count.map(|s| s.value), buckets.last().copied());
        let requests: f64 = exp.series("http_requests_total").map(|s| s.value).sum();
        assert_eq!(Some(requests), buckets.last().copied());
    }
    assert!(meter.requests_total() > 10_000);
}

#[test]
fn healthy_services_show_their_profile() {
    // (service, requests/s, p95 bounds in seconds)
    for (service, rps, p95) in [
        ("web-client", 50.0, 0.04..0.12),
        ("api", 20.0, 0.06..0.2),
        ("nginx", 80.0, 0.1..0.25),
        ("prometheus", 10.0, 0.02..0.06),
    ] {
        let points = board_points(&mut demo(service), 10);
        for (p, _) in &points {
            let rate = f64::from(p.req_rate);
            assert!(
                (0.8 * rps - 0.2..=1.2 * rps + 0.2).contains(&rate),
                "{service}: {rate} req/s"
            );
            assert!(p95.contains(&f64::from(p.p95)), "{service}: p95 {}", p.p95);
            assert!(p.cpu > 0.0 && p.cpu < 0.7, "{service}: {} cores", p.cpu);
            assert!(f64::from(p.mem) < 0.8 * 512.0 * MIB);
        }
        let errors = mean(points.iter().map(|(p, _)| p.error_ratio));
        assert!(errors < 0.005, "{service}: {errors}");
        // A lone 500 may lift one window past 1 %, never 30 s of them
        // (the demo's hold for ErrorRateHigh).
        let ratios: Vec<f32> = points.iter().map(|(p, _)| p.error_ratio).collect();
        assert!(
            !ratios.windows(6).any(|w| w.iter().all(|r| *r >= 0.01)),
            "{service}: {ratios:?}"
        );
    }
}

#[test]
fn the_degraded_ml_service_fails_3_to_8_percent_slowly_with_a_backlog() {
    let points = board_points(&mut demo("ml-service"), 10);
    for (p, _) in &points {
        // Every 5 s window trips the 1 % warning.
        assert!(
            (0.01..0.15).contains(&p.error_ratio),
            "{} errors",
            p.error_ratio
        );
        assert!((1.5..3.0).contains(&p.p95), "p95 {}", p.p95);
    }
    let errors = mean(points.iter().map(|(p, _)| p.error_ratio));
    assert!((0.03..0.08).contains(&errors), "{errors}");
    let critical = points.iter().filter(|(p, _)| p.error_ratio >= 0.05);
    assert!(critical.count() > 10);

    let queue: Vec<f64> = points
        .iter()
        .map(|(_, custom)| custom[0].value.unwrap_or(f64::NAN))
        .collect();
    assert!(queue.iter().all(|q| (0.0..=150.0).contains(q)), "{queue:?}");
    // Above 100 for 20 s straight within the first two minutes, and back
    // down afterwards.
    let first = &queue[..24];
    assert!(
        first.windows(5).any(|w| w.iter().all(|q| *q > 100.0)),
        "{first:?}"
    );
    assert!(queue.iter().any(|q| *q < 50.0));
}

#[test]
fn the_down_worker_answers_503_to_everything() {
    let mut meter = demo("worker");
    // The outage covers the first 40 s.
    let first = scrape_digest(&mut meter, Duration::from_secs(5));
    let second = scrape_digest(&mut meter, Duration::from_secs(35));
    let (p, _) = derive(Some(&first), &second);
    assert_eq!(p.error_ratio, 1.0);
    assert!(p.req_rate > 5.0);
    assert!(p.p95 < 0.05, "{}", p.p95);
    // Healthy again after it.
    let third = scrape_digest(&mut meter, Duration::from_secs(100));
    let fourth = scrape_digest(&mut meter, Duration::from_secs(140));
    let (p, _) = derive(Some(&third), &fourth);
    assert!(p.error_ratio < 0.01);
}

#[test]
fn lifetime_buckets_give_the_intended_p95() {
    for (service, p95) in [("ml-service", 1.5..3.0), ("web-client", 0.02..0.2)] {
        let mut meter = demo(service);
        meter.advance(Duration::from_secs(600));
        let mut buckets: Vec<(f64, f64)> = BOUNDS
            .iter()
            .zip(meter.buckets)
            .map(|(le, n)| (*le, n.round()))
            .collect();
        buckets.push((f64::INFINITY, meter.requests_total() as f64));
        let q = histogram_quantile(0.95, &buckets);
        assert!(p95.contains(&q), "{service}: {q}");
    }
}

#[test]
fn normal_cdf_is_close() {
    for (z, phi) in [
        (0.0, 0.5),
        (1.0, 0.841_345),
        (-1.644_854, 0.05),
        (3.0, 0.998_65),
    ] {
        assert!((normal_cdf(z) - phi).abs() < 1e-5, "{z}");
    }
}
