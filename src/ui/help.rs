//! The help screen, generated from the keymap table: two columns when the
//! terminal is short, so every binding shows at 80×24.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::Theme;
use crate::app::State;
use crate::app::bindings::{BINDINGS, Context, Section};
use crate::app::keymap::Action;

/// The lines of one help section: a title, then one line per binding.
/// Keys that share one help line (the help fits 80×24): (the line's key,
/// the key joined to it, the line's words).
pub const JOINED: &[(Action, Action, &str)] = &[
    (Action::Logs, Action::Exec, "follow logs, shell"),
    (Action::Rollback, Action::Switch, "undo, blue-green switch"),
];

pub fn section_lines<'a>(state: &State, theme: &Theme, section: Section) -> Vec<Line<'a>> {
    let mut out = vec![Line::styled(section.title().to_string(), theme.title)];
    // The pane keys share one line: `1 2 3 4 5 6  the panes, as tabbed`.
    let pane = |a: Action| {
        matches!(
            a,
            Action::ShowServices
                | Action::ShowFleet
                | Action::ShowAlerts
                | Action::ShowBackups
                | Action::ShowActions
                | Action::ShowNodes
                | Action::ShowEvents
        )
    };
    if section == Section::Everywhere {
        let keys: Vec<String> = crate::app::Pane::ALL
            .iter()
            .filter_map(|p| {
                BINDINGS
                    .iter()
                    .find(|b| pane(b.action) && b.help.starts_with(p.title()))
                    .map(|b| state.keymap.keys_label(b.action))
            })
            .collect();
        out.push(Line::from(vec![
            Span::styled(format!("  {:<11} ", keys.join(" ")), theme.key),
            Span::styled("the panes, as tabbed", theme.text),
        ]));
    }
    // Describe, YAML and inspect share one line too, and the shell the
    // logs' line (the help fits 80×24).
    let view = |a: Action| {
        matches!(
            a,
            Action::Describe | Action::Yaml | Action::Inspect | Action::Exec | Action::Switch
        )
    };

    for b in BINDINGS
        .iter()
        .filter(|b| b.section == section && !pane(b.action) && !view(b.action))
    {
        let (keys, help) = match JOINED.iter().find(|(a, _, _)| *a == b.action) {
            Some((_, other, words)) => (
                format!(
                    "{} {}",
                    state.keymap.keys_label(b.action),
                    state.keymap.keys_label(*other)
                ),
                words.to_string(),
            ),
            None => (state.keymap.keys_label(b.action), b.help.to_string()),
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {keys:<11} "), theme.key),
            Span::styled(help, theme.text),
        ]));
    }
    if section == Section::Lists {
        let keys: Vec<String> = [Action::Describe, Action::Yaml, Action::Inspect]
            .iter()
            .map(|a| state.keymap.keys_label(*a))
            .collect();
        out.push(Line::from(vec![
            Span::styled(format!("  {:<11} ", keys.join(" ")), theme.key),
            Span::styled("describe, YAML, inspect", theme.text),
        ]));
        for (key, name) in state.keymap.runbook_keys() {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<11} ", key.to_string()), theme.key),
                Span::styled(format!("runbook {name}"), theme.text),
            ]));
        }
    }
    out
}

/// Every help line in one column (also used by tests).
pub fn lines<'a>(state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for s in [
        Section::Move,
        Section::Lists,
        Section::Everywhere,
        Section::Alerts,
        Section::Fleet,
        Section::Events,
        Section::Nodes,
        Section::Logs,
        Section::Viewer,
    ] {
        out.extend(section_lines(state, theme, s));
    }
    out.extend(legend(theme));
    out
}

fn legend<'a>(theme: &Theme) -> Vec<Line<'a>> {
    vec![
        Line::styled(
            "Filter: type to narrow, ↑/↓ move, Enter keeps, Esc clears.".to_string(),
            theme.dim,
        ),
        Line::styled(
            "● UP  ◐ DEGR degraded  ✖ DOWN  ? UNKN not polled/stale  ⚠ TLS unverified".to_string(),
            theme.dim,
        ),
    ]
}

/// The pane sections, the focused pane's first.
fn pane_sections(state: &State) -> Vec<Section> {
    let mine = match state.context() {
        Context::Alerts => Some(Section::Alerts),
        Context::Fleet => Some(Section::Fleet),
        Context::Logs => Some(Section::Logs),
        Context::Viewer => Some(Section::Viewer),
        Context::Events => Some(Section::Events),
        Context::Nodes => Some(Section::Nodes),
        _ => None,
    };
    let mut out: Vec<Section> = mine.into_iter().collect();
    out.extend(
        [
            Section::Alerts,
            Section::Fleet,
            Section::Events,
            Section::Nodes,
            Section::Logs,
            Section::Viewer,
        ]
        .into_iter()
        .filter(|s| Some(*s) != mine),
    );
    out
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut left = section_lines(state, theme, Section::Move);
    left.extend(section_lines(state, theme, Section::Lists));
    let mut right = section_lines(state, theme, Section::Everywhere);
    let mut legend = legend(theme);
    // Borders, the legend and the line that may name what did not fit.
    let rows = (area.height as usize).saturating_sub(legend.len() + 3);
    let sections: Vec<(Section, Vec<Line>)> = pane_sections(state)
        .into_iter()
        .map(|s| (s, section_lines(state, theme, s)))
        .collect();
    // In one column on a tall terminal, everything shows.
    let all_fit =
        left.len() + right.len() + sections.iter().map(|(_, l)| l.len()).sum::<usize>() <= rows + 1;
    let mut left_out = Vec::new();
    for (section, lines) in sections {
        if all_fit || right.len() + lines.len() <= rows.max(left.len()) {
            right.extend(lines);
        } else {
            left_out.push(section.title().split(':').next().unwrap_or_default());
        }
    }
    if !left_out.is_empty() {
        legend.insert(
            0,
            Line::styled(
                format!("More keys in the help of the {}.", left_out.join(", ")),
                theme.dim,
            ),
        );
    }
    let col_w = |ls: &[Line]| ls.iter().map(Line::width).max().unwrap_or(0) as u16;
    let one_column = left.len() + right.len() + legend.len() + 2 <= area.height as usize;
    let (body_h, body_w) = if one_column {
        (
            (left.len() + right.len()) as u16,
            col_w(&left).max(col_w(&right)),
        )
    } else {
        (
            left.len().max(right.len()) as u16,
            col_w(&left) + 2 + col_w(&right),
        )
    };
    let width = (body_w.max(col_w(&legend)) + 4).min(area.width);
    let height = (body_h + legend.len() as u16 + 2).min(area.height);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border)
        .title(Span::styled(" Keys — ? or Esc to close ", theme.title))
        .style(theme.popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [body, foot] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(legend.len() as u16)])
            .areas(inner);
    if one_column {
        let mut all = left;
        all.extend(right);
        frame.render_widget(Paragraph::new(all), body);
    } else {
        let [l, r] = Layout::horizontal([Constraint::Length(col_w(&left) + 2), Constraint::Min(0)])
            .areas(body);
        frame.render_widget(Paragraph::new(left), l);
        frame.render_widget(Paragraph::new(right), r);
    }
    frame.render_widget(Paragraph::new(legend), foot);
}
