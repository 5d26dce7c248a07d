//! The bottom bar: the filter, and the keys that apply right now
//! (generated from the keymap table).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::Theme;
use crate::app::State;
use crate::app::keymap::{BINDINGS, Context};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans: Vec<Span> = Vec::new();
    if state.filter.editing {
        spans.push(Span::styled(" filter: ", theme.key));
        spans.push(Span::styled(format!("{}█", state.filter.text), theme.text));
        spans.push(Span::styled(
            format!("  {} of {}  ", state.order.len(), state.services.len()),
            theme.dim,
        ));
        push_hint(&mut spans, "Enter", "keep", theme);
        push_hint(&mut spans, "Esc", "clear", theme);
    } else {
        if !state.filter.text.is_empty() {
            spans.push(Span::styled(
                format!(
                    " filter “{}” {}/{} ",
                    state.filter.text,
                    state.order.len(),
                    state.services.len()
                ),
                theme.warning,
            ));
            push_hint(&mut spans, "Esc", "clear", theme);
        }
        if state.help_open {
            push_hint(&mut spans, "?", "close help", theme);
        } else {
            let ctx = state.context();
            for b in BINDINGS {
                let Some(hint) = b.hint else { continue };
                if !(b.contexts.contains(&ctx) || b.contexts.contains(&Context::Global)) {
                    continue;
                }
                if let Some(key) = state.keymap.primary_key(b.action) {
                    push_hint(&mut spans, &key, hint, theme);
                }
            }
        }
    }
    // Drop hints from the right until the bar fits; never wrap.
    let width = area.width as usize;
    while spans.iter().map(Span::width).sum::<usize>() > width && spans.len() > 2 {
        spans.truncate(spans.len() - 2);
    }
    frame.render_widget(Line::from(spans).style(theme.footer), area);
}

fn push_hint<'a>(spans: &mut Vec<Span<'a>>, key: &str, what: &str, theme: &Theme) {
    spans.push(Span::styled(format!(" {key}"), theme.key));
    spans.push(Span::styled(format!(" {what} "), theme.footer));
}
