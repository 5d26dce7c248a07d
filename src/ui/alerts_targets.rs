//! The Prometheus targets view, headed by the state of every Prometheus
//! and Alertmanager server: which are failing, since when, the raw error,
//! and what became of their last known alerts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::super::{Theme, ago, truncate};
use crate::app::State;
use crate::app::alerts::server_title;
use crate::model::fault::hms;
use crate::model::{AlertSource, Health};

/// One line per failing server (`✖ Prometheus main unreachable since
/// 14:02:10Z: HTTP 503: Service Unavailable`) and what is kept of its
/// alerts.
pub fn server_faults(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let board = &state.alerts;
    let mut lines = Vec::new();
    for ((src, name), feed) in &board.remote {
        let Some(f) = &feed.fault else { continue };
        lines.push(Line::styled(
            format!(
                " ✖ {} unreachable since {}: {}",
                server_title(*src, name),
                hms(f.since),
                f.raw
            ),
            theme.error,
        ));
        let Some(until) = feed.ages_out_at(board.age_out) else {
            continue;
        };
        let kept = if !feed.alerts.is_empty() {
            format!(
                "   {} last known alert(s) kept, dimmed, until {}",
                feed.alerts.len(),
                hms(until)
            )
        } else if until <= state.now {
            format!("   its last known alerts were dropped at {}", hms(until))
        } else {
            "   no alerts were known from it".to_string()
        };
        lines.push(Line::styled(kept, theme.dim));
    }
    lines
}

/// Every Prometheus scrape target (down first) and rules that fail.
pub fn render_targets(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let targets = state.alerts.targets();
    let failing = |name: &str| {
        state
            .alerts
            .remote
            .get(&(AlertSource::Prometheus, name.to_string()))
            .is_some_and(|f| f.is_failing())
    };
    let mut status: Vec<Line> = server_faults(state, theme);
    for (name, p) in &state.alerts.prometheus {
        // A server that does not answer is said once, above.
        if let Some(e) = p.error.as_ref().filter(|_| !failing(name)) {
            status.push(Line::styled(format!(" ✖ {name}: {e}"), theme.error));
        }
        for r in p.rules.iter().filter(|r| r.health != "ok") {
            status.push(Line::styled(
                format!(
                    " ✖ {name}: rule {}/{} {}: {}",
                    r.group,
                    r.name,
                    r.health,
                    r.last_error.clone().unwrap_or_default()
                ),
                theme.error,
            ));
        }
    }
    if targets.is_empty() && status.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                " No scrape targets. Configure [[prometheus]] servers to list theirs.",
                theme.dim,
            ))
            .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let status_rows = (status.len() as u16).min(area.height / 3);
    let [top, table_area] =
        ratatui::layout::Layout::vertical([Constraint::Length(status_rows), Constraint::Min(0)])
            .areas(area);
    frame.render_widget(Paragraph::new(status), top);
    let up = targets
        .iter()
        .filter(|t| t.health == Health::Up && !failing(&t.origin))
        .count();
    let visible = table_area.height.saturating_sub(1) as usize;
    let list = &state.alerts.target_list;
    let start = list.offset.min(targets.len());
    let rows = targets.iter().skip(start).take(visible).map(|t| {
        // Last known from a server that does not answer: never a green up.
        let stale = failing(&t.origin);
        let (glyph, style) = match t.health {
            _ if stale => ("? stale", theme.dim),
            Health::Up => ("● up", theme.up),
            Health::Down => ("✖ down", theme.down),
            _ => ("? unkn", theme.unknown),
        };
        let text = if stale { theme.dim } else { theme.text };
        Row::new(vec![
            Cell::from(Span::styled(glyph, style)),
            Cell::from(Span::styled(t.job.clone(), text)),
            Cell::from(Span::styled(t.instance.clone(), text)),
            Cell::from(Span::styled(
                t.last_scrape.map(|s| ago(state.now, s)).unwrap_or_default(),
                theme.dim,
            )),
            Cell::from(Span::styled(
                truncate(&t.last_error.clone().unwrap_or_default(), 200),
                if stale { theme.dim } else { theme.error },
            )),
        ])
    });
    let title = format!("TARGET {up}/{}", targets.len());
    let table = Table::new(
        rows,
        [
            Constraint::Length(7),
            Constraint::Length(14),
            Constraint::Length(22),
            Constraint::Length(8),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(vec![title.as_str(), "JOB", "INSTANCE", "SCRAPED", "ERROR"])
            .style(theme.column_title),
    )
    .column_spacing(1)
    .row_highlight_style(theme.selected);
    let mut ts = TableState::default().with_selected(Some(list.selected.saturating_sub(start)));
    frame.render_stateful_widget(table, table_area, &mut ts);
}
