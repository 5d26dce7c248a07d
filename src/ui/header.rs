//! The top bar: mode tags, counts by status, alerts, last poll and the
//! clock. It degrades in steps on narrow terminals rather than clipping.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::Theme;
use crate::app::State;
use crate::model::Health;

/// How much room the counts get.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Density {
    /// `✖ 1 down  ◐ 1 degraded`
    Words,
    /// `✖ 1 down  ◐ 1 degr`
    Short,
    /// `✖1 ◐1`
    Glyphs,
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let width = area.width as usize;
    let mut tags: Vec<Span> = vec![Span::styled(
        " opsboard ",
        theme.header.add_modifier(Modifier::BOLD),
    )];
    if state.banner.demo {
        tags.push(Span::styled(" DEMO ", theme.header_tag));
        tags.push(Span::styled(" ", theme.header));
    }
    if state.banner.read_only {
        tags.push(Span::styled(" READ-ONLY ", theme.header_tag));
        tags.push(Span::styled(" ", theme.header));
    }
    let clock = super::clock(state.now);
    let rights: Vec<String> = match state.last_poll {
        Some(t) => vec![
            format!(
                "last poll {} ({})  {clock} ",
                super::clock(t),
                super::ago(state.now, t)
            ),
            format!("polled {}  {clock} ", super::ago(state.now, t)),
            format!("{}  {clock} ", super::ago(state.now, t)),
            format!("{clock} "),
        ],
        None if state.services.iter().all(|s| s.probes.is_empty()) => vec![format!("{clock} ")],
        None => vec![
            format!("waiting for first poll  {clock} "),
            format!("{clock} "),
        ],
    };
    let tag_width: usize = tags.iter().map(Span::width).sum();
    // Prefer the poll age over long count labels; the clock alone is last.
    let mut candidates = Vec::new();
    for right in &rights[..rights.len().saturating_sub(1).max(1)] {
        candidates.push((Density::Words, right));
        candidates.push((Density::Short, right));
    }
    for right in &rights {
        candidates.push((Density::Glyphs, right));
    }
    let mut chosen: Option<(Vec<Span>, String)> = None;
    for (density, right) in candidates {
        let counts = counts(state, theme, density);
        let used = tag_width + counts.iter().map(Span::width).sum::<usize>();
        if used + right.chars().count() < width {
            chosen = Some((counts, right.clone()));
            break;
        }
    }
    let (counts, right) =
        chosen.unwrap_or_else(|| (counts(state, theme, Density::Glyphs), String::new()));
    let mut spans = tags;
    spans.extend(counts);
    let used: usize = spans.iter().map(Span::width).sum();
    let space = width.saturating_sub(used + right.chars().count());
    spans.push(Span::styled(" ".repeat(space), theme.header));
    spans.push(Span::styled(right, theme.header));
    frame.render_widget(Line::from(spans).style(theme.header), area);
}

fn counts<'a>(state: &State, theme: &Theme, density: Density) -> Vec<Span<'a>> {
    let bg = badge_bg(theme);
    let gap = if density == Density::Glyphs {
        " "
    } else {
        "  "
    };
    let mut out = Vec::new();
    for (h, n) in state.counts() {
        if n == 0 && h != Health::Down {
            continue;
        }
        let text = match density {
            Density::Words => format!("{} {n} {}", h.glyph(), h.word()),
            Density::Short => format!("{} {n} {}", h.glyph(), short(h)),
            Density::Glyphs => format!("{}{n}", h.glyph()),
        };
        out.push(Span::styled(text, theme.status(h).patch(bg)));
        out.push(Span::styled(gap, theme.header));
    }
    let down = state.sources_down();
    if !down.is_empty() {
        let text = match (density, down.len()) {
            (Density::Words, 1 | 2) | (Density::Short, 1) => format!("⚠ {} down", down.join(", ")),
            (Density::Words | Density::Short, n) => format!("⚠ {n} sources down"),
            (Density::Glyphs, n) => format!("⚠{n}src"),
        };
        out.push(Span::styled(text, theme.warning.patch(bg)));
        out.push(Span::styled(gap, theme.header));
    }
    let firing = state.alerts.firing_counts();
    for (n, word, style) in [
        (firing[0], "crit", theme.down),
        (firing[1], "warn", theme.warning),
    ] {
        if n == 0 {
            continue;
        }
        let text = match density {
            Density::Glyphs => format!("▲{n}{}", &word[..1]),
            _ => format!("▲ {n} {word}"),
        };
        out.push(Span::styled(text, style.patch(bg)));
        out.push(Span::styled(gap, theme.header));
    }
    out
}

fn short(h: Health) -> &'static str {
    match h {
        Health::Up => "up",
        Health::Degraded => "degr",
        Health::Down => "down",
        Health::Unknown => "unkn",
    }
}

/// Status spans keep the header's background unless the theme gives them one.
fn badge_bg(theme: &Theme) -> Style {
    let mut s = Style::default();
    if let Some(bg) = theme.header.bg {
        s = s.bg(bg);
    }
    s
}
