//! The Services pane: one row per service, worst first.
//!
//! Columns have priorities; on a narrow terminal the least important drop
//! out whole, so nothing overlaps or wraps.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{Theme, sparkline, truncate};
use crate::app::State;
use crate::model::{RolloutState, Service, fmt_duration};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Status,
    Name,
    Env,
    Pods,
    Rollout,
    Latency,
    P95,
    Uptime,
    Restarts,
    Hpa,
    Image,
    Revision,
    Trend,
    Reason,
    Rps,
    ErrorRate,
    ReqP95,
    Traffic,
}

impl Column {
    /// Columns that only make sense when some service has metrics.
    fn is_metrics(self) -> bool {
        matches!(
            self,
            Column::Rps | Column::ErrorRate | Column::ReqP95 | Column::Traffic
        )
    }

    /// Columns that only make sense when some service has a workload.
    fn is_kube(self) -> bool {
        matches!(
            self,
            Column::Pods
                | Column::Rollout
                | Column::Restarts
                | Column::Hpa
                | Column::Image
                | Column::Revision
        )
    }
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Status => "STATUS",
            Column::Name => "SERVICE",
            Column::Env => "ENV",
            Column::Latency => "LAT",
            Column::P95 => "P95",
            Column::Uptime => "UPTIME",
            Column::Trend => "TREND",
            Column::Reason => "FAILING / REASON",
            Column::Pods => "PODS",
            Column::Rollout => "ROLLOUT",
            Column::Restarts => "RST",
            Column::Hpa => "HPA",
            Column::Image => "IMAGE",
            Column::Revision => "REV",
            Column::Rps => "REQ/S",
            Column::ErrorRate => "ERR%",
            Column::ReqP95 => "REQ95",
            Column::Traffic => "TRAFFIC",
        }
    }
}

/// Columns in display order with (minimum width, drop priority: higher
/// drops first).
const COLUMNS: &[(Column, u16, u8)] = &[
    (Column::Status, 6, 0),
    (Column::Name, 12, 0),
    (Column::Env, 8, 12),
    (Column::Pods, 5, 2),
    (Column::Rollout, 11, 10),
    (Column::Rps, 6, 3),
    (Column::ErrorRate, 5, 4),
    (Column::ReqP95, 6, 7),
    (Column::Latency, 6, 5),
    (Column::P95, 6, 9),
    (Column::Uptime, 6, 6),
    (Column::Restarts, 4, 8),
    (Column::Hpa, 9, 13),
    (Column::Image, 16, 14),
    (Column::Revision, 4, 15),
    (Column::Traffic, 10, 16),
    (Column::Trend, 10, 11),
    (Column::Reason, 24, 1),
];

/// The columns that fit in `width`, with their widths.
pub fn fit_columns(
    width: u16,
    name_need: u16,
    show_env: bool,
    env_need: u16,
    show_kube: bool,
    show_metrics: bool,
) -> Vec<(Column, u16)> {
    let mut cols: Vec<(Column, u16, u8)> = COLUMNS
        .iter()
        .copied()
        .filter(|(c, _, _)| show_env || *c != Column::Env)
        .filter(|(c, _, _)| show_kube || !c.is_kube())
        .filter(|(c, _, _)| show_metrics || !c.is_metrics())
        .collect();
    let total = |cols: &[(Column, u16, u8)]| -> u16 {
        cols.iter().map(|c| c.1).sum::<u16>() + cols.len().saturating_sub(1) as u16
    };
    while total(&cols) > width {
        let Some(worst) = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.2 > 0)
            .max_by_key(|(_, c)| c.2)
            .map(|(i, _)| i)
        else {
            break;
        };
        if cols[worst].0 == Column::Reason {
            // The reason is worth more than any number: shrink it instead.
            let others = total(&cols) - cols[worst].1;
            cols[worst].1 = width.saturating_sub(others).max(8);
            break;
        }
        cols.remove(worst);
    }
    // Spare room: the name grows to fit names, the env to its values, the
    // trend to 24, and the reason takes the rest.
    let mut spare = width.saturating_sub(total(&cols));
    let mut grow = |cols: &mut Vec<(Column, u16, u8)>, which: Column, upto: u16| {
        if let Some(c) = cols.iter_mut().find(|c| c.0 == which) {
            let add = upto.saturating_sub(c.1).min(spare);
            c.1 += add;
            spare -= add;
        }
    };
    grow(&mut cols, Column::Name, name_need.min(32));
    grow(&mut cols, Column::Env, env_need.min(16));
    grow(&mut cols, Column::Trend, 24);
    grow(&mut cols, Column::Image, 28);
    grow(&mut cols, Column::Traffic, 24);
    grow(&mut cols, Column::Reason, u16::MAX);
    grow(&mut cols, Column::Trend, 60);
    cols.into_iter().map(|(c, w, _)| (c, w)).collect()
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if state.order.is_empty() {
        let msg = if state.services.is_empty() {
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

pub(super) fn right(s: String, w: usize) -> String {
    format!("{s:>w$}")
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
    fn narrow_terminals_drop_columns_by_priority() {
        let at = |w| {
            fit_columns(w, 14, false, 0, false, false)
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            at(80),
            vec![
                Column::Status,
                Column::Name,
                Column::Latency,
                Column::P95,
                Column::Uptime,
                Column::Trend,
                Column::Reason
            ]
        );
        assert_eq!(
            at(60),
            vec![
                Column::Status,
                Column::Name,
                Column::Latency,
                Column::Uptime,
                Column::Reason
            ]
        );
        assert_eq!(at(40), vec![Column::Status, Column::Name, Column::Reason]);
        assert_eq!(
            fit_columns(40, 14, false, 0, false, false).last(),
            Some(&(Column::Reason, 20))
        );
        // With environments shown, 80 columns trade ENV for the reason.
        let with_env: Vec<Column> = fit_columns(80, 14, true, 10, false, false)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert!(!with_env.contains(&Column::Env));
        assert!(
            fit_columns(120, 14, true, 10, false, false)
                .iter()
                .any(|c| c.0 == Column::Env)
        );
        for w in [30u16, 40, 60, 80, 120, 200] {
            let used: u16 = fit_columns(w, 14, true, 10, false, true)
                .iter()
                .map(|c| c.1 + 1)
                .sum::<u16>()
                - 1;
            assert!(used <= w.max(35), "width {w}: used {used}");
        }
    }

    #[test]
    fn percent() {
        assert_eq!(fmt_percent(100.0), "100%");
        assert_eq!(fmt_percent(99.91), "99.9%");
        assert_eq!(fmt_percent(75.0), "75%");
    }
}
