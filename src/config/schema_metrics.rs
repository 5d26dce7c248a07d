//! The metrics, Prometheus, Alertmanager and alert-rule parts of the
//! schema. Like the rest, every struct denies unknown keys.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::basic_auth::BasicAuth;
use super::durations::opt_duration;
use crate::model::ProbeUrl;
use crate::model::secret::Secret;
use crate::model::selector::Selector;

/// A metric selector written `name` or `name{label="value",…}`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectorText(pub Selector);

impl<'de> Deserialize<'de> for SelectorText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<Selector>()
            .map(SelectorText)
            .map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

/// An http(s) URL without credentials in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(pub url::Url);

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match ProbeUrl::parse(&s).map_err(serde::de::Error::custom)? {
            ProbeUrl::Http(u) => Ok(HttpUrl(u)),
            ProbeUrl::Tcp { .. } => Err(serde::de::Error::custom(format!(
                "`{s}` must be an http:// or https:// URL"
            ))),
        }
    }
}

/// A Prometheus server or an Alertmanager.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Shown on the board; services name it in `prometheus.server`.
    pub name: String,
    /// Base URL, with any path prefix: `http://127.0.0.1:9090`.
    pub url: HttpUrl,
    pub basic: Option<BasicAuth>,
    /// Bearer token (secret reference).
    pub bearer: Option<Secret>,
    /// PEM file of CA certificates to trust besides the system's.
    pub ca_file: Option<std::path::PathBuf>,
    /// Per request (default 10s).
    #[serde(default, with = "opt_duration")]
    pub timeout: Option<Duration>,
    /// How often alerts, targets, silences are fetched (default 15s).
    #[serde(default, with = "opt_duration")]
    pub interval: Option<Duration>,
    /// Alertmanager: the environment its silences belong to (they obey its
    /// `read_only` and `protected`).
    pub environment: Option<String>,
}

/// Scraping a service's `/metrics` directly.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    pub url: HttpUrl,
    /// Default 15s.
    #[serde(default, with = "opt_duration")]
    pub interval: Option<Duration>,
    #[serde(default, with = "opt_duration")]
    pub timeout: Option<Duration>,
    /// Request counter (default `http_requests_total`).
    pub requests: Option<SelectorText>,
    /// Label holding the status (default `status`, then `code`).
    pub error_label: Option<String>,
    /// Status values that count as errors (default: any 5xx).
    #[serde(default)]
    pub error_values: Vec<String>,
    /// Latency histogram or summary (default `http_request_duration_seconds`).
    pub latency: Option<SelectorText>,
    /// CPU-seconds counter (default `process_cpu_seconds_total`).
    pub cpu: Option<SelectorText>,
    /// Memory gauge in bytes (default `process_resident_memory_bytes`).
    pub memory: Option<SelectorText>,
    /// What CPU use is measured against, for the CPU rule.
    pub cpu_limit_cores: Option<f64>,
    /// What memory use is measured against, for the memory rule.
    pub memory_limit_bytes: Option<f64>,
    #[serde(default)]
    pub custom: Vec<CustomMetricConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomFunctionName {
    Gauge,
    Rate,
    Ratio,
    Quantile,
}

/// Any other metric to show, by `label`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomMetricConfig {
    pub label: String,
    /// `name{label="value"}`.
    pub metric: SelectorText,
    /// `gauge` (default), `rate`, `ratio` (needs `denominator`) or
    /// `quantile` (needs `quantile`).
    pub function: Option<CustomFunctionName>,
    pub denominator: Option<SelectorText>,
    pub quantile: Option<f64>,
    pub unit: Option<String>,
}

/// Per-service PromQL. `{{service}}`, `{{namespace}}`, `{{workload}}`,
/// `{{context}}`, `{{compose_project}}`, `{{compose_service}}` and
/// `{{selector}}` are replaced from the service's bindings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromQueriesConfig {
    /// Name of a `[[prometheus]]` server.
    pub server: String,
    /// Label matchers that pick the service's series (default
    /// `job="{{service}}"`); the default queries use it.
    pub selector: Option<String>,
    pub request_rate: Option<String>,
    pub error_ratio: Option<String>,
    pub p50: Option<String>,
    pub p95: Option<String>,
    pub p99: Option<String>,
    /// Cores.
    pub cpu: Option<String>,
    /// Bytes.
    pub memory: Option<String>,
    /// Share of disk used, 0–1.
    pub disk: Option<String>,
    /// Default: the server's interval.
    #[serde(default, with = "opt_duration")]
    pub interval: Option<Duration>,
    pub cpu_limit_cores: Option<f64>,
    pub memory_limit_bytes: Option<f64>,
    #[serde(default)]
    pub custom: Vec<PromCustomConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromCustomConfig {
    pub label: String,
    pub query: String,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdConfig {
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    #[serde(default, rename = "for", with = "opt_duration")]
    pub hold_for: Option<Duration>,
}

/// opsboard's own alert rules; anything unset keeps its default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// Share of requests failing, 0–1 (default 0.01 / 0.05 for 2m).
    pub error_rate: Option<ThresholdConfig>,
    /// Seconds (default 1 / 5 for 5m).
    pub latency_p95: Option<ThresholdConfig>,
    /// Share of the CPU limit (default 0.7 / 0.9 for 5m).
    pub cpu: Option<ThresholdConfig>,
    /// Share of the memory limit (default 0.8 / 0.95 for 5m).
    pub memory: Option<ThresholdConfig>,
    /// Share of disk used (default 0.8 / 0.95 for 5m).
    pub disk: Option<ThresholdConfig>,
    /// A Down service fires `ServiceDown` after this (default at once).
    #[serde(default, with = "opt_duration")]
    pub down_for: Option<Duration>,
    /// Restarts within `restart_window` that make a loop (default 3 in 10m).
    pub restart_count: Option<u32>,
    #[serde(default, with = "opt_duration")]
    pub restart_window: Option<Duration>,
    /// A rollout still progressing after this is stalled (default 10m).
    #[serde(default, with = "opt_duration")]
    pub rollout_stalled_after: Option<Duration>,
    /// Share of a fleet group offline that alerts (default 0.2).
    pub fleet_offline: Option<f64>,
    /// How long resolved alerts stay listed (default 15m).
    #[serde(default, with = "opt_duration")]
    pub keep_resolved: Option<Duration>,
    /// Ring the terminal bell when a critical alert starts firing.
    #[serde(default)]
    pub bell: bool,
    /// Built-in rules to turn off, by name (`CpuHigh`, `RestartLoop`, …).
    #[serde(default)]
    pub disabled: Vec<String>,
    #[serde(default)]
    pub custom: Vec<CustomRuleConfig>,
}

/// A rule on a custom metric (`[[services.metrics.custom]]` label).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRuleConfig {
    /// The alert name, e.g. `QueueBacklog`.
    pub name: String,
    /// The custom metric's `label`.
    pub metric: String,
    /// Only this service (default: every service with the metric).
    pub service: Option<String>,
    pub above: Option<f64>,
    pub below: Option<f64>,
    /// `critical`, `warning` (default) or `info`.
    pub severity: Option<String>,
    #[serde(default, rename = "for", with = "opt_duration")]
    pub hold_for: Option<Duration>,
    /// `{service}`, `{value}`, `{metric}` are replaced.
    pub summary: Option<String>,
}
