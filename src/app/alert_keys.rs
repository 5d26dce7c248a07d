//! Keys of the Alerts pane: moving, opening an alert, silencing it,
//! expiring its silence, jumping to its service, the targets view.

use super::keymap::Action;
use super::keys::{move_in, scroll};
use super::msg::Effect;
use super::state::{Dialog, SilenceField, State, View};
use super::update::flash;
use crate::model::{ActionRequest, AlertSource, Matcher};

/// Default silence length offered in the dialog.
pub const DEFAULT_SILENCE: &str = "2h";

pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    match state.view {
        View::Alerts => {
            let len = state.alerts.rows.len();
            let rows = state.list_rows();
            move_in(&mut state.alerts.list, action, len, rows);
            match action {
                Action::Open if len > 0 => {
                    state.view = View::AlertDetail {
                        row: state.alerts.list.selected,
                        scroll: 0,
                    };
                }
                Action::Back => state.view = View::Services,
                _ => {}
            }
        }
        View::AlertDetail { .. } => {
            if action == Action::Open {
                go_to_service(state);
            } else {
                scroll(state, action);
            }
        }
        View::Targets => {
            let len = state.alerts.targets().len();
            let rows = state.list_rows();
            move_in(&mut state.alerts.target_list, action, len, rows);
            if action == Action::Back {
                state.view = View::Alerts;
            }
        }
        _ => {}
    }
    vec![]
}

/// The row the current view points at.
fn focused_row(state: &State) -> Option<usize> {
    match state.view {
        View::Alerts => Some(state.alerts.list.selected),
        View::AlertDetail { row, .. } => Some(row),
        _ => None,
    }
    .filter(|r| *r < state.alerts.rows.len())
}

pub fn go_to_service(state: &mut State) {
    let Some(row) = focused_row(state).and_then(|r| state.alerts.rows.get(r)) else {
        return;
    };
    match row.service {
        Some(service) => state.view = View::Detail { service, scroll: 0 },
        None => {
            let name = row.alert.name.clone();
            flash(
                state,
                format!("{name} names no service on this board"),
                false,
            )
        }
    }
}

/// Opens the silence dialog with matchers from the alert's labels.
pub fn silence(state: &mut State) -> Vec<Effect> {
    let Some(row) = focused_row(state).and_then(|r| state.alerts.rows.get(r)) else {
        return vec![];
    };
    // The Alertmanager that reported the alert, else the first configured.
    let server = row
        .sources
        .iter()
        .find(|(s, _, _)| *s == AlertSource::Alertmanager)
        .map(|(_, n, _)| n.clone())
        .or_else(|| state.alerts.alertmanagers.first().cloned());
    let Some(server) = server else {
        flash(
            state,
            "silences need an Alertmanager: add [[alertmanager]] to the config",
            true,
        );
        return vec![];
    };
    let matchers: Vec<Matcher> = row
        .alert
        .labels
        .iter()
        .map(|(k, v)| Matcher::equal(k, v))
        .collect();
    let comment = format!("silenced from opsboard: {}", row.alert.summary);
    state.dialog = Some(Dialog::Silence {
        server,
        matchers: Matcher::format_list(&matchers),
        duration: DEFAULT_SILENCE.into(),
        comment: comment.chars().take(200).collect(),
        field: SilenceField::Matchers,
        error: None,
    });
    vec![]
}

/// Plans expiring the (first) silence that suppresses the alert.
pub fn expire(state: &mut State) -> Vec<Effect> {
    let Some(row) = focused_row(state).and_then(|r| state.alerts.rows.get(r)) else {
        return vec![];
    };
    let Some(id) = row.alert.silenced_by.first().cloned() else {
        let name = row.alert.name.clone();
        flash(state, format!("{name} is not silenced"), false);
        return vec![];
    };
    let Some(sil) = state.alerts.silence(&id) else {
        flash(state, format!("silence {id} is not known yet"), true);
        return vec![];
    };
    vec![Effect::Plan(ActionRequest::ExpireSilence {
        server: sil.origin.clone(),
        id,
        matchers: sil.matchers.clone(),
    })]
}

/// Enter in the silence dialog: check the fields, then ask the action
/// layer for a plan (which is confirmed like any other action).
pub fn submit_silence(state: &mut State) -> Vec<Effect> {
    let Some(Dialog::Silence {
        server,
        matchers,
        duration,
        comment,
        error,
        ..
    }) = &mut state.dialog
    else {
        return vec![];
    };
    let parsed = match Matcher::parse_list(matchers) {
        Ok(m) => m,
        Err(e) => {
            *error = Some(e);
            return vec![];
        }
    };
    let d = match crate::model::parse_duration(duration) {
        Ok(d) => d,
        Err(e) => {
            *error = Some(e);
            return vec![];
        }
    };
    if comment.trim().is_empty() {
        *error = Some("Alertmanager needs a comment".into());
        return vec![];
    }
    let req = ActionRequest::Silence {
        server: server.clone(),
        matchers: parsed,
        duration: d,
        comment: comment.trim().to_string(),
    };
    state.dialog = None;
    vec![Effect::Plan(req)]
}

/// Longest matcher list and comment the dialog accepts.
const MAX_MATCHERS: usize = 1024;
const MAX_COMMENT: usize = 300;

/// Keys in the silence dialog: Tab/↑/↓ move between fields, Enter plans
/// the silence, Esc cancels, Ctrl-U clears the field.
pub fn silence_key(state: &mut State, key: crossterm::event::KeyEvent) -> Vec<Effect> {
    use crossterm::event::{KeyCode, KeyModifiers};
    let Some(Dialog::Silence {
        matchers,
        duration,
        comment,
        field,
        error,
        ..
    }) = &mut state.dialog
    else {
        return vec![];
    };
    state.dirty = true;
    let (text, max) = match field {
        SilenceField::Matchers => (matchers, MAX_MATCHERS),
        SilenceField::Duration => (duration, 16),
        SilenceField::Comment => (comment, MAX_COMMENT),
    };
    match key.code {
        KeyCode::Esc => state.dialog = None,
        KeyCode::Enter => return submit_silence(state),
        KeyCode::Tab | KeyCode::Down => *field = field.next(),
        KeyCode::BackTab | KeyCode::Up => *field = field.next().next(),
        KeyCode::Backspace => {
            text.pop();
            *error = None;
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            text.clear();
            *error = None;
        }
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            state.dialog = None;
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            if text.chars().count() < max {
                text.push(c);
            }
            *error = None;
        }
        _ => {}
    }
    vec![]
}
