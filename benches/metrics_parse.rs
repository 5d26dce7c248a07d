//! Cost of reading one `/metrics` scrape (`sources::metrics::parse::parse`),
//! paid once per target per scrape interval.
//!
//! Run: `cargo bench --bench metrics_parse -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opsboard::sources::metrics::exposition::{Format, MetricKind};
use opsboard::sources::metrics::parse::parse;

/// A real node_exporter 1.5 scrape (default collectors).
const NODE_EXPORTER: &str = include_str!("../tests/fixtures/metrics/node_exporter.prom");

const SERIES: usize = 1_000;
const BUCKETS: usize = 98;

/// A big application's scrape: one latency histogram with 1,000 labelled
/// series of 98 buckets plus `_sum` and `_count`, i.e. 100,000 samples.
fn hundred_thousand_samples() -> String {
    let mut out = String::with_capacity(12 << 20);
    out.push_str("# HELP http_request_duration_seconds Request latency.\n");
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    let methods = ["GET", "POST", "PUT", "DELETE"];
    for series in 0..SERIES {
        let labels = format!(
            "method=\"{}\",path=\"/api/v1/items/{}\",code=\"{}\",instance=\"10.0.{}.{}:9100\"",
            methods[series % methods.len()],
            series / 7,
            200 + (series % 5) * 100,
            series / 250,
            series % 250,
        );
        let mut count = 0u64;
        for bucket in 0..BUCKETS {
            count += (series * 31 + bucket * 17) as u64 % 97;
            let le = if bucket + 1 == BUCKETS {
                "+Inf".to_owned()
            } else {
                format!("{}", 0.001 * 1.1f64.powi(bucket as i32))
            };
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{{labels}}} {}",
            count as f64 * 0.137
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{{labels}}} {count}"
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    // The inputs mean what the benchmark claims they mean.
    let node = parse(NODE_EXPORTER, Format::Text);
    assert!(node.errors.is_empty(), "{:?}", node.errors);
    assert_eq!(
        node.family("node_cpu_seconds_total").map(|f| f.kind),
        Some(MetricKind::Counter)
    );
    let big = hundred_thousand_samples();
    let parsed = parse(&big, Format::Text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
    assert_eq!(parsed.families.len(), 1);
    assert_eq!(parsed.sample_count(), SERIES * (BUCKETS + 2));
    drop(parsed);

    let mut g = c.benchmark_group("metrics_parse");
    for (name, body) in [
        ("node_exporter", NODE_EXPORTER),
        ("histogram_100k_samples", big.as_str()),
    ] {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| parse(black_box(body), black_box(Format::Text)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
