//! `derive`: rates, ratios and quantiles between two digests.

use super::*;

#[test]
fn first_digest_has_no_rates_but_has_gauges() {
    let d = digest_of(
        vec![
            requests(&[("200", 10.0)]),
            family(
                "process_resident_memory_bytes",
                MetricKind::Gauge,
                vec![sample("process_resident_memory_bytes", &[], 1.5e9)],
            ),
            histogram(latency("/", &[("0.1", 1.0), ("+Inf", 1.0)])),
        ],
        0,
    );
    let (p, _) = derive(None, &d);
    assert_eq!(p.at_s, T0 as u32);
    assert!(p.req_rate.is_nan());
    assert!(p.error_ratio.is_nan());
    assert!(p.p50.is_nan() && p.p95.is_nan() && p.p99.is_nan());
    assert!(p.cpu.is_nan());
    assert_eq!(p.mem, 1.5e9);
}

#[test]
fn non_positive_interval_has_no_rates() {
    let a = digest_of(vec![requests(&[("200", 10.0)])], 10);
    let same = digest_of(vec![requests(&[("200", 20.0)])], 10);
    let earlier = digest_of(vec![requests(&[("200", 20.0)])], 5);
    assert!(derive(Some(&a), &same).0.req_rate.is_nan());
    assert!(derive(Some(&a), &earlier).0.req_rate.is_nan());
}

#[test]
fn rate_and_error_ratio_between_scrapes() {
    let prev = digest_of(vec![requests(&[("200", 95.0), ("500", 5.0)])], 0);
    let cur = digest_of(vec![requests(&[("200", 185.0), ("500", 15.0)])], 10);
    let (p, _) = derive(Some(&prev), &cur);
    assert_eq!(p.at_s, (T0 + 10) as u32);
    assert!(close32(p.req_rate, 10.0), "{}", p.req_rate);
    assert!(close32(p.error_ratio, 0.1), "{}", p.error_ratio);
}

#[test]
fn first_error_series_appearing_counts() {
    // `status="500"` does not exist until the first 500 is served.
    let prev = digest_of(vec![requests(&[("200", 100.0)])], 0);
    let cur = digest_of(vec![requests(&[("200", 150.0), ("500", 50.0)])], 10);
    let (p, _) = derive(Some(&prev), &cur);
    assert!(close32(p.error_ratio, 0.5), "{}", p.error_ratio);
}

#[test]
fn counter_reset_mid_window_counts_the_current_value() {
    let prev = digest_of(vec![requests(&[("200", 1000.0), ("500", 40.0)])], 0);
    let cur = digest_of(vec![requests(&[("200", 27.0), ("500", 3.0)])], 10);
    let (p, _) = derive(Some(&prev), &cur);
    assert!(close32(p.req_rate, 3.0), "{}", p.req_rate);
    assert!(close32(p.error_ratio, 0.1), "{}", p.error_ratio);
}

#[test]
fn no_traffic_means_zero_rate_and_unknown_ratio_and_quantiles() {
    let fams = || {
        vec![
            requests(&[("200", 50.0), ("500", 1.0)]),
            histogram(latency("/", &[("0.1", 40.0), ("1", 51.0), ("+Inf", 51.0)])),
        ]
    };
    let (p, _) = derive(Some(&digest_of(fams(), 0)), &digest_of(fams(), 15));
    assert_eq!(p.req_rate, 0.0);
    assert!(p.error_ratio.is_nan());
    assert!(p.p50.is_nan() && p.p95.is_nan() && p.p99.is_nan(), "{p:?}");
}

#[test]
fn absent_requests_give_unknown_rate_not_zero() {
    let (p, _) = derive(Some(&digest_of(vec![], 0)), &digest_of(vec![], 10));
    assert!(p.req_rate.is_nan());
    assert!(p.error_ratio.is_nan());
}

#[test]
fn quantiles_come_from_bucket_increases() {
    let base = [
        ("0.1", 100.0),
        ("0.5", 100.0),
        ("1", 100.0),
        ("+Inf", 100.0),
    ];
    let prev = digest_of(vec![histogram(latency("/", &base))], 0);
    // The window adds EXAMPLE's distribution: 10 ≤ 0.1, 10 ≤ 0.5, 10 ≤ 1.
    let now = [
        ("0.1", 110.0),
        ("0.5", 120.0),
        ("1", 130.0),
        ("+Inf", 130.0),
    ];
    let cur = digest_of(vec![histogram(latency("/", &now))], 15);
    let (p, _) = derive(Some(&prev), &cur);
    // From the cumulative counts p50 would be 0.1 * 65/110 ≈ 0.059.
    assert!(close32(p.p50, 0.3), "{}", p.p50);
    assert!(close32(p.p95, 0.925), "{}", p.p95);
    assert!(close32(p.p99, 0.985), "{}", p.p99);
}

#[test]
fn histogram_reset_uses_current_buckets() {
    let prev = digest_of(
        vec![histogram(latency(
            "/",
            &[
                ("0.1", 500.0),
                ("0.5", 900.0),
                ("1", 990.0),
                ("+Inf", 1000.0),
            ],
        ))],
        0,
    );
    let cur = digest_of(
        vec![histogram(latency(
            "/",
            &[("0.1", 10.0), ("0.5", 20.0), ("1", 30.0), ("+Inf", 30.0)],
        ))],
        15,
    );
    let (p, _) = derive(Some(&prev), &cur);
    assert!(close32(p.p50, 0.3), "{}", p.p50);
}

#[test]
fn summary_latency_takes_the_slowest_series() {
    let summary = |other: &'static str| {
        family(
            "http_request_duration_seconds",
            MetricKind::Summary,
            vec![
                sample(
                    "http_request_duration_seconds",
                    &[("handler", "/a"), ("quantile", "0.5")],
                    0.01,
                ),
                sample(
                    "http_request_duration_seconds",
                    &[("handler", "/a"), ("quantile", "0.95")],
                    0.2,
                ),
                sample(
                    "http_request_duration_seconds",
                    &[("handler", "/a"), ("quantile", "0.99")],
                    0.4,
                ),
                sample(
                    "http_request_duration_seconds",
                    &[("handler", other), ("quantile", "0.50")],
                    0.03,
                ),
                sample(
                    "http_request_duration_seconds",
                    &[("handler", other), ("quantile", "0.95")],
                    0.1,
                ),
                sample(
                    "http_request_duration_seconds",
                    &[("handler", other), ("quantile", "0.99")],
                    f64::NAN,
                ),
                sample(
                    "http_request_duration_seconds_sum",
                    &[("handler", "/a")],
                    99.0,
                ),
                sample(
                    "http_request_duration_seconds_count",
                    &[("handler", "/a")],
                    999.0,
                ),
            ],
        )
    };
    let d = digest_of(vec![summary("/b")], 0);
    assert!(d.latency_buckets.is_empty());
    assert_eq!(d.latency_summary, [Some(0.03), Some(0.2), Some(0.4)]);
    // Client-side quantiles need no previous scrape.
    let (p, _) = derive(None, &d);
    assert!(
        close32(p.p50, 0.03) && close32(p.p95, 0.2) && close32(p.p99, 0.4),
        "{p:?}"
    );
}

#[test]
fn cpu_counter_becomes_cores() {
    let cpu = |v: f64| {
        family(
            "process_cpu_seconds",
            MetricKind::Counter,
            vec![sample("process_cpu_seconds_total", &[], v)],
        )
    };
    let (p, _) = derive(
        Some(&digest_of(vec![cpu(10.0)], 0)),
        &digest_of(vec![cpu(16.0)], 4),
    );
    assert!(close32(p.cpu, 1.5), "{}", p.cpu);
}

fn custom_spec() -> MetricsSpec {
    let custom = |label: &str, selector: &str, function: CustomFunction| CustomMetric {
        label: label.into(),
        selector: sel(selector),
        function,
        unit: None,
    };
    MetricsSpec {
        custom: vec![
            custom("queue", "queue_depth", CustomFunction::Gauge),
            custom("jobs", "jobs_processed_total", CustomFunction::Rate),
            custom(
                "hit ratio",
                r#"cache_requests_total{result="hit"}"#,
                CustomFunction::Ratio {
                    denominator: sel("cache_requests_total"),
                },
            ),
            CustomMetric {
                unit: Some("s".into()),
                ..custom("db p90", "db_query_seconds", CustomFunction::Quantile(0.9))
            },
        ],
        ..MetricsSpec::default()
    }
}

fn custom_scrape(
    queue: f64,
    jobs: f64,
    hits: f64,
    misses: f64,
    db: &[(&'static str, f64)],
) -> Exposition<'static> {
    scrape(vec![
        family(
            "queue_depth",
            MetricKind::Gauge,
            vec![
                sample("queue_depth", &[("queue", "a")], queue),
                sample("queue_depth", &[("queue", "b")], 1.0),
            ],
        ),
        family(
            "jobs_processed",
            MetricKind::Counter,
            vec![sample("jobs_processed_total", &[], jobs)],
        ),
        family(
            "cache_requests",
            MetricKind::Counter,
            vec![
                sample("cache_requests_total", &[("result", "hit")], hits),
                sample("cache_requests_total", &[("result", "miss")], misses),
            ],
        ),
        family(
            "db_query_seconds",
            MetricKind::Histogram,
            db.iter()
                .map(|(le, v)| sample("db_query_seconds_bucket", &[("le", le)], *v))
                .collect(),
        ),
    ])
}

fn values(custom: &[CustomValue]) -> Vec<Option<f64>> {
    custom.iter().map(|c| c.value).collect()
}

#[test]
fn custom_metrics_gauge_rate_ratio_quantile() {
    let spec = custom_spec();
    let db0 = [("0.01", 0.0), ("0.1", 0.0), ("+Inf", 0.0)];
    let db1 = [("0.01", 50.0), ("0.1", 100.0), ("+Inf", 100.0)];
    let prev = digest(&custom_scrape(3.0, 100.0, 80.0, 20.0, &db0), &spec, at(0));
    let cur = digest(&custom_scrape(5.0, 160.0, 170.0, 30.0, &db1), &spec, at(30));
    assert_eq!(cur.custom.len(), 4);

    let (_, first) = derive(None, &prev);
    assert_eq!(values(&first), vec![Some(4.0), None, None, None]);

    let (_, c) = derive(Some(&prev), &cur);
    let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["queue", "jobs", "hit ratio", "db p90"]);
    assert_eq!(c[3].unit.as_deref(), Some("s"));
    let v = values(&c);
    assert_eq!(v[0], Some(6.0), "gauge sums label sets");
    assert!(v[1].is_some_and(|r| close(r, 2.0)), "60 jobs / 30 s: {v:?}");
    assert!(v[2].is_some_and(|r| close(r, 0.9)), "90 hits of 100: {v:?}");
    // rank 90 in (0.01, 0.1] holding 50: 0.01 + 0.09 * 40/50.
    assert!(v[3].is_some_and(|r| close(r, 0.082)), "{v:?}");
}

#[test]
fn custom_ratio_and_quantile_unknown_without_traffic() {
    let spec = custom_spec();
    let db = [("0.01", 5.0), ("+Inf", 5.0)];
    let prev = digest(&custom_scrape(0.0, 7.0, 8.0, 2.0, &db), &spec, at(0));
    let cur = digest(&custom_scrape(0.0, 7.0, 8.0, 2.0, &db), &spec, at(15));
    let v = values(&derive(Some(&prev), &cur).1);
    assert_eq!(v, vec![Some(1.0), Some(0.0), None, None]);
}

#[test]
fn custom_readings_are_not_paired_across_renames() {
    let spec = custom_spec();
    let db = [("0.01", 5.0), ("+Inf", 5.0)];
    let mut prev = digest(&custom_scrape(0.0, 7.0, 8.0, 2.0, &db), &spec, at(0));
    prev.custom[1].label = "renamed".into();
    let cur = digest(&custom_scrape(0.0, 10.0, 8.0, 2.0, &db), &spec, at(15));
    assert_eq!(derive(Some(&prev), &cur).1[1].value, None);
}

#[test]
fn custom_quantile_reads_a_summary_directly() {
    let spec = MetricsSpec {
        custom: vec![CustomMetric {
            label: "gc p75".into(),
            selector: Selector::new("go_gc_duration_seconds"),
            function: CustomFunction::Quantile(0.75),
            unit: None,
        }],
        ..MetricsSpec::default()
    };
    let exp = scrape(vec![family(
        "go_gc_duration_seconds",
        MetricKind::Summary,
        vec![
            sample("go_gc_duration_seconds", &[("quantile", "0.5")], 0.001),
            sample("go_gc_duration_seconds", &[("quantile", "0.75")], 0.002),
        ],
    )]);
    let (_, c) = derive(None, &digest(&exp, &spec, at(0)));
    assert_eq!(values(&c), vec![Some(0.002)]);
}

#[test]
fn metric_point_stays_small() {
    assert!(std::mem::size_of::<MetricPoint>() <= 32);
}
