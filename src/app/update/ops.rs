//! The reducer's arm for the action layer's events: plans to confirm,
//! refusals, jobs started, progressing and finished.

use crate::app::dialogs::confirm::open_confirm;
use crate::app::msg::{Effect, OpsEvent};
use crate::app::state::{JOB_HISTORY, State};
use crate::model::text::{safe, truncate};
use crate::model::{Confirmation, Job, LastRun, Outcome};

/// Longest job output line kept (bytes); the rest is cut and says so.
pub const MAX_OUTPUT_LINE: usize = 4096;

pub fn on_ops(state: &mut State, event: OpsEvent) -> Vec<Effect> {
    state.dirty = true;
    match event {
        OpsEvent::Planned(plan) => {
            if plan.confirmation == Confirmation::None {
                // The runbook asked not to be confirmed; still audited.
                return vec![Effect::Execute {
                    plan: Box::new(plan),
                    typed: None,
                }];
            }
            if state.dialog.is_some() {
                // Never replace what the operator is reading or typing: the
                // new plan waits until that dialog closes.
                state.flash(
                    format!("{} waits for the open dialog to close", plan.summary()),
                    false,
                );
                state.pending_plans.push_back(plan);
            } else {
                open_confirm(state, plan);
            }
        }
        OpsEvent::Refused { what, reason } => {
            state.flash(safe(&format!("refused {what}: {reason}")), true);
            if let Some(t) = state.text_view.as_mut() {
                t.revealing = false;
            }
        }
        OpsEvent::JobStarted { job, plan, at } => {
            if state.jobs.len() >= JOB_HISTORY
                && let Some(i) = state.jobs.iter().position(|j| !j.is_running())
            {
                state.jobs.remove(i);
            }
            state.jobs.push(Job::new(job, plan, at));
        }
        OpsEvent::JobProgress { job, mut progress } => {
            if let Some(j) = state.job_mut(job) {
                progress.phase = progress.phase.map(|p| safe(&p));
                j.progress = progress;
            }
        }
        OpsEvent::JobOutput { job, line } => {
            if let Some(j) = state.job_mut(job) {
                j.push_output(safe(&truncate(&line, MAX_OUTPUT_LINE)));
            }
        }
        OpsEvent::JobFinished {
            job,
            at,
            mut result,
        } => {
            result.message = safe(&result.message);
            if let Some(f) = &mut result.follow_up {
                f.detail = safe(&f.detail);
            }
            let mut backup_run = None;
            let mut poll_alerts = false;
            if let Some(j) = state.job_mut(job) {
                poll_alerts = matches!(
                    j.plan.verb,
                    crate::model::Verb::Silence | crate::model::Verb::ExpireSilence
                );
                let duration = at.duration_since(j.started).unwrap_or_default();
                if matches!(j.plan.verb, crate::model::Verb::Backup) {
                    backup_run = Some((
                        j.plan.target.name.clone(),
                        LastRun {
                            at,
                            ok: result.outcome == Outcome::Succeeded,
                            duration,
                            message: result.message.clone(),
                        },
                    ));
                }
                j.finished = Some((at, result));
            }
            if state.quit_when_idle && !state.jobs.iter().any(|j| j.is_running()) {
                state.should_quit = true;
            }
            if let Some((name, run)) = backup_run
                && let Some(b) = state.backups.iter_mut().find(|b| b.name == name)
            {
                b.last_run = Some(run);
            }
            if poll_alerts {
                // Show the silence's effect now, not at the next poll.
                return vec![Effect::PollAlerts];
            }
        }
        OpsEvent::Revealed { request } => crate::app::viewer::on_revealed(state, request),
        OpsEvent::AuditFailed(e) => {
            state.flash(safe(&format!("audit log: {e}")), true);
        }
    }
    vec![]
}
