//! Drawing. Reads `&State`, never writes it.

pub mod actions;
pub mod alerts;
pub mod backups;
pub mod columns;
pub mod detail;
pub mod dialogs;
pub mod events;
pub mod fleet;
pub mod fleet_detail;
pub mod footer;
pub mod header;
pub mod help;
pub mod logs;
pub mod metrics_cells;
pub mod nodes;
pub mod scrub;
pub mod services;
pub mod silence_dialog;
pub mod sparkline;
pub mod tabs;
pub mod text;
pub mod text_view;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Line;

use crate::app::layout::{FOOTER_ROWS, HEADER_ROWS};
use crate::app::{State, View};
pub use theme::Theme;

/// Draws the whole board.
pub fn render(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    let [head, notice, body, foot] = Layout::vertical([
        Constraint::Length(HEADER_ROWS),
        Constraint::Length(state.notice_rows()),
        Constraint::Min(0),
        Constraint::Length(FOOTER_ROWS),
    ])
    .areas(area);
    let [head, tab_row] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(head);
    header::render(frame, head, state, theme);
    tabs::render(frame, tab_row, state, theme);
    if let Some(n) = state.notice() {
        let text = truncate(&format!(" ⚠ {n}"), area.width as usize);
        frame.render_widget(Line::styled(text, theme.warning), notice);
    }
    match state.view {
        View::Services => services::render(frame, body, state, theme),
        View::Detail { service, scroll } => {
            detail::render(frame, body, state, service, scroll, theme)
        }
        View::Backups => backups::render(frame, body, state, theme),
        View::Nodes => nodes::render(frame, body, state, theme),
        View::Events => events::render(frame, body, state, theme),
        View::Fleet => fleet::render(frame, body, state, theme),
        View::FleetInstance { scroll } => fleet_detail::render(frame, body, state, scroll, theme),
        View::Logs { service, .. } => logs::render(frame, body, state, service, theme),
        View::BackupFiles { job, scroll } => {
            backups::render_files(frame, body, state, job, scroll, theme)
        }
        View::Actions => actions::render(frame, body, state, theme),
        View::Alerts => alerts::render(frame, body, state, theme),
        View::AlertDetail { row, scroll } => {
            alerts::render_detail(frame, body, state, row, scroll, theme)
        }
        View::Targets => alerts::render_targets(frame, body, state, theme),
        View::Text { .. } => text_view::render(frame, body, state, theme),
        View::JobOutput {
            job,
            scroll,
            follow,
        } => actions::render_output(frame, body, state, job, scroll, follow, theme),
    }
    footer::render(frame, foot, state, theme);
    dialogs::render(frame, area, state, theme);
    if state.help_open {
        help::render(frame, area, state, theme);
    }
    scrub::scrub(frame.buffer_mut());
}

/// `Connecting to kind-prod…` while a watched Kubernetes context has not
/// been listed yet (at start, after `:ctx` or `:ns`): what a pane says
/// instead of looking empty.
pub fn connecting(state: &State) -> Option<String> {
    crate::app::scope_switch::connecting_words(state)
        .map(|w| w.replacen("connecting", "Connecting", 1))
}

/// A `width`×`height` rectangle centred in `area` (cut to fit), for a
/// dialog.
pub fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(r);
    r
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard (it
/// works over SSH; tmux passes it on with `set -g set-clipboard on`).
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Truncates `s` to `width` display columns, marking the cut with `…`.
pub fn truncate(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `12:04:05Z` for a wall-clock time (UTC: what incident channels use).
pub fn clock(t: std::time::SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%H:%M:%SZ").to_string()
}

/// `3s ago`, `5m ago`.
pub fn ago(now: std::time::SystemTime, then: std::time::SystemTime) -> String {
    let d = now.duration_since(then).unwrap_or_default();
    if d.as_secs() == 0 {
        return "just now".into();
    }
    let secs = d.as_secs();
    if secs < 120 {
        return format!("{secs}s ago");
    }
    format!("{} ago", crate::model::fmt_duration(d))
}
