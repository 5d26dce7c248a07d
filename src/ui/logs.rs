//! The logs view: every replica and pod of a service interleaved, each
//! line prefixed with whose it is. Only the rows on screen are laid out,
//! from the bottom up, so a full buffer costs no more to draw than a
//! short one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use super::{Theme, clock, truncate};
use crate::app::State;
use crate::app::logs::LogView;
use crate::model::LogEntry;

/// The widest prefix column.
const PREFIX_MAX: usize = 24;

fn header<'a>(name: &str, logs: &LogView, theme: &Theme) -> Line<'a> {
    let req = &logs.request;
    let pods: std::collections::BTreeSet<&str> = req
        .targets
        .iter()
        .filter_map(|t| match &t.source {
            crate::model::LogSource::Pod { pod, .. } => Some(pod.as_str()),
            crate::model::LogSource::Container { .. } => None,
        })
        .collect();
    let containers = req.targets.len()
        - req
            .targets
            .iter()
            .filter(|t| matches!(t.source, crate::model::LogSource::Pod { .. }))
            .count();
    let mut whose = Vec::new();
    if !pods.is_empty() {
        whose.push(format!("{} pod{}", pods.len(), plural(pods.len())));
    }
    if containers > 0 {
        whose.push(format!("{containers} container{}", plural(containers)));
    }
    let mut parts: Vec<(String, ratatui::style::Style)> = Vec::new();
    if !whose.is_empty() {
        parts.push((whose.join(", "), theme.dim));
    }
    if let Some(c) = &logs.container {
        parts.push((format!("only {c}"), theme.key));
    }
    if logs.dropped > 0 {
        parts.push((format!("{} older dropped", logs.dropped), theme.warning));
    }
    let state = if req.previous {
        "ended"
    } else if logs.follow {
        "following"
    } else {
        "paused (End follows)"
    };
    parts.push((state.to_string(), theme.dim));
    if logs.editing || !logs.search.is_empty() {
        let (what, text) = match logs.search.strip_prefix('!') {
            Some(rest) => ("without", rest),
            None => ("with", logs.search.as_str()),
        };
        let cursor = if logs.editing { "█" } else { "" };
        parts.push((format!("/{what} {text}{cursor}"), theme.key));
    }
    let title = format!(
        " logs of {name}{}",
        if req.previous { " (previous run)" } else { "" }
    );
    let mut spans = vec![Span::styled(title, theme.title)];
    for (text, style) in parts {
        spans.push(Span::styled(" · ", theme.dim));
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// A line a logger marked as an error or warning (the Kubernetes API does
/// not say which stream a line came from).
fn looks_bad(line: &str) -> bool {
    let head = line.get(..line.len().min(48)).unwrap_or(line);
    [
        "ERROR",
        "WARN",
        "FATAL",
        "panic:",
        "fatal error",
        "level=error",
        "level=warn",
    ]
    .iter()
    .any(|w| head.contains(w))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One log line laid out as rows of `width` columns: the first with the
/// time and prefix, continuations (when wrapping) indented under the text.
fn rows<'a>(
    l: &LogEntry,
    logs: &LogView,
    prefix_w: usize,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut lead = Vec::new();
    if logs.timestamps {
        lead.push(Span::styled(
            format!("{} ", l.at.map(clock).unwrap_or_else(|| "-".repeat(9))),
            theme.dim,
        ));
    }
    if prefix_w > 0 {
        lead.push(Span::styled(
            format!("{:<prefix_w$} │ ", truncate(&l.prefix, prefix_w)),
            theme.key,
        ));
    }
    let indent: usize = lead.iter().map(Span::width).sum();
    let room = width.saturating_sub(indent).max(1);
    let style = if l.note {
        theme.dim
    } else if l.stderr || looks_bad(&l.line) {
        theme.warning
    } else {
        theme.text
    };
    if !logs.wrap {
        lead.push(Span::styled(truncate(&l.line, room), style));
        return vec![Line::from(lead)];
    }
    let out = wrap(&l.line, room);
    out.into_iter()
        .enumerate()
        .map(|(i, text)| {
            let mut spans = if i == 0 {
                lead.clone()
            } else {
                vec![Span::raw(" ".repeat(indent))]
            };
            spans.push(Span::styled(text, style));
            Line::from(spans)
        })
        .collect()
}

/// Splits `text` into rows of at most `room` columns, at a space when one
/// is in the row's second half, else mid-word.
fn wrap(text: &str, room: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            let cut = row.rfind(' ').filter(|i| *i * 2 >= row.len());
            match cut {
                Some(i) => {
                    let rest = row.split_off(i + 1);
                    out.push(std::mem::replace(&mut row, rest));
                    used = row.chars().map(|c| c.width().unwrap_or(0)).sum();
                }
                None => {
                    out.push(std::mem::take(&mut row));
                    used = 0;
                }
            }
        }
        row.push(c);
        used += w;
    }
    out.push(row);
    out
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, service: usize, theme: &Theme) {
    let name = state.services.get(service).map_or("?", |s| s.name.as_str());
    let logs = &state.logs;
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(header(name, logs, theme), top);
    let height = body.height as usize;
    let width = body.width as usize;
    // From the bottom up: skip what is below the view, then take a
    // screenful (the top of the buffer when scrolled past it).
    // Following, only the bottom screenful is looked at; paused, the
    // lines shown are counted to clamp the view at the top.
    let total = if !logs.follow {
        logs.shown_rev().count()
    } else if logs.narrowed() {
        usize::from(logs.shown_rev().next().is_some())
    } else {
        logs.lines.len()
    };
    if total == 0 {
        let empty = match logs.request.since {
            _ if !logs.lines.is_empty() => " (no line matches)".to_string(),
            Some(t) => format!(
                " (nothing written since {}; p shows the previous run of crashed containers)",
                clock(t)
            ),
            None => " (no log lines yet)".to_string(),
        };
        frame.render_widget(Line::styled(empty, theme.dim), body);
        return;
    }
    let skip = if logs.follow {
        0
    } else {
        logs.from_bottom
            .min(total.saturating_sub(height.min(total)))
    };
    let window: Vec<&LogEntry> = logs.shown_rev().skip(skip).take(height).collect();
    let prefix_w = window
        .iter()
        .map(|l| l.prefix.chars().count())
        .max()
        .unwrap_or(0)
        .min(PREFIX_MAX);
    let mut lines: Vec<Line> = Vec::new();
    for l in &window {
        let mut r = rows(l, logs, prefix_w, width, theme);
        r.extend(lines);
        lines = r;
        if lines.len() >= height {
            break;
        }
    }
    // Wrapped rows beyond the screen: keep the bottom ones.
    let extra = lines.len().saturating_sub(height);
    lines.drain(..extra);
    frame.render_widget(Paragraph::new(lines), body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_loses_nothing() {
        let text = "ERROR POST /api/checkout 500: upstream redis: connection reset by peer";
        let rows = wrap(text, 20);
        assert!(rows.iter().all(|r| r.chars().count() <= 20), "{rows:?}");
        assert_eq!(rows.concat(), text);
        assert_eq!(rows[0], "ERROR POST ");
        let long = "x".repeat(45);
        assert_eq!(wrap(&long, 20).len(), 3);
        assert_eq!(wrap("", 20), [""]);
    }
}
