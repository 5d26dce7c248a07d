//! The reducer's tests: keys, probes, dialogs, jobs.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::keymap::Keymap;
use crate::app::state::Banner;
use crate::app::state::View;
use crate::model::ProbeId;
use crate::model::{Health, ProbeFailure, ProbeOutcome, ProbeState, Service};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn state(names: &[&str]) -> State {
    let services = names
        .iter()
        .map(|n| {
            let mut s = Service::new(*n);
            s.probes.push(ProbeState::new(
                format!("http://127.0.0.1/{n}"),
                Duration::from_secs(10),
                2,
            ));
            s
        })
        .collect();
    State::new(services, Keymap::default(), Banner::default(), t(0))
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn probe(service: usize, at: u64, ok: bool) -> Msg {
    Msg::Probe {
        id: ProbeId { service, probe: 0 },
        generation: 0,
        outcome: ProbeOutcome {
            at: t(at),
            latency: Duration::from_millis(5),
            http_status: Some(if ok { 200 } else { 503 }),
            report: None,
            result: if ok {
                Ok(Health::Up)
            } else {
                Err(ProbeFailure::HttpStatus { code: 503 })
            },
        },
    }
}

fn names(s: &State) -> Vec<&str> {
    s.order
        .iter()
        .map(|&i| s.services[i].name.as_str())
        .collect()
}

#[test]
fn worst_first_then_name_and_cursor_follows_service() {
    let mut s = state(&["web", "api", "redis"]);
    for i in 0..3 {
        update(&mut s, probe(i, 1, true));
    }
    assert_eq!(names(&s), ["api", "redis", "web"]);
    update(&mut s, key('j'));
    update(&mut s, key('j'));
    assert_eq!(s.selected_service(), Some(0)); // web
    // web fails twice (threshold 2) and moves to the top; the cursor follows.
    update(&mut s, probe(0, 2, false));
    assert_eq!(names(&s), ["api", "redis", "web"]);
    update(&mut s, probe(0, 3, false));
    assert_eq!(names(&s), ["web", "api", "redis"]);
    assert_eq!(s.selected_service(), Some(0));
    assert_eq!(s.list.selected, 0);
}

#[test]
fn filter_is_case_insensitive_substring_and_esc_clears() {
    let mut s = state(&["web-client", "api", "Web-Admin"]);
    update(&mut s, key('/'));
    assert!(s.filter.editing);
    for c in "WEB".chars() {
        update(&mut s, key(c));
    }
    assert_eq!(names(&s), ["Web-Admin", "web-client"]);
    // While editing, `q` is text, not quit.
    update(&mut s, key('q'));
    assert!(!s.should_quit);
    assert!(s.order.is_empty());
    update(&mut s, code(KeyCode::Backspace));
    update(&mut s, code(KeyCode::Enter));
    assert!(!s.filter.editing);
    assert_eq!(s.order.len(), 2);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.order.len(), 3);
}

#[test]
fn enter_opens_detail_and_esc_returns() {
    let mut s = state(&["a", "b"]);
    update(&mut s, key('j'));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        s.view,
        View::Detail {
            service: 1,
            scroll: 0
        }
    );
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.view, View::Services);
}

#[test]
fn help_is_modal() {
    let mut s = state(&["a", "b"]);
    update(&mut s, key('?'));
    assert!(s.help_open);
    update(&mut s, key('j'));
    assert_eq!(s.list.selected, 0);
    update(&mut s, key('?'));
    assert!(!s.help_open);
    update(&mut s, key('q'));
    assert!(s.should_quit);
}

#[test]
fn ctrl_c_quits_even_while_filtering() {
    let mut s = state(&["a"]);
    update(&mut s, key('/'));
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(s.should_quit);
}

#[test]
fn stale_generation_is_dropped() {
    let mut s = state(&["a"]);
    s.generation = 2;
    let mut m = probe(0, 1, true);
    if let Msg::Probe { generation, .. } = &mut m {
        *generation = 1;
    }
    update(&mut s, m);
    assert_eq!(s.services[0].status(), Health::Unknown);
    // Out-of-range ids are ignored, not a panic.
    let mut m = probe(7, 1, true);
    if let Msg::Probe { generation, .. } = &mut m {
        *generation = 2;
    }
    update(&mut s, m);
}

#[test]
fn paging_keeps_selection_visible() {
    let names: Vec<String> = (0..100).map(|i| format!("svc-{i:03}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut s = state(&refs);
    update(
        &mut s,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let rows = s.list_rows();
    assert_eq!(rows, 20);
    update(&mut s, code(KeyCode::PageDown));
    assert_eq!(s.list.selected, rows);
    assert!(s.list.offset <= s.list.selected && s.list.selected < s.list.offset + rows);
    update(&mut s, key('G'));
    assert_eq!(s.list.selected, 99);
    assert_eq!(s.list.offset, 100 - rows);
    update(&mut s, key('g'));
    assert_eq!((s.list.selected, s.list.offset), (0, 0));
}

#[test]
fn tick_marks_silent_probes_stale() {
    let mut s = state(&["a"]);
    update(&mut s, probe(0, 1, true));
    assert_eq!(s.services[0].status(), Health::Up);
    update(&mut s, Msg::Tick(t(100)));
    assert_eq!(s.services[0].status(), Health::Unknown);
}

#[test]
fn refresh_asks_for_a_poll() {
    let mut s = state(&["a", "b"]);
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    assert_eq!(fx, vec![Effect::PollNow(None)]);
    update(&mut s, code(KeyCode::Enter));
    let fx = update(&mut s, code(KeyCode::F(5)));
    assert_eq!(fx, vec![Effect::PollNow(Some(vec![0]))]);
}

#[test]
fn off_screen_results_do_not_redraw() {
    let names: Vec<String> = (0..100).map(|i| format!("svc-{i:03}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut s = state(&refs);
    for i in 0..100 {
        update(&mut s, probe(i, 1, true));
    }
    s.dirty = false;
    // svc-099 is far below the visible window and its status is unchanged.
    update(&mut s, probe(99, 2, true));
    assert!(!s.dirty);
    update(&mut s, probe(0, 2, true));
    assert!(s.dirty);
}
