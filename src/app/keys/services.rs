//! Keys of the Services pane: the services list and its `/` filter, a
//! service's detail.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::nav::{move_in, scroll};
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::state::{State, View};

/// Movement, open and back in the services list, a service's detail and
/// its logs.
pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    match state.view {
        View::Services => services_list(state, action),
        View::Detail { .. } => scroll(state, action),
        _ => {}
    }
    vec![]
}

fn services_list(state: &mut State, action: Action) {
    let len = state.order.len();
    let rows = state.list_rows();
    move_in(&mut state.list, action, len, rows);
    match action {
        Action::Filter => state.filter.editing = true,
        Action::Open => {
            if let Some(service) = state.selected_service() {
                state.view = View::Detail { service, scroll: 0 };
            }
        }
        Action::Back if !state.filter.text.is_empty() => {
            state.filter.text.clear();
            state.reorder();
        }
        _ => {}
    }
}

/// Typing into the services filter.
pub fn edit_filter(state: &mut State, key: KeyEvent) {
    match key.code {
        KeyCode::Esc => {
            state.filter.text.clear();
            state.filter.editing = false;
        }
        KeyCode::Enter => state.filter.editing = false,
        KeyCode::Backspace => {
            state.filter.text.pop();
        }
        KeyCode::Up => {
            state.list.selected = state.list.selected.saturating_sub(1);
            state.keep_selection_visible();
        }
        KeyCode::Down => {
            state.list.selected =
                (state.list.selected + 1).min(state.order.len().saturating_sub(1));
            state.keep_selection_visible();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.filter.text.clear();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            if state.filter.text.chars().count() < 64 {
                state.filter.text.push(c);
            }
        }
        _ => return,
    }
    state.list.selected = 0;
    state.reorder();
    state.dirty = true;
}
