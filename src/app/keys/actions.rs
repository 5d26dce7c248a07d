//! Keys of the Actions pane: moving in the jobs and a job's output, and
//! cancelling a running job.

use super::nav::{move_in, scroll};
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::state::{State, View};

/// Movement, open and back in the jobs and a job's output.
pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    match state.view {
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
        View::JobOutput { .. } => scroll(state, action),
        _ => {}
    }
    vec![]
}

/// Cancels the focused running job (the only one, outside the Actions
/// pane).
pub fn cancel(state: &mut State) -> Vec<Effect> {
    let target = match state.view {
        View::Actions => state
            .selected_job()
            .filter(|j| j.is_running())
            .map(|j| j.id),
        View::JobOutput { job, .. } => state.job(job).filter(|j| j.is_running()).map(|j| j.id),
        _ => {
            let running: Vec<_> = state.running_jobs().map(|j| j.id).collect();
            if running.len() > 1 {
                state.flash(
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
            state.flash("no running job to cancel here", false);
            vec![]
        }
    }
}
