//! The bottom bar: the filter, and the keys that apply right now
//! (generated from the keymap table). When space is short the least useful
//! hints go first; quit and help stay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::Theme;
use crate::app::bindings::{BINDINGS, Context};
use crate::app::keymap::Action;
use crate::app::{Dialog, State, View};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    // A flash message (a refusal, a hint) takes the whole bar: it is what
    // the operator needs to read now.
    if let Some(f) = &state.flash {
        let (glyph, style) = if f.error {
            ("✖", theme.error)
        } else {
            ("ℹ", theme.warning)
        };
        let text = super::truncate(&format!(" {glyph} {}", f.text), area.width as usize);
        frame.render_widget(Line::styled(text, style), area);
        return;
    }
    let mut prefix: Vec<Span> = Vec::new();
    // (key, what, rank): lower rank survives longer.
    let mut hints: Vec<(String, String, u32)> = Vec::new();
    if let Some(d) = &state.dialog {
        match d {
            Dialog::Confirm { .. } => {
                hints.push(("Enter".into(), "confirm".into(), 0));
                hints.push(("Esc".into(), "cancel".into(), 0));
            }
            Dialog::Quit { .. } => {
                hints.push(("w".into(), "wait, then quit".into(), 0));
                hints.push(("q".into(), "quit now".into(), 0));
                hints.push(("Esc".into(), "stay".into(), 0));
            }
            Dialog::Scale { .. } => {
                hints.push(("+/-".into(), "adjust".into(), 1));
                hints.push(("Enter".into(), "plan".into(), 0));
                hints.push(("Esc".into(), "cancel".into(), 0));
            }
            Dialog::Silence { .. } => {
                hints.push(("Tab".into(), "next field".into(), 1));
                hints.push(("Enter".into(), "plan".into(), 0));
                hints.push(("Esc".into(), "cancel".into(), 0));
            }
            Dialog::Palette { query, .. } => {
                let verb = match crate::app::dialogs::scope::scope_command(query) {
                    Some(_) => "switch",
                    None => "plan",
                };
                hints.push(("↑↓".into(), "choose".into(), 1));
                hints.push(("Enter".into(), verb.into(), 0));
                hints.push(("Esc".into(), "close".into(), 0));
            }
        }
    } else if state.filter.editing {
        prefix.push(Span::styled(" filter: ", theme.key));
        prefix.push(Span::styled(format!("{}█", state.filter.text), theme.text));
        prefix.push(Span::styled(
            format!("  {} of {}  ", state.order.len(), state.services.len()),
            theme.dim,
        ));
        hints.push(("Enter".into(), "keep".into(), 0));
        hints.push(("Esc".into(), "clear".into(), 0));
    } else if let Some(t) = state.text_view.as_ref().filter(|t| t.editing) {
        prefix.push(Span::styled(" search: ", theme.key));
        prefix.push(Span::styled(format!("{}█", t.search), theme.text));
        hints.push(("Enter".into(), "go to match".into(), 0));
    } else if state.events.filter.editing {
        prefix.push(Span::styled(" filter events: ", theme.key));
        prefix.push(Span::styled(
            format!("{}█", state.events.filter.text),
            theme.text,
        ));
        prefix.push(Span::styled(
            format!("  {} shown  ", crate::app::events::rows(state).len()),
            theme.dim,
        ));
        hints.push(("Enter".into(), "keep".into(), 0));
        hints.push(("Esc".into(), "clear".into(), 0));
    } else if state.help_open {
        hints.push(("?".into(), "close help".into(), 0));
    } else {
        if !state.filter.text.is_empty()
            && matches!(state.view, View::Services | View::Detail { .. })
        {
            prefix.push(Span::styled(
                format!(
                    " filter “{}” {}/{} ",
                    state.filter.text,
                    state.order.len(),
                    state.services.len()
                ),
                theme.warning,
            ));
            if state.view == View::Services {
                hints.push(("Esc".into(), "clear".into(), 2));
            }
        }
        let ctx = state.context();
        for (i, b) in BINDINGS.iter().enumerate() {
            let Some(hint) = b.hint else { continue };
            if !(b.contexts.contains(&ctx) || b.contexts.contains(&Context::Global)) {
                continue;
            }
            // In the viewer its own keys matter more than switching to
            // describe or YAML (the help lists those).
            if ctx == Context::Viewer && matches!(b.action, Action::Describe | Action::Yaml) {
                continue;
            }
            // Nothing to reveal: no hint for it.
            if b.action == Action::Reveal
                && !state.text_view.as_ref().is_some_and(|t| {
                    matches!(&t.doc, crate::app::text_view::DocState::Ready(d) if d.has_secrets())
                })
            {
                continue;
            }
            if !release_key_applies(state, b.action, ctx) {
                continue;
            }
            let rank = match b.action {
                Action::Quit => 0,
                Action::Help => 1,
                _ if b.contexts.contains(&Context::Global) => 100 + i as u32,
                _ => 10 + i as u32,
            };
            if let Some(key) = state.keymap.primary_key(b.action) {
                hints.push((key, hint.to_string(), rank));
            }
        }
    }
    let width = area.width as usize;
    let prefix_w: usize = prefix.iter().map(Span::width).sum();
    let hint_w = |h: &(String, String, u32)| h.0.chars().count() + h.1.chars().count() + 3;
    while prefix_w + hints.iter().map(hint_w).sum::<usize>() > width && !hints.is_empty() {
        let worst = hints
            .iter()
            .enumerate()
            .max_by_key(|(_, h)| h.2)
            .map(|(i, _)| i)
            .unwrap_or(0);
        hints.remove(worst);
    }
    let mut spans = prefix;
    for (key, what, _) in hints {
        spans.push(Span::styled(format!(" {key}"), theme.key));
        spans.push(Span::styled(format!(" {what} "), theme.footer));
    }
    frame.render_widget(Line::from(spans).style(theme.footer), area);
}

/// `B` only on a blue-green pair; `u` in the Alerts pane only on an alert
/// that names a rollback (it started after a release, or a rollout
/// regressed).
fn release_key_applies(state: &State, action: Action, ctx: Context) -> bool {
    let focused = || state.focused_service().and_then(|i| state.services.get(i));
    match action {
        Action::Switch => focused().is_some_and(|s| s.blue_green.is_some()),
        Action::Rollback if ctx == Context::Alerts => state.alerts.selected().is_some_and(|r| {
            r.alert.name == crate::rules::release::RULE
                || super::alerts::change_hint(state, r).is_some_and(|h| h.contains("u rolls back"))
        }),
        _ => true,
    }
}
