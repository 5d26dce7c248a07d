//! Keys of the logs view, and opening it: from a service (its recent
//! tail, followed) or from an alert (from a little before the alert
//! started, paused at the top).

use std::time::SystemTime;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::keymap::Action;
use crate::app::logs::{LogView, targets_of};
use crate::app::msg::Effect;
use crate::app::state::{Pane, State, View};
use crate::model::LogRequest;

/// Opens the logs view of service `i`: from `since` (around an alert) or
/// the recent tail, of the running or the previous containers.
pub fn open(state: &mut State, i: usize, since: Option<SystemTime>, previous: bool) -> Vec<Effect> {
    let Some(s) = state.services.get(i) else {
        return vec![];
    };
    let targets = targets_of(s, previous);
    // A workload whose pods are not listed yet opens empty; its pods join
    // as they are seen.
    let pods_to_come = !previous && s.workload.is_some();
    if targets.is_empty() && !pods_to_come {
        let why = if previous {
            format!(
                "no container of {} has restarted: there is no previous run to show",
                s.name
            )
        } else {
            format!("{} has no containers or pods to show logs of", s.name)
        };
        state.flash(why, false);
        return vec![];
    }
    let from = match state.view {
        View::Logs { from, .. } => from,
        v => v.pane(),
    };
    let request = LogRequest {
        targets,
        since,
        previous,
    };
    state.logs = LogView {
        timestamps: state.logs.timestamps || since.is_some(),
        wrap: state.logs.wrap,
        request: request.clone(),
        // Around an alert the view starts at the top, at the alert.
        follow: since.is_none(),
        from_bottom: if since.is_some() { usize::MAX } else { 0 },
        ..Default::default()
    };
    state.view = View::Logs { service: i, from };
    state.dirty = true;
    vec![Effect::FollowLogs(request)]
}

/// `l` in the services list or a service's detail.
pub fn open_focused(state: &mut State) -> Vec<Effect> {
    match state.focused_service() {
        Some(i) => open(state, i, None, false),
        None => vec![],
    }
}

/// After a snapshot: the pods of the open logs view's service may have
/// come or gone; the feed follows them.
pub fn refresh_targets(state: &mut State) -> Vec<Effect> {
    let View::Logs { service, .. } = state.view else {
        return vec![];
    };
    if state.logs.request.previous {
        return vec![];
    }
    let Some(s) = state.services.get(service) else {
        return vec![];
    };
    let now = targets_of(s, false);
    if now == state.logs.request.targets {
        return vec![];
    }
    state.logs.request.targets = now.clone();
    vec![Effect::LogTargets(now)]
}

/// The logs view's keys (after the dispatcher has found their action).
pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let View::Logs { service, from } = state.view else {
        return vec![];
    };
    match action {
        Action::Back => {
            state.view = match from {
                Pane::Services => View::Detail { service, scroll: 0 },
                p => p.view(),
            };
            return vec![Effect::StopLogs];
        }
        Action::Filter => state.logs.editing = true,
        Action::Timestamps => state.logs.timestamps = !state.logs.timestamps,
        Action::Wrap => state.logs.wrap = !state.logs.wrap,
        Action::Previous => {
            let previous = !state.logs.request.previous;
            let since = state.logs.request.since.filter(|_| !previous);
            return open(state, service, since, previous);
        }
        Action::Container => next_container(state),
        a => scroll(state, a),
    }
    vec![]
}

/// `c`: the next container of multi-container pods (then all again).
fn next_container(state: &mut State) {
    let names = state.logs.containers();
    if names.is_empty() {
        state.flash("every pod here has one container", false);
        return;
    }
    state.logs.container = match &state.logs.container {
        None => names.first().cloned(),
        Some(c) => names
            .iter()
            .position(|n| n == c)
            .and_then(|i| names.get(i + 1))
            .cloned(),
    };
}

/// Scrolling: up pauses, End follows again.
fn scroll(state: &mut State, action: Action) {
    let page = state.height.saturating_sub(6).max(1) as usize;
    let logs = &mut state.logs;
    let last = logs.shown().count().saturating_sub(1);
    let from = if logs.follow {
        0
    } else {
        logs.from_bottom.min(last)
    };
    let to = match action {
        Action::Up => from + 1,
        Action::PageUp => from + page,
        Action::Top => last,
        Action::Down => from.saturating_sub(1),
        Action::PageDown => from.saturating_sub(page),
        Action::Bottom => 0,
        _ => return,
    };
    logs.from_bottom = to.min(last);
    logs.follow = action == Action::Bottom || (logs.follow && to == 0);
}

/// Typing into the log search.
pub fn edit_search(state: &mut State, key: KeyEvent) {
    match key.code {
        KeyCode::Esc => {
            state.logs.search.clear();
            state.logs.editing = false;
        }
        KeyCode::Enter => state.logs.editing = false,
        KeyCode::Backspace => {
            state.logs.search.pop();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.logs.search.clear();
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
