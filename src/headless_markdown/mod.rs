//! `opsboard snapshot --markdown`: an incident summary to paste into a
//! channel or a ticket, rendered from the `State` one gathered round left
//! (see [`crate::headless_gather`]) and the audit log. Pure: no IO, no
//! clock (the time comes in), no drawing.
//!
//! Every string that came from outside (names, labels, bodies, messages,
//! paths) goes through [`cell::text`]: one line, secrets masked, control
//! characters replaced, Markdown escaped, so a label cannot break a table
//! or start a heading.

mod actions;
mod alerts;
pub mod cell;
mod changes;
mod services;

use std::time::SystemTime;

use crate::app::State;
use crate::headless_gather::{AuditSummary, NotAnswered};
use crate::model::Health;
use cell::{cell, count, rfc3339};

pub use actions::ACTIONS_SHOWN;

/// Everything the summary is made from.
pub struct Incident<'a> {
    pub state: &'a State,
    /// When the round was gathered.
    pub now: SystemTime,
    /// When the round began: an alert of the local rules that started
    /// since was first seen by this round, not before.
    pub started: SystemTime,
    /// What it describes: `demo world`, `config /etc/opsboard/prod.toml`.
    pub scope: &'a str,
    /// Sources asked in the round.
    pub sources_asked: usize,
    pub not_answered: &'a [NotAnswered],
    /// How long the round waited for answers.
    pub wait: std::time::Duration,
    pub audit: &'a AuditSummary,
}

/// The whole summary, ending with a newline.
pub fn render(inc: &Incident<'_>) -> String {
    let state = inc.state;
    let mut out = String::new();
    out.push_str(&format!(
        "# opsboard snapshot · {} · {} · **{}**\n\n",
        rfc3339(inc.now),
        scope(inc),
        verdict(state)
    ));
    out.push_str(&breakdown(inc));

    let failing = services::failing_order(&state.services).len();
    out.push_str(&format!("\n## Failing services ({failing})\n\n"));
    out.push_str(&services::failing_table(&state.services, inc.not_answered));
    out.push('\n');
    out.push_str(&services::healthy_line(&state.services));

    let firing = firing(state);
    let silenced = silenced(state);
    let extra = if silenced > 0 {
        format!(", {silenced} silenced")
    } else {
        String::new()
    };
    out.push_str(&format!("\n## Firing alerts ({firing}{extra})\n\n"));
    out.push_str(&alerts::alerts_section(state, inc.now, inc.started));
    out.push_str(&changes::after_change_lines(state));

    out.push_str(&format!(
        "\n## What changed (last {}, newest first)\n\n",
        crate::model::fmt_duration(changes::CHANGES_WINDOW)
    ));
    out.push_str(&changes::changes_section(state, inc.now));

    out.push_str(&format!(
        "\n## Recent actions (last {}, newest first)\n\n",
        crate::model::fmt_duration(crate::headless_gather::RECENT_ACTIONS)
    ));
    out.push_str(&actions::actions_section(inc.audit, inc.now));

    out.push_str("\n## Sources\n\n");
    out.push_str(&sources(inc));
    out
}

/// `demo world · k8s demo`: the config and the clusters it describes.
fn scope(inc: &Incident<'_>) -> String {
    let mut s = cell(inc.scope);
    let contexts: Vec<&str> = inc.state.clusters.keys().map(String::as_str).collect();
    if !contexts.is_empty() {
        s.push_str(&format!(" · k8s {}", cell(&contexts.join(", "))));
    }
    s
}

fn firing(state: &State) -> usize {
    state.alerts.firing_counts().iter().sum()
}

fn silenced(state: &State) -> usize {
    alerts::shown(state)
        .iter()
        .filter(|r| r.section == crate::app::alerts::RowSection::Silenced)
        .count()
}

/// `2 services failing, 3 alerts firing`, `all 9 services healthy, no
/// alerts firing`.
pub fn verdict(state: &State) -> String {
    let total = state.services.len();
    let failing = services::failing_order(&state.services).len();
    let services = match (failing, total) {
        (_, 0) => "no services".to_string(),
        (0, 1) => "the 1 service healthy".to_string(),
        (0, n) => format!("all {n} services healthy"),
        (f, _) => format!("{} failing", count(f, "service", "services")),
    };
    let alerts = match firing(state) {
        0 => "no alerts firing".to_string(),
        n => format!("{} firing", count(n, "alert", "alerts")),
    };
    format!("{services}, {alerts}")
}

/// `9 services: 1 down, 1 degraded, 7 up · firing: 2 critical, 1 warning
/// · 3 pending · 1 source did not answer within 8s`.
fn breakdown(inc: &Incident<'_>) -> String {
    let state = inc.state;
    let mut parts = Vec::new();
    let statuses: Vec<String> = state
        .counts()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(h, n)| {
            format!(
                "{n} {}",
                if *h == Health::Degraded {
                    "degraded"
                } else {
                    h.word()
                }
            )
        })
        .collect();
    if !statuses.is_empty() {
        parts.push(format!(
            "{}: {}",
            count(state.services.len(), "service", "services"),
            statuses.join(", ")
        ));
    }
    let [crit, warn, info] = state.alerts.firing_counts();
    let sev: Vec<String> = [(crit, "critical"), (warn, "warning"), (info, "info")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    if !sev.is_empty() {
        parts.push(format!("firing: {}", sev.join(", ")));
    }
    let pending = alerts::pending(state).len();
    if pending > 0 {
        parts.push(format!("{pending} pending"));
    }
    if !inc.not_answered.is_empty() {
        parts.push(format!(
            "{} did not answer within {}",
            count(inc.not_answered.len(), "source", "sources"),
            cell::seconds(inc.wait)
        ));
    }
    if parts.is_empty() {
        return "nothing configured to watch\n".into();
    }
    format!("{}\n", parts.join(" · "))
}

/// Which sources did not answer and which answered with a failure.
fn sources(inc: &Incident<'_>) -> String {
    let mut out = String::new();
    let answered = inc.sources_asked.saturating_sub(inc.not_answered.len());
    out.push_str(&format!(
        "{} of {} answered within {}.\n",
        answered,
        count(inc.sources_asked, "source", "sources"),
        cell::seconds(inc.wait)
    ));
    let mut lines: Vec<String> = inc
        .not_answered
        .iter()
        .map(|n| format!("- not answered: {} ({})", cell(&n.source), cell(&n.reason)))
        .collect();
    lines.extend(
        inc.state
            .source_problems()
            .iter()
            .map(|p| format!("- failing: {}", cell(p))),
    );
    for s in &inc.state.services {
        if let Some(e) = s.metrics.as_deref().and_then(|m| m.last_error.as_deref()) {
            lines.push(format!(
                "- failing: metrics of {}: {}",
                cell(&s.name),
                cell(e)
            ));
        }
    }
    if !lines.is_empty() {
        out.push('\n');
        out.push_str(&lines.join("\n"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
