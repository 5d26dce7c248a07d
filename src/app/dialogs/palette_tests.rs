//! The command palette's tests: runbooks, actions, views and pane names.

use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::{Banner, Keymap, Msg, update};

fn typed(query: &str) -> State {
    let mut s = State::new(
        vec![],
        Keymap::default(),
        Banner::default(),
        SystemTime::now(),
    );
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    update(&mut s, key(KeyCode::Char(':')));
    for c in query.chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    update(&mut s, key(KeyCode::Enter));
    s
}

#[test]
fn a_pane_name_and_enter_switch_to_that_pane() {
    for (name, view) in [
        ("events", View::Events),
        ("nodes", View::Nodes),
        ("fleet", View::Fleet),
        ("alerts", View::Alerts),
        ("backups", View::Backups),
        ("actions", View::Actions),
        ("services", View::Services),
        ("pods", View::Services),
    ] {
        let s = typed(name);
        assert_eq!(s.view, view, "{name}");
        assert!(s.dialog.is_none(), "{name}: the palette closes");
    }
    assert_eq!(pane_named("Pods"), Some(Pane::Services));
    assert_eq!(pane_named("deployments"), None);
}

#[test]
fn the_exact_pane_name_comes_first() {
    let mut s = State::new(
        vec![],
        Keymap::default(),
        Banner::default(),
        SystemTime::now(),
    );
    s.runbooks.push(crate::app::RunbookEntry {
        name: "events-cleanup".into(),
        description: None,
        service: None,
        dangerous: false,
        uses_host: false,
    });
    let entries = palette_view(&s, None, None, "events");
    assert_eq!(entries[0].label, "events");
    assert_eq!(entries[0].request, PaletteAction::Show(Pane::Events));
    assert!(entries.iter().any(|e| e.label == "run events-cleanup"));
}
