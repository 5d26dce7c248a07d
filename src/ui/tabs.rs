//! The second header row: pane tabs on the left, the status line (a flash
//! message, running jobs, or the last result) on the right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::{Theme, truncate};
use crate::app::{Pane, State};
use crate::model::{Job, Outcome, fmt_bytes, fmt_duration};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let wide = area.width >= 100;
    let status = status(state, theme);
    let mut spans = tabs(state, theme, wide, false);
    let room = |spans: &[Span]| {
        let used: usize = spans.iter().map(Span::width).sum();
        (area.width as usize).saturating_sub(used + 2)
    };
    // Seven tabs leave little room at 80 columns: when the status line
    // needs it, the other tabs keep only their number and badge.
    if let Some((text, _)) = &status
        && room(&spans) < unicode_width::UnicodeWidthStr::width(text.as_str()).min(40)
    {
        spans = tabs(state, theme, wide, true);
    }
    let room = room(&spans);
    if let Some((text, style)) = status
        && room > 8
    {
        let text = truncate(&text, room);
        let pad = room.saturating_sub(unicode_width::UnicodeWidthStr::width(text.as_str()));
        spans.push(Span::raw(" ".repeat(pad + 1)));
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Line::from(spans), area);
}

/// The tabs; `compact`: the current one named, the others by number.
fn tabs<'a>(state: &State, theme: &Theme, wide: bool, compact: bool) -> Vec<Span<'a>> {
    let mut spans: Vec<Span> = Vec::new();
    let current = state.pane();
    for (i, pane) in Pane::ALL.iter().enumerate() {
        let badge = badge(state, *pane);
        let title = if compact && *pane != current {
            ""
        } else {
            pane.title()
        };
        let sep = if title.is_empty() { "" } else { " " };
        // Narrow: the current tab padded, the others one space apart, so
        // the status line keeps some room at 80 columns.
        let (label, style) = if *pane == current {
            (
                format!(" {} {title}{badge} ", i + 1),
                theme.title.add_modifier(Modifier::REVERSED),
            )
        } else if wide {
            (format!(" {}{sep}{title}{badge} ", i + 1), theme.dim)
        } else {
            (format!("{}{sep}{title}{badge} ", i + 1), theme.dim)
        };
        let first = i == 0 && *pane != current;
        spans.push(Span::styled(
            if first { format!(" {label}") } else { label },
            style,
        ));
        if wide {
            spans.push(Span::raw(" "));
        }
    }
    spans
}

/// `⚠2` on Backups when RPOs are breached, `⟳1` on Actions while jobs run,
/// `✖3` on Fleet while instances are down.
fn badge(state: &State, pane: Pane) -> String {
    match pane {
        Pane::Services | Pane::Events => String::new(),
        Pane::Fleet => {
            let down = state.fleet.iter().filter(|(_, i)| i.offline()).count();
            if down > 0 {
                format!(" ✖{down}")
            } else {
                String::new()
            }
        }
        Pane::Alerts => {
            let [crit, warn, _] = state.alerts.firing_counts();
            match (crit, warn) {
                (0, 0) => String::new(),
                (0, w) => format!(" ▲{w}"),
                (c, _) => format!(" ▲{c}!"),
            }
        }
        Pane::Backups => {
            let breached = state
                .backups
                .iter()
                .filter(|b| b.rpo_status(state.now).is_breached())
                .count();
            if breached > 0 {
                format!(" ⚠{breached}")
            } else {
                String::new()
            }
        }
        Pane::Nodes => {
            let down = state
                .clusters
                .values()
                .flat_map(|c| &c.nodes)
                .filter(|n| !n.ready)
                .count();
            if down > 0 {
                format!(" ✖{down}")
            } else {
                String::new()
            }
        }
        Pane::Actions => {
            let running = state.running_jobs().count();
            if running > 0 {
                format!(" ⟳{running}")
            } else {
                String::new()
            }
        }
    }
}

/// What the status line says now: a flash, else the running jobs, else the
/// newest result not yet dismissed.
pub fn status(state: &State, theme: &Theme) -> Option<(String, ratatui::style::Style)> {
    let running: Vec<&Job> = state.running_jobs().collect();
    if let Some(j) = running.last() {
        let more = if running.len() > 1 {
            format!(" (+{} more)", running.len() - 1)
        } else {
            String::new()
        };
        return Some((
            format!("⟳ {}{more}  c cancel", job_progress(j, state.now)),
            theme.warning,
        ));
    }
    let last = state
        .jobs
        .iter()
        .rev()
        .find(|j| !j.dismissed && !j.is_running())?;
    let (_, result) = last.finished.as_ref()?;
    let (glyph, style) = match result.outcome {
        Outcome::Succeeded => ("✔", theme.up),
        Outcome::Failed => ("✖", theme.error),
        Outcome::Cancelled => ("■", theme.warning),
    };
    let follow = match &result.follow_up {
        Some(f) if f.passed => " · check passed".to_string(),
        Some(_) => " · CHECK FAILED".to_string(),
        None => String::new(),
    };
    Some((
        format!(
            "{glyph} {} {} {} in {}{follow}: {}  x dismiss",
            last.id,
            last.plan.summary(),
            result.outcome.word(),
            fmt_duration(last.elapsed(state.now)),
            result.message
        ),
        style,
    ))
}

/// `#3 backup redis-nightly · writing · 12.3 MiB · 4s`.
pub fn job_progress(j: &Job, now: std::time::SystemTime) -> String {
    format!(
        "{} {} · {}",
        j.id,
        j.plan.summary(),
        progress_detail(j, now)
    )
}

/// `writing · 12.3 MiB · “last line” · 4s`.
pub fn progress_detail(j: &Job, now: std::time::SystemTime) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &j.progress.phase {
        parts.push(p.clone());
    }
    if let Some(b) = j.progress.bytes {
        parts.push(fmt_bytes(b));
    }
    if let Some((done, total)) = j.progress.step {
        parts.push(format!("step {done}/{total}"));
    }
    if let Some(line) = j.output.back() {
        parts.push(format!("“{}”", truncate(line, 40)));
    }
    parts.push(fmt_duration(j.elapsed(now)));
    parts.join(" · ")
}
