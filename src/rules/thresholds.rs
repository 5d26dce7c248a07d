//! Threshold rules on a service's metrics: error rate, p95 latency, CPU,
//! memory and disk use, and config-defined rules on custom metrics.

use super::lifecycle::Candidate;
use super::settings::{RuleSettings, Threshold};
use crate::model::metrics::{fmt_ratio, fmt_seconds};
use crate::model::{Alert, Service};

/// What share of its limits a service uses, from whatever knows: the
/// scraped or queried metrics against configured limits, Docker's stats.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Utilisation {
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub disk: Option<f64>,
}

pub fn utilisation(s: &Service) -> Utilisation {
    let mut u = Utilisation::default();
    if let Some(m) = &s.metrics {
        if let Some(p) = m.latest() {
            if let Some(limit) = m.limits.cpu_cores.filter(|l| *l > 0.0) {
                u.cpu = finite(f64::from(p.cpu) / limit);
            }
            if let Some(limit) = m.limits.memory_bytes.filter(|l| *l > 0.0) {
                u.memory = finite(f64::from(p.mem) / limit);
            }
        }
        u.disk = m.disk_ratio.and_then(finite);
    }
    // Docker knows each container's memory limit (the host's memory when
    // unlimited): the fullest container speaks for the service.
    let docker_mem = s
        .containers
        .iter()
        .filter_map(|c| c.stats.as_ref())
        .filter(|st| st.mem_limit > 0)
        .map(|st| st.mem_bytes as f64 / st.mem_limit as f64)
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| a.max(v)))
        });
    u.memory = match (u.memory, docker_mem) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    u
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn threshold_alert(
    rule: &str,
    s: &Service,
    t: &Threshold,
    value: f64,
    what: &str,
    shown: String,
) -> Option<Candidate> {
    let (severity, bound) = t.severity(value)?;
    let bound_shown = if rule == "LatencyHigh" {
        fmt_seconds(bound as f32)
    } else {
        fmt_ratio(bound as f32)
    };
    let mut a = Alert::local(
        rule,
        severity,
        format!("{} {what} {shown} (> {bound_shown})", s.name),
    );
    a.labels.insert("service".into(), s.name.clone());
    a.value = Some(shown);
    a.service = Some(s.name.clone());
    Some(Candidate {
        alert: a,
        hold_for: t.hold_for,
    })
}

pub fn service_thresholds(services: &[Service], settings: &RuleSettings) -> Vec<Candidate> {
    let mut out = Vec::new();
    for s in services {
        let latest = s.metrics.as_ref().and_then(|m| m.latest());
        if let Some(p) = latest {
            if settings.enabled("ErrorRateHigh") {
                let v = f64::from(p.error_ratio);
                out.extend(threshold_alert(
                    "ErrorRateHigh",
                    s,
                    &settings.error_rate,
                    v,
                    "error rate",
                    fmt_ratio(p.error_ratio),
                ));
            }
            if settings.enabled("LatencyHigh") {
                out.extend(threshold_alert(
                    "LatencyHigh",
                    s,
                    &settings.latency_p95,
                    f64::from(p.p95),
                    "p95 latency",
                    fmt_seconds(p.p95),
                ));
            }
        }
        let u = utilisation(s);
        for (rule, t, v, what) in [
            ("CpuHigh", &settings.cpu, u.cpu, "CPU"),
            ("MemoryHigh", &settings.memory, u.memory, "memory"),
            ("DiskHigh", &settings.disk, u.disk, "disk"),
        ] {
            if let Some(v) = v.filter(|_| settings.enabled(rule)) {
                out.extend(threshold_alert(rule, s, t, v, what, fmt_ratio(v as f32)));
            }
        }
        out.extend(custom(s, settings));
    }
    out
}

fn custom(s: &Service, settings: &RuleSettings) -> Vec<Candidate> {
    let Some(m) = &s.metrics else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in &settings.custom {
        if r.service.as_ref().is_some_and(|n| *n != s.name) {
            continue;
        }
        let Some(value) = m
            .custom
            .iter()
            .find(|c| c.label == r.metric)
            .and_then(|c| c.value)
            .filter(|v| v.is_finite())
        else {
            continue;
        };
        let breached = match (r.above, r.below) {
            (Some(a), _) if value > a => Some(format!("> {a}")),
            (_, Some(b)) if value < b => Some(format!("< {b}")),
            _ => None,
        };
        let Some(bound) = breached else { continue };
        let shown = fmt_value(value);
        let summary = r
            .summary
            .as_deref()
            .map(|t| {
                t.replace("{service}", &s.name)
                    .replace("{value}", &shown)
                    .replace("{metric}", &r.metric)
            })
            .unwrap_or_else(|| format!("{} {} is {shown} ({bound})", s.name, r.metric));
        let mut a = Alert::local(&r.name, r.severity, summary);
        a.labels.insert("service".into(), s.name.clone());
        a.labels.insert("metric".into(), r.metric.clone());
        a.value = Some(shown);
        a.service = Some(s.name.clone());
        out.push(Candidate {
            alert: a,
            hold_for: r.hold_for,
        });
    }
    out
}

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}
