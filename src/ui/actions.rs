//! The Actions pane: every job this board ran (newest first) and a job's
//! output.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Theme, clock, tabs, truncate};
use crate::app::State;
use crate::model::{Job, JobId, Outcome, fmt_duration};

fn mark(j: &Job, theme: &Theme) -> Span<'static> {
    match j.finished.as_ref().map(|(_, r)| r.outcome) {
        None => Span::styled("⟳ run", theme.warning),
        Some(Outcome::Succeeded) => {
            match j.finished.as_ref().and_then(|(_, r)| r.follow_up.as_ref()) {
                Some(f) if !f.passed => Span::styled("✖ chk", theme.error),
                _ => Span::styled("✔ ok", theme.up),
            }
        }
        Some(Outcome::Failed) => Span::styled("✖ fail", theme.down),
        Some(Outcome::Cancelled) => Span::styled("■ stop", theme.warning),
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [list, note] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let audit = match &state.audit_path {
        Some(p) => format!(" audit: {p} · opsboard audit verify"),
        None => " audit log: unavailable".into(),
    };
    frame.render_widget(Line::styled(audit, theme.dim), note);
    if state.jobs.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "No actions yet. Press b on a backup job, or : for runbooks and actions.",
                theme.dim,
            ))
            .wrap(Wrap { trim: true }),
            list.inner(ratatui::layout::Margin {
                horizontal: 1,
                vertical: 1,
            }),
        );
        return;
    }
    let header = Row::new(["RESULT", "JOB", "ACTION", "STARTED", "TOOK", "DETAIL"].map(Cell::from))
        .style(theme.column_title);
    let rows_fit = list.height.saturating_sub(1) as usize;
    let start = state.job_list.offset.min(state.jobs.len());
    let rows = state.jobs.iter().rev().skip(start).take(rows_fit).map(|j| {
        let detail = match &j.finished {
            None => tabs::progress_detail(j, state.now),
            Some((_, r)) => r.message.clone(),
        };
        Row::new(vec![
            Cell::from(mark(j, theme)),
            Cell::from(j.id.to_string()),
            Cell::from(truncate(&j.plan.summary(), 34)),
            Cell::from(clock(j.started)),
            Cell::from(fmt_duration(j.elapsed(state.now))),
            Cell::from(detail),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(4),
            Constraint::Length(28),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .column_spacing(1)
    .row_highlight_style(theme.selected);
    let mut ts =
        TableState::default().with_selected(Some(state.job_list.selected.saturating_sub(start)));
    frame.render_stateful_widget(table, list, &mut ts);
}

/// A job's plan, status and output. While following, the newest output
/// line stays in view.
pub fn render_output(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    id: JobId,
    scroll: u16,
    follow: bool,
    theme: &Theme,
) {
    let Some(j) = state.job(id) else {
        frame.render_widget(Line::styled(" job no longer kept — Esc", theme.error), area);
        return;
    };
    let mut head = vec![Line::from(vec![
        Span::styled(format!(" {} {} ", j.id, j.plan.summary()), theme.title),
        mark(j, theme),
        Span::styled(
            format!(
                "  started {}  took {}",
                clock(j.started),
                fmt_duration(j.elapsed(state.now))
            ),
            theme.dim,
        ),
    ])];
    match &j.finished {
        None => head.push(Line::styled(
            format!(" {}  (c cancel)", tabs::job_progress(j, state.now)),
            theme.warning,
        )),
        Some((_, r)) => {
            let code = r
                .exit_code
                .map(|c| format!("exit {c} · "))
                .unwrap_or_default();
            let style = if r.outcome == Outcome::Succeeded {
                theme.up
            } else {
                theme.error
            };
            head.push(Line::styled(format!(" {code}{}", r.message), style));
            if let Some(f) = &r.follow_up {
                let (g, st) = if f.passed {
                    ("✔", theme.up)
                } else {
                    ("✖", theme.error)
                };
                head.push(Line::styled(format!(" {g} follow-up: {}", f.detail), st));
            }
        }
    }
    if j.dropped_lines > 0 {
        head.push(Line::styled(
            format!(" … {} earlier lines dropped", j.dropped_lines),
            theme.dim,
        ));
    }
    let [top, body] = Layout::vertical([
        Constraint::Length(head.len() as u16 + 1),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), top);
    let lines: Vec<Line> = j
        .output
        .iter()
        .map(|l| Line::styled(format!(" {l}"), theme.text))
        .collect();
    if lines.is_empty() {
        frame.render_widget(Line::styled(" (no output)", theme.dim), body);
        return;
    }
    let max = (lines.len() as u16).saturating_sub(body.height);
    let offset = if follow { max } else { scroll.min(max) };
    frame.render_widget(Paragraph::new(lines).scroll((offset, 0)), body);
}
