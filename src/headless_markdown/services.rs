//! The services: those not Up in a table, worst first, each with every
//! reason the board knows; the healthy ones in one line.

use super::cell::{Table, cell, escape, text};
use crate::headless_gather::NotAnswered;
use crate::model::metrics::{fmt_rate, fmt_ratio, fmt_seconds};
use crate::model::{Health, Service};

/// Pods named per service at most; the rest are counted.
const PODS_NAMED: usize = 3;
/// Failing checks of a probe whose details are quoted, at most.
const CHECKS_DETAILED: usize = 3;
/// Healthy services named at most; the rest are counted.
const HEALTHY_NAMED: usize = 20;

/// The services not Up, worst first, then by name.
pub fn failing_order(services: &[Service]) -> Vec<&Service> {
    let mut v: Vec<&Service> = services
        .iter()
        .filter(|s| s.status() != Health::Up)
        .collect();
    v.sort_by(|a, b| {
        a.status()
            .cmp(&b.status())
            .then_with(|| a.name.cmp(&b.name))
    });
    v
}

/// `✖ DOWN`, `◐ DEGR`, `? UNKN`, `? STALE`.
pub fn badge(s: &Service) -> String {
    if s.stale().is_some() {
        return "? STALE".into();
    }
    let h = s.status();
    format!("{} {}", h.glyph(), h.badge())
}

/// The table of services not Up, or `none`.
pub fn failing_table(services: &[Service], not_answered: &[NotAnswered]) -> String {
    let failing = failing_order(services);
    if failing.is_empty() {
        return "none\n".into();
    }
    let mut t = Table::new(&["status", "service", "env", "why"]);
    for s in failing {
        let index = services.iter().position(|x| std::ptr::eq(x, s));
        let unanswered: Vec<&NotAnswered> = not_answered
            .iter()
            .filter(|n| n.service.is_some() && n.service == index)
            .collect();
        t.row(vec![
            badge(s),
            cell(&s.name),
            s.environment.as_deref().map_or_else(|| "—".into(), cell),
            text(&why(s, &unanswered), 600),
        ]);
    }
    t.render()
}

/// Every reason the board gives for `s` not being Up, in words (raw:
/// the caller makes it safe): the probes' (named when there are several),
/// the workload's with its unready pods and their restarts, the
/// containers', the metrics when known, and sources that did not answer.
pub fn why(s: &Service, unanswered: &[&NotAnswered]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let named = s.probes.len() > 1;
    for p in &s.probes {
        if let Some(r) = p.reason() {
            parts.push(if named {
                format!("{}: {r}", p.target)
            } else {
                r
            });
            // What the body said about its failing checks (`connection
            // refused`), which the reason only names.
            let said = p
                .last_report
                .iter()
                .flat_map(|r| r.failing_checks())
                .filter_map(|c| Some((c, c.detail.as_deref()?)));
            for (c, detail) in said.take(CHECKS_DETAILED) {
                let detail: String = detail.chars().take(120).collect();
                parts.push(format!("{}: {detail}", c.name));
            }
        }
    }
    if let Some(w) = &s.workload {
        if let (_, Some(r)) = w.health() {
            parts.push(r);
        }
        let troubled: Vec<String> = w
            .pods
            .iter()
            .filter(|p| !p.is_ready() || p.waiting_reason.is_some())
            .map(|p| {
                let mut d = format!("pod {} {}", p.name, p.status());
                if p.restarts > 0 {
                    d.push_str(&format!(
                        ", {}",
                        super::cell::count(
                            p.restarts.unsigned_abs() as usize,
                            "restart",
                            "restarts"
                        )
                    ));
                }
                if let Some(t) = &p.last_termination {
                    d.push_str(&format!(", last {t}"));
                }
                d
            })
            .collect();
        let more = troubled.len().saturating_sub(PODS_NAMED);
        parts.extend(troubled.into_iter().take(PODS_NAMED));
        if more > 0 {
            parts.push(format!("+{more} more pods not ready"));
        }
    }
    if let Some((h, Some(r))) = s.docker_health() {
        parts.push(r);
        if h != Health::Up {
            for c in s.containers.iter().filter(|c| c.restart_count > 0) {
                parts.push(format!(
                    "container {} {}, {}",
                    c.name,
                    c.state,
                    super::cell::count(
                        c.restart_count.unsigned_abs() as usize,
                        "restart",
                        "restarts"
                    )
                ));
            }
        }
    }
    if let Some(m) = s.metrics.as_deref() {
        if let Some(p) = m.latest() {
            let mut known = Vec::new();
            if p.error_ratio.is_finite() {
                known.push(format!("errors {}", fmt_ratio(p.error_ratio)));
            }
            if p.p95.is_finite() {
                known.push(format!("p95 {}", fmt_seconds(p.p95)));
            }
            if p.req_rate.is_finite() && !known.is_empty() {
                known.push(fmt_rate(p.req_rate));
            }
            if !known.is_empty() {
                parts.push(known.join(", "));
            }
        }
        if let Some(e) = &m.last_error {
            parts.push(format!("metrics: {e}"));
        }
    }
    for n in unanswered {
        parts.push(format!("not answered: {} ({})", n.source, n.reason));
    }
    if parts.is_empty() {
        parts.push(s.reason().unwrap_or_else(|| s.status().word().into()));
    }
    parts.join("; ")
}

/// `**Healthy (7):** api, grafana, … and 3 more`, or `none`.
pub fn healthy_line(services: &[Service]) -> String {
    let mut up: Vec<&str> = services
        .iter()
        .filter(|s| s.status() == Health::Up)
        .map(|s| s.name.as_str())
        .collect();
    up.sort_unstable();
    if up.is_empty() {
        return "**Healthy:** none\n".into();
    }
    let names: Vec<String> = up.iter().take(HEALTHY_NAMED).map(|n| text(n, 60)).collect();
    let more = up.len().saturating_sub(HEALTHY_NAMED);
    let tail = if more > 0 {
        format!(" {}", escape(&format!("and {more} more")))
    } else {
        String::new()
    };
    format!("**Healthy ({}):** {}{tail}\n", up.len(), names.join(", "))
}
