//! Keys of the Backups pane: moving in the jobs and a job's files, and
//! `b` (back up the focused job, or the focused service's).

use super::nav::{move_in, scroll};
use crate::app::dialogs::palette;
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::state::{Dialog, State, View};
use crate::model::ActionRequest;

/// Movement, open and back in the backup jobs and a job's files.
pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    match state.view {
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
        View::BackupFiles { .. } => scroll(state, action),
        _ => {}
    }
    vec![]
}

/// The backup job the current view points at.
pub fn focused_backup(state: &State) -> Option<String> {
    match state.view {
        View::Backups => state
            .backups
            .get(state.backup_list.selected)
            .map(|b| b.name.clone()),
        View::BackupFiles { job, .. } => state.backups.get(job).map(|b| b.name.clone()),
        _ => None,
    }
}

/// `b`: backs up the focused job; for a service, its one job, or the
/// palette's backup entries when it has several.
pub fn backup(state: &mut State) -> Vec<Effect> {
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
            state.flash(format!("no backup job is configured for {name}"), false);
            vec![]
        }
        [job] => vec![Effect::Plan(ActionRequest::Backup { job: job.clone() })],
        _ => {
            palette::open_palette(state);
            if let Some(Dialog::Palette { query, .. }) = &mut state.dialog {
                *query = "backup".into();
            }
            vec![]
        }
    }
}
