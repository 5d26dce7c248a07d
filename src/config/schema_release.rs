//! `rollback_on` (when a rollout counts as regressed, and whether the
//! board suggests or performs the rollback) and the blue-green binding.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::durations::opt_duration;
use crate::model::{RollbackMode, RollbackOn, ServiceRef};

/// `[defaults.rollback_on]` and `[services.rollback_on]`: every key is
/// optional; a service's keys override the defaults', which override the
/// built-in values (errors above 10 %, p95 above 2× the pre-rollout
/// baseline, health failing, within 30 minutes, suggested).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackOnConfig {
    /// Share of requests failing, 0–1 (`0.10` = 10 %).
    pub error_rate: Option<f64>,
    /// p95 latency above this many times the pre-rollout baseline.
    pub latency_factor: Option<f64>,
    /// Health checks failing counts as a regression.
    pub health: Option<bool>,
    /// How long after a rollout it is judged.
    #[serde(default, with = "opt_duration")]
    pub window: Option<Duration>,
    /// How long the evidence must hold.
    #[serde(default, with = "opt_duration", rename = "for")]
    pub hold_for: Option<Duration>,
    /// `off`, `suggest` or `act`.
    pub mode: Option<ModeConfig>,
}

/// `mode = "off" | "suggest" | "act"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeConfig(pub RollbackMode);

impl<'de> Deserialize<'de> for ModeConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "off" => Ok(ModeConfig(RollbackMode::Off)),
            "suggest" => Ok(ModeConfig(RollbackMode::Suggest)),
            "act" => Ok(ModeConfig(RollbackMode::Act)),
            other => Err(serde::de::Error::custom(format!(
                "`{other}` is not a rollback mode: write \"off\", \"suggest\" or \"act\""
            ))),
        }
    }
}

impl RollbackOnConfig {
    /// These settings over `base`.
    pub fn over(&self, base: RollbackOn) -> RollbackOn {
        RollbackOn {
            error_rate: self.error_rate.or(base.error_rate),
            latency_factor: self.latency_factor.or(base.latency_factor),
            health: self.health.unwrap_or(base.health),
            window: self.window.unwrap_or(base.window),
            hold_for: self.hold_for.unwrap_or(base.hold_for),
            mode: self.mode.map_or(base.mode, |m| m.0),
        }
    }

    /// What is wrong with the values, if anything: `(key, message)`.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if let Some(e) = self.error_rate
            && !(e > 0.0 && e <= 1.0)
        {
            return Some((
                "error_rate",
                format!(
                    "{e} is not a share of requests: write a value in (0, 1], e.g. 0.10 for 10 %"
                ),
            ));
        }
        if let Some(f) = self.latency_factor
            && !(f > 1.0 && f.is_finite())
        {
            return Some((
                "latency_factor",
                format!("{f} is not a factor above 1 (e.g. 2.0: p95 above twice the baseline)"),
            ));
        }
        None
    }
}

/// `blue_green = "context/namespace/service"` (`*` context: any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlueGreenBinding(pub ServiceRef);

impl<'de> Deserialize<'de> for BlueGreenBinding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ServiceRef::parse(&s)
            .map(BlueGreenBinding)
            .map_err(serde::de::Error::custom)
    }
}
