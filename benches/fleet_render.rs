//! The Fleet pane with 10,000 devices: frame render, the grid's refresh
//! (recount and regroup) and a batch of poll results through `update`.
//!
//! Target (docs/perf.md, "Fleet pane (issue 7)"): with 10,000 instances a
//! frame renders in < 8 ms.
//!
//! Run: `cargo bench --bench fleet_render -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsboard::app::fleet::FleetState;
use opsboard::app::{Banner, Keymap, Msg, State, View, update};
use opsboard::model::Health;
use opsboard::model::fleet::{DevicePoll, GroupBy};
use opsboard::sim::devices::{DevicePlan, fleet_toml};
use opsboard::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const DEVICES: usize = 10_000;
const LOCATIONS: usize = 20;
/// What one message from a fleet poller holds at most
/// (`sources::fleet::BATCH_MAX`).
const BATCH: usize = 512;

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

/// What device `i` answers: the last location lost its uplink (all
/// down); elsewhere every 17th device is degraded and every 23rd down.
fn status_of(i: usize, location: Option<&str>) -> (Health, Option<String>) {
    let lost = format!("loc-{LOCATIONS:02}");
    if location == Some(lost.as_str()) || i % 23 == 22 {
        (Health::Down, Some("no answer in 5.0s".into()))
    } else if i % 17 == 16 {
        (Health::Degraded, Some("sensor: degraded".into()))
    } else {
        (Health::Up, None)
    }
}

/// The same fleet `examples/device_fleet.rs` serves and writes a config
/// for (10,000 devices, 20 locations, one fleet, no service), every
/// 31st device not polled yet, on the Fleet pane (`2`).
fn state(width: u16, height: u16) -> State {
    let plan = DevicePlan::uniform(DEVICES, LOCATIONS, 1);
    let addr: SocketAddr = ([127, 0, 0, 1], 9).into();
    let config: opsboard::config::Config =
        toml::from_str(&fleet_toml(&plan, addr, "perf", 30, 5)).expect("fleet config parses");
    let fleet_plan = opsboard::assemble::fleet::plan(&config).expect("fleet plan");
    let mut s = State::new(vec![], Keymap::default(), Banner::default(), t(0));
    s.width = width;
    s.height = height;
    s.generation = 1;
    s.fleet = FleetState::from_plan(&fleet_plan);
    assert_eq!(s.fleet.len(), DEVICES);
    let results: Vec<DevicePoll> = s.fleet.fleets[0]
        .devices
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 31 != 30)
        .map(|(i, d)| {
            let (status, reason) = status_of(i, d.location.as_deref());
            DevicePoll {
                device: i as u32,
                status,
                reason,
                at: t(1),
            }
        })
        .collect();
    for chunk in results.chunks(BATCH) {
        update(
            &mut s,
            Msg::DevicePolls {
                fleet: 0,
                generation: 1,
                results: chunk.to_vec(),
            },
        );
    }
    update(&mut s, Msg::Tick(t(2)));
    key(&mut s, KeyCode::Char('2'));
    assert_eq!(s.view, View::Fleet);
    s
}

fn key(s: &mut State, code: KeyCode) {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// `G` until the pane groups by `want`.
fn group_by(s: &mut State, want: GroupBy) {
    for _ in 0..8 {
        if s.fleet.group_by == want {
            return;
        }
        key(s, KeyCode::Char('G'));
    }
    panic!("never grouped by {want:?}");
}

/// Enter on the block header under the cursor, then down into its cells
/// (a few rows, so the cursor sits inside the block).
fn expand_current(s: &mut State) {
    key(s, KeyCode::Enter);
    for _ in 0..6 {
        key(s, KeyCode::Down);
    }
}

fn screen(s: &State) -> String {
    let mut term = Terminal::new(TestBackend::new(s.width, s.height)).expect("test terminal");
    term.draw(|f| ui::render(f, s, &Theme::default()))
        .expect("draw");
    ui::text::buffer_to_text(term.backend().buffer())
}

fn bench_render(c: &mut Criterion) {
    let theme = Theme::default();
    let mut g = c.benchmark_group("fleet_render_10k");
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        // (name, grouping, expand the block under the cursor)
        let cases = [
            ("service_collapsed", GroupBy::Service, false),
            ("service_expanded", GroupBy::Service, true),
            ("location_collapsed", GroupBy::Location, false),
            ("location_one_expanded", GroupBy::Location, true),
            // 10,000 one-device blocks: the longest grid.
            ("host_collapsed", GroupBy::Host, false),
        ];
        for (name, by, expand) in cases {
            let mut s = state(w, h);
            group_by(&mut s, by);
            if expand {
                expand_current(&mut s);
            }
            let text = screen(&s);
            // The shape each case claims: one summary line per block when
            // collapsed, cells under an open block otherwise.
            assert_eq!(
                text.contains('▾'),
                expand,
                "{name} {w}x{h}: an open block is {}expected:\n{text}",
                if expand { "" } else { "not " }
            );
            assert!(text.contains("10,000"), "{name} {w}x{h}:\n{text}");
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
            g.bench_function(format!("{name}/{w}x{h}"), |b| {
                b.iter(|| {
                    terminal
                        .draw(|f| ui::render(f, black_box(&s), &theme))
                        .expect("draw");
                })
            });
        }
    }
    g.finish();
}

/// `BATCH` results from device `from` on, the same answers as before.
fn batch(locations: &[Option<String>], from: usize) -> Vec<DevicePoll> {
    (from..from + BATCH)
        .map(|i| i % DEVICES)
        .map(|i| {
            let (status, reason) = status_of(i, locations[i].as_deref());
            DevicePoll {
                device: i as u32,
                status,
                reason,
                at: t(10),
            }
        })
        .collect()
}

fn locations(s: &State) -> Vec<Option<String>> {
    s.fleet.fleets[0]
        .devices
        .iter()
        .map(|d| d.location.clone())
        .collect()
}

/// Batches in which every result changes its device's status: a device
/// last reported down answers up (shown up, or degraded when flapping),
/// any other goes down.
struct Flipper {
    down: Vec<bool>,
    next: usize,
}

impl Flipper {
    fn new(s: &State) -> Flipper {
        let devices = &s.fleet.fleets[0].devices;
        Flipper {
            down: devices.iter().map(|d| d.status == Health::Down).collect(),
            next: 0,
        }
    }

    fn batch(&mut self, at: SystemTime) -> Vec<DevicePoll> {
        let from = self.next;
        self.next = (self.next + BATCH) % DEVICES;
        (from..from + BATCH)
            .map(|i| i % DEVICES)
            .map(|i| {
                let down = !self.down[i];
                self.down[i] = down;
                DevicePoll {
                    device: i as u32,
                    status: if down { Health::Down } else { Health::Up },
                    reason: down.then(|| "no answer in 5.0s".to_string()),
                    at,
                }
            })
            .collect()
    }
}

/// `FleetState::refresh` alone; the work before it is not timed.
fn bench_refresh(c: &mut Criterion) {
    let mut g = c.benchmark_group("fleet_refresh_10k");
    let timed = |s: &mut State, prepare: &mut dyn FnMut(&mut State), iters: u64| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            prepare(s);
            let start = Instant::now();
            s.fleet.refresh();
            total += start.elapsed();
        }
        total
    };

    // Recount: statuses moved, membership and grouping did not. The
    // grouping hardly matters here: every member is counted either way.
    let mut s = state(160, 48);
    group_by(&mut s, GroupBy::Location);
    let mut flip = Flipper::new(&s);
    g.bench_function("recount_512_changes/by_location", |b| {
        b.iter_custom(|iters| {
            timed(
                &mut s,
                &mut |s| assert!(s.fleet.apply_polls(0, flip.batch(t(10)))),
                iters,
            )
        })
    });

    // Regroup: a filter that keeps one location (500 devices), then
    // cleared again (all 10,000 back).
    for (label, on, off) in [("set", "loc-07", ""), ("cleared", "", "loc-07")] {
        let mut s = state(160, 48);
        group_by(&mut s, GroupBy::Location);
        g.bench_function(format!("regroup_filter_{label}/by_location"), |b| {
            b.iter_custom(|iters| {
                timed(
                    &mut s,
                    &mut |s| {
                        s.fleet.filter.text = off.into();
                        s.fleet.refresh();
                        s.fleet.filter.text = on.into();
                    },
                    iters,
                )
            })
        });
        let shown = if on.is_empty() {
            DEVICES
        } else {
            DEVICES / LOCATIONS
        };
        // Only when the bench ran (`--list`, as nextest calls it, runs none).
        if s.fleet.filter.text == on {
            s.fleet.refresh();
            assert_eq!(s.fleet.totals().total(), shown, "filter {on:?}");
        }
    }

    // Regroup into the most blocks: `G` from service to node/host gives
    // every device a block of its own.
    let mut s = state(160, 48);
    g.bench_function("regroup_service_to_host", |b| {
        b.iter_custom(|iters| {
            timed(
                &mut s,
                &mut |s| {
                    s.fleet.group_by = GroupBy::Service;
                    s.fleet.refresh();
                    s.fleet.group_by = GroupBy::Host;
                },
                iters,
            )
        })
    });
    if s.fleet.group_by == GroupBy::Host {
        s.fleet.refresh();
        assert_eq!(s.fleet.blocks.len(), DEVICES);
    }

    // With a filter in place, a status change regroups instead of
    // recounting (`refresh`: `|| !self.filter.text.is_empty()`).
    let mut s = state(160, 48);
    group_by(&mut s, GroupBy::Location);
    s.fleet.filter.text = "dev".into();
    s.fleet.refresh();
    let mut flip = Flipper::new(&s);
    g.bench_function("recount_512_changes_filter_dev/by_location", |b| {
        b.iter_custom(|iters| {
            timed(
                &mut s,
                &mut |s| assert!(s.fleet.apply_polls(0, flip.batch(t(10)))),
                iters,
            )
        })
    });
    g.finish();
}

/// `update(Msg::DevicePolls)` with 512 results, the Fleet pane open (so
/// `update` ends with `fleet_view::sync`).
fn bench_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("fleet_update_10k");
    // A steady round: the same answers as before, nothing moves.
    let mut s = state(160, 48);
    group_by(&mut s, GroupBy::Location);
    let at = locations(&s);
    let mut n = 0usize;
    g.bench_function("device_polls_512_steady/by_location", |b| {
        b.iter_batched(
            || {
                n += 1;
                Msg::DevicePolls {
                    fleet: 0,
                    generation: 1,
                    results: batch(&at, (n * BATCH) % DEVICES),
                }
            },
            |m| update(&mut s, m),
            BatchSize::SmallInput,
        )
    });

    // Every result changes its device's status: recount, and a redraw due.
    let mut s = state(160, 48);
    group_by(&mut s, GroupBy::Location);
    let mut flip = Flipper::new(&s);
    g.bench_function("device_polls_512_all_change/by_location", |b| {
        b.iter_batched(
            || Msg::DevicePolls {
                fleet: 0,
                generation: 1,
                results: flip.batch(t(10)),
            },
            |m| {
                update(&mut s, m);
                assert!(s.dirty);
                s.dirty = false;
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_render, bench_refresh, bench_update);
criterion_main!(benches);
