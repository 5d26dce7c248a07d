//! The rule settings from `[rules]`: opsboard's defaults with the config's
//! overrides.

use crate::config::schema_metrics::{RulesConfig, ThresholdConfig};
use crate::model::Severity;
use crate::rules::{CustomRule, RuleSettings, Threshold};

/// The rule settings: defaults with this config's overrides.
pub fn rule_settings(rules: &RulesConfig) -> RuleSettings {
    let d = RuleSettings::default();
    let t = |c: &Option<ThresholdConfig>, base: Threshold| match c {
        None => base,
        Some(c) => Threshold {
            warning: c.warning.or(base.warning),
            critical: c.critical.or(base.critical),
            hold_for: c.hold_for.unwrap_or(base.hold_for),
        },
    };
    RuleSettings {
        error_rate: t(&rules.error_rate, d.error_rate),
        latency_p95: t(&rules.latency_p95, d.latency_p95),
        cpu: t(&rules.cpu, d.cpu),
        memory: t(&rules.memory, d.memory),
        disk: t(&rules.disk, d.disk),
        down_for: rules.down_for.unwrap_or(d.down_for),
        restart_count: rules.restart_count.unwrap_or(d.restart_count),
        restart_window: rules.restart_window.unwrap_or(d.restart_window),
        rollout_stalled_after: rules
            .rollout_stalled_after
            .unwrap_or(d.rollout_stalled_after),
        fleet_offline: rules.fleet_offline.unwrap_or(d.fleet_offline),
        keep_resolved: rules.keep_resolved.unwrap_or(d.keep_resolved),
        bell: rules.bell,
        disabled: rules.disabled.clone(),
        custom: rules
            .custom
            .iter()
            .map(|c| CustomRule {
                name: c.name.clone(),
                service: c.service.clone(),
                metric: c.metric.clone(),
                above: c.above,
                below: c.below,
                severity: match c.severity.as_deref() {
                    Some(s) => Severity::from_label(Some(s)),
                    None => Severity::Warning,
                },
                hold_for: c.hold_for.unwrap_or_default(),
                summary: c.summary.clone(),
            })
            .collect(),
    }
}
