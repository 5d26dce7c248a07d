//! The Events pane: the Normal and Warning events of every watched
//! namespace, newest first, repeats folded with a count; the selected
//! event in full below the table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{Theme, clock, truncate};
use crate::app::State;
use crate::app::events::rows;
use crate::app::keymap::Action;
use crate::app::layout::scroll_to_show;
use crate::model::{ClusterEvent, EventType, ResourceStatus, fmt_duration};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let margin = area.inner(ratatui::layout::Margin {
        horizontal: 1,
        vertical: 1,
    });
    if state.clusters.is_empty() {
        let why = super::connecting(state)
            .map(|c| format!("{c} Its events appear here as they are listed."))
            .unwrap_or_else(|| "No Kubernetes clusters, so no events. opsboard uses the current kubeconfig context ($KUBECONFIG or ~/.kube/config, or --kubeconfig), or [kubernetes] contexts in the config.".into());
        frame.render_widget(
            Paragraph::new(Line::styled(why, theme.dim)).wrap(Wrap { trim: true }),
            margin,
        );
        return;
    }
    let mut top = status_lines(state, theme);
    if let Some(l) = filter_line(state, theme) {
        top.push(l);
    }
    let events = rows(state);
    let selected = state
        .events
        .list
        .selected
        .min(events.len().saturating_sub(1));
    let detail_h = events
        .get(selected)
        .map_or(0, |e| detail_height(e, area.width, area.height));
    let [top_area, table_area, detail_area] = Layout::vertical([
        Constraint::Length(top.len() as u16),
        Constraint::Min(0),
        Constraint::Length(detail_h),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(top), top_area);
    if events.is_empty() {
        let why = if !state.events.filter.text.is_empty() {
            format!(
                "No event matches “{}”. Esc clears the filter.",
                state.events.filter.text
            )
        } else if state.events.warnings_only {
            format!(
                "No Warning events in the watched namespaces ({} shows every event).",
                key(state, Action::WarningsOnly)
            )
        } else {
            "No events in the watched namespaces.".to_string()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, theme.dim)).wrap(Wrap { trim: true }),
            table_area.inner(ratatui::layout::Margin {
                horizontal: 1,
                vertical: 1,
            }),
        );
        return;
    }
    table(frame, table_area, state, theme, &events, selected);
    if let Some(e) = events.get(selected) {
        detail(frame, detail_area, state, theme, e);
    }
}

/// One line per context whose events are not (or no longer) watched.
fn status_lines<'a>(state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for (context, c) in &state.clusters {
        if let Some(e) = &c.error {
            out.push(Line::styled(format!(" ✖ {context}: {e}"), theme.error));
            continue;
        }
        match c
            .resources
            .iter()
            .find(|(r, _)| r == "events")
            .map(|x| &x.1)
        {
            Some(ResourceStatus::Syncing) => out.push(Line::styled(
                format!(" ⟳ {context}: syncing events"),
                theme.warning,
            )),
            Some(ResourceStatus::Forbidden(m)) => out.push(Line::styled(
                format!(" ✖ {context}: events forbidden: {m}"),
                theme.error,
            )),
            Some(ResourceStatus::Failing(f)) => out.push(Line::styled(
                format!(
                    " ✖ {context}: events failing since {} ({}); showing the last known",
                    crate::model::fault::hms(f.since),
                    f.words
                ),
                theme.error,
            )),
            _ => {}
        }
    }
    out
}

/// ` /backoff▏ · only warnings` while a filter or the switch is on.
fn filter_line<'a>(state: &State, theme: &Theme) -> Option<Line<'a>> {
    let ev = &state.events;
    let mut spans = Vec::new();
    if !ev.filter.text.is_empty() || ev.filter.editing {
        let cursor = if ev.filter.editing { "▏" } else { "" };
        spans.push(Span::styled(
            format!(" /{}{cursor}", ev.filter.text),
            theme.key,
        ));
    }
    if ev.warnings_only {
        spans.push(Span::styled(
            format!(" only warnings ({}: all)", key(state, Action::WarningsOnly)),
            theme.warning,
        ));
    }
    (!spans.is_empty()).then(|| Line::from(spans))
}

/// The key of `action` as the keymap has it (`w`, `Enter`).
fn key(state: &State, action: Action) -> String {
    state.keymap.primary_key(action).unwrap_or_default()
}

/// `5s`, `3m`, `2h`, `4d`: kubectl's LAST SEEN.
fn age(state: &State, e: &ClusterEvent) -> String {
    e.last.map_or_else(
        || "?".to_string(),
        |t| {
            let d = state.now.duration_since(t).unwrap_or_default();
            if d.as_secs() < 10 {
                format!("{}s", d.as_secs())
            } else {
                fmt_duration(d)
            }
        },
    )
}

fn table(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    events: &[&ClusterEvent],
    selected: usize,
) {
    let wide = area.width >= 120;
    let multi = state.clusters.len() > 1;
    let (reason_w, object_w) = if wide { (28usize, 40usize) } else { (18, 22) };
    let mut titles = vec!["AGE", "TYPE", "REASON", "OBJECT", "MESSAGE"];
    let mut widths = vec![
        Constraint::Length(4),
        Constraint::Length(7),
        Constraint::Length(reason_w as u16),
        Constraint::Length(object_w as u16),
        Constraint::Min(10),
    ];
    if wide {
        titles.insert(4, "NAMESPACE");
        widths.insert(4, Constraint::Length(14));
        if multi {
            titles.insert(5, "CONTEXT");
            widths.insert(5, Constraint::Length(12));
        }
    }
    let fixed: usize = widths
        .iter()
        .map(|c| match c {
            Constraint::Length(n) => *n as usize + 1,
            _ => 1,
        })
        .sum();
    let message_w = (area.width as usize).saturating_sub(fixed).max(10);
    let header = Row::new(titles.into_iter().map(Cell::from)).style(theme.column_title);
    let fit = area.height.saturating_sub(1) as usize;
    let offset = scroll_to_show(selected, state.events.list.offset, fit, events.len());
    let body = events.iter().skip(offset).take(fit).map(|e| {
        let (ty, style) = match e.type_ {
            EventType::Warning => ("Warning", theme.warning),
            EventType::Normal => ("Normal", theme.dim),
        };
        let mut cells = vec![
            Cell::from(Span::styled(age(state, e), theme.dim)),
            Cell::from(Span::styled(ty, style)),
            reason_cell(e, reason_w, style, theme),
            Cell::from(truncate(&e.object(), object_w)),
            Cell::from(truncate(&e.message, message_w)),
        ];
        if wide {
            cells.insert(
                4,
                Cell::from(Span::styled(truncate(&e.namespace, 14), theme.dim)),
            );
            if multi {
                cells.insert(
                    5,
                    Cell::from(Span::styled(truncate(&e.context, 12), theme.dim)),
                );
            }
        }
        Row::new(cells)
    });
    let table = Table::new(body, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut ts = TableState::default().with_selected(Some(selected.saturating_sub(offset)));
    frame.render_stateful_widget(table, area, &mut ts);
}

/// `BackOff ×12`: the reason, cut to leave room for the count.
fn reason_cell<'a>(
    e: &ClusterEvent,
    width: usize,
    style: ratatui::style::Style,
    theme: &Theme,
) -> Cell<'a> {
    if e.count <= 1 {
        return Cell::from(Span::styled(truncate(&e.reason, width), style));
    }
    let count = format!(" ×{}", e.count);
    let room = width.saturating_sub(count.width());
    Cell::from(Line::from(vec![
        Span::styled(truncate(&e.reason, room), style),
        Span::styled(count, theme.dim),
    ]))
}

/// The first line of the detail and the message, wrapped.
fn detail_text<'a>(state: &State, theme: &Theme, e: &ClusterEvent) -> Vec<Line<'a>> {
    let mut facts = vec![
        format!("{} {}", e.type_.word(), e.reason),
        format!("ns {}", e.namespace),
    ];
    if state.clusters.len() > 1 {
        facts.push(format!("context {}", e.context));
    }
    if e.count > 1 {
        facts.push(format!("×{}", e.count));
    }
    if let Some(f) = e.first {
        facts.push(format!("first {}", clock(f)));
    }
    if let Some(l) = e.last {
        facts.push(format!("last {}", clock(l)));
    }
    if !e.source.is_empty() {
        facts.push(format!("from {}", e.source));
    }
    vec![
        Line::styled(facts.join(" · "), theme.dim),
        Line::styled(e.message.clone(), theme.text),
    ]
}

/// Rows for the detail: its border, the facts and the whole message
/// wrapped, but never more than half the pane.
fn detail_height(e: &ClusterEvent, width: u16, height: u16) -> u16 {
    let inner = width.saturating_sub(2).max(1) as usize;
    // Word wrapping may need a line more than the width alone says.
    let message = e.message.width().div_ceil(inner) + 1;
    let facts = 2;
    let want = 1 + facts + message.min(u16::MAX as usize) as u16;
    want.min(height / 2).max(3)
}

fn detail(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, e: &ClusterEvent) {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(
            format!(" {} ", truncate(&e.object(), area.width as usize / 2)),
            theme.title,
        ))
        .title(
            Line::styled(
                format!(
                    " {}: {} ",
                    key(state, Action::Open),
                    if e.object_kind == "Node" {
                        "the node"
                    } else {
                        "its service"
                    }
                ),
                theme.dim,
            )
            .right_aligned(),
        );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(
        Paragraph::new(detail_text(state, theme, e)).wrap(Wrap { trim: false }),
        inner.inner(ratatui::layout::Margin {
            horizontal: 1,
            vertical: 0,
        }),
    );
}
