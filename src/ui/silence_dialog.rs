//! The silence dialog: matchers (prefilled from the alert's labels),
//! duration and comment, each editable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::Theme;
use crate::app::state::SilenceField;

pub struct SilenceView<'a> {
    pub server: &'a str,
    pub matchers: &'a str,
    pub duration: &'a str,
    pub comment: &'a str,
    pub field: SilenceField,
    pub error: Option<&'a str>,
}

pub fn render(frame: &mut Frame, area: Rect, v: &SilenceView<'_>, theme: &Theme) {
    let field = |label: &str, text: &str, me: SilenceField| -> Vec<Line<'static>> {
        let active = v.field == me;
        let style = if active { theme.key } else { theme.text };
        let cursor = if active { "█" } else { "" };
        vec![
            Line::styled(
                format!("{}{label}", if active { "▸ " } else { "  " }),
                if active { theme.title } else { theme.dim },
            ),
            Line::from(Span::styled(format!("  {text}{cursor}"), style)),
        ]
    };
    let mut lines = vec![Line::styled(
        format!("Silence on Alertmanager {}", v.server),
        theme.title,
    )];
    lines.extend(field("matchers", v.matchers, SilenceField::Matchers));
    lines.extend(field("duration", v.duration, SilenceField::Duration));
    lines.extend(field("comment", v.comment, SilenceField::Comment));
    if let Some(e) = v.error {
        lines.push(Line::styled(format!("✗ {e}"), theme.down));
    }
    lines.push(Line::styled(
        "Tab next field · Enter plan · Esc cancel",
        theme.dim,
    ));
    let width = area.width.saturating_sub(4).clamp(20, 90);
    // Long matcher lists wrap: count the rows they take.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = (rows as u16 + 2).min(area.height);
    let r = super::popup(area, width, height);
    frame.render_widget(Clear, r);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(" Silence ", theme.title))
        .style(theme.popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        r,
    );
}
