//! The one key dispatcher. A key goes to the open dialog, else to the
//! input being typed into (a filter, the log search), else to help; then
//! the keymap names its action: board-wide actions are handled here, and
//! movement, open and back go to the focused pane's keys.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{actions, alerts, backups, events, fleet, logs, nodes, services, viewer};
use crate::app::dialogs::{confirm, palette, quit, scale, silence};
use crate::app::focus::{focused_docker, focused_workload};
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::runbook_scope::runbook_scope;
use crate::app::state::{Dialog, Pane, State, View};
use crate::model::ActionRequest;
use crate::model::document::Rendering;

/// Handles one key press (`Msg::Key`).
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    // Key release events (kitty protocol) must not act twice.
    if key.kind == KeyEventKind::Release {
        return vec![];
    }
    // Ctrl-C always quits, whatever has focus (asking first while jobs
    // run; a second Ctrl-C quits).
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        quit::request_quit(state);
        return vec![];
    }
    if state.dialog.is_some() {
        state.dirty = true;
        return dialog_key(state, key);
    }
    if state.fleet.filter.editing {
        fleet::edit_filter(state, key);
        return vec![];
    }
    if state.events.filter.editing {
        events::edit_filter(state, key);
        return vec![];
    }
    if state.filter.editing {
        services::edit_filter(state, key);
        return vec![];
    }
    if state.logs.editing {
        logs::edit_search(state, key);
        return vec![];
    }
    if matches!(state.view, View::Text { .. })
        && state.text_view.as_ref().is_some_and(|t| t.editing)
    {
        crate::app::viewer::edit_search(state, key);
        return vec![];
    }
    if state.help_open {
        // Help is modal: only closing it (or quitting) does anything.
        match state.keymap.action_for(&key, state.context()) {
            Some(Action::Help | Action::Back) => {
                state.help_open = false;
                state.dirty = true;
            }
            Some(Action::Quit) => quit::request_quit(state),
            _ => {}
        }
        return vec![];
    }
    if matches!(state.view, View::Services | View::Detail { .. })
        && let Some(runbook) = state.keymap.runbook_for(&key).map(str::to_string)
    {
        let focused = state.focused_service();
        let service = focused.map(|i| state.services[i].name.clone());
        let scope = runbook_scope(state, focused, None);
        return vec![Effect::Plan(ActionRequest::Runbook {
            runbook,
            service,
            host: None,
            scope,
        })];
    }
    let Some(action) = state.keymap.action_for(&key, state.context()) else {
        return vec![];
    };
    state.dirty = true;
    state.flash = None;
    match action {
        Action::Quit => quit::request_quit(state),
        Action::Help => state.help_open = true,
        Action::Refresh => {
            return match state.view {
                View::Detail { service, .. } => vec![Effect::PollNow(Some(vec![service]))],
                View::Text { .. } => crate::app::viewer::reload(state),
                _ => vec![Effect::PollNow(None)],
            };
        }
        Action::NextPane | Action::PrevPane => {
            let all = Pane::ALL;
            let i = all.iter().position(|p| *p == state.pane()).unwrap_or(0);
            let n = all.len();
            let next = if action == Action::NextPane {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            state.view = all[next].view();
        }
        Action::ShowServices => state.view = View::Services,
        Action::ShowFleet => state.view = View::Fleet,
        Action::ShowBackups => state.view = View::Backups,
        Action::ShowActions => state.view = View::Actions,
        Action::ShowNodes => state.view = View::Nodes,
        Action::ShowEvents => state.view = View::Events,
        Action::ShowAlerts => state.view = View::Alerts,
        Action::Targets => {
            state.view = if state.view == View::Targets {
                View::Alerts
            } else {
                View::Targets
            }
        }
        Action::Silence => return alerts::silence(state),
        Action::ExpireSilence => return alerts::expire(state),
        Action::GoToService if state.pane() == Pane::Fleet => fleet::go_to(state),
        Action::GoToService if state.pane() == Pane::Events => {
            return events::navigate(state, action);
        }
        Action::GoToService => alerts::go_to_service(state),
        Action::Logs if state.pane() == Pane::Alerts => return alerts::logs_around(state),
        Action::Logs => return logs::open_focused(state),
        Action::Describe => return viewer::describe(state, Rendering::Describe),
        Action::Yaml => return viewer::describe(state, Rendering::Yaml),
        Action::Inspect => return viewer::inspect(state),
        Action::Exec => return super::exec::exec(state),
        Action::Scale => scale::open_scale(state),
        Action::Restart if state.pane() == Pane::Fleet => {
            return fleet::restart(state);
        }
        Action::Restart => {
            if let Some(t) = focused_docker(state) {
                return vec![Effect::Plan(ActionRequest::DockerRestart { target: t })];
            }
            if let Some(w) = focused_workload(state) {
                return vec![Effect::Plan(ActionRequest::Restart { workload: w.id })];
            }
        }
        Action::Rollback => {
            if let Some(t) = focused_docker(state) {
                return vec![Effect::Plan(ActionRequest::DockerRollback { target: t })];
            }
            if let Some(w) = focused_workload(state) {
                return vec![Effect::Plan(ActionRequest::Rollback {
                    workload: w.id,
                    to_revision: None,
                })];
            }
        }
        Action::Switch => return switch(state),
        Action::Cordon | Action::Drain => return nodes::act(state, action),
        Action::DeletePod => {
            if let Some(w) = focused_workload(state) {
                if w.pods.is_empty() {
                    state.flash(format!("{} has no pods", w.id.short()), false);
                } else {
                    palette::open_palette_for(state, "delete pod");
                }
            }
        }
        Action::Palette => palette::open_palette(state),
        Action::Copy => {
            return match crate::app::copy::text_of(state) {
                Some((what, text)) => {
                    let lines = text.lines().count();
                    state.flash(
                        format!(
                            "copied {what} ({lines} line{}) to the clipboard",
                            if lines == 1 { "" } else { "s" }
                        ),
                        false,
                    );
                    vec![Effect::Copy(text)]
                }
                None => {
                    state.flash("nothing to copy here", false);
                    vec![]
                }
            };
        }
        Action::Backup => return backups::backup(state),
        Action::Verify => {
            if let Some(job) = backups::focused_backup(state) {
                return vec![Effect::Plan(ActionRequest::Verify { job })];
            }
        }
        Action::CancelJob => return actions::cancel(state),
        Action::Dismiss => {
            let mut n = 0;
            for j in state
                .jobs
                .iter_mut()
                .filter(|j| !j.is_running() && !j.dismissed)
            {
                j.dismissed = true;
                n += 1;
            }
            if n == 0 {
                state.flash("nothing to dismiss", false);
            }
        }
        _ => return pane_key(state, action),
    }
    vec![]
}

/// A key for the open dialog: each kind of dialog takes its own keys.
fn dialog_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    match state.dialog.take() {
        Some(Dialog::Confirm { plan, typed, shown }) => {
            confirm::confirm_key(state, key, plan, typed, shown)
        }
        Some(Dialog::Quit { running }) => quit::quit_key(state, key, running),
        Some(Dialog::Palette {
            service,
            query,
            selected,
            only,
        }) => palette::palette_key(state, key, service, query, selected, only),
        Some(Dialog::Scale {
            workload,
            current,
            value,
            hpa,
        }) => scale::scale_key(state, key, workload, current, value, hpa),
        Some(d @ Dialog::Silence { .. }) => {
            state.dialog = Some(d);
            silence::silence_key(state, key)
        }
        None => vec![],
    }
}

/// Movement, open and back: the focused pane's own keys.
fn pane_key(state: &mut State, action: Action) -> Vec<Effect> {
    if matches!(state.view, View::Logs { .. }) {
        return logs::on_action(state, action);
    }
    if matches!(state.view, View::Text { .. }) {
        return viewer::navigate(state, action);
    }
    match state.pane() {
        Pane::Services => services::navigate(state, action),
        Pane::Backups => backups::navigate(state, action),
        Pane::Actions => actions::navigate(state, action),
        Pane::Nodes => nodes::navigate(state, action),
        Pane::Alerts => alerts::navigate(state, action),
        Pane::Fleet => fleet::navigate(state, action),
        Pane::Events => events::navigate(state, action),
    }
}

/// `B`: the focused service's blue-green Service to its other slot; the
/// action layer refuses when that slot is not fully ready.
fn switch(state: &mut State) -> Vec<Effect> {
    let Some(i) = state.focused_service() else {
        return vec![];
    };
    let s = &state.services[i];
    let Some(p) = &s.blue_green else {
        let why = format!(
            "{} is not a blue-green pair (a Kubernetes Service over two Deployments that differ only in a slot label)",
            s.name
        );
        state.flash(why, false);
        return vec![];
    };
    vec![Effect::Plan(ActionRequest::Switch {
        service: crate::model::ServiceRef {
            context: p.context.clone(),
            namespace: p.namespace.clone(),
            name: p.service.clone(),
        },
        to: p.idle.workload.clone(),
        key: p.key.clone(),
        slot: p.idle.name.clone(),
    })]
}
