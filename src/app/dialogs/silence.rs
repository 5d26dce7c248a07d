//! The silence dialog's keys: editing the matchers, duration and comment,
//! and asking the action layer for the silence.

use crate::app::msg::Effect;
use crate::app::state::{Dialog, SilenceField, State};
use crate::model::{ActionRequest, Matcher};

/// Default silence length offered in the dialog.
pub const DEFAULT_SILENCE: &str = "2h";

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
