//! Keys of the Events pane: moving in the events, the `/` filter, only
//! warnings, and `Enter`/`o` to the event's service or node.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::nav::move_in;
use crate::app::events::{EventTarget, rows, selected, target, visible_rows};
use crate::app::keymap::Action;
use crate::app::layout::scroll_to_show;
use crate::app::msg::Effect;
use crate::app::state::{State, View};

/// Characters the filter holds at most.
const MAX_FILTER: usize = 64;

pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Filter => state.events.filter.editing = true,
        Action::WarningsOnly => {
            state.events.warnings_only = !state.events.warnings_only;
            state.events.list.selected = 0;
            let key = state
                .keymap
                .primary_key(Action::WarningsOnly)
                .unwrap_or_default();
            let what = if state.events.warnings_only {
                format!("only Warning events ({key}: all)")
            } else {
                format!("every event ({key}: only warnings)")
            };
            state.flash(what, false);
        }
        Action::Open | Action::GoToService => go_to(state),
        Action::Back if !state.events.filter.text.is_empty() => {
            state.events.filter.text.clear();
            state.events.list.selected = 0;
        }
        Action::Back => state.view = View::Services,
        _ => {}
    }
    let len = rows(state).len();
    let page = visible_rows(state);
    move_in(&mut state.events.list, action, len, page);
    vec![]
}

/// Keys typed into the `/` filter.
pub fn edit_filter(state: &mut State, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let ev = &mut state.events;
    match key.code {
        KeyCode::Esc => {
            ev.filter.text.clear();
            ev.filter.editing = false;
        }
        KeyCode::Enter => ev.filter.editing = false,
        KeyCode::Backspace => {
            ev.filter.text.pop();
        }
        KeyCode::Up | KeyCode::Down => {
            let action = if key.code == KeyCode::Up {
                Action::Up
            } else {
                Action::Down
            };
            let len = rows(state).len();
            let page = visible_rows(state);
            move_in(&mut state.events.list, action, len, page);
            state.dirty = true;
            return;
        }
        KeyCode::Char('u') if ctrl => ev.filter.text.clear(),
        KeyCode::Char(c) if !ctrl => {
            if ev.filter.text.chars().count() < MAX_FILTER {
                ev.filter.text.push(c);
            }
        }
        _ => return,
    }
    state.events.list = Default::default();
    state.dirty = true;
}

/// `Enter`/`o`: the service the event's object belongs to, or the Nodes
/// pane on its node; the flash says when it is on neither.
fn go_to(state: &mut State) {
    let Some(e) = selected(state) else {
        return;
    };
    match target(state, e) {
        EventTarget::Service(service) => state.view = View::Detail { service, scroll: 0 },
        EventTarget::Node(i) => {
            state.view = View::Nodes;
            let len: usize = state.clusters.values().map(|c| c.nodes.len()).sum();
            let rows = state.list_rows();
            state.node_list.selected = i;
            state.node_list.offset = scroll_to_show(i, state.node_list.offset, rows, len);
        }
        EventTarget::Nowhere(why) => state.flash(why, false),
    }
}
