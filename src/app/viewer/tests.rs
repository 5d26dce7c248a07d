use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::keymap::Keymap;
use crate::app::msg::{Msg, OpsEvent};
use crate::app::state::Banner;
use crate::app::text_view::DocState;
use crate::app::update;
use crate::model::{ContainerInfo, Service};

fn board() -> State {
    let mut web = Service::new("web");
    web.containers.push(ContainerInfo {
        host: "local".into(),
        id: "c0ffee".into(),
        name: "web-1".into(),
        state: "running".into(),
        ..Default::default()
    });
    State::new(
        vec![web, Service::new("plain")],
        Keymap::default(),
        Banner::default(),
        SystemTime::UNIX_EPOCH,
    )
}

fn key(s: &mut State, c: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

fn ch(s: &mut State, c: char) -> Vec<Effect> {
    key(s, KeyCode::Char(c))
}

fn doc() -> Document {
    let mut d = Document::default();
    d.field("", "Name", 14, "web-1");
    d.heading("Environment:");
    d.env("  ", "DB_PASSWORD", "canary-xyz");
    for i in 0..100 {
        d.line(format!("line {i}"));
    }
    d.line("the end: ready");
    d
}

/// `i` on the web service, answered with `doc()`.
fn opened() -> (State, u64) {
    let mut s = board();
    s.list.selected = s.order.iter().position(|&i| i == 0).unwrap();
    let fx = ch(&mut s, 'i');
    let [
        Effect::FetchDocument {
            request,
            object,
            rendering,
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}");
    };
    assert_eq!(*rendering, Rendering::Inspect);
    assert_eq!(object.to_string(), "container web-1 on local");
    assert!(matches!(s.view, View::Text { .. }));
    assert_eq!(s.text_view.as_ref().unwrap().doc, DocState::Loading);
    let request = *request;
    update(
        &mut s,
        Msg::Document {
            request,
            result: Ok(doc()),
        },
    );
    (s, request)
}

#[test]
fn inspect_opens_reads_and_esc_goes_back() {
    let (mut s, _) = opened();
    let t = s.text_view.as_ref().unwrap();
    assert!(matches!(t.doc, DocState::Ready(_)));
    assert_eq!(t.shown_lines()[2], "  DB_PASSWORD=••••••");
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.view, View::Services);
    assert!(s.text_view.is_none());
}

#[test]
fn a_late_answer_for_another_view_is_dropped() {
    let (mut s, request) = opened();
    update(
        &mut s,
        Msg::Document {
            request: request + 7,
            result: Err("late".into()),
        },
    );
    assert!(matches!(
        s.text_view.as_ref().unwrap().doc,
        DocState::Ready(_)
    ));
}

#[test]
fn a_failure_is_shown_cleaned() {
    let mut s = board();
    s.list.selected = s.order.iter().position(|&i| i == 0).unwrap();
    ch(&mut s, 'i');
    let request = s.text_view.as_ref().unwrap().request;
    update(
        &mut s,
        Msg::Document {
            request,
            result: Err("forbidden\u{1b}[2J".into()),
        },
    );
    let DocState::Failed(e) = &s.text_view.as_ref().unwrap().doc else {
        panic!()
    };
    assert!(!e.contains('\u{1b}'));
}

#[test]
fn search_goes_to_matches_and_wraps_around() {
    let (mut s, _) = opened();
    ch(&mut s, '/');
    for c in "READY".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Enter);
    let t = s.text_view.as_ref().unwrap();
    assert!(!t.editing);
    assert_eq!(t.matches(), vec![103]);
    assert_eq!(t.current, Some(103));
    assert!(t.scroll > 50 && t.scroll <= 103, "{}", t.scroll);
    // One match: n stays on it.
    ch(&mut s, 'n');
    assert_eq!(s.text_view.as_ref().unwrap().current, Some(103));
    // Two matches: n and N go round.
    let t = s.text_view.as_mut().unwrap();
    t.search = "line 1".into();
    let ms = t.matches();
    assert_eq!(ms[0], 4);
    ch(&mut s, 'g');
    ch(&mut s, 'n');
    let first = s.text_view.as_ref().unwrap().current.unwrap();
    ch(&mut s, 'N');
    let t = s.text_view.as_ref().unwrap();
    assert_eq!(t.current, Some(*ms.last().unwrap()), "from {first}");
    // Esc while typing drops the search.
    ch(&mut s, '/');
    key(&mut s, KeyCode::Esc);
    assert!(s.text_view.as_ref().unwrap().search.is_empty());
    assert!(matches!(s.view, View::Text { .. }));
}

#[test]
fn scrolling_stays_within_the_document() {
    let (mut s, _) = opened();
    ch(&mut s, 'G');
    let rows = doc_rows(&s);
    assert_eq!(s.text_view.as_ref().unwrap().scroll, 104 - rows);
    ch(&mut s, 'j');
    assert_eq!(s.text_view.as_ref().unwrap().scroll, 104 - rows);
    ch(&mut s, 'g');
    ch(&mut s, 'k');
    assert_eq!(s.text_view.as_ref().unwrap().scroll, 0);
    ch(&mut s, 'w');
    assert!(s.text_view.as_ref().unwrap().wrap);
}

#[test]
fn reveal_is_audited_before_anything_shows() {
    let (mut s, request) = opened();
    let fx = ch(&mut s, 'R');
    let [
        Effect::Reveal {
            request: r,
            variables,
            ..
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}");
    };
    assert_eq!(*r, request);
    assert_eq!(variables, &vec!["DB_PASSWORD".to_string()]);
    // Not yet: the audit log has not answered.
    let t = s.text_view.as_ref().unwrap();
    assert!(!t.shown_lines().join("\n").contains("canary-xyz"));
    // A second R while waiting asks nothing more.
    assert!(ch(&mut s, 'R').is_empty());
    update(&mut s, Msg::Ops(OpsEvent::Revealed { request }));
    let t = s.text_view.as_ref().unwrap();
    assert!(
        t.shown_lines()
            .join("\n")
            .contains("DB_PASSWORD=canary-xyz")
    );
    // Masked again the next time the view opens.
    key(&mut s, KeyCode::Esc);
    ch(&mut s, 'i');
    let t = s.text_view.as_ref().unwrap();
    assert!(!t.revealed);
}

#[test]
fn d_on_a_docker_service_says_to_inspect() {
    let mut s = board();
    s.list.selected = s.order.iter().position(|&i| i == 0).unwrap();
    assert!(ch(&mut s, 'd').is_empty());
    assert!(s.flash.as_ref().unwrap().text.contains("i inspects"));
    assert_eq!(s.view, View::Services);
}

#[test]
fn ctrl_r_reads_again_keeping_the_place() {
    let (mut s, request) = opened();
    ch(&mut s, 'G');
    let scroll = s.text_view.as_ref().unwrap().scroll;
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    let [Effect::FetchDocument { request: again, .. }] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_ne!(*again, request);
    update(
        &mut s,
        Msg::Document {
            request: *again,
            result: Ok(doc()),
        },
    );
    assert_eq!(s.text_view.as_ref().unwrap().scroll, scroll);
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.view, View::Services);
}
