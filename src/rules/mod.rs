//! Local alert rules evaluated over state. No IO: inputs in, alerts out;
//! the only memory is when each condition started (for `for` durations)
//! and restart counts seen (for restart loops).

pub mod backup;
pub mod derived;
pub mod lifecycle;
pub mod release;
pub mod settings;
pub mod thresholds;

use std::time::SystemTime;

pub use derived::FleetGroupCount;
pub use lifecycle::Candidate;
pub use settings::{CustomRule, RuleSettings, Threshold};

use crate::model::{Alert, BackupJob, Service};

/// What the rules read.
pub struct RuleInputs<'a> {
    pub services: &'a [Service],
    pub backups: &'a [BackupJob],
    pub fleet: &'a [FleetGroupCount],
    pub now: SystemTime,
}

/// The rules with their settings and memory; lives in `State`.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub settings: RuleSettings,
    lifecycle: lifecycle::Lifecycle,
    restarts: derived::RestartHistory,
}

impl Rules {
    pub fn new(settings: RuleSettings) -> Rules {
        Rules {
            settings,
            ..Rules::default()
        }
    }

    /// Every local alert (pending, firing, recently resolved), and those
    /// that started firing in this evaluation.
    pub fn evaluate(&mut self, input: &RuleInputs<'_>) -> (Vec<Alert>, Vec<Alert>) {
        let s = &self.settings;
        let mut c = thresholds::service_thresholds(input.services, s);
        if s.enabled("ServiceDown") {
            c.extend(derived::service_down(input.services, s));
        }
        if s.enabled("RestartLoop") {
            c.extend(derived::restart_loops(
                input.services,
                s,
                &mut self.restarts,
                input.now,
            ));
        }
        if s.enabled("RolloutStalled") {
            c.extend(derived::rollout_stalled(input.services, s));
        }
        if s.enabled(release::RULE) {
            c.extend(release::regressed(input.services, input.now));
        }
        if s.enabled("FleetGroupOffline") {
            c.extend(derived::fleet_offline(input.fleet, s));
        }
        if s.enabled("BackupRpoBreached") {
            c.extend(
                backup::rpo_alerts(input.backups, input.now)
                    .into_iter()
                    .map(|alert| Candidate {
                        alert,
                        hold_for: std::time::Duration::ZERO,
                    }),
            );
        }
        let keep = s.keep_resolved;
        self.lifecycle.evaluate(c, input.now, keep)
    }
}
