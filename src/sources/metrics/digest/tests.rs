//! Scrapes are built by hand so these tests do not depend on the parser.
//! `derive` tests live in `tests/derive.rs`.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::sources::metrics::exposition::Label;

const INF: f64 = f64::INFINITY;
const T0: u64 = 1_700_000_000;

fn sample(
    name: &'static str,
    labels: &[(&'static str, &'static str)],
    value: f64,
) -> Sample<'static> {
    Sample {
        name,
        labels: labels
            .iter()
            .map(|(name, value)| Label {
                name,
                value: Cow::Borrowed(value),
            })
            .collect(),
        value,
        timestamp_ms: None,
        exemplar: None,
    }
}

fn family(name: &'static str, kind: MetricKind, samples: Vec<Sample<'static>>) -> Family<'static> {
    Family {
        name,
        kind,
        help: None,
        unit: None,
        samples,
    }
}

fn scrape(families: Vec<Family<'static>>) -> Exposition<'static> {
    Exposition {
        families,
        errors: Vec::new(),
        eof: false,
    }
}

fn at(secs_after_t0: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0 + secs_after_t0)
}

fn requests(samples: &[(&'static str, f64)]) -> Family<'static> {
    family(
        "http_requests",
        MetricKind::Counter,
        samples
            .iter()
            .map(|(status, v)| sample("http_requests_total", &[("status", status)], *v))
            .collect(),
    )
}

/// Cumulative buckets of `http_request_duration_seconds` for one label set.
fn latency(handler: &'static str, buckets: &[(&'static str, f64)]) -> Vec<Sample<'static>> {
    buckets
        .iter()
        .map(|(le, v)| {
            sample(
                "http_request_duration_seconds_bucket",
                &[("handler", handler), ("le", le)],
                *v,
            )
        })
        .collect()
}

fn histogram(samples: Vec<Sample<'static>>) -> Family<'static> {
    family(
        "http_request_duration_seconds",
        MetricKind::Histogram,
        samples,
    )
}

fn digest_of(families: Vec<Family<'static>>, secs: u64) -> ScrapeDigest {
    digest(&scrape(families), &MetricsSpec::default(), at(secs))
}

fn sel(s: &str) -> Selector {
    match s.parse() {
        Ok(sel) => sel,
        Err(e) => panic!("{e}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn close32(a: f32, b: f32) -> bool {
    (a - b).abs() < 1e-4
}

mod derive;

#[test]
fn absent_family_is_none_and_zero_is_zero() {
    let absent = digest_of(vec![], 0);
    assert_eq!(absent.requests, None);
    assert_eq!(absent.errors, None);
    assert_eq!(absent.memory_bytes, None);
    assert!(absent.latency_buckets.is_empty());

    let zero = digest_of(vec![requests(&[("200", 0.0)])], 0);
    assert_eq!(zero.requests, Some(0.0));
    assert_eq!(zero.errors, Some(0.0), "status label present, no 5xx yet");
}

#[test]
fn counter_found_under_either_spelling() {
    // OpenMetrics: family `http_requests`, sample `http_requests_total`.
    let d = digest_of(vec![requests(&[("200", 7.0), ("500", 1.0)])], 0);
    assert_eq!(d.requests, Some(8.0));
    // Old text format: a counter without `_total`.
    let old = scrape(vec![family(
        "http_requests",
        MetricKind::Counter,
        vec![sample("http_requests", &[], 5.0)],
    )]);
    assert_eq!(
        digest(&old, &MetricsSpec::default(), at(0)).requests,
        Some(5.0)
    );
    // Configured without `_total`, exposed with it.
    let spec = MetricsSpec {
        requests: Selector::new("http_requests"),
        ..MetricsSpec::default()
    };
    let om = scrape(vec![requests(&[("200", 3.0)])]);
    assert_eq!(digest(&om, &spec, at(0)).requests, Some(3.0));
}

#[test]
fn nan_samples_are_skipped() {
    let d = digest_of(vec![requests(&[("200", f64::NAN), ("500", 2.0)])], 0);
    assert_eq!(d.requests, Some(2.0));
    assert_eq!(d.errors, Some(2.0));
    let all_nan = digest_of(vec![requests(&[("200", f64::NAN)])], 0);
    assert_eq!(all_nan.requests, None);
}

#[test]
fn only_5xx_are_errors_by_default() {
    let d = digest_of(
        vec![requests(&[
            ("200", 100.0),
            ("404", 10.0),
            ("429", 5.0),
            ("500", 3.0),
            ("503", 2.0),
            ("5xx", 1.0),
            ("50", 7.0),
        ])],
        0,
    );
    assert_eq!(d.requests, Some(128.0));
    assert_eq!(d.errors, Some(6.0));
}

#[test]
fn error_values_can_be_a_list_or_a_prefix() {
    let exp = scrape(vec![requests(&[
        ("200", 100.0),
        ("404", 10.0),
        ("429", 5.0),
        ("500", 3.0),
    ])]);
    let listed = MetricsSpec {
        error_values: ErrorMatch::Values(vec!["429".into(), "500".into()]),
        ..MetricsSpec::default()
    };
    assert_eq!(digest(&exp, &listed, at(0)).errors, Some(8.0));
    let prefixed = MetricsSpec {
        error_values: ErrorMatch::Prefix("4".into()),
        ..MetricsSpec::default()
    };
    assert_eq!(digest(&exp, &prefixed, at(0)).errors, Some(15.0));
}

#[test]
fn errors_fall_back_to_the_code_label() {
    let exp = scrape(vec![family(
        "http_requests",
        MetricKind::Counter,
        vec![
            sample(
                "http_requests_total",
                &[("code", "200"), ("method", "get")],
                90.0,
            ),
            sample(
                "http_requests_total",
                &[("code", "502"), ("method", "get")],
                10.0,
            ),
        ],
    )]);
    let d = digest(&exp, &MetricsSpec::default(), at(0));
    assert_eq!(d.requests, Some(100.0));
    assert_eq!(d.errors, Some(10.0));

    // Neither label: the error count is unknown, not zero.
    let unlabelled = scrape(vec![family(
        "http_requests",
        MetricKind::Counter,
        vec![sample("http_requests_total", &[("method", "get")], 5.0)],
    )]);
    assert_eq!(
        digest(&unlabelled, &MetricsSpec::default(), at(0)).errors,
        None
    );
}

#[test]
fn configured_error_label_wins_over_code() {
    let exp = scrape(vec![family(
        "http_requests",
        MetricKind::Counter,
        vec![
            sample(
                "http_requests_total",
                &[("code", "500"), ("status", "200")],
                4.0,
            ),
            sample(
                "http_requests_total",
                &[("code", "200"), ("status", "500")],
                1.0,
            ),
        ],
    )]);
    assert_eq!(
        digest(&exp, &MetricsSpec::default(), at(0)).errors,
        Some(1.0)
    );
}

#[test]
fn matchers_select_series() {
    let exp = scrape(vec![family(
        "http_requests",
        MetricKind::Counter,
        vec![
            sample(
                "http_requests_total",
                &[("job", "api"), ("status", "200")],
                10.0,
            ),
            sample(
                "http_requests_total",
                &[("job", "web"), ("status", "200")],
                99.0,
            ),
            sample("http_requests_total", &[("status", "200")], 1000.0),
        ],
    )]);
    let api = MetricsSpec {
        requests: sel(r#"http_requests_total{job="api"}"#),
        ..MetricsSpec::default()
    };
    assert_eq!(digest(&exp, &api, at(0)).requests, Some(10.0));
    // As in PromQL, `job=""` matches the series without the label.
    let none = MetricsSpec {
        requests: sel(r#"http_requests_total{job=""}"#),
        ..MetricsSpec::default()
    };
    assert_eq!(digest(&exp, &none, at(0)).requests, Some(1000.0));
}

#[test]
fn buckets_are_summed_over_labels_and_sorted() {
    let mut samples = latency("/a", &[("+Inf", 5.0), ("0.1", 2.0), ("1", 4.0)]);
    samples.extend(latency("/b", &[("0.1", 1.0), ("1.0", 3.0), ("+Inf", 3.0)]));
    samples.push(sample("http_request_duration_seconds_sum", &[], 12.0));
    samples.push(sample("http_request_duration_seconds_count", &[], 8.0));
    samples.push(sample("http_request_duration_seconds_bucket", &[], 100.0)); // no `le`
    samples.push(sample(
        "http_request_duration_seconds_bucket",
        &[("le", "bogus")],
        100.0,
    ));
    let d = digest_of(vec![histogram(samples)], 0);
    assert_eq!(d.latency_buckets, vec![(0.1, 3.0), (1.0, 7.0), (INF, 8.0)]);
}

#[test]
fn cpu_counter_or_gauge_and_memory() {
    let d = digest_of(
        vec![
            family(
                "process_cpu_seconds",
                MetricKind::Counter,
                vec![sample("process_cpu_seconds_total", &[], 12.5)],
            ),
            family(
                "process_resident_memory_bytes",
                MetricKind::Gauge,
                vec![sample("process_resident_memory_bytes", &[], 2048.0)],
            ),
        ],
        0,
    );
    assert_eq!((d.cpu_seconds, d.cpu_gauge), (Some(12.5), None));
    assert_eq!(d.memory_bytes, Some(2048.0));

    let spec = MetricsSpec {
        cpu: Selector::new("container_cpu_usage_ratio"),
        ..MetricsSpec::default()
    };
    let gauge = scrape(vec![family(
        "container_cpu_usage_ratio",
        MetricKind::Gauge,
        vec![sample("container_cpu_usage_ratio", &[], 0.4)],
    )]);
    let d = digest(&gauge, &spec, at(0));
    assert_eq!((d.cpu_seconds, d.cpu_gauge), (None, Some(0.4)));
    let (p, _) = derive(None, &d);
    assert!(close32(p.cpu, 0.4), "a gauge needs no previous scrape");
}
