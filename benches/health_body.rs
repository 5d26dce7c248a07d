//! Cost of understanding one health body (`clients::probe::body::parse`),
//! paid once per HTTP probe.
//!
//! Run: `cargo bench --bench health_body -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opsboard::clients::probe::body::parse;
use opsboard::model::Health;

/// What most services return: a status, a few checks, a version.
const SMALL_JSON: &str =
    r#"{"status":"healthy","checks":{"database":"healthy","redis":"healthy"},"version":"1.4.2"}"#;

/// Spring Boot Actuator `/actuator/health` with details on: nested
/// composites and detail objects.
const SPRING_BOOT: &str = r#"{
  "status": "UP",
  "components": {
    "db": {
      "status": "UP",
      "components": {
        "primary": {"status": "UP", "details": {"database": "PostgreSQL", "validationQuery": "isValid()"}},
        "replica": {"status": "UP", "details": {"database": "PostgreSQL", "validationQuery": "isValid()"}}
      }
    },
    "diskSpace": {"status": "UP", "details": {"total": 499963174912, "free": 91300442112, "threshold": 10485760, "path": "/app/.", "exists": true}},
    "livenessState": {"status": "UP"},
    "ping": {"status": "UP"},
    "readinessState": {"status": "UP"},
    "redis": {"status": "UP", "details": {"version": "7.2.4"}},
    "kafka": {"status": "UP", "details": {"clusterId": "lkc-8k2n1", "nodes": 3}}
  },
  "groups": ["liveness", "readiness"]
}"#;

const PLAIN_TEXT: &str = "OK\n";

fn bench(c: &mut Criterion) {
    // The bodies mean what the benchmark claims they mean.
    let small = parse(Some("application/json"), SMALL_JSON.as_bytes()).unwrap();
    assert_eq!(small.as_ref().and_then(|r| r.verdict()), Some(Health::Up));
    let spring = parse(
        Some("application/vnd.spring-boot.actuator.v3+json"),
        SPRING_BOOT.as_bytes(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(spring.verdict(), Some(Health::Up));
    assert_eq!(spring.checks.len(), 9);
    let text = parse(Some("text/plain"), PLAIN_TEXT.as_bytes()).unwrap();
    assert_eq!(text.and_then(|r| r.stated), Some(Health::Up));

    let mut g = c.benchmark_group("health_body_parse");
    for (name, ct, body) in [
        ("small_json", "application/json", SMALL_JSON),
        (
            "spring_boot_nested",
            "application/vnd.spring-boot.actuator.v3+json",
            SPRING_BOOT,
        ),
        ("plain_text", "text/plain", PLAIN_TEXT),
    ] {
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| parse(black_box(Some(ct)), black_box(body.as_bytes())))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
