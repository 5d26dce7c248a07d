//! The top bar: mode tags, counts by status, last poll and the clock.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::Theme;
use crate::app::State;
use crate::model::Health;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut left: Vec<Span> = vec![Span::styled(
        " opsboard ",
        theme.header.add_modifier(ratatui::style::Modifier::BOLD),
    )];
    if state.banner.demo {
        left.push(Span::styled(" DEMO ", theme.header_tag));
        left.push(Span::styled(" ", theme.header));
    }
    if state.banner.read_only {
        left.push(Span::styled(" READ-ONLY ", theme.header_tag));
        left.push(Span::styled(" ", theme.header));
    }
    let wide = area.width >= 100;
    for (h, n) in state.counts() {
        if n == 0 && h != Health::Down {
            continue;
        }
        let label = if wide { h.word() } else { short(h) };
        left.push(Span::styled(
            format!("{} {n} {label}", h.glyph()),
            theme.status(h).patch(badge_bg(theme)),
        ));
        left.push(Span::styled("  ", theme.header));
    }
    let right = match state.last_poll {
        Some(t) if wide => format!(
            "last poll {} ({})  {} ",
            super::clock(t),
            super::ago(state.now, t),
            super::clock(state.now)
        ),
        Some(t) => format!(
            "polled {}  {} ",
            super::ago(state.now, t),
            super::clock(state.now)
        ),
        None => format!("waiting for first poll  {} ", super::clock(state.now)),
    };
    let used: usize = left.iter().map(|s| s.width()).sum();
    let space = (area.width as usize).saturating_sub(used + right.chars().count());
    let mut spans = left;
    if space > 0 {
        spans.push(Span::styled(" ".repeat(space), theme.header));
        spans.push(Span::styled(right, theme.header));
    }
    frame.render_widget(Line::from(spans).style(theme.header), area);
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
fn badge_bg(theme: &Theme) -> ratatui::style::Style {
    let mut s = ratatui::style::Style::default();
    if let Some(bg) = theme.header.bg {
        s = s.bg(bg);
    }
    s
}
