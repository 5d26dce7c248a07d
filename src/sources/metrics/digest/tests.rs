//! Scrapes are built by hand so these tests do not depend on the parser.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::sources::metrics::parse::Label;

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

// --- Selector -------------------------------------------------------------

#[test]
fn selector_plain_name() {
    assert_eq!(
        sel(" http_requests_total "),
        Selector::new("http_requests_total")
    );
    assert_eq!(sel("ns:job:rate5m"), Selector::new("ns:job:rate5m"));
}

#[test]
fn selector_with_matchers_and_escapes() {
    let s = sel(r#"http_requests_total { job = "api", path="/a\"b\\c\n" , }"#);
    assert_eq!(s.name, "http_requests_total");
    assert_eq!(
        s.matchers,
        vec![
            ("job".to_string(), "api".to_string()),
            ("path".to_string(), "/a\"b\\c\n".to_string()),
        ]
    );
    assert_eq!(sel("up{}"), Selector::new("up"));
}

#[test]
fn selector_display_round_trips() {
    let text = r#"http_requests_total{job="api",path="/a\"b\\c\n"}"#;
    let s = sel(text);
    assert_eq!(s.to_string(), text);
    assert_eq!(sel(&s.to_string()), s);
    assert_eq!(Selector::new("up").to_string(), "up");
}

#[test]
fn selector_errors_quote_the_input_and_say_what_is_wrong() {
    let cases = [
        ("", "empty"),
        ("   ", "empty"),
        ("5xx_total", "expected a metric name, found `5`"),
        ("{job=\"a\"}", "expected a metric name, found `{`"),
        ("up job", "expected `{` or the end, found `j` (column 4)"),
        (
            "up{job!=\"a\"}",
            "only `=` matchers are supported (column 7)",
        ),
        ("up{job=~\"a\"}", "only `=` matchers are supported"),
        (
            "up{job=a}",
            "expected a double-quoted label value, found `a`",
        ),
        ("up{job=\"a}", "missing its closing `\"`"),
        ("up{job=\"a\"", "expected `,` or `}`, found the end"),
        ("up{job=\"a\" x=\"b\"}", "expected `,` or `}`, found `x`"),
        ("up{job=\"a\",job=\"b\"}", "label `job` is given twice"),
        (
            "up{job=\"a\"} extra",
            "expected the end after `}`, found `e`",
        ),
        ("up{=\"a\"}", "expected a label name, found `=`"),
        ("up{job=\"\\t\"}", "unknown escape"),
    ];
    for (input, reason) in cases {
        match input.parse::<Selector>() {
            Ok(s) => panic!("{input:?} parsed as {s:?}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.starts_with(&format!("invalid metric selector `{input}`: ")),
                    "{msg}"
                );
                assert!(msg.contains(reason), "{input:?}: {msg}");
            }
        }
    }
}

#[test]
fn selector_deserializes_from_a_config_string() {
    #[derive(serde::Deserialize)]
    struct Config {
        requests: Selector,
    }
    let ok: Config = match toml::from_str(r#"requests = 'reqs_total{job="api"}'"#) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(ok.requests, sel(r#"reqs_total{job="api"}"#));
    let bad = toml::from_str::<Config>(r#"requests = "reqs{job}""#);
    let msg = bad.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("invalid metric selector `reqs{job}`"), "{msg}");
}

// --- histogram_quantile ------------------------------------------------------

const EXAMPLE: [(f64, f64); 4] = [(0.1, 10.0), (0.5, 20.0), (1.0, 30.0), (INF, 30.0)];

#[test]
fn quantile_interpolates_within_the_bucket() {
    // rank 15 falls in (0.1, 0.5] holding 10: 0.1 + 0.4 * (15-10)/10.
    assert!(close(histogram_quantile(0.5, &EXAMPLE), 0.3));
    // rank 28.5 in (0.5, 1]: 0.5 + 0.5 * 8.5/10.
    assert!(close(histogram_quantile(0.95, &EXAMPLE), 0.925));
    // rank 29.7: 0.5 + 0.5 * 9.7/10.
    assert!(close(histogram_quantile(0.99, &EXAMPLE), 0.985));
    assert!(close(histogram_quantile(1.0, &EXAMPLE), 1.0));
}

#[test]
fn quantile_lowest_bucket_starts_at_zero() {
    // rank 5 of the 10 in [0, 0.1].
    assert!(close(histogram_quantile(1.0 / 6.0, &EXAMPLE), 0.05));
    // A lowest bound ≤ 0 is returned as is.
    let negative = [(-1.0, 10.0), (1.0, 20.0), (INF, 20.0)];
    assert_eq!(histogram_quantile(0.25, &negative), -1.0);
}

#[test]
fn quantile_in_the_inf_bucket_is_the_highest_finite_bound() {
    let b = [(0.1, 10.0), (1.0, 20.0), (INF, 30.0)];
    assert_eq!(histogram_quantile(0.9, &b), 1.0);
}

#[test]
fn quantile_special_cases() {
    assert_eq!(histogram_quantile(-0.1, &EXAMPLE), f64::NEG_INFINITY);
    assert_eq!(histogram_quantile(1.1, &EXAMPLE), INF);
    assert!(histogram_quantile(f64::NAN, &EXAMPLE).is_nan());
    assert!(histogram_quantile(0.5, &[]).is_nan());
    assert!(
        histogram_quantile(0.5, &[(INF, 10.0)]).is_nan(),
        "one bucket"
    );
    assert!(
        histogram_quantile(0.5, &[(0.1, 0.0), (INF, 0.0)]).is_nan(),
        "zero observations"
    );
    assert!(
        histogram_quantile(0.5, &[(0.1, 10.0), (1.0, 20.0)]).is_nan(),
        "no +Inf bucket"
    );
}

#[test]
fn quantile_sorts_merges_and_fixes_monotonicity() {
    let shuffled = [(INF, 30.0), (0.5, 20.0), (1.0, 30.0), (0.1, 10.0)];
    assert!(close(histogram_quantile(0.5, &shuffled), 0.3));
    let split = [
        (0.1, 4.0),
        (0.1, 6.0),
        (0.5, 20.0),
        (1.0, 30.0),
        (INF, 30.0),
    ];
    assert!(close(histogram_quantile(0.5, &split), 0.3));
    // 8 < 10 is raised to 10, so (0.5, 1] holds 20: 0.5 + 0.5 * 5/20.
    // Interpolating from the raw 8 would give 0.659.
    let dented = [(0.1, 10.0), (0.5, 8.0), (1.0, 30.0), (INF, 30.0)];
    assert!(close(histogram_quantile(0.5, &dented), 0.625));
    let with_nan = [
        (0.1, 10.0),
        (f64::NAN, 5.0),
        (0.5, 20.0),
        (0.7, f64::NAN),
        (1.0, 30.0),
        (INF, 30.0),
    ];
    assert!(close(histogram_quantile(0.5, &with_nan), 0.3));
}

// --- digest ----------------------------------------------------------------

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

// --- derive ----------------------------------------------------------------

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
