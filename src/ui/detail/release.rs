//! The release part of a service's detail: its blue-green pair (which
//! slot is live, each slot's readiness and image) and its change
//! timeline, newest first.

use ratatui::text::{Line, Span};

use super::label;
use crate::app::State;
use crate::app::timeline::timeline;
use crate::model::kube::short_image;
use crate::model::{ChangeKind, Service, Slot};
use crate::ui::{Theme, ago, truncate};

/// Timeline entries the detail shows.
const SHOWN: usize = 12;

pub fn blue_green_lines(out: &mut Vec<Line<'_>>, s: &Service, theme: &Theme) {
    let Some(p) = &s.blue_green else { return };
    out.push(Line::from(vec![
        label("slots", theme),
        Span::styled(format!("service/{} ", p.service), theme.text),
        Span::styled(format!("{}={} live", p.key, p.live.name), theme.up),
        Span::styled("  B switches", theme.dim),
    ]));
    for (slot, live) in [(&p.live, true), (&p.idle, false)] {
        out.push(slot_line(slot, live, theme));
    }
}

fn slot_line(slot: &Slot, live: bool, theme: &Theme) -> Line<'static> {
    let images = slot
        .images
        .iter()
        .map(|i| short_image(i))
        .collect::<Vec<_>>()
        .join(", ");
    let (mark, style) = if live {
        ("▶ live", theme.up)
    } else if slot.fully_ready() {
        ("  idle", theme.dim)
    } else {
        ("  idle", theme.warning)
    };
    let ready_style = if slot.fully_ready() {
        theme.text
    } else {
        theme.warning
    };
    Line::from(vec![
        Span::raw("             "),
        Span::styled(format!("{mark} {:<6} ", slot.name), style),
        Span::styled(
            format!("{}/{} ready ", slot.ready, slot.desired),
            ready_style,
        ),
        Span::styled(format!("{images}  "), theme.text),
        Span::styled(slot.workload.short(), theme.dim),
    ])
}

pub fn timeline_lines(
    out: &mut Vec<Line<'_>>,
    s: &Service,
    state: &State,
    theme: &Theme,
    width: u16,
) {
    let all = timeline(state, s);
    // The newest few on a short screen: the section sits high in the view.
    let shown = if state.height < 40 { SHOWN / 2 } else { SHOWN };
    if all.is_empty() {
        return;
    }
    out.push(Line::raw(""));
    out.push(Line::from(vec![
        Span::styled(" what changed", theme.title),
        Span::styled("  newest first", theme.dim),
    ]));
    let live = s
        .workload
        .as_ref()
        .and_then(|w| w.revision.as_deref())
        .map(|r| format!("rev {r} "));
    for c in all.iter().take(shown) {
        let current =
            c.kind == ChangeKind::Rollout && live.as_deref().is_some_and(|r| c.what.starts_with(r));
        let style = match c.kind {
            ChangeKind::AlertStarted => theme.warning,
            ChangeKind::AlertResolved => theme.up,
            ChangeKind::Rollout | ChangeKind::Image | ChangeKind::Switch => theme.text,
            ChangeKind::Scale | ChangeKind::Action => theme.text,
        };
        // One line each: what is cut so that who still shows.
        let who = c
            .who
            .as_deref()
            .map(|w| format!("  by {w}"))
            .unwrap_or_default();
        let room = (width as usize)
            .saturating_sub(22 + who.chars().count())
            .max(20);
        out.push(Line::from(vec![
            Span::styled(if current { " ● " } else { "   " }, theme.up),
            Span::styled(format!("{:>9} ", ago(state.now, c.at)), theme.dim),
            Span::styled(format!("{:<8} ", c.kind.word()), theme.dim),
            Span::styled(truncate(&c.what, room), style),
            Span::styled(who, theme.dim),
        ]));
    }
    if all.len() > shown {
        out.push(Line::styled(
            format!("   … {} older", all.len() - shown),
            theme.dim,
        ));
    }
    out.push(Line::raw(""));
}
