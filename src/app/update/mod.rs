//! `update(&mut State, Msg) -> Vec<Effect>`: the whole behaviour of the
//! board, pure and synchronous. Each message goes to its handler: keys to
//! the key dispatcher (`app::keys`), action events to `ops.rs`, metrics,
//! alerts and targets to `metrics.rs`.

pub mod metrics;
pub mod ops;
mod release;

use std::time::Duration;

use crate::app::dialogs::confirm::open_confirm;
use crate::app::fleet_view::sync;
use crate::app::keys::dispatch::on_key;
use crate::app::msg::{Effect, Msg};
use crate::app::state::{Dialog, Pane, State, View};

/// How long a flash message stays in the status line.
const FLASH_FOR: Duration = Duration::from_secs(8);

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = handle(state, msg);
    if state.view.pane() == Pane::Fleet {
        sync(state);
    }
    if state.dialog.is_none()
        && let Some(plan) = state.pending_plans.pop_front()
    {
        open_confirm(state, plan);
    }
    effects
}

fn handle(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, key),
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
            metrics::evaluate_rules(state)
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
        Msg::Ops(event) => ops::on_ops(state, event),
        Msg::LogLines(lines) => {
            state.logs.push(lines);
            if matches!(state.view, View::Logs { .. }) {
                state.dirty = true;
            }
            vec![]
        }
        Msg::Docker(snap) => {
            crate::app::join::apply_docker(state, *snap);
            state.fleet.others_stale = true;
            crate::app::keys::logs::refresh_targets(state)
        }
        Msg::Kube(snap) => {
            if !crate::app::scope_switch::accepts(state, &snap.context) {
                return vec![];
            }
            let was = crate::app::events::selected(state).cloned();
            crate::app::join::apply_cluster(state, *snap);
            crate::app::events::keep_selected(state, was);
            state.fleet.others_stale = true;
            crate::app::keys::logs::refresh_targets(state)
        }
        Msg::KubeScope(report) => {
            crate::app::scope_switch::on_report(state, report);
            vec![]
        }
        Msg::DevicePolls {
            fleet,
            generation,
            results,
        } => {
            if generation == state.generation
                && state.fleet.apply_polls(fleet, results)
                && state.view.pane() == Pane::Fleet
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
        Msg::Document { request, result } => {
            crate::app::viewer::on_document(state, request, result);
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
            metrics::evaluate_rules(state)
        }
        Msg::Metrics {
            service,
            generation,
            update,
        } => metrics::on_metrics(state, service, generation, update),
        Msg::RemoteAlerts {
            source,
            server,
            at,
            alerts,
        } => metrics::on_remote_alerts(state, source, server, at, alerts),
        Msg::Silences { server, silences } => metrics::on_silences(state, server, silences),
        Msg::PromTargets {
            server,
            at,
            targets,
            rules,
        } => {
            state.fleet.others_stale = true;
            metrics::on_targets(state, server, at, targets, rules)
        }
    }
}

#[cfg(test)]
mod tests;
