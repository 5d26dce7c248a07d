//! The probes part of a service's detail: each probe's state, its last
//! error verbatim, the per-check breakdown and its history.

use ratatui::text::{Line, Span};

use super::label;
use crate::app::State;
use crate::model::{ProbeState, fmt_duration};
use crate::ui::{Theme, ago, clock, sparkline, truncate};

pub(super) fn probe_lines(
    out: &mut Vec<Line<'_>>,
    i: usize,
    p: &ProbeState,
    state: &State,
    theme: &Theme,
    width: u16,
) {
    let h = p.effective_status();
    out.push(Line::from(vec![
        Span::styled(format!(" probe {} ", i + 1), theme.title),
        Span::styled(format!("{} {} ", h.glyph(), h.badge()), theme.status(h)),
        Span::styled(p.target.clone(), theme.text),
    ]));
    out.push(Line::from(vec![
        label("schedule", theme),
        Span::styled(
            format!(
                "every {}, down after {} failure{}",
                humantime::format_duration(p.interval),
                p.failure_threshold,
                if p.failure_threshold == 1 { "" } else { "s" }
            ),
            theme.text,
        ),
    ]));
    if p.insecure_tls {
        out.push(Line::from(vec![
            label("warning", theme),
            Span::styled(
                "⚠ TLS certificate verification is OFF for this probe",
                theme.warning,
            ),
        ]));
    }
    match p.last_at {
        None => out.push(Line::from(vec![
            label("last", theme),
            Span::styled("not polled yet", theme.dim),
        ])),
        Some(at) => {
            let code = p
                .last_http_status
                .map(|c| format!("HTTP {c} "))
                .unwrap_or_default();
            let lat = p
                .last_latency
                .map(fmt_duration)
                .unwrap_or_else(|| "-".into());
            let stale = if p.stale { "  (stale)" } else { "" };
            out.push(Line::from(vec![
                label("last", theme),
                Span::styled(
                    format!(
                        "{code}in {lat} at {} ({}){stale}",
                        clock(at),
                        ago(state.now, at)
                    ),
                    theme.text,
                ),
            ]));
        }
    }
    if let Some(since) = p.status_since {
        out.push(Line::from(vec![
            label("status", theme),
            Span::styled(format!("{} ", h.word()), theme.status(h)),
            Span::styled(
                format!(
                    "since {} ({})",
                    clock(since),
                    ago(state.now, since).trim_end_matches(" ago")
                ),
                theme.text,
            ),
        ]));
    }
    if p.failing.is_some() {
        let text = if p.status == crate::model::Health::Down {
            format!(
                "{} consecutive failure{} (down after {})",
                p.consecutive_failures,
                if p.consecutive_failures == 1 { "" } else { "s" },
                p.failure_threshold
            )
        } else {
            format!(
                "{} of {} failures before down",
                p.consecutive_failures, p.failure_threshold
            )
        };
        out.push(Line::from(vec![
            label("failing", theme),
            Span::styled(text, theme.warning),
        ]));
    }
    if let Some((at, f)) = &p.last_failure {
        out.push(Line::from(vec![
            label("error", theme),
            Span::styled(format!("{f}"), theme.error),
            Span::styled(
                format!("  at {} ({})", clock(*at), ago(state.now, *at)),
                theme.dim,
            ),
        ]));
    }
    let lat = |d: Option<std::time::Duration>| d.map(fmt_duration).unwrap_or_else(|| "-".into());
    out.push(Line::from(vec![
        label("latency", theme),
        Span::styled(
            format!(
                "last {}  p95 {}  uptime {} of {} samples",
                lat(p.last_latency),
                lat(p.latency_p95()),
                p.uptime_percent()
                    .map(crate::ui::services::fmt_percent)
                    .unwrap_or_else(|| "-".into()),
                p.history.len()
            ),
            theme.text,
        ),
    ]));
    if !p.history.is_empty() {
        let w = (width as usize).saturating_sub(14).clamp(10, 120);
        out.push(Line::from(vec![
            label("history", theme),
            Span::styled(
                sparkline::render(
                    p.history
                        .iter()
                        .map(|s| s.ok.then_some(s.latency().as_micros() as u64)),
                    w,
                ),
                theme.sparkline,
            ),
        ]));
    }
    if let Some(r) = &p.last_report {
        if let Some(v) = &r.version {
            out.push(Line::from(vec![
                label("version", theme),
                Span::styled(v.clone(), theme.text),
            ]));
        }
        if let Some(stated) = r.stated {
            out.push(Line::from(vec![
                label("body says", theme),
                Span::styled(stated.word(), theme.status(stated)),
            ]));
        }
        let name_w = r
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(28);
        for (n, c) in r.checks.iter().enumerate() {
            let mut spans = vec![
                label(if n == 0 { "checks" } else { "" }, theme),
                Span::styled(
                    format!("{} {:<6} ", c.status.glyph(), c.status.badge()),
                    theme.status(c.status),
                ),
                Span::styled(
                    format!("{:<name_w$} ", truncate(&c.name, name_w)),
                    theme.text,
                ),
            ];
            if let Some(d) = &c.detail {
                spans.push(Span::styled(d.clone(), theme.dim));
            }
            out.push(Line::from(spans));
        }
    }
}
