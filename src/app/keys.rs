//! Key handling for every view. Dialogs (confirm, palette) are in
//! `dialogs.rs`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::dialogs;
use super::keymap::Action;
use super::msg::Effect;
use super::state::{Dialog, Pane, State, View};
use super::update::flash;
use crate::model::ActionRequest;

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    // Key release events (kitty protocol) must not act twice.
    if key.kind == KeyEventKind::Release {
        return vec![];
    }
    // Ctrl-C always quits, whatever has focus (asking first while jobs
    // run; a second Ctrl-C quits).
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        super::update::request_quit(state);
        return vec![];
    }
    if state.dialog.is_some() {
        state.dirty = true;
        return dialogs::on_key(state, key);
    }
    if state.fleet.filter.editing {
        super::fleet_keys::edit_filter(state, key);
        return vec![];
    }
    if state.filter.editing {
        edit_filter(state, key);
        return vec![];
    }
    if state.logs.editing {
        edit_log_search(state, key);
        return vec![];
    }
    if state.help_open {
        // Help is modal: only closing it (or quitting) does anything.
        match state.keymap.action_for(&key, state.context()) {
            Some(Action::Help | Action::Back) => {
                state.help_open = false;
                state.dirty = true;
            }
            Some(Action::Quit) => super::update::request_quit(state),
            _ => {}
        }
        return vec![];
    }
    if matches!(state.view, View::Services | View::Detail { .. })
        && let Some(runbook) = state.keymap.runbook_for(&key).map(str::to_string)
    {
        let focused = state.focused_service();
        let service = focused.map(|i| state.services[i].name.clone());
        let scope = super::runbook_scope::runbook_scope(state, focused, None);
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
        Action::Quit => super::update::request_quit(state),
        Action::Help => state.help_open = true,
        Action::Refresh => {
            return match state.view {
                View::Detail { service, .. } => vec![Effect::PollNow(Some(vec![service]))],
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
        Action::ShowAlerts => state.view = View::Alerts,
        Action::Targets => {
            state.view = if state.view == View::Targets {
                View::Alerts
            } else {
                View::Targets
            }
        }
        Action::Silence => return super::alert_keys::silence(state),
        Action::ExpireSilence => return super::alert_keys::expire(state),
        Action::GoToService if state.pane() == Pane::Fleet => super::fleet_keys::go_to(state),
        Action::GoToService => super::alert_keys::go_to_service(state),
        Action::Logs => return open_logs(state),
        Action::Timestamps => {
            if matches!(state.view, View::Logs { .. }) {
                state.logs.timestamps = !state.logs.timestamps;
            }
        }
        Action::Scale => dialogs::open_scale(state),
        Action::Restart if state.pane() == Pane::Fleet => {
            return super::fleet_keys::restart(state);
        }
        Action::Restart => {
            if let Some(t) = dialogs::focused_docker(state) {
                return vec![Effect::Plan(ActionRequest::DockerRestart { target: t })];
            }
            if let Some(w) = dialogs::focused_workload(state) {
                return vec![Effect::Plan(ActionRequest::Restart { workload: w.id })];
            }
        }
        Action::Rollback => {
            if let Some(t) = dialogs::focused_docker(state) {
                return vec![Effect::Plan(ActionRequest::DockerRollback { target: t })];
            }
            if let Some(w) = dialogs::focused_workload(state) {
                return vec![Effect::Plan(ActionRequest::Rollback {
                    workload: w.id,
                    to_revision: None,
                })];
            }
        }
        Action::DeletePod => {
            if let Some(w) = dialogs::focused_workload(state) {
                if w.pods.is_empty() {
                    flash(state, format!("{} has no pods", w.id.short()), false);
                } else {
                    dialogs::open_palette_for(state, "delete pod");
                }
            }
        }
        Action::Palette => dialogs::open_palette(state),
        Action::Backup => return backup(state),
        Action::Verify => {
            if let Some(job) = focused_backup(state) {
                return vec![Effect::Plan(ActionRequest::Verify { job })];
            }
        }
        Action::CancelJob => return cancel(state),
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
                flash(state, "nothing to dismiss", false);
            }
        }
        _ => return navigate(state, action),
    }
    vec![]
}

/// The backup job the current view points at.
fn focused_backup(state: &State) -> Option<String> {
    match state.view {
        View::Backups => state
            .backups
            .get(state.backup_list.selected)
            .map(|b| b.name.clone()),
        View::BackupFiles { job, .. } => state.backups.get(job).map(|b| b.name.clone()),
        _ => None,
    }
}

fn backup(state: &mut State) -> Vec<Effect> {
    if let Some(job) = focused_backup(state) {
        return vec![Effect::Plan(ActionRequest::Backup { job })];
    }
    let Some(service) = state.focused_service() else {
        return vec![];
    };
    let name = state.services[service].name.clone();
    let jobs: Vec<String> = state
        .backups
        .iter()
        .filter(|b| b.service == name)
        .map(|b| b.name.clone())
        .collect();
    match jobs.as_slice() {
        [] => {
            flash(
                state,
                format!("no backup job is configured for {name}"),
                false,
            );
            vec![]
        }
        [job] => vec![Effect::Plan(ActionRequest::Backup { job: job.clone() })],
        _ => {
            dialogs::open_palette(state);
            if let Some(Dialog::Palette { query, .. }) = &mut state.dialog {
                *query = "backup".into();
            }
            vec![]
        }
    }
}

fn cancel(state: &mut State) -> Vec<Effect> {
    let target = match state.view {
        View::Actions => state
            .selected_job()
            .filter(|j| j.is_running())
            .map(|j| j.id),
        View::JobOutput { job, .. } => state.job(job).filter(|j| j.is_running()).map(|j| j.id),
        _ => {
            let running: Vec<_> = state.running_jobs().map(|j| j.id).collect();
            if running.len() > 1 {
                flash(
                    state,
                    format!(
                        "{} jobs are running: cancel one from the Actions pane (5)",
                        running.len()
                    ),
                    false,
                );
                return vec![];
            }
            running.first().copied()
        }
    };
    match target {
        Some(id) => vec![Effect::CancelJob(id)],
        None => {
            flash(state, "no running job to cancel here", false);
            vec![]
        }
    }
}

/// Opens the logs view of the focused service's containers (all replicas,
/// interleaved, each line prefixed with its replica).
fn open_logs(state: &mut State) -> Vec<Effect> {
    let Some(i) = state.focused_service() else {
        return vec![];
    };
    let s = &state.services[i];
    if s.containers.is_empty() {
        let why = format!("{} has no containers to show logs of", s.name);
        flash(state, why, false);
        return vec![];
    }
    let containers = s
        .containers
        .iter()
        .map(|c| (c.host.clone(), c.id.clone(), c.name.clone()))
        .collect();
    state.logs = super::state::LogView {
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

fn edit_log_search(state: &mut State, key: KeyEvent) {
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

/// Movement, open and back, per view.
fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    match state.view {
        View::Services => services_list(state, action),
        View::Backups => {
            let len = state.backups.len();
            let rows = state.list_rows();
            move_in(&mut state.backup_list, action, len, rows);
            match action {
                Action::Open if len > 0 => {
                    state.view = View::BackupFiles {
                        job: state.backup_list.selected,
                        scroll: 0,
                    };
                }
                Action::Back => state.view = View::Services,
                _ => {}
            }
        }
        View::Actions => {
            let len = state.jobs.len();
            let rows = state.list_rows();
            move_in(&mut state.job_list, action, len, rows);
            match action {
                Action::Open => {
                    if let Some(id) = state.selected_job().map(|j| j.id) {
                        state.view = View::JobOutput {
                            job: id,
                            scroll: 0,
                            follow: true,
                        };
                    }
                }
                Action::Back => state.view = View::Services,
                _ => {}
            }
        }
        View::Detail { .. } | View::BackupFiles { .. } | View::JobOutput { .. } => {
            scroll(state, action)
        }
        View::Logs { service, .. } => match action {
            Action::Back => {
                state.view = View::Detail { service, scroll: 0 };
                return vec![Effect::StopLogs];
            }
            Action::Filter => state.logs.editing = true,
            _ => scroll(state, action),
        },
        View::Alerts | View::AlertDetail { .. } | View::Targets => {
            return super::alert_keys::navigate(state, action);
        }
        View::Fleet | View::FleetInstance { .. } => {
            return super::fleet_keys::navigate(state, action);
        }
        View::Nodes => {
            let len: usize = state.clusters.values().map(|c| c.nodes.len()).sum();
            let rows = state.list_rows();
            move_in(&mut state.node_list, action, len, rows);
            if action == Action::Back {
                state.view = View::Services;
            }
        }
    }
    vec![]
}

pub(super) fn move_in(pos: &mut super::state::ListPos, action: Action, len: usize, rows: usize) {
    let last = len.saturating_sub(1);
    let page = rows.max(1);
    let sel = &mut pos.selected;
    match action {
        Action::Up => *sel = sel.saturating_sub(1),
        Action::Down => *sel = (*sel + 1).min(last),
        Action::Top => *sel = 0,
        Action::Bottom => *sel = last,
        Action::PageUp => *sel = sel.saturating_sub(page),
        Action::PageDown => *sel = (*sel + page).min(last),
        _ => {}
    }
    *sel = (*sel).min(last);
    pos.offset = super::layout::scroll_to_show(*sel, pos.offset, rows, len);
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

/// Scrolling in detail-like views; Esc returns to the pane's list.
pub(super) fn scroll(state: &mut State, action: Action) {
    let page = state.height.saturating_sub(4).max(1);
    let pane = state.pane();
    let (scroll, follow) = match &mut state.view {
        View::Detail { scroll, .. }
        | View::BackupFiles { scroll, .. }
        | View::AlertDetail { scroll, .. }
        | View::FleetInstance { scroll } => (scroll, None),
        View::JobOutput { scroll, follow, .. } | View::Logs { scroll, follow, .. } => {
            (scroll, Some(follow))
        }
        _ => return,
    };
    match action {
        Action::Back => {
            state.view = pane.view();
            return;
        }
        Action::Up => *scroll = scroll.saturating_sub(1),
        Action::Down => *scroll = scroll.saturating_add(1),
        Action::Top => *scroll = 0,
        Action::Bottom => *scroll = u16::MAX,
        Action::PageUp => *scroll = scroll.saturating_sub(page),
        Action::PageDown => *scroll = scroll.saturating_add(page),
        _ => {}
    }
    if let Some(follow) = follow {
        // Scrolling up stops following the output; End resumes it.
        match action {
            Action::Up | Action::PageUp | Action::Top => *follow = false,
            Action::Bottom => *follow = true,
            _ => {}
        }
    }
}

fn edit_filter(state: &mut State, key: KeyEvent) {
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
