//! The reducer's part for release safety: alerts logged on the change
//! timeline, and `rollback_on.mode = "act"` turned into a request for an
//! automatic rollback, at most once per workload revision (the action
//! layer checks that again, with the policy).

use crate::app::msg::Effect;
use crate::app::state::State;
use crate::model::{AlertSource, AlertState, RollbackMode};
use crate::rules::release::RULE;

/// After the alert rows were rebuilt.
pub fn after_alerts(state: &mut State) -> Vec<Effect> {
    state
        .change_log
        .observe_alerts(&state.alerts.rows, &state.services);
    let mut effects = Vec::new();
    for row in &state.alerts.rows {
        let a = &row.alert;
        if a.source != AlertSource::Local || a.name != RULE || a.state != AlertState::Firing {
            continue;
        }
        let Some(s) = row.service.and_then(|i| state.services.get(i)) else {
            continue;
        };
        if s.rollback_on.mode != RollbackMode::Act {
            continue;
        }
        let (Some(w), Some(revision)) = (
            s.workload.as_ref(),
            a.labels.get("revision").and_then(|r| r.parse::<i64>().ok()),
        ) else {
            continue;
        };
        if state.auto_rollbacks.insert((w.id.clone(), revision)) {
            effects.push(Effect::AutoRollback {
                workload: w.id.clone(),
                revision,
                evidence: a.annotations.get("evidence").cloned().unwrap_or_default(),
            });
        }
    }
    effects
}
