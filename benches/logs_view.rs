//! The logs view fed 10,000 lines a second: what taking a batch of lines
//! costs the board (`update` with `Msg::LogLines` into a full buffer) and
//! what a frame of the view costs (following; narrowed by a search;
//! paused and wrapped), at 80×24 and 160×48.
//!
//! Target (issue #15, docs/perf.md "Logs view"): at 10,000 lines/s the
//! board spends under 5 % of a core beyond the feed. The feed sends at most
//! one batch per 100 ms (`sources::logs::BATCH_WAIT`) and the board draws at
//! most once per 16 ms (`runtime::FRAME`), so the cost per second is
//! `10 × batch(1,000 lines) + 62.5 × frame` at worst.
//!
//! Run: `cargo bench --bench logs_view -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used)] // benches may panic on a broken fixture

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use opsboard::app::logs::LOG_LINES;
use opsboard::app::{Banner, Keymap, Msg, Pane, State, View, update};
use opsboard::model::{LogEntry, LogSource, LogTarget, Service};
use opsboard::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn t(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + ms)
}

const PODS: [&str; 3] = ["x2k9p", "q8mzt", "fh7rw"];

/// Line `n`: a request log much like the demo's, every 40th an error.
fn line(n: u64) -> LogEntry {
    let pod = PODS[(n % 3) as usize];
    let text = if n.is_multiple_of(40) {
        format!(
            "ERROR POST /api/checkout 500 {}ms: upstream redis: connection reset by peer while reading the response",
            200 + n % 90
        )
    } else {
        format!(
            "INFO GET /api/orders/{} 200 {}ms",
            1000 + n % 9000,
            3 + n % 90
        )
    };
    LogEntry {
        prefix: pod.into(),
        container: "api".into(),
        at: Some(t(n / 10)),
        line: text,
        ..Default::default()
    }
}

fn batch(from: u64, n: u64) -> Vec<LogEntry> {
    (from..from + n).map(line).collect()
}

/// The logs view of `api`'s three pods, the buffer full.
fn state(width: u16, height: u16) -> State {
    let mut s = State::new(
        vec![Service::new("api")],
        Keymap::default(),
        Banner::default(),
        t(0),
    );
    s.width = width;
    s.height = height;
    s.view = View::Logs {
        service: 0,
        from: Pane::Services,
    };
    s.logs.follow = true;
    s.logs.request.targets = PODS
        .iter()
        .map(|p| LogTarget {
            source: LogSource::Pod {
                context: "prod".into(),
                namespace: "shop".into(),
                pod: format!("api-7b4c9f-{p}"),
                container: "api".into(),
            },
            prefix: (*p).into(),
        })
        .collect();
    update(&mut s, Msg::LogLines(batch(0, LOG_LINES as u64)));
    s
}

fn draw(term: &mut Terminal<TestBackend>, s: &State, theme: &Theme) {
    term.draw(|f| ui::render(f, s, theme)).expect("draw");
}

fn bench(c: &mut Criterion) {
    let theme = Theme::default();
    let mut g = c.benchmark_group("logs_view");
    // Taking 1,000 lines (a tenth of a second at 10,000 lines/s) into a
    // full buffer: following, and paused with a search (each new line is
    // matched to keep the paused view where it is).
    let full = state(160, 48);
    g.bench_function("take_1000_lines_following", |b| {
        b.iter_batched(
            || (full.clone(), batch(LOG_LINES as u64, 1000)),
            |(mut s, lines)| {
                update(&mut s, Msg::LogLines(lines));
                black_box(s.logs.dropped)
            },
            BatchSize::LargeInput,
        )
    });
    let mut paused = full.clone();
    paused.logs.follow = false;
    paused.logs.from_bottom = 100;
    paused.logs.search = "!health".into();
    g.bench_function("take_1000_lines_paused_searching", |b| {
        b.iter_batched(
            || (paused.clone(), batch(LOG_LINES as u64, 1000)),
            |(mut s, lines)| {
                update(&mut s, Msg::LogLines(lines));
                black_box(s.logs.from_bottom)
            },
            BatchSize::LargeInput,
        )
    });
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        let following = state(w, h);
        g.bench_function(format!("frame_following_{w}x{h}"), |b| {
            b.iter(|| draw(&mut term, &following, &theme))
        });
        let mut searching = state(w, h);
        searching.logs.search = "checkout".into();
        g.bench_function(format!("frame_searching_{w}x{h}"), |b| {
            b.iter(|| draw(&mut term, &searching, &theme))
        });
        let mut wrapped = state(w, h);
        wrapped.logs.follow = false;
        wrapped.logs.from_bottom = 2500;
        wrapped.logs.wrap = true;
        wrapped.logs.timestamps = true;
        g.bench_function(format!("frame_paused_wrapped_{w}x{h}"), |b| {
            b.iter(|| draw(&mut term, &wrapped, &theme))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
