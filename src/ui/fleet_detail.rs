//! One instance of the fleet in full: status and why, when it was last
//! seen, its service and keys, a device's poll history, and what can be
//! done from here.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Theme, ago, clock};
use crate::app::State;
use crate::app::keymap::Action;
use crate::model::Health;
use crate::model::fleet::{Instance, InstanceKind};

pub fn render(frame: &mut Frame, area: Rect, state: &State, scroll: u16, theme: &Theme) {
    let Some(i) = state.fleet.selected_instance() else {
        let text = " The instance is gone from the fleet (Esc: back to the grid).";
        frame.render_widget(Line::styled(text, theme.dim), area);
        return;
    };
    let lines = lines(state, i, theme);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(40), 0)),
        area,
    );
}

fn lines<'a>(state: &State, i: &Instance, theme: &Theme) -> Vec<Line<'a>> {
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {name:<11} "), theme.column_title),
            Span::styled(value, theme.text),
        ])
    };
    let mut out = vec![Line::from(vec![
        Span::styled(format!(" {} ", i.name), theme.title),
        Span::styled(
            format!("{} {}", i.status.glyph(), i.status.badge()),
            theme.status(i.status),
        ),
        Span::styled(format!("  {} · {}", i.kind.word(), i.source), theme.dim),
    ])];
    out.push(Line::raw(""));
    if let Some(r) = &i.reason {
        out.push(Line::from(vec![
            Span::styled(format!(" {:<11} ", "Why"), theme.column_title),
            Span::styled(r.clone(), theme.status(i.status)),
        ]));
    }
    let seen = match (i.last_seen, i.kind) {
        (Some(t), _) => format!("{} ({})", ago(state.now, t), clock(t)),
        (None, InstanceKind::Pod | InstanceKind::Node | InstanceKind::Container) => {
            format!("listed now by {}", i.source)
        }
        (None, _) => "never".into(),
    };
    out.push(field("Last seen", seen));
    let on_board = i
        .service
        .as_ref()
        .is_some_and(|s| state.services.iter().any(|x| x.name == *s));
    let key = |a: Action| state.keymap.primary_key(a).unwrap_or_default();
    let service = match &i.service {
        Some(s) if on_board => format!("{s}  ({} opens it)", key(Action::GoToService)),
        Some(s) => s.clone(),
        None => "—".into(),
    };
    out.push(field("Service", service));
    let host_word = match i.kind {
        InstanceKind::Pod => "Node",
        InstanceKind::Container => "Docker host",
        _ => "Host",
    };
    for (name, v) in [
        (host_word, &i.host),
        ("Namespace", &i.namespace),
        ("Location", &i.location),
    ] {
        if let Some(v) = v {
            out.push(field(name, v.clone()));
        }
    }
    if !i.labels.is_empty() {
        let labels: Vec<String> = i.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(field("Labels", labels.join("  ")));
    }
    if i.kind == InstanceKind::Device && i.polls > 0 {
        out.push(history(i, theme));
    }
    out.push(Line::raw(""));
    let mut can = Vec::new();
    match i.kind {
        InstanceKind::Pod => can.push(format!(
            "{} delete the pod (its controller replaces it)",
            key(Action::Restart)
        )),
        InstanceKind::Container => {
            can.push(format!("{} restart the container", key(Action::Restart)))
        }
        InstanceKind::Node => can.push(format!(
            "{} the node in the Nodes pane",
            key(Action::GoToService)
        )),
        _ => {}
    }
    if let Some(h) = &i.host {
        can.push(format!("{} runbooks on {h}", key(Action::Palette)));
    }
    can.push("←/→ neighbouring cells".into());
    can.push(format!("{} back to the grid", key(Action::Back)));
    out.push(Line::styled(format!(" {}", can.join(" · ")), theme.dim));
    out
}

/// `History  ●●✖●●●✖●  (oldest … newest, 3 changes in the last 8)`.
fn history<'a>(i: &Instance, theme: &Theme) -> Line<'a> {
    let n = u32::from(i.polls.min(16));
    let mut spans = vec![Span::styled(
        format!(" {:<11} ", "Polls"),
        theme.column_title,
    )];
    for bit in (0..n).rev() {
        let up = i.history & (1 << bit) != 0;
        let h = if up { Health::Up } else { Health::Down };
        spans.push(Span::styled(h.glyph(), theme.status(h)));
    }
    spans.push(Span::styled(
        format!("  oldest → newest · {} changes in the last 8", i.flaps()),
        theme.dim,
    ));
    Line::from(spans)
}
