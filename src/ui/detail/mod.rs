//! A service's detail view: every probe, its last error verbatim, the
//! per-check breakdown and its history.

mod containers;
pub mod metrics;
mod probes;
mod release;
mod workload;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::State;
use crate::model::Service;
use crate::ui::{Theme, ago};

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
    let area = if metrics::has_charts(s) && area.width >= 120 {
        let [text, charts] =
            Layout::horizontal([Constraint::Min(60), Constraint::Length(area.width * 2 / 5)])
                .areas(area);
        metrics::render_charts(frame, charts, s, theme);
        text
    } else if metrics::has_charts(s) && area.height >= 18 {
        let [text, charts] =
            Layout::vertical([Constraint::Min(8), Constraint::Length(8)]).areas(area);
        metrics::render_charts(frame, charts, s, theme);
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
    out.extend(metrics::lines(s, theme, state.now));
    release::timeline_lines(&mut out, s, state, theme, width);
    if s.probes.is_empty() {
        out.push(Line::styled(
            " No health probes configured for this service.",
            theme.dim,
        ));
    }
    actions_lines(&mut out, s, state, theme);
    release::blue_green_lines(&mut out, s, theme);
    if !s.containers.is_empty() {
        out.push(Line::raw(""));
        containers::container_lines(&mut out, s, state, theme, width);
    } else if let Some(b) = &s.docker_binding {
        out.push(Line::from(vec![
            label("docker", theme),
            Span::styled(format!("{b}: no container found"), theme.warning),
        ]));
    }
    if let Some(w) = &s.workload {
        out.push(Line::raw(""));
        workload::workload_lines(&mut out, w, state, theme, width);
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
        probes::probe_lines(&mut out, i, p, state, theme, width);
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

fn age(state: &State, t: Option<std::time::SystemTime>) -> String {
    t.map(|t| ago(state.now, t).trim_end_matches(" ago").to_string())
        .unwrap_or_else(|| "-".into())
}
