//! Rule thresholds. The defaults follow the alert tables common in
//! production deployment guides; config overrides any of them.

use std::time::Duration;

use crate::model::Severity;

/// A warn/critical pair on one value, held for `hold_for` before firing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub hold_for: Duration,
}

impl Threshold {
    const fn new(warning: f64, critical: f64, hold_secs: u64) -> Threshold {
        Threshold {
            warning: Some(warning),
            critical: Some(critical),
            hold_for: Duration::from_secs(hold_secs),
        }
    }

    /// The severity `value` reaches, if any (strictly above the bound).
    pub fn severity(&self, value: f64) -> Option<(Severity, f64)> {
        if value.is_nan() {
            return None;
        }
        if let Some(c) = self.critical.filter(|c| value > *c) {
            return Some((Severity::Critical, c));
        }
        self.warning
            .filter(|w| value > *w)
            .map(|w| (Severity::Warning, w))
    }
}

/// A config-defined rule on a service's configured custom metric.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomRule {
    pub name: String,
    /// Only this service; every service with the metric otherwise.
    pub service: Option<String>,
    /// The `label` of a custom metric.
    pub metric: String,
    pub above: Option<f64>,
    pub below: Option<f64>,
    pub severity: Severity,
    pub hold_for: Duration,
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleSettings {
    /// Share of requests that fail (0–1).
    pub error_rate: Threshold,
    /// p95 latency, seconds.
    pub latency_p95: Threshold,
    /// Share of the CPU limit (0–1).
    pub cpu: Threshold,
    /// Share of the memory limit (0–1).
    pub memory: Threshold,
    /// Share of the disk used (0–1).
    pub disk: Threshold,
    /// A service Down for this long fires `ServiceDown` (its probes already
    /// waited for their failure threshold).
    pub down_for: Duration,
    /// This many restarts within `restart_window` is a restart loop.
    pub restart_count: u32,
    pub restart_window: Duration,
    /// A rollout still progressing after this long is stalled.
    pub rollout_stalled_after: Duration,
    /// Share of a fleet group offline that raises `FleetGroupOffline`.
    pub fleet_offline: f64,
    /// Resolved alerts stay on the board this long.
    pub keep_resolved: Duration,
    /// Ring the terminal bell when a critical alert starts firing.
    pub bell: bool,
    /// Built-in rules turned off by name (`CpuHigh`, …).
    pub disabled: Vec<String>,
    pub custom: Vec<CustomRule>,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            error_rate: Threshold::new(0.01, 0.05, 120),
            latency_p95: Threshold::new(1.0, 5.0, 300),
            cpu: Threshold::new(0.70, 0.90, 300),
            memory: Threshold::new(0.80, 0.95, 300),
            disk: Threshold::new(0.80, 0.95, 300),
            down_for: Duration::ZERO,
            restart_count: 3,
            restart_window: Duration::from_secs(600),
            rollout_stalled_after: Duration::from_secs(600),
            fleet_offline: 0.20,
            keep_resolved: Duration::from_secs(900),
            bell: false,
            disabled: Vec::new(),
            custom: Vec::new(),
        }
    }
}

impl RuleSettings {
    pub fn enabled(&self, rule: &str) -> bool {
        !self.disabled.iter().any(|d| d == rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_bounds_are_strict() {
        let t = RuleSettings::default().error_rate;
        assert_eq!(t.severity(0.01), None);
        assert_eq!(t.severity(0.02).map(|s| s.0), Some(Severity::Warning));
        assert_eq!(t.severity(0.051).map(|s| s.0), Some(Severity::Critical));
        assert_eq!(t.severity(f64::NAN), None);
    }
}
