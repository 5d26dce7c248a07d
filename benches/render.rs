//! Render and reducer cost with a large board.
//!
//! Target (docs/perf.md): drawing the Services pane with 1,000 services, each
//! with a full probe history (`HISTORY_LEN` samples) and a mix of statuses,
//! takes < 2 ms per frame.
//!
//! Run: `cargo bench --bench render -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use opsboard::app::{Banner, Keymap, Msg, State, update};
use opsboard::model::ProbeId;
use opsboard::model::{
    DependencyCheck, HISTORY_LEN, Health, HealthReport, ProbeFailure, ProbeOutcome, ProbeState,
    Service,
};
use opsboard::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SERVICES: usize = 1_000;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A small deterministic generator, so every run draws the same board.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

fn report(stated: Health, failing: &[(&str, Health)]) -> HealthReport {
    let mut checks = vec![DependencyCheck {
        name: "database".into(),
        status: Health::Up,
        detail: None,
    }];
    checks.extend(failing.iter().map(|(n, h)| DependencyCheck {
        name: (*n).into(),
        status: *h,
        detail: Some("error: connection pool exhausted".into()),
    }));
    HealthReport {
        stated: Some(stated),
        checks,
        version: Some("1.4.2".into()),
    }
}

fn ok_outcome(at: SystemTime, latency: Duration, h: Health) -> ProbeOutcome {
    ProbeOutcome {
        at,
        latency,
        http_status: Some(200),
        report: Some(match h {
            Health::Degraded => report(Health::Degraded, &[("redis", Health::Degraded)]),
            _ => report(Health::Up, &[]),
        }),
        result: Ok(h),
    }
}

fn fail_outcome(at: SystemTime, latency: Duration) -> ProbeOutcome {
    ProbeOutcome {
        at,
        latency,
        http_status: Some(503),
        report: Some(report(Health::Down, &[("queue", Health::Down)])),
        result: Err(ProbeFailure::HttpStatus { code: 503 }),
    }
}

/// One probe with a full history ending in the given shape.
fn probe(n: usize, kind: usize, rng: &mut Lcg) -> ProbeState {
    let interval = Duration::from_secs(10);
    let mut p = ProbeState::new(
        format!("http://10.0.{}.{}/health", n / 250, n % 250),
        interval,
        3,
    );
    let base_ms = 5 + rng.next() % 200;
    for k in 0..HISTORY_LEN {
        let at = t0() - interval * (HISTORY_LEN - k) as u32;
        let latency = Duration::from_micros(base_ms * 1000 + rng.next() % (base_ms * 800));
        let last = HISTORY_LEN - k <= 3;
        // Every tenth service has scattered failures in its history.
        let blip = n % 10 == 5 && k % 17 == 0;
        let o = match kind {
            // Down: the last three samples fail (threshold 3).
            0 if last => fail_outcome(at, latency),
            // Degraded: the body names a degraded dependency.
            1 if last => ok_outcome(at, latency, Health::Degraded),
            // Up with one failure counting towards the threshold.
            3 if HISTORY_LEN - k == 1 => fail_outcome(at, latency),
            _ if blip => fail_outcome(at, latency),
            _ => ok_outcome(at, latency, Health::Up),
        };
        p.apply(o);
    }
    if kind == 2 {
        // Unknown: no result for longer than stale_after.
        p.stale = true;
    }
    p
}

/// 1,000 services, every probe with `HISTORY_LEN` samples: ~5 % down, ~5 %
/// degraded, 2 % stale (unknown), ~14 % up with a failure streak, the rest up.
/// Every tenth service has two probes; half have an environment.
fn services() -> Vec<Service> {
    let mut rng = Lcg(42);
    (0..SERVICES)
        .map(|n| {
            let kind = match n {
                n if n % 20 == 0 => 0,
                n if n % 20 == 1 => 1,
                n if n % 50 == 2 => 2,
                n if n % 7 == 3 => 3,
                _ => 4,
            };
            let mut s = Service::new(format!("svc-{n:04}"));
            if n % 2 == 0 {
                s.environment = Some(if n % 4 == 0 { "production" } else { "staging" }.into());
            }
            s.probes.push(probe(n, kind, &mut rng));
            if n % 10 == 9 {
                s.probes.push(probe(n + SERVICES, 4, &mut rng));
            }
            s
        })
        .collect()
}

fn state(width: u16, height: u16) -> State {
    let mut s = State::new(services(), Keymap::default(), Banner::default(), t0());
    s.width = width;
    s.height = height;
    s.last_poll = Some(t0() - Duration::from_secs(3));
    s.generation = 1;
    s.reorder();
    s
}

fn bench_render(c: &mut Criterion) {
    let theme = Theme::default();
    let mut g = c.benchmark_group("render_services_1000");
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let state = state(w, h);
        assert_eq!(state.services.len(), SERVICES);
        assert!(
            state
                .services
                .iter()
                .all(|s| s.probes.iter().all(|p| p.history.len() == HISTORY_LEN))
        );
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        g.bench_function(format!("{w}x{h}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| ui::render(f, black_box(&state), &theme))
                    .expect("draw");
            })
        });
    }
    g.finish();
}

/// The pass every frame gets last (`ui::scrub`): control characters out of
/// every cell, registered secrets masked row by row. Measured alone on a
/// drawn frame, without and with secrets registered, to compare with the
/// whole frame above.
fn bench_scrub(c: &mut Criterion) {
    let theme = Theme::default();
    let mut g = c.benchmark_group("scrub_frame");
    let buffers: Vec<(u16, u16, ratatui::buffer::Buffer)> = [(80u16, 24u16), (160, 48)]
        .into_iter()
        .map(|(w, h)| {
            let state = state(w, h);
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
            terminal
                .draw(|f| ui::render(f, &state, &theme))
                .expect("draw");
            (w, h, terminal.backend().buffer().clone())
        })
        .collect();
    for (w, h, buf) in &buffers {
        g.bench_function(format!("no_secrets/{w}x{h}"), |b| {
            b.iter_batched_ref(
                || buf.clone(),
                |b| ui::scrub::scrub(black_box(b)),
                BatchSize::SmallInput,
            )
        });
    }
    // Three secrets, as a config with a token, a password and a database URL
    // registers them (a URL adds its password part).
    opsboard::model::text::register_secret("bench-token-5f0c9a1e77");
    opsboard::model::text::register_secret("hunter2-bench-password");
    opsboard::model::text::register_secret("postgresql://app:pw-bench-9@127.0.0.1/orders");
    for (w, h, buf) in &buffers {
        g.bench_function(format!("three_secrets/{w}x{h}"), |b| {
            b.iter_batched_ref(
                || buf.clone(),
                |b| ui::scrub::scrub(black_box(b)),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

/// `update` with one probe result against a 1,000-service board.
fn bench_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("update_1000");
    let at = t0() + Duration::from_secs(1);
    let msg = |service: usize, outcome: ProbeOutcome| Msg::Probe {
        id: ProbeId { service, probe: 0 },
        generation: 1,
        outcome,
    };

    // Same status, service far below the visible window: no redraw needed.
    let mut s = state(160, 48);
    let off = *s.order.last().expect("services");
    assert_eq!(s.services[off].status(), Health::Up);
    g.bench_function("probe_same_status_offscreen", |b| {
        b.iter_batched(
            || msg(off, ok_outcome(at, Duration::from_millis(12), Health::Up)),
            |m| update(&mut s, m),
            BatchSize::SmallInput,
        )
    });

    // Same status, service on screen: marks the frame dirty.
    let mut s = state(160, 48);
    let on = s.order[5];
    let keep = s.services[on].status();
    g.bench_function("probe_same_status_onscreen", |b| {
        b.iter_batched(
            || match keep {
                Health::Down => msg(on, fail_outcome(at, Duration::from_millis(12))),
                h => msg(on, ok_outcome(at, Duration::from_millis(12), h)),
            },
            |m| update(&mut s, m),
            BatchSize::SmallInput,
        )
    });

    // Every result flips the service between Up and Down (threshold 1), so
    // every call re-sorts all 1,000 services.
    let mut s = state(160, 48);
    let flip = 504;
    s.services[flip].probes[0].failure_threshold = 1;
    update(
        &mut s,
        msg(flip, fail_outcome(at, Duration::from_millis(12))),
    );
    assert_eq!(s.services[flip].status(), Health::Down);
    update(
        &mut s,
        msg(flip, ok_outcome(at, Duration::from_millis(12), Health::Up)),
    );
    assert_eq!(s.services[flip].status(), Health::Up);
    let mut down = false;
    g.bench_function("probe_status_change_reorders", |b| {
        b.iter_batched(
            || {
                down = !down;
                if down {
                    msg(flip, fail_outcome(at, Duration::from_millis(12)))
                } else {
                    msg(flip, ok_outcome(at, Duration::from_millis(12), Health::Up))
                }
            },
            |m| update(&mut s, m),
            BatchSize::SmallInput,
        )
    });

    // The 1 s clock tick: staleness check over every probe.
    let mut s = state(160, 48);
    g.bench_function("tick", |b| {
        b.iter(|| update(&mut s, Msg::Tick(black_box(at))))
    });
    g.finish();

    // Start-up: the first result of each of 1,000 probes moves its service
    // from Unknown to Up, so each of the 1,000 messages re-sorts the list.
    let mut g = c.benchmark_group("update_1000_first_round");
    g.sample_size(10);
    let fresh = {
        let services = (0..SERVICES)
            .map(|n| {
                let mut s = Service::new(format!("svc-{n:04}"));
                s.probes.push(ProbeState::new(
                    format!("http://127.0.0.1/health/{n}"),
                    Duration::from_secs(10),
                    3,
                ));
                s
            })
            .collect();
        let mut s = State::new(services, Keymap::default(), Banner::default(), t0());
        s.width = 160;
        s.height = 48;
        s.generation = 1;
        s.reorder();
        s
    };
    let round: Vec<Msg> = (0..SERVICES)
        .map(|n| msg(n, ok_outcome(at, Duration::from_millis(3), Health::Up)))
        .collect();
    g.bench_function("all_unknown_to_up", |b| {
        b.iter_batched(
            || (fresh.clone(), round.clone()),
            |(mut s, msgs)| {
                for m in msgs {
                    update(&mut s, m);
                }
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_render, bench_scrub, bench_update);
criterion_main!(benches);
