//! The logs view: every replica of a service interleaved, each line
//! prefixed with its replica, followed; `/` narrows, `t` shows timestamps.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, clock, truncate};
use crate::app::State;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    service: usize,
    scroll: u16,
    follow: bool,
    theme: &Theme,
) {
    let name = state.services.get(service).map_or("?", |s| s.name.as_str());
    let logs = &state.logs;
    let needle = logs.search.to_lowercase();
    let shown: Vec<&crate::model::LogEntry> = logs
        .lines
        .iter()
        .filter(|l| needle.is_empty() || l.line.to_lowercase().contains(&needle))
        .collect();
    let mut head = vec![
        Span::styled(format!(" logs of {name} "), theme.title),
        Span::styled(
            format!(
                "{} lines{}",
                shown.len(),
                if logs.dropped > 0 {
                    format!(" ({} older dropped)", logs.dropped)
                } else {
                    String::new()
                }
            ),
            theme.dim,
        ),
        Span::styled(
            if follow {
                "  following"
            } else {
                "  paused (End follows)"
            },
            theme.dim,
        ),
    ];
    if logs.editing || !logs.search.is_empty() {
        head.push(Span::styled(
            format!("  /{}{}", logs.search, if logs.editing { "█" } else { "" }),
            theme.key,
        ));
    }
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Line::from(head), top);
    let prefix_w = shown
        .iter()
        .map(|l| l.prefix.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let width = area.width as usize;
    let lines: Vec<Line> = shown
        .iter()
        .map(|l| {
            let mut spans = Vec::new();
            if logs.timestamps {
                spans.push(Span::styled(
                    format!("{} ", l.at.map(clock).unwrap_or_else(|| "-".into())),
                    theme.dim,
                ));
            }
            spans.push(Span::styled(
                format!("{:<prefix_w$} │ ", truncate(&l.prefix, prefix_w)),
                theme.key,
            ));
            let used: usize = spans.iter().map(Span::width).sum();
            spans.push(Span::styled(
                truncate(&l.line, width.saturating_sub(used)),
                if l.stderr { theme.warning } else { theme.text },
            ));
            Line::from(spans)
        })
        .collect();
    if lines.is_empty() {
        frame.render_widget(Line::styled(" (no log lines yet)", theme.dim), body);
        return;
    }
    let max = (lines.len() as u16).saturating_sub(body.height);
    let offset = if follow { max } else { scroll.min(max) };
    frame.render_widget(Paragraph::new(lines).scroll((offset, 0)), body);
}
