//! `update(&mut State, Msg) -> Vec<Effect>`: the whole behaviour of the
//! board, pure and synchronous. Keys are handled in `keys.rs`, dialogs in
//! `dialogs.rs`.

use std::time::Duration;

use super::msg::{Effect, Msg, OpsEvent};
use super::state::{Dialog, Flash, JOB_HISTORY, State, View};
use crate::model::text::{safe, truncate};
use crate::model::{Confirmation, Job, LastRun, Outcome};

/// Longest job output line kept (bytes); the rest is cut and says so.
pub const MAX_OUTPUT_LINE: usize = 4096;

/// How long a flash message stays in the status line.
const FLASH_FOR: Duration = Duration::from_secs(8);

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = handle(state, msg);
    if state.view.pane() == super::state::Pane::Fleet {
        super::fleet_keys::sync(state);
    }
    if state.dialog.is_none()
        && let Some(plan) = state.pending_plans.pop_front()
    {
        open_confirm(state, plan);
    }
    effects
}

/// Opens the confirm dialog for `plan`. It cannot be confirmed until it has
/// been drawn (see [`Msg::Drawn`]).
fn open_confirm(state: &mut State, plan: crate::model::ActionPlan) {
    // Help is drawn over dialogs: the plan must not take keys while hidden.
    state.help_open = false;
    state.dialog = Some(Dialog::Confirm {
        plan: Box::new(plan),
        typed: String::new(),
        shown: None,
    });
    state.dirty = true;
}

/// `q`: leaves at once when nothing runs; with jobs running it asks first
/// (wait for them, interrupt them, or stay). A second quit in that dialog
/// quits.
pub fn request_quit(state: &mut State) {
    let running = state.jobs.iter().filter(|j| j.is_running()).count();
    if running == 0 || matches!(state.dialog, Some(Dialog::Quit { .. })) {
        state.should_quit = true;
        return;
    }
    if let Some(Dialog::Confirm { plan, .. }) = state.dialog.take() {
        // The plan on screen is not run; the action layer records that.
        state.pending_plans.push_front(*plan);
    }
    state.dialog = Some(Dialog::Quit { running });
    state.dirty = true;
}

fn handle(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => super::keys::on_key(state, key),
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            state.keep_selection_visible();
            state.dirty = true;
            vec![]
        }
        Msg::Tick(now) => {
            state.now = now;
            let mut status_changed = false;
            for s in &mut state.services {
                for p in &mut s.probes {
                    status_changed |= p.check_stale(now);
                }
            }
            if status_changed {
                state.reorder();
            }
            if let Some(f) = &state.flash
                && now.duration_since(f.at).unwrap_or_default() >= FLASH_FOR
            {
                state.flash = None;
            }
            // The header clock and "ago" ages move every second.
            state.dirty = true;
            super::update_metrics::evaluate_rules(state)
        }
        Msg::Probe {
            id,
            generation,
            outcome,
        } => {
            if generation != state.generation {
                return vec![];
            }
            let Some(service) = state.services.get_mut(id.service) else {
                return vec![];
            };
            let before = service.status();
            let at = outcome.at;
            let Some(probe) = service.probes.get_mut(id.probe) else {
                return vec![];
            };
            probe.apply(outcome);
            let after = service.status();
            state.last_poll = Some(state.last_poll.map_or(at, |p| p.max(at)));
            if before != after {
                state.reorder();
                state.dirty = true;
            } else if state.is_on_screen(id.service) {
                state.dirty = true;
            }
            vec![]
        }
        Msg::Shutdown => {
            state.should_quit = true;
            vec![]
        }
        Msg::Drawn(at) => {
            if let Some(Dialog::Confirm { shown, .. }) = &mut state.dialog
                && shown.is_none()
            {
                *shown = Some(at);
            }
            vec![]
        }
        Msg::Ops(event) => on_ops(state, event),
        Msg::LogLines(lines) => {
            let logs = &mut state.logs;
            for l in lines {
                if logs.lines.len() == super::state::LOG_LINES {
                    logs.lines.pop_front();
                    logs.dropped += 1;
                }
                logs.lines.push_back(l);
            }
            if matches!(state.view, View::Logs { .. }) {
                state.dirty = true;
            }
            vec![]
        }
        Msg::Docker(snap) => {
            super::join::apply_docker(state, *snap);
            state.fleet.others_stale = true;
            vec![]
        }
        Msg::Kube(snap) => {
            super::join::apply_cluster(state, *snap);
            state.fleet.others_stale = true;
            vec![]
        }
        Msg::DevicePolls {
            fleet,
            generation,
            results,
        } => {
            if generation == state.generation
                && state.fleet.apply_polls(fleet, results)
                && state.view.pane() == super::state::Pane::Fleet
            {
                state.dirty = true;
            }
            vec![]
        }
        Msg::FleetQuery {
            fleet,
            generation,
            at,
            devices,
        } => {
            if generation == state.generation {
                state.fleet.apply_query(fleet, at, devices);
                state.dirty = true;
            }
            vec![]
        }
        Msg::BackupsScanned { job, files } => {
            if let Some(j) = state.backups.iter_mut().find(|j| j.name == job) {
                match files {
                    Ok(f) => {
                        j.files = f;
                        j.scan_error = None;
                    }
                    Err(e) => j.scan_error = Some(e),
                }
                state.dirty = true;
            }
            super::update_metrics::evaluate_rules(state)
        }
        Msg::Metrics {
            service,
            generation,
            update,
        } => super::update_metrics::on_metrics(state, service, generation, update),
        Msg::RemoteAlerts {
            source,
            server,
            at,
            alerts,
        } => super::update_metrics::on_remote_alerts(state, source, server, at, alerts),
        Msg::Silences { server, silences } => {
            super::update_metrics::on_silences(state, server, silences)
        }
        Msg::PromTargets {
            server,
            at,
            targets,
            rules,
        } => {
            state.fleet.others_stale = true;
            super::update_metrics::on_targets(state, server, at, targets, rules)
        }
    }
}

/// Shows a message in the status line.
pub fn flash(state: &mut State, text: impl Into<String>, error: bool) {
    state.flash = Some(Flash {
        text: text.into(),
        error,
        at: state.now,
    });
    state.dirty = true;
}

fn on_ops(state: &mut State, event: OpsEvent) -> Vec<Effect> {
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
                flash(
                    state,
                    format!("{} waits for the open dialog to close", plan.summary()),
                    false,
                );
                state.pending_plans.push_back(plan);
            } else {
                open_confirm(state, plan);
            }
        }
        OpsEvent::Refused { what, reason } => {
            flash(state, safe(&format!("refused {what}: {reason}")), true);
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
        OpsEvent::AuditFailed(e) => {
            flash(state, safe(&format!("audit log: {e}")), true);
        }
    }
    vec![]
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::keymap::Keymap;
    use crate::app::msg::ProbeId;
    use crate::app::state::Banner;
    use crate::app::state::View;
    use crate::model::{Health, ProbeFailure, ProbeOutcome, ProbeState, Service};

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn state(names: &[&str]) -> State {
        let services = names
            .iter()
            .map(|n| {
                let mut s = Service::new(*n);
                s.probes.push(ProbeState::new(
                    format!("http://127.0.0.1/{n}"),
                    Duration::from_secs(10),
                    2,
                ));
                s
            })
            .collect();
        State::new(services, Keymap::default(), Banner::default(), t(0))
    }

    fn key(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn code(c: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn probe(service: usize, at: u64, ok: bool) -> Msg {
        Msg::Probe {
            id: ProbeId { service, probe: 0 },
            generation: 0,
            outcome: ProbeOutcome {
                at: t(at),
                latency: Duration::from_millis(5),
                http_status: Some(if ok { 200 } else { 503 }),
                report: None,
                result: if ok {
                    Ok(Health::Up)
                } else {
                    Err(ProbeFailure::HttpStatus { code: 503 })
                },
            },
        }
    }

    fn names(s: &State) -> Vec<&str> {
        s.order
            .iter()
            .map(|&i| s.services[i].name.as_str())
            .collect()
    }

    #[test]
    fn worst_first_then_name_and_cursor_follows_service() {
        let mut s = state(&["web", "api", "redis"]);
        for i in 0..3 {
            update(&mut s, probe(i, 1, true));
        }
        assert_eq!(names(&s), ["api", "redis", "web"]);
        update(&mut s, key('j'));
        update(&mut s, key('j'));
        assert_eq!(s.selected_service(), Some(0)); // web
        // web fails twice (threshold 2) and moves to the top; the cursor follows.
        update(&mut s, probe(0, 2, false));
        assert_eq!(names(&s), ["api", "redis", "web"]);
        update(&mut s, probe(0, 3, false));
        assert_eq!(names(&s), ["web", "api", "redis"]);
        assert_eq!(s.selected_service(), Some(0));
        assert_eq!(s.list.selected, 0);
    }

    #[test]
    fn filter_is_case_insensitive_substring_and_esc_clears() {
        let mut s = state(&["web-client", "api", "Web-Admin"]);
        update(&mut s, key('/'));
        assert!(s.filter.editing);
        for c in "WEB".chars() {
            update(&mut s, key(c));
        }
        assert_eq!(names(&s), ["Web-Admin", "web-client"]);
        // While editing, `q` is text, not quit.
        update(&mut s, key('q'));
        assert!(!s.should_quit);
        assert!(s.order.is_empty());
        update(&mut s, code(KeyCode::Backspace));
        update(&mut s, code(KeyCode::Enter));
        assert!(!s.filter.editing);
        assert_eq!(s.order.len(), 2);
        update(&mut s, code(KeyCode::Esc));
        assert_eq!(s.order.len(), 3);
    }

    #[test]
    fn enter_opens_detail_and_esc_returns() {
        let mut s = state(&["a", "b"]);
        update(&mut s, key('j'));
        update(&mut s, code(KeyCode::Enter));
        assert_eq!(
            s.view,
            View::Detail {
                service: 1,
                scroll: 0
            }
        );
        update(&mut s, code(KeyCode::Esc));
        assert_eq!(s.view, View::Services);
    }

    #[test]
    fn help_is_modal() {
        let mut s = state(&["a", "b"]);
        update(&mut s, key('?'));
        assert!(s.help_open);
        update(&mut s, key('j'));
        assert_eq!(s.list.selected, 0);
        update(&mut s, key('?'));
        assert!(!s.help_open);
        update(&mut s, key('q'));
        assert!(s.should_quit);
    }

    #[test]
    fn ctrl_c_quits_even_while_filtering() {
        let mut s = state(&["a"]);
        update(&mut s, key('/'));
        update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        );
        assert!(s.should_quit);
    }

    #[test]
    fn stale_generation_is_dropped() {
        let mut s = state(&["a"]);
        s.generation = 2;
        let mut m = probe(0, 1, true);
        if let Msg::Probe { generation, .. } = &mut m {
            *generation = 1;
        }
        update(&mut s, m);
        assert_eq!(s.services[0].status(), Health::Unknown);
        // Out-of-range ids are ignored, not a panic.
        let mut m = probe(7, 1, true);
        if let Msg::Probe { generation, .. } = &mut m {
            *generation = 2;
        }
        update(&mut s, m);
    }

    #[test]
    fn paging_keeps_selection_visible() {
        let names: Vec<String> = (0..100).map(|i| format!("svc-{i:03}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut s = state(&refs);
        update(
            &mut s,
            Msg::Resize {
                width: 80,
                height: 24,
            },
        );
        let rows = s.list_rows();
        assert_eq!(rows, 20);
        update(&mut s, code(KeyCode::PageDown));
        assert_eq!(s.list.selected, rows);
        assert!(s.list.offset <= s.list.selected && s.list.selected < s.list.offset + rows);
        update(&mut s, key('G'));
        assert_eq!(s.list.selected, 99);
        assert_eq!(s.list.offset, 100 - rows);
        update(&mut s, key('g'));
        assert_eq!((s.list.selected, s.list.offset), (0, 0));
    }

    #[test]
    fn tick_marks_silent_probes_stale() {
        let mut s = state(&["a"]);
        update(&mut s, probe(0, 1, true));
        assert_eq!(s.services[0].status(), Health::Up);
        update(&mut s, Msg::Tick(t(100)));
        assert_eq!(s.services[0].status(), Health::Unknown);
    }

    #[test]
    fn refresh_asks_for_a_poll() {
        let mut s = state(&["a", "b"]);
        let fx = update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
        );
        assert_eq!(fx, vec![Effect::PollNow(None)]);
        update(&mut s, code(KeyCode::Enter));
        let fx = update(&mut s, code(KeyCode::F(5)));
        assert_eq!(fx, vec![Effect::PollNow(Some(vec![0]))]);
    }

    #[test]
    fn off_screen_results_do_not_redraw() {
        let names: Vec<String> = (0..100).map(|i| format!("svc-{i:03}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut s = state(&refs);
        for i in 0..100 {
            update(&mut s, probe(i, 1, true));
        }
        s.dirty = false;
        // svc-099 is far below the visible window and its status is unchanged.
        update(&mut s, probe(99, 2, true));
        assert!(!s.dirty);
        update(&mut s, probe(0, 2, true));
        assert!(s.dirty);
    }

    #[test]
    fn log_lines_are_bounded() {
        let mut s = state(&["a"]);
        let line = |n: usize| crate::model::LogEntry {
            prefix: "a_1".into(),
            at: None,
            line: format!("line {n}"),
            stderr: false,
        };
        let total = crate::app::state::LOG_LINES + 10;
        update(&mut s, Msg::LogLines((0..total).map(line).collect()));
        assert_eq!(s.logs.lines.len(), crate::app::state::LOG_LINES);
        assert_eq!(s.logs.dropped, 10);
        assert_eq!(s.logs.lines.front().unwrap().line, "line 10");
    }
}
