//! One-shot commands: `check` (probe once, report, exit code),
//! `snapshot` (probe once, print the board as text) and `snapshot
//! --markdown` (one round of every source, an incident summary).

use std::time::SystemTime;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde::Serialize;

use crate::app::{Banner, Keymap, State};
use crate::assemble::services::ServicePlan;
use crate::clients::probe::run_once;
use crate::model::text::safe;
use crate::model::{Health, Service};
use crate::ui::{self, Theme};

/// Runs every probe once and returns the services with the outcomes applied.
pub async fn one_round(plan: ServicePlan, max_concurrent: usize) -> Result<Vec<Service>, String> {
    let ServicePlan {
        mut services,
        specs,
    } = plan;
    for (id, outcome) in run_once(&specs, max_concurrent).await? {
        if let Some(p) = services
            .get_mut(id.service)
            .and_then(|s| s.probes.get_mut(id.probe))
        {
            p.apply(outcome);
        }
    }
    Ok(services)
}

/// Exit code for `check`: 0 all up, 1 something degraded, 2 down/unknown.
pub fn exit_code(services: &[Service]) -> i32 {
    match services.iter().map(Service::status).min() {
        None | Some(Health::Up) => 0,
        Some(Health::Degraded) => 1,
        Some(Health::Down | Health::Unknown) => 2,
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    status: Health,
    services: Vec<JsonService<'a>>,
}

#[derive(Serialize)]
struct JsonService<'a> {
    name: &'a str,
    environment: Option<&'a str>,
    status: Health,
    reason: Option<String>,
    probes: Vec<JsonProbe<'a>>,
}

#[derive(Serialize)]
struct JsonProbe<'a> {
    target: &'a str,
    status: Health,
    latency_ms: Option<f64>,
    http_status: Option<u16>,
    error: Option<String>,
    version: Option<&'a str>,
    checks: &'a [crate::model::DependencyCheck],
}

pub fn check_json(services: &[Service]) -> String {
    let report = JsonReport {
        status: services
            .iter()
            .map(Service::status)
            .min()
            .unwrap_or(Health::Up),
        services: services
            .iter()
            .map(|s| JsonService {
                name: &s.name,
                environment: s.environment.as_deref(),
                status: s.status(),
                reason: s.reason(),
                probes: s
                    .probes
                    .iter()
                    .map(|p| JsonProbe {
                        target: &p.target,
                        status: p.effective_status(),
                        latency_ms: p
                            .last_latency
                            .map(|d| (d.as_secs_f64() * 1e4).round() / 10.0),
                        http_status: p.last_http_status,
                        error: p.failing.as_ref().map(ToString::to_string),
                        version: p.last_report.as_ref().and_then(|r| r.version.as_deref()),
                        checks: p.last_report.as_ref().map_or(&[], |r| r.checks.as_slice()),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// A plain table: status, service, latency, reason.
pub fn check_table(services: &[Service]) -> String {
    let mut sorted: Vec<&Service> = services.iter().collect();
    sorted.sort_by(|a, b| {
        a.status()
            .cmp(&b.status())
            .then_with(|| a.name.cmp(&b.name))
    });
    let name_w = sorted
        .iter()
        .map(|s| safe(&s.name).chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out = format!(
        "{:<6}  {:<name_w$}  {:>8}  {}\n",
        "STATUS", "SERVICE", "LATENCY", "REASON"
    );
    for s in sorted {
        let lat = s
            .last_latency()
            .map(crate::model::fmt_duration)
            .unwrap_or_else(|| "-".into());
        let mut reason = s.reason().unwrap_or_default();
        for p in &s.probes {
            if let Some(f) = &p.failing
                && f.detail().is_some()
            {
                reason = format!("{reason} [{}: {f}]", p.target);
            }
        }
        out.push_str(&format!(
            "{:<6}  {:<name_w$}  {:>8}  {}\n",
            s.status().badge(),
            safe(&s.name),
            lat,
            safe(reason.trim())
        ));
    }
    let counts = |h: Health| services.iter().filter(|s| s.status() == h).count();
    out.push_str(&format!(
        "\n{} up, {} degraded, {} down, {} unknown\n",
        counts(Health::Up),
        counts(Health::Degraded),
        counts(Health::Down),
        counts(Health::Unknown)
    ));
    out
}

/// Renders the board into a `width`×`height` text screen.
pub fn snapshot(
    services: Vec<Service>,
    banner: Banner,
    theme: &Theme,
    width: u16,
    height: u16,
) -> Result<String, String> {
    let now = SystemTime::now();
    let mut state = State::new(services, Keymap::default(), banner, now);
    state.width = width;
    state.height = height;
    state.last_poll = state
        .services
        .iter()
        .flat_map(|s| s.probes.iter().filter_map(|p| p.last_at))
        .max();
    state.reorder();
    let mut term = Terminal::new(TestBackend::new(width, height)).map_err(|e| e.to_string())?;
    term.draw(|f| ui::render(f, &state, theme))
        .map_err(|e| e.to_string())?;
    Ok(ui::text::buffer_to_text(term.backend().buffer()))
}

/// `snapshot --markdown`: gathers one round of `plan` (at most `wait`),
/// reads the audit log, and returns the Markdown incident summary of what
/// `scope` names, with `check`'s exit code.
pub async fn markdown(
    plan: crate::headless_gather::GatherPlan,
    audit: Option<crate::ops::audit::AuditLog>,
    scope: &str,
    wait: std::time::Duration,
) -> Result<(String, i32), String> {
    use crate::headless_gather::{audit_summary, gather};
    let g = gather(plan, wait).await?;
    let now = SystemTime::now();
    let audit = tokio::task::spawn_blocking(move || audit_summary(audit.as_ref(), now))
        .await
        .map_err(|e| format!("reading the audit log: {e}"))?;
    let text = crate::headless_markdown::render(&crate::headless_markdown::Incident {
        state: &g.state,
        now,
        started: g.started,
        scope,
        sources_asked: g.sources_asked,
        not_answered: &g.not_answered,
        wait,
        audit: &audit,
    });
    Ok((text, exit_code(&g.state.services)))
}
