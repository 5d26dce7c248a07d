//! The Services pane: one row per service, worst first.
//!
//! Columns have priorities; on a narrow terminal the least important drop
//! out whole, so nothing overlaps or wraps.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::columns::{Column, fit_columns, right};
use super::{Theme, sparkline, truncate};
use crate::app::State;
use crate::model::{RolloutState, Service, fmt_duration};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if state.order.is_empty() {
        let msg = if let Some(c) = super::connecting(state).filter(|_| state.services.is_empty()) {
            format!("{c} Its workloads appear here as they are listed.")
        } else if state.services.is_empty() {
            "No services. Add [[services]] to the config file (see config.example.toml), or run `opsboard demo`."
                .to_string()
        } else {
            format!(
                "No service matches the filter “{}”. Esc clears it.",
                state.filter.text
            )
        };
        frame.render_widget(
            Paragraph::new(Line::styled(msg, theme.dim))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area.inner(ratatui::layout::Margin {
                horizontal: 1,
                vertical: 1,
            }),
        );
        return;
    }
    let rows_fit = area.height.saturating_sub(1) as usize;
    let start = state.list.offset.min(state.order.len());
    let end = (start + rows_fit).min(state.order.len());
    let visible = &state.order[start..end];
    let name_need = visible
        .iter()
        .map(|&i| name_width(&state.services[i]))
        .max()
        .unwrap_or(12)
        .max(7) as u16;
    let env_need = visible
        .iter()
        .filter_map(|&i| state.services[i].environment.as_ref())
        .map(|e| e.chars().count())
        .max()
        .unwrap_or(0) as u16;
    let show_env = state.services.iter().any(|s| s.environment.is_some());
    let show_kube = state
        .services
        .iter()
        .any(|s| s.workload.is_some() || !s.containers.is_empty());
    let show_metrics = state.services.iter().any(|s| s.metrics.is_some());
    let mut cols = fit_columns(
        area.width,
        name_need,
        show_env,
        env_need.max(3),
        show_kube,
        show_metrics,
    );
    if visible.iter().any(|&i| state.services[i].stale().is_some()) {
        widen_status_for_stale(&mut cols);
    }

    let header =
        Row::new(cols.iter().map(|(c, _)| Cell::from(c.title()))).style(theme.column_title);
    let rows = visible
        .iter()
        .map(|&i| row(&state.services[i], &cols, theme));
    let widths: Vec<Constraint> = cols.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    // Rows are pre-sliced to the window, so the table's own offset is 0.
    let mut ts =
        TableState::default().with_selected(Some(state.list.selected.saturating_sub(start)));
    frame.render_stateful_widget(table, area, &mut ts);
}

/// `? STALE` needs one column more than `? UNKN`: taken from the reason
/// (or the name) so the row still fits.
fn widen_status_for_stale(cols: &mut [(Column, u16)]) {
    let donor = cols
        .iter()
        .position(|(c, w)| *c == Column::Reason && *w > 8)
        .or_else(|| cols.iter().position(|(c, w)| *c == Column::Name && *w > 8));
    if let Some(d) = donor {
        cols[d].1 -= 1;
        if let Some(st) = cols.iter_mut().find(|(c, _)| *c == Column::Status) {
            st.1 += 1;
        }
    }
}

fn name_width(s: &Service) -> usize {
    s.name.chars().count() + if s.any_insecure_tls() { 2 } else { 0 }
}

fn row<'a>(s: &'a Service, cols: &[(Column, u16)], theme: &Theme) -> Row<'a> {
    let status = s.status();
    let cells = cols.iter().map(|(c, w)| {
        let w = *w as usize;
        match c {
            Column::Status if s.stale().is_some() && w >= 7 => {
                Cell::from(Span::styled("? STALE", theme.dim))
            }
            Column::Status => Cell::from(Span::styled(
                format!("{} {}", status.glyph(), status.badge()),
                theme.status(status),
            )),
            Column::Name => {
                let mut spans = vec![Span::styled(
                    truncate(
                        &s.name,
                        w.saturating_sub(if s.any_insecure_tls() { 2 } else { 0 }),
                    ),
                    theme.text,
                )];
                if s.any_insecure_tls() {
                    spans.push(Span::styled(" ⚠", theme.warning));
                }
                Cell::from(Line::from(spans))
            }
            Column::Env => Cell::from(Span::styled(
                truncate(s.environment.as_deref().unwrap_or("-"), w),
                theme.dim,
            )),
            Column::Latency => Cell::from(right(
                s.last_latency()
                    .map(fmt_duration)
                    .unwrap_or_else(|| "-".into()),
                w,
            )),
            Column::P95 => Cell::from(right(
                s.latency_p95()
                    .map(fmt_duration)
                    .unwrap_or_else(|| "-".into()),
                w,
            )),
            Column::Uptime => Cell::from(right(
                s.uptime_percent()
                    .map(fmt_percent)
                    .unwrap_or_else(|| "-".into()),
                w,
            )),
            Column::Trend => Cell::from(Span::styled(
                sparkline::render(s.latency_series_us(), w),
                theme.sparkline,
            )),
            Column::Rps | Column::ErrorRate | Column::ReqP95 | Column::Traffic => {
                super::metrics_cells::cell(s, *c, w, theme)
            }
            Column::Pods => Cell::from(match (&s.workload, s.containers.is_empty()) {
                (Some(wl), _) => Span::styled(
                    right(format!("{}/{}", wl.ready, wl.desired), w),
                    if wl.ready < wl.desired {
                        theme.warning
                    } else {
                        theme.text
                    },
                ),
                (None, false) => {
                    let up = s
                        .containers
                        .iter()
                        .filter(|c| c.health_verdict() == crate::model::Health::Up)
                        .count();
                    let total = s.containers.len();
                    Span::styled(
                        right(format!("{up}/{total}"), w),
                        if up < total {
                            theme.warning
                        } else {
                            theme.text
                        },
                    )
                }
                (None, true) => Span::styled(right("-".into(), w), theme.dim),
            }),
            Column::Rollout => Cell::from(match &s.workload {
                Some(wl) => {
                    let style = match wl.rollout {
                        RolloutState::Stalled(_) => theme.error,
                        RolloutState::Progressing(_) | RolloutState::Paused => theme.warning,
                        RolloutState::Complete => theme.dim,
                    };
                    Span::styled(wl.rollout.short(), style)
                }
                None => Span::raw(""),
            }),
            Column::Restarts => Cell::from(match &s.workload {
                Some(wl) if wl.restarts() > 0 => {
                    Span::styled(right(wl.restarts().to_string(), w), theme.warning)
                }
                Some(_) => Span::styled(right("0".into(), w), theme.dim),
                None => Span::raw(""),
            }),
            Column::Hpa => Cell::from(match s.workload.as_ref().and_then(|wl| wl.hpa.as_ref()) {
                Some(h) => Span::styled(format!("{}–{}:{}", h.min, h.max, h.current), theme.text),
                None => Span::raw(""),
            }),
            Column::Image => Cell::from(Span::styled(
                truncate(
                    &s.workload
                        .as_ref()
                        .map(|wl| {
                            wl.images
                                .iter()
                                .map(|i| short_image(i))
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                        .unwrap_or_default(),
                    w,
                ),
                theme.dim,
            )),
            Column::Revision => Cell::from(Span::styled(
                right(
                    s.workload
                        .as_ref()
                        .and_then(|wl| wl.revision.clone())
                        .map(|r| short_rev(&r))
                        .unwrap_or_default(),
                    w,
                ),
                theme.dim,
            )),
            Column::Reason => {
                let style = match status {
                    crate::model::Health::Down => theme.error,
                    crate::model::Health::Degraded => theme.warning,
                    _ => theme.dim,
                };
                Cell::from(Span::styled(
                    truncate(&s.reason().unwrap_or_default(), w),
                    style,
                ))
            }
        }
    });
    Row::new(cells)
}

pub use crate::model::kube::short_image;

/// A StatefulSet revision `redis-6d5f7c9b8` → `6d5f7c9b8`; numbers stay.
fn short_rev(r: &str) -> String {
    r.rsplit('-').next().unwrap_or(r).chars().take(8).collect()
}

/// `100%`, `99.9%`, `87%`: precise where it matters (near 100).
pub fn fmt_percent(p: f64) -> String {
    if p >= 99.95 {
        "100%".into()
    } else if p >= 90.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent() {
        assert_eq!(fmt_percent(100.0), "100%");
        assert_eq!(fmt_percent(99.91), "99.9%");
        assert_eq!(fmt_percent(75.0), "75%");
    }
}
