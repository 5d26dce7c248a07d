//! The text viewer (describe, YAML, inspect): a title line with what is
//! shown, the search and its matches, then the document from its scroll
//! line; search matches highlighted, the current one reversed; masked
//! values drawn as `••••••` until revealed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Theme, truncate};
use crate::app::State;
use crate::app::text_view::{DocState, TextView};
use crate::model::document::{DocLine, LineKind};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(t) = &state.text_view else {
        return;
    };
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(title(t, theme, area.width as usize), top);
    match &t.doc {
        DocState::Loading => frame.render_widget(
            Line::styled(format!(" reading the {}…", t.rendering.word()), theme.dim),
            body,
        ),
        DocState::Failed(e) => frame.render_widget(
            Paragraph::new(vec![
                Line::styled(
                    format!(
                        " could not read the {} of {}:",
                        t.rendering.word(),
                        t.object
                    ),
                    theme.error,
                ),
                Line::styled(format!(" {e}"), theme.error),
                Line::from(""),
                Line::styled(" Esc goes back.", theme.dim),
            ])
            .wrap(Wrap { trim: false }),
            body,
        ),
        DocState::Ready(doc) => {
            let needle = t.search.to_lowercase();
            let width = body.width as usize;
            let lines: Vec<Line> = doc
                .lines
                .iter()
                .enumerate()
                .skip(t.scroll)
                .take(body.height as usize)
                .map(|(i, l)| line(l, t, &needle, t.current == Some(i), width, theme))
                .collect();
            let mut p = Paragraph::new(lines);
            if t.wrap {
                p = p.wrap(Wrap { trim: false });
            }
            frame.render_widget(p, body);
        }
    }
}

fn title<'a>(t: &TextView, theme: &Theme, width: usize) -> Line<'a> {
    let mut spans = vec![Span::styled(format!(" {} ", t.title()), theme.title)];
    if let DocState::Ready(d) = &t.doc {
        spans.push(Span::styled(format!("{} lines", d.lines.len()), theme.dim));
        if d.has_secrets() {
            let what = if t.revealed {
                "  values REVEALED".to_string()
            } else if t.revealing {
                "  revealing (audit)…".to_string()
            } else {
                "  masked: R reveals (audited)".to_string()
            };
            spans.push(Span::styled(
                what,
                if t.revealed {
                    theme.error
                } else {
                    theme.warning
                },
            ));
        }
    }
    if t.editing || !t.search.is_empty() {
        let n = t.matches().len();
        spans.push(Span::styled(
            format!(
                "  /{}{} {n} match{}",
                t.search,
                if t.editing { "█" } else { "" },
                if n == 1 { "" } else { "es" }
            ),
            theme.key,
        ));
    }
    if t.wrap {
        spans.push(Span::styled("  wrap", theme.dim));
    }
    // Cut from the right so the object's name stays readable.
    let mut used = 0;
    let mut out = Vec::new();
    for s in spans {
        let w = s.width();
        if used + w > width {
            let left = width.saturating_sub(used);
            if left > 1 {
                out.push(Span::styled(truncate(&s.content, left), s.style));
            }
            break;
        }
        used += w;
        out.push(s);
    }
    Line::from(out)
}

/// One document line: styled by its kind, search matches highlighted.
fn line<'a>(
    l: &DocLine,
    t: &TextView,
    needle: &str,
    current: bool,
    width: usize,
    theme: &Theme,
) -> Line<'a> {
    let base = match l.kind {
        LineKind::Heading => theme.title,
        LineKind::Plain => theme.text,
        LineKind::Warning => theme.warning,
    };
    let text = l.shown(t.revealed);
    let text = if t.wrap { text } else { truncate(&text, width) };
    let hit = base.add_modifier(Modifier::REVERSED);
    let hit = if current {
        hit.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    } else {
        hit
    };
    Line::from(highlight(&text, needle, base, hit))
}

/// `text` split into spans, each case-insensitive occurrence of `needle`
/// in `hit` style.
fn highlight<'a>(text: &str, needle: &str, base: Style, hit: Style) -> Vec<Span<'a>> {
    if needle.is_empty() {
        return vec![Span::styled(text.to_string(), base)];
    }
    // Lower-casing can change byte lengths; match on chars instead.
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let pat: Vec<char> = needle.chars().collect();
    let mut spans = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + pat.len() <= lower.len() {
        if lower[i..i + pat.len()] == pat[..] {
            if start < i {
                spans.push(Span::styled(
                    chars[start..i].iter().collect::<String>(),
                    base,
                ));
            }
            spans.push(Span::styled(
                chars[i..i + pat.len()].iter().collect::<String>(),
                hit,
            ));
            i += pat.len();
            start = i;
        } else {
            i += 1;
        }
    }
    if start < chars.len() {
        spans.push(Span::styled(
            chars[start..].iter().collect::<String>(),
            base,
        ));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_every_match_case_insensitively() {
        let base = Style::default();
        let hit = base.add_modifier(Modifier::REVERSED);
        let spans = highlight("Ready True ready", "ready", base, hit);
        let parts: Vec<(&str, bool)> = spans
            .iter()
            .map(|s| (s.content.as_ref(), s.style == hit))
            .collect();
        assert_eq!(
            parts,
            vec![("Ready", true), (" True ", false), ("ready", true)]
        );
        assert_eq!(highlight("abc", "", base, hit).len(), 1);
        assert_eq!(highlight("ǅx", "x", base, hit).len(), 2);
    }
}
