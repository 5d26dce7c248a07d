//! Keys of the Alerts pane: moving, opening an alert, silencing it,
//! expiring its silence, jumping to its service, the targets view.

use super::nav::{move_in, scroll};
use crate::app::dialogs::silence::DEFAULT_SILENCE;
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::state::{Dialog, SilenceField, State, View};
use crate::model::{ActionRequest, AlertSource, Matcher};

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
            state.flash(format!("{name} names no service on this board"), false)
        }
    }
}

/// `l` on an alert: the logs of its service from a little before the
/// alert started ("the logs around the alert").
pub fn logs_around(state: &mut State) -> Vec<Effect> {
    let Some(row) = focused_row(state).and_then(|r| state.alerts.rows.get(r)) else {
        return vec![];
    };
    let Some(service) = row.service else {
        let name = row.alert.name.clone();
        state.flash(format!("{name} names no service on this board"), false);
        return vec![];
    };
    let since = row
        .alert
        .since
        .or(row.alert.fired_at)
        .map(|t| t - crate::app::logs::BEFORE_ALERT);
    super::logs::open(state, service, since, false)
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
        state.flash(
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
        state.flash(format!("{name} is not silenced"), false);
        return vec![];
    };
    let Some(sil) = state.alerts.silence(&id) else {
        state.flash(format!("silence {id} is not known yet"), true);
        return vec![];
    };
    vec![Effect::Plan(ActionRequest::ExpireSilence {
        server: sil.origin.clone(),
        id,
        matchers: sil.matchers.clone(),
    })]
}
