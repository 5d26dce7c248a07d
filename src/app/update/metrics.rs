//! The reducer's part for metrics, remote alerts, silences and targets,
//! and the local rules evaluated over them.

use std::time::SystemTime;

use crate::app::msg::{Effect, MetricsUpdate};
use crate::app::state::{State, View};
use crate::model::{AlertSource, Health, RuleHealth, ScrapeTarget, Silence};
use crate::rules::{FleetGroupCount, RuleInputs};

pub fn on_metrics(
    state: &mut State,
    service: usize,
    generation: u64,
    update: MetricsUpdate,
) -> Vec<Effect> {
    if generation != state.generation {
        return vec![];
    }
    let on_screen = state.is_on_screen(service);
    let Some(s) = state.services.get_mut(service) else {
        return vec![];
    };
    let m = s.metrics.get_or_insert_with(Box::default);
    let got_points = !update.points.is_empty();
    for p in update.points {
        // A backfill may overlap what a scrape already brought.
        if m.latest().is_none_or(|l| p.at_s > l.at_s) {
            m.push(p);
        }
    }
    if let Some(c) = update.custom {
        m.custom = c;
    }
    if update.disk_ratio.is_some() {
        m.disk_ratio = update.disk_ratio;
    }
    for w in update.warnings {
        m.warn(w);
    }
    match update.error {
        Some(e) => m.last_error = Some(e),
        None => {
            m.last_error = None;
            if got_points {
                m.last_ok = update.at;
            }
        }
    }
    if on_screen {
        state.dirty = true;
    }
    vec![]
}

pub fn on_remote_alerts(
    state: &mut State,
    source: AlertSource,
    server: String,
    at: SystemTime,
    alerts: Result<Vec<crate::model::Alert>, String>,
) -> Vec<Effect> {
    state.alerts.apply_remote(source, server, at, alerts);
    rebuild(state)
}

pub fn on_silences(
    state: &mut State,
    server: String,
    silences: Result<Vec<Silence>, String>,
) -> Vec<Effect> {
    let feed = state.alerts.silences.entry(server).or_default();
    match silences {
        Ok(s) => {
            feed.silences = s;
            feed.error = None;
        }
        Err(e) => feed.error = Some(e),
    }
    if matches!(state.view, View::Alerts | View::AlertDetail { .. }) {
        state.dirty = true;
    }
    vec![]
}

pub fn on_targets(
    state: &mut State,
    server: String,
    at: SystemTime,
    targets: Result<Vec<ScrapeTarget>, String>,
    rules: Result<Vec<RuleHealth>, String>,
) -> Vec<Effect> {
    let info = state.alerts.prometheus.entry(server).or_default();
    let mut errors = Vec::new();
    match targets {
        Ok(t) => info.targets = t,
        Err(e) => errors.push(format!("targets: {e}")),
    }
    match rules {
        Ok(r) => info.rules = r,
        Err(e) => errors.push(format!("rules: {e}")),
    }
    info.error = (!errors.is_empty()).then(|| errors.join("; "));
    info.updated = Some(at);
    if matches!(state.view, View::Targets) {
        state.dirty = true;
    }
    evaluate_rules(state)
}

/// Fleet groups known so far: each Prometheus job's targets and each
/// device fleet's locations.
pub fn fleet_groups(state: &State) -> Vec<FleetGroupCount> {
    let mut groups: std::collections::BTreeMap<(String, String), (usize, usize)> =
        std::collections::BTreeMap::new();
    for (server, info) in &state.alerts.prometheus {
        // Targets last known from a server that fails now say nothing
        // about the fleet today: no offline-share verdict from them.
        let failing = state
            .alerts
            .remote
            .get(&(crate::model::AlertSource::Prometheus, server.clone()))
            .is_some_and(|f| f.is_failing());
        if failing {
            continue;
        }
        for t in &info.targets {
            let e = groups
                .entry((format!("prometheus/{server}"), t.job.clone()))
                .or_default();
            e.0 += 1;
            if t.health == Health::Down {
                e.1 += 1;
            }
        }
    }
    groups
        .into_iter()
        .map(|((fleet, group), (total, offline))| FleetGroupCount {
            service: state
                .services
                .iter()
                .find(|s| s.name == group)
                .map(|s| s.name.clone()),
            fleet,
            group: format!("job {group}"),
            total,
            offline,
            threshold: None,
        })
        .chain(state.fleet.group_counts())
        .collect()
}

/// Re-evaluates the local rules and re-merges the alert list.
pub fn evaluate_rules(state: &mut State) -> Vec<Effect> {
    let fleet = fleet_groups(state);
    let (local, _newly_firing) = state.rules.evaluate(&RuleInputs {
        services: &state.services,
        backups: &state.backups,
        fleet: &fleet,
        now: state.now,
    });
    let changed = local != state.alerts.local;
    state.alerts.local = local;
    if changed { rebuild(state) } else { vec![] }
}

/// Re-merges the alert list; rings the bell for a new critical alert.
fn rebuild(state: &mut State) -> Vec<Effect> {
    let looking = matches!(state.view, View::Alerts | View::AlertDetail { .. });
    let ring = state.alerts.rebuild_following(&state.services, looking);
    // An open alert follows its row as the list re-ranks.
    if let View::AlertDetail { row, .. } = &mut state.view {
        *row = if state.alerts.still_there {
            state.alerts.list.selected
        } else {
            usize::MAX
        };
    }
    state.dirty = true;
    let mut effects = super::release::after_alerts(state);
    if ring && state.rules.settings.bell {
        effects.push(Effect::Bell);
    }
    effects
}
