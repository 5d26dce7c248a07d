//! The help screen, generated from the keymap table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::Theme;
use crate::app::State;
use crate::app::keymap::{BINDINGS, Context};

/// Whether a binding with these contexts belongs in a help section.
type SectionTest = fn(&[Context]) -> bool;

/// The help text lines (also used by tests).
pub fn lines<'a>(state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    // Each action is listed once, in the section of the contexts it has.
    let sections: [(&str, SectionTest); 4] = [
        ("Moving (list and detail)", |c| {
            c.contains(&Context::List) && c.contains(&Context::Detail)
        }),
        ("Services list", |c| c == [Context::List]),
        ("Service detail", |c| c == [Context::Detail]),
        ("Everywhere", |c| c.contains(&Context::Global)),
    ];
    for (title, belongs) in sections {
        out.push(Line::styled(title.to_string(), theme.title));
        for b in BINDINGS.iter().filter(|b| belongs(b.contexts)) {
            out.push(Line::from(vec![
                Span::styled(
                    format!("  {:<14}", state.keymap.keys_label(b.action)),
                    theme.key,
                ),
                Span::styled(b.help.to_string(), theme.text),
            ]));
        }
    }
    out.push(Line::styled(
        "Filter: type to narrow, ↑/↓ move, Enter keeps, Esc clears.".to_string(),
        theme.dim,
    ));
    out.push(Line::styled(
        "● UP  ◐ DEGR degraded  ✖ DOWN  ? UNKN not polled/stale  ⚠ TLS unverified".to_string(),
        theme.dim,
    ));
    out
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let body = lines(state, theme);
    let want_w = body.iter().map(Line::width).max().unwrap_or(40) as u16 + 4;
    let want_h = body.len() as u16 + 2;
    let [popup] = Layout::horizontal([Constraint::Length(want_w.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(want_h.min(area.height))])
        .flex(Flex::Center)
        .areas(popup);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(" Keys — ? or Esc to close ", theme.title))
        .style(theme.popup);
    frame.render_widget(
        Paragraph::new(body)
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        popup,
    );
}
