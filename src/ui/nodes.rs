//! The Nodes pane: every node of every watched cluster, and how each
//! watched resource type is doing (forbidden, failing, syncing).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Theme, ago};
use crate::app::State;
use crate::model::ResourceStatus;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if state.clusters.is_empty() {
        let why = super::connecting(state)
            .map(|c| format!("{c} Its nodes appear here as they are listed."))
            .unwrap_or_else(|| "No Kubernetes clusters. opsboard uses the current kubeconfig context ($KUBECONFIG or ~/.kube/config), or [kubernetes] contexts in the config.".into());
        frame.render_widget(
            Paragraph::new(Line::styled(why, theme.dim)).wrap(Wrap { trim: true }),
            area.inner(ratatui::layout::Margin {
                horizontal: 1,
                vertical: 1,
            }),
        );
        return;
    }
    // One status line per context that has something to say.
    let mut status_lines: Vec<Line> = Vec::new();
    for (context, c) in &state.clusters {
        if let Some(e) = &c.error {
            status_lines.push(Line::styled(format!(" ✖ {context}: {e}"), theme.error));
            continue;
        }
        let syncing: Vec<&str> = c
            .resources
            .iter()
            .filter(|(_, s)| *s == ResourceStatus::Syncing)
            .map(|(r, _)| r.as_str())
            .collect();
        for (r, s) in &c.resources {
            match s {
                ResourceStatus::Forbidden(m) => status_lines.push(Line::styled(
                    format!(" ✖ {context}: {r} forbidden: {m}"),
                    theme.error,
                )),
                // The whole chain here: this is where the detail lives.
                ResourceStatus::Failing(f) => status_lines.push(Line::styled(
                    format!(
                        " ✖ {context}: {r} failing since {}: {}",
                        crate::model::fault::hms(f.since),
                        f.raw
                    ),
                    theme.error,
                )),
                _ => {}
            }
        }
        if !syncing.is_empty() {
            status_lines.push(Line::styled(
                format!(" ⟳ {context}: syncing {}", syncing.join(", ")),
                theme.warning,
            ));
        }
    }
    let [status_area, table_area] = Layout::vertical([
        Constraint::Length(status_lines.len() as u16),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(status_lines), status_area);
    let multi = state.clusters.len() > 1;
    let mut titles = vec![
        "STATUS", "NODE", "PRESSURE", "SCHED", "PODS", "KUBELET", "AGE",
    ];
    if multi {
        titles.insert(1, "CONTEXT");
    }
    let header = Row::new(titles.into_iter().map(Cell::from)).style(theme.column_title);
    let nodes: Vec<_> = state.clusters.values().flat_map(|c| &c.nodes).collect();
    let rows_fit = table_area.height.saturating_sub(1) as usize;
    let start = state.node_list.offset.min(nodes.len());
    let rows = nodes.iter().skip(start).take(rows_fit).map(|n| {
        let (status, style) = if n.ready {
            ("● Ready", theme.up)
        } else {
            ("✖ NotReady", theme.down)
        };
        let mut cells = vec![
            Cell::from(Span::styled(status, style)),
            Cell::from(n.name.clone()),
            Cell::from(Span::styled(
                if n.pressures.is_empty() {
                    "-".to_string()
                } else {
                    n.pressures.join(",")
                },
                if n.pressures.is_empty() {
                    theme.dim
                } else {
                    theme.warning
                },
            )),
            Cell::from(if n.unschedulable {
                Span::styled("cordoned", theme.warning)
            } else {
                Span::styled("yes", theme.dim)
            }),
            Cell::from(n.pods.to_string()),
            Cell::from(Span::styled(
                n.kubelet.clone().unwrap_or_default(),
                theme.dim,
            )),
            Cell::from(Span::styled(
                n.created
                    .map(|t| ago(state.now, t).trim_end_matches(" ago").to_string())
                    .unwrap_or_default(),
                theme.dim,
            )),
        ];
        if multi {
            cells.insert(1, Cell::from(Span::styled(n.context.clone(), theme.dim)));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Min(14),
        Constraint::Length(14),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(12),
        Constraint::Length(6),
    ];
    if multi {
        widths.insert(1, Constraint::Length(12));
    }
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut ts =
        TableState::default().with_selected(Some(state.node_list.selected.saturating_sub(start)));
    frame.render_stateful_widget(table, table_area, &mut ts);
}
