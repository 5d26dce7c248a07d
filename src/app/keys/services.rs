//! Keys of the Services pane: the services list and its `/` filter, a
//! service's detail, and its logs with their search.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::nav::{move_in, scroll};
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::state::{LogView, State, View};

/// Movement, open and back in the services list, a service's detail and
/// its logs.
pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    match state.view {
        View::Services => services_list(state, action),
        View::Detail { .. } => scroll(state, action),
        View::Logs { service, .. } => match action {
            Action::Back => {
                state.view = View::Detail { service, scroll: 0 };
                return vec![Effect::StopLogs];
            }
            Action::Filter => state.logs.editing = true,
            _ => scroll(state, action),
        },
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

/// Opens the logs view of the focused service's containers (all replicas,
/// interleaved, each line prefixed with its replica).
pub fn open_logs(state: &mut State) -> Vec<Effect> {
    let Some(i) = state.focused_service() else {
        return vec![];
    };
    let s = &state.services[i];
    if s.containers.is_empty() {
        let why = format!("{} has no containers to show logs of", s.name);
        state.flash(why, false);
        return vec![];
    }
    let containers = s
        .containers
        .iter()
        .map(|c| (c.host.clone(), c.id.clone(), c.name.clone()))
        .collect();
    state.logs = LogView {
        timestamps: state.logs.timestamps,
        ..Default::default()
    };
    state.view = View::Logs {
        service: i,
        scroll: 0,
        follow: true,
    };
    vec![Effect::FollowLogs(containers)]
}

/// Typing into the log search.
pub fn edit_log_search(state: &mut State, key: KeyEvent) {
    match key.code {
        KeyCode::Esc => {
            state.logs.search.clear();
            state.logs.editing = false;
        }
        KeyCode::Enter => state.logs.editing = false,
        KeyCode::Backspace => {
            state.logs.search.pop();
        }
        KeyCode::Char(c)
            if !key.modifiers.contains(KeyModifiers::CONTROL)
                && state.logs.search.chars().count() < 64 =>
        {
            state.logs.search.push(c)
        }
        _ => return,
    }
    state.dirty = true;
}
