//! Services-pane cells drawn from a service's metrics: request rate, error
//! share, request p95 and a traffic sparkline.

use ratatui::text::Span;
use ratatui::widgets::Cell;

use super::Theme;
use super::columns::{Column, right};
use crate::model::Service;
use crate::model::metrics::{fmt_rate, fmt_ratio, fmt_seconds};

pub fn cell<'a>(s: &Service, c: Column, w: usize, theme: &Theme) -> Cell<'a> {
    let Some(m) = &s.metrics else {
        return Cell::from("");
    };
    let p = m.latest();
    let stale = m.last_error.is_some();
    let dim_if_stale = |style| if stale { theme.dim } else { style };
    match c {
        Column::Rps => Cell::from(Span::styled(
            right(p.map_or("-".into(), |p| fmt_rate(p.req_rate)), w),
            dim_if_stale(theme.text),
        )),
        Column::ErrorRate => {
            let v = p.map_or(f32::NAN, |p| p.error_ratio);
            let style = if v > 0.05 {
                theme.down
            } else if v > 0.01 {
                theme.warning
            } else {
                theme.text
            };
            Cell::from(Span::styled(
                right(p.map_or("-".into(), |_| fmt_ratio(v)), w),
                dim_if_stale(style),
            ))
        }
        Column::ReqP95 => {
            let v = p.map_or(f32::NAN, |p| p.p95);
            let style = if v > 5.0 {
                theme.down
            } else if v > 1.0 {
                theme.warning
            } else {
                theme.text
            };
            Cell::from(Span::styled(
                right(p.map_or("-".into(), |_| fmt_seconds(v)), w),
                dim_if_stale(style),
            ))
        }
        Column::Traffic => {
            // Requests per second, scaled to the sparkline's own maximum.
            let series = m.points.iter().map(|p| {
                (p.req_rate.is_finite() && p.req_rate >= 0.0)
                    .then_some((p.req_rate * 1000.0) as u64)
            });
            Cell::from(Span::styled(
                super::sparkline::render(series, w),
                theme.sparkline,
            ))
        }
        _ => Cell::from(""),
    }
}
