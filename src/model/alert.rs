//! Alerts, whatever raised them: opsboard's own rules now; Prometheus and
//! Alertmanager feed the same type.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertSource {
    /// opsboard's own rules (`rules/`).
    Local,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Like Prometheus' `alertname`: `BackupRpoBreached`.
    pub name: String,
    pub severity: Severity,
    pub source: AlertSource,
    pub labels: BTreeMap<String, String>,
    pub summary: String,
    pub service: Option<String>,
    /// When the condition started, when known.
    pub since: Option<SystemTime>,
}
