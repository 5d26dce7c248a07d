//! A service's detail view: every probe, its last error verbatim, the
//! per-check breakdown and its history.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Theme, ago, clock, sparkline};
use crate::app::State;
use crate::model::{ProbeState, Service, fmt_duration};

pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    service: usize,
    scroll: u16,
    theme: &Theme,
) {
    let Some(s) = state.services.get(service) else {
        frame.render_widget(
            Line::styled(" service no longer exists — Esc", theme.error),
            area,
        );
        return;
    };
    // Charts beside the text on a wide screen, under it on a tall one.
    let area = if super::detail_metrics::has_charts(s) && area.width >= 120 {
        let [text, charts] =
            Layout::horizontal([Constraint::Min(60), Constraint::Length(area.width * 2 / 5)])
                .areas(area);
        super::detail_metrics::render_charts(frame, charts, s, theme);
        text
    } else if super::detail_metrics::has_charts(s) && area.height >= 18 {
        let [text, charts] =
            Layout::vertical([Constraint::Min(8), Constraint::Length(8)]).areas(area);
        super::detail_metrics::render_charts(frame, charts, s, theme);
        text
    } else {
        area
    };
    let body = lines(s, state, theme, area.width);
    let max_scroll = (body.len() as u16).saturating_sub(area.height);
    frame.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(max_scroll), 0)),
        area,
    );
}

pub fn lines<'a>(s: &'a Service, state: &State, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let status = s.status();
    let mut out = vec![Line::from(vec![
        Span::styled(format!(" {} ", s.name), theme.title),
        Span::styled(
            format!("{} {}", status.glyph(), status.badge()),
            theme.status(status),
        ),
        Span::styled(
            s.environment
                .as_ref()
                .map(|e| format!("   env {e}"))
                .unwrap_or_default(),
            theme.dim,
        ),
    ])];
    if let Some(r) = s.reason() {
        out.push(Line::styled(format!(" {r}"), theme.status(status)));
    }
    out.extend(super::detail_metrics::lines(s, theme, state.now));
    if s.probes.is_empty() {
        out.push(Line::styled(
            " No health probes configured for this service.",
            theme.dim,
        ));
    }
    actions_lines(&mut out, s, state, theme);
    if !s.containers.is_empty() {
        out.push(Line::raw(""));
        container_lines(&mut out, s, state, theme, width);
    } else if let Some(b) = &s.docker_binding {
        out.push(Line::from(vec![
            label("docker", theme),
            Span::styled(format!("{b}: no container found"), theme.warning),
        ]));
    }
    if let Some(w) = &s.workload {
        out.push(Line::raw(""));
        workload_lines(&mut out, w, state, theme, width);
    } else if let Some(b) = &s.kube_binding {
        out.push(Line::from(vec![
            label("k8s", theme),
            Span::styled(
                format!("{b}: not found in the cluster (yet)"),
                theme.warning,
            ),
        ]));
    }
    for (i, p) in s.probes.iter().enumerate() {
        out.push(Line::raw(""));
        probe_lines(&mut out, i, p, state, theme, width);
    }
    out
}

/// The service's backup jobs (with RPO state) and runbooks, so the
/// on-call engineer sees what can be done from here.
fn actions_lines(out: &mut Vec<Line<'_>>, s: &Service, state: &State, theme: &Theme) {
    let jobs: Vec<&crate::model::BackupJob> = state
        .backups
        .iter()
        .filter(|b| b.service == s.name)
        .collect();
    for b in &jobs {
        let status = b.rpo_status(state.now);
        let (mark, style) = match status {
            crate::model::RpoStatus::Breached { .. } => ("✖ RPO breached", theme.down),
            crate::model::RpoStatus::NoBackup { .. } => ("✖ no backup", theme.down),
            crate::model::RpoStatus::Met { .. } => ("● RPO ok", theme.up),
            crate::model::RpoStatus::NotSet => ("  no RPO", theme.dim),
        };
        let newest = b
            .newest_verified()
            .map(|f| format!("newest verified {}", ago(state.now, f.taken)))
            .unwrap_or_else(|| "no verified backup".into());
        out.push(Line::from(vec![
            label("backup", theme),
            Span::styled(format!("{} ({}) ", b.name, b.kind.word()), theme.text),
            Span::styled(format!("{mark} "), style),
            Span::styled(newest, theme.dim),
        ]));
    }
    let runbooks: Vec<String> = state
        .runbooks
        .iter()
        .filter(|r| r.service.as_deref() == Some(s.name.as_str()))
        .filter(|r| !(r.dangerous && state.banner.read_only))
        .map(|r| {
            if r.dangerous {
                format!("{} ⚠", r.name)
            } else {
                r.name.clone()
            }
        })
        .collect();
    if !runbooks.is_empty() {
        out.push(Line::from(vec![
            label("runbooks", theme),
            Span::styled(runbooks.join(", "), theme.text),
            Span::styled("  (: to run)", theme.dim),
        ]));
    }
}

fn label(text: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!("   {text:<10}"), theme.dim)
}

fn probe_lines(
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
                    .map(super::services::fmt_percent)
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
                    format!("{:<name_w$} ", super::truncate(&c.name, name_w)),
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

fn age(state: &State, t: Option<std::time::SystemTime>) -> String {
    t.map(|t| ago(state.now, t).trim_end_matches(" ago").to_string())
        .unwrap_or_else(|| "-".into())
}

/// The workload: counts, rollout, images, HPA, pods, history, events.
fn workload_lines(
    out: &mut Vec<Line<'_>>,
    w: &crate::model::Workload,
    state: &State,
    theme: &Theme,
    width: u16,
) {
    use crate::model::RolloutState;
    out.push(Line::from(vec![
        Span::styled(" kubernetes ", theme.title),
        Span::styled(w.id.to_string(), theme.text),
    ]));
    let restarts = w.restarts();
    out.push(Line::from(vec![
        label("replicas", theme),
        Span::styled(
            format!(
                "{}/{} ready · {} up-to-date · {} available",
                w.ready, w.desired, w.updated, w.available
            ),
            if w.ready < w.desired {
                theme.warning
            } else {
                theme.text
            },
        ),
        Span::styled(
            format!(
                " · {restarts} restart{}",
                if restarts == 1 { "" } else { "s" }
            ),
            if restarts > 0 {
                theme.warning
            } else {
                theme.dim
            },
        ),
    ]));
    let (text, style) = match &w.rollout {
        RolloutState::Complete => ("complete".to_string(), theme.up),
        RolloutState::Progressing(m) => (format!("progressing: {m}"), theme.warning),
        RolloutState::Stalled(m) => (format!("STALLED: {m}"), theme.error),
        RolloutState::Paused => (
            "paused (kubectl rollout resume to continue)".into(),
            theme.warning,
        ),
    };
    out.push(Line::from(vec![
        label("rollout", theme),
        Span::styled(text, style),
    ]));
    out.push(Line::from(vec![
        label("images", theme),
        Span::styled(w.images.join(", "), theme.text),
    ]));
    if let Some(r) = &w.revision {
        out.push(Line::from(vec![
            label("revision", theme),
            Span::styled(r.clone(), theme.text),
        ]));
    }
    if let Some(h) = &w.hpa {
        let cpu = match (h.cpu_percent, h.cpu_target) {
            (Some(c), Some(t)) => format!(" · cpu {c}% / target {t}%"),
            (None, Some(t)) => format!(" · cpu target {t}%"),
            _ => String::new(),
        };
        out.push(Line::from(vec![
            label("hpa", theme),
            Span::styled(
                format!(
                    "{} {}–{}, current {} → desired {}{cpu}",
                    h.name, h.min, h.max, h.current, h.desired
                ),
                theme.text,
            ),
        ]));
    }
    // Pod table: NODE and LAST TERM only when there is room; the name
    // takes what is left and never wraps.
    let wide = width >= 110;
    let fixed = if wide {
        3 + 19 + 6 + 5 + 11 + 13 + 6
    } else {
        3 + 27 + 6 + 5 + 6
    };
    let longest = w
        .pods
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(4);
    let name_w = longest.clamp(4, (width as usize).saturating_sub(fixed).max(8));
    let head = if wide {
        format!(
            "   {:<name_w$} {:<18} {:>5} {:>4} {:<10} {:<12} {:>5}",
            "POD", "STATUS", "READY", "RST", "LAST TERM", "NODE", "AGE"
        )
    } else {
        format!(
            "   {:<name_w$} {:<26} {:>5} {:>4} {:>5}",
            "POD", "STATUS", "READY", "RST", "AGE"
        )
    };
    out.push(Line::styled(head, theme.column_title));
    for p in &w.pods {
        let style = if p.is_ready() {
            theme.text
        } else {
            theme.warning
        };
        let status = if wide {
            format!("{:<18} ", super::truncate(&p.status(), 18))
        } else {
            let with_last = match &p.last_termination {
                Some(t) => format!("{} ({t})", p.status()),
                None => p.status(),
            };
            format!("{:<26} ", super::truncate(&with_last, 26))
        };
        let mut spans = vec![
            Span::styled(
                format!("   {:<name_w$} ", super::truncate(&p.name, name_w)),
                style,
            ),
            Span::styled(
                status,
                if p.waiting_reason.is_some() {
                    theme.error
                } else {
                    style
                },
            ),
            Span::styled(
                format!("{:>5} ", format!("{}/{}", p.ready_containers, p.containers)),
                style,
            ),
            Span::styled(
                format!("{:>4} ", p.restarts),
                if p.restarts > 0 {
                    theme.warning
                } else {
                    theme.dim
                },
            ),
        ];
        if wide {
            spans.push(Span::styled(
                format!("{:<10} ", p.last_termination.clone().unwrap_or_default()),
                theme.error,
            ));
            spans.push(Span::styled(
                format!(
                    "{:<12} ",
                    super::truncate(p.node.as_deref().unwrap_or("-"), 12)
                ),
                theme.dim,
            ));
        }
        spans.push(Span::styled(
            format!("{:>5}", age(state, p.created)),
            theme.dim,
        ));
        out.push(Line::from(spans));
    }
    if !w.history.is_empty() {
        out.push(Line::styled(
            format!("   {:<4} {:<40} {}", "REV", "IMAGES", "CHANGE-CAUSE"),
            theme.column_title,
        ));
        let current = w.revision.as_deref();
        for h in w.history.iter().rev() {
            let mark = if Some(h.revision.to_string().as_str()) == current {
                "●"
            } else {
                " "
            };
            out.push(Line::from(vec![
                Span::styled(format!(" {mark} {:<4} ", h.revision), theme.text),
                Span::styled(
                    format!("{:<40} ", super::truncate(&h.images.join(", "), 40)),
                    theme.text,
                ),
                Span::styled(
                    h.change_cause.clone().unwrap_or_else(|| "-".into()),
                    theme.dim,
                ),
                Span::styled(format!("  {}", age(state, h.created)), theme.dim),
            ]));
        }
    }
    if !w.events.is_empty() {
        out.push(Line::styled("   WARNING EVENTS", theme.column_title));
        for e in &w.events {
            let prefix = format!("   {:>5} {} ", age(state, e.last), e.reason);
            let room = (width as usize).saturating_sub(prefix.chars().count());
            let count = if e.count > 1 {
                format!(" (×{})", e.count)
            } else {
                String::new()
            };
            out.push(Line::from(vec![
                Span::styled(format!("   {:>5} ", age(state, e.last)), theme.dim),
                Span::styled(format!("{} ", e.reason), theme.warning),
                Span::styled(
                    super::truncate(&format!("{} {}{count}", e.object, e.message), room),
                    theme.text,
                ),
            ]));
        }
    }
}

/// Containers: state and HEALTHCHECK, restarts, image, ports, uptime, and
/// resource use when collected (only for what is on screen).
fn container_lines(out: &mut Vec<Line<'_>>, s: &Service, state: &State, theme: &Theme, width: u16) {
    let title = match &s.docker_binding {
        Some(b) => format!(" docker {b}"),
        None => " docker".into(),
    };
    out.push(Line::styled(title, theme.title));
    for c in &s.containers {
        let h = c.health_verdict();
        let health = match &c.health {
            Some(hc) if c.state == "running" => format!("{} ({})", c.state, hc.status),
            _ => c.state.clone(),
        };
        let mut spans = vec![
            Span::styled(format!("   {} ", h.glyph()), theme.status(h)),
            Span::styled(format!("{:<28} ", super::truncate(&c.name, 28)), theme.text),
            Span::styled(
                format!("{:<20} ", super::truncate(&health, 20)),
                theme.status(h),
            ),
            Span::styled(
                format!("{:>3}↻ ", c.restart_count),
                if c.restart_count > 0 {
                    theme.warning
                } else {
                    theme.dim
                },
            ),
        ];
        if let Some(st) = &c.stats {
            spans.push(Span::styled(
                format!(
                    "{:>5.1}% {} ",
                    st.cpu_percent,
                    crate::model::fmt_bytes(st.mem_bytes)
                ),
                theme.text,
            ));
        }
        if let Some(t) = c.started_at.filter(|_| c.state == "running") {
            spans.push(Span::styled(
                format!("up {} ", age(state, Some(t))),
                theme.dim,
            ));
        }
        out.push(Line::from(spans));
        let image = format!(
            "{} {}",
            crate::model::kube::short_image(&c.image),
            c.image_id.chars().take(19).collect::<String>()
        );
        let mut details = vec![image];
        if !c.ports.is_empty() {
            details.push(c.ports.join(", "));
        }
        let room = (width as usize).saturating_sub(6);
        out.push(Line::styled(
            format!("      {}", super::truncate(&details.join(" · "), room)),
            theme.dim,
        ));
        if let Some(hc) = &c.health
            && hc.status != "healthy"
            && let Some(o) = &hc.last_output
        {
            out.push(Line::styled(
                format!(
                    "      last probe ({} failing): {}",
                    hc.failing_streak,
                    super::truncate(o, room.saturating_sub(24))
                ),
                theme.error,
            ));
        }
    }
}
