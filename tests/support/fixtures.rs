//! A deterministic board for snapshot tests: fixed clock, scripted probe
//! histories, every status represented.

#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use opsboard::app::{Banner, Keymap, State};
use opsboard::model::{
    DependencyCheck, Health, HealthReport, ProbeFailure, ProbeOutcome, ProbeState, Service,
};

pub fn t(s: u64) -> SystemTime {
    // 2026-11-21T09:00:00Z
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_251_600 + s)
}

fn ok(at: u64, ms: u64) -> ProbeOutcome {
    ProbeOutcome {
        at: t(at),
        latency: Duration::from_millis(ms),
        http_status: Some(200),
        report: Some(HealthReport {
            stated: Some(Health::Up),
            checks: vec![DependencyCheck {
                name: "database".into(),
                status: Health::Up,
                detail: None,
            }],
            version: Some("1.4.2".into()),
        }),
        result: Ok(Health::Up),
    }
}

fn down_503(at: u64) -> ProbeOutcome {
    ProbeOutcome {
        at: t(at),
        latency: Duration::from_millis(12),
        http_status: Some(503),
        report: Some(HealthReport {
            stated: Some(Health::Down),
            checks: vec![
                DependencyCheck {
                    name: "queue".into(),
                    status: Health::Up,
                    detail: None,
                },
                DependencyCheck {
                    name: "database".into(),
                    status: Health::Down,
                    detail: Some("error: connection refused (10.0.3.7:5432)".into()),
                },
            ],
            version: Some("1.4.2".into()),
        }),
        result: Err(ProbeFailure::HttpStatus { code: 503 }),
    }
}

fn probe(target: &str, outcomes: impl IntoIterator<Item = ProbeOutcome>) -> ProbeState {
    let mut p = ProbeState::new(target.into(), Duration::from_secs(10), 3);
    for o in outcomes {
        p.apply(o);
    }
    p
}

fn service(name: &str, env: &str, probes: Vec<ProbeState>) -> Service {
    let mut s = Service::new(name);
    s.environment = Some(env.into());
    s.probes = probes;
    s
}

/// Nine services: down, degraded, flapping-but-up, slow, timing out, TLS
/// unverified, never polled, TCP, plain up.
pub fn services() -> Vec<Service> {
    let wave = |i: u64| 20 + (i * 37 % 23);
    let mut out = Vec::new();
    out.push(service(
        "worker",
        "production",
        vec![probe(
            "http://10.0.1.20:8080/health",
            (0..20).map(|i| {
                if i < 15 {
                    ok(i * 10, wave(i))
                } else {
                    down_503(i * 10)
                }
            }),
        )],
    ));
    out.push(service(
        "ml-service",
        "production",
        vec![probe(
            "http://10.0.1.30:8000/health",
            (0..20).map(|i| {
                let mut o = ok(i * 10, 150 + wave(i));
                o.report = Some(HealthReport {
                    stated: Some(Health::Degraded),
                    checks: vec![
                        DependencyCheck {
                            name: "model".into(),
                            status: Health::Up,
                            detail: None,
                        },
                        DependencyCheck {
                            name: "gpu".into(),
                            status: Health::Degraded,
                            detail: Some("error: GPU memory 94% used".into()),
                        },
                    ],
                    version: Some("0.9.0".into()),
                });
                o.result = Ok(Health::Degraded);
                o
            }),
        )],
    ));
    out.push(service(
        "web-client",
        "production",
        vec![
            probe(
                "http://10.0.1.11:3000/health",
                (0..20).map(|i| ok(i * 10, wave(i))),
            ),
            probe(
                "http://10.0.1.12:3000/health",
                (0..20).map(|i| {
                    if i == 19 {
                        down_503(i * 10)
                    } else {
                        ok(i * 10, wave(i + 3))
                    }
                }),
            ),
        ],
    ));
    out.push(service(
        "nginx",
        "production",
        vec![probe(
            "http://10.0.1.2/healthz",
            (0..20).map(|i| ok(i * 10, 150 + i * 60)),
        )],
    ));
    out.push(service(
        "payments-gateway-eu-west-1",
        "production",
        vec![probe(
            "https://pay.internal/health",
            (0..20).map(|i| {
                if i >= 18 {
                    ProbeOutcome {
                        at: t(i * 10),
                        latency: Duration::from_secs(5),
                        http_status: None,
                        report: None,
                        result: Err(ProbeFailure::Timeout { after_ms: 5000 }),
                    }
                } else {
                    ok(i * 10, 80)
                }
            }),
        )],
    ));
    let mut legacy = probe(
        "https://legacy.internal/health",
        (0..20).map(|i| ok(i * 10, 45)),
    );
    legacy.insecure_tls = true;
    out.push(service("legacy-admin", "staging", vec![legacy]));
    out.push(service(
        "reports",
        "staging",
        vec![probe("http://10.0.9.9/health", [])],
    ));
    out.push(service(
        "redis",
        "production",
        vec![probe("tcp://10.0.2.5:6379", (0..20).map(|i| ok(i * 10, 1)))],
    ));
    out.push(service(
        "api",
        "production",
        vec![probe(
            "http://10.0.1.10:8080/health",
            (0..20).map(|i| ok(i * 10, 30 + i % 5)),
        )],
    ));
    out
}

pub fn state(width: u16, height: u16) -> State {
    let mut s = State::new(services(), Keymap::default(), Banner::default(), t(195));
    s.width = width;
    s.height = height;
    s.last_poll = Some(t(190));
    s.reorder();
    s
}
