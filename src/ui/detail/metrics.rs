//! The metrics part of a service's detail: current values, custom metrics,
//! scrape problems, and charts of request rate, error rate and p95 latency
//! over the last hour.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType};

use crate::model::Service;
use crate::model::metrics::{MetricPoint, fmt_rate, fmt_ratio, fmt_seconds};
use crate::ui::Theme;

/// Text lines: latest values, custom metrics, warnings.
pub fn lines<'a>(s: &Service, theme: &Theme, now: std::time::SystemTime) -> Vec<Line<'a>> {
    let Some(m) = &s.metrics else {
        return Vec::new();
    };
    let mut out = vec![Line::raw("")];
    let label = |t: &str| Span::styled(format!(" {t:<9}"), theme.column_title);
    match m.latest() {
        Some(p) => {
            out.push(Line::from(vec![
                label("metrics"),
                Span::styled(
                    format!(
                        "{}  errors {}  p50 {}  p95 {}  p99 {}",
                        fmt_rate(p.req_rate),
                        fmt_ratio(p.error_ratio),
                        fmt_seconds(p.p50),
                        fmt_seconds(p.p95),
                        fmt_seconds(p.p99)
                    ),
                    theme.text,
                ),
            ]));
            let mut res = Vec::new();
            if p.cpu.is_finite() {
                res.push(format!("cpu {:.2} cores", p.cpu));
            }
            if p.mem.is_finite() {
                res.push(format!(
                    "mem {}",
                    crate::model::fmt_bytes(p.mem.max(0.0) as u64)
                ));
            }
            if let Some(d) = m.disk_ratio {
                res.push(format!("disk {}", fmt_ratio(d as f32)));
            }
            if !res.is_empty() {
                out.push(Line::from(vec![
                    label(""),
                    Span::styled(res.join("  "), theme.text),
                ]));
            }
        }
        None => out.push(Line::from(vec![
            label("metrics"),
            Span::styled("no scrape yet", theme.dim),
        ])),
    }
    for c in &m.custom {
        let v = c
            .value
            .map(|v| {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.3}")
                }
            })
            .unwrap_or_else(|| "—".into());
        let unit = c
            .unit
            .as_deref()
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        out.push(Line::from(vec![
            label(""),
            Span::styled(format!("{} {v}{unit}", c.label), theme.text),
        ]));
    }
    if let Some(e) = &m.last_error {
        let since = m
            .last_ok
            .map(|t| format!(" (last good {})", crate::ui::ago(now, t)))
            .unwrap_or_default();
        out.push(Line::from(vec![
            label(""),
            Span::styled(format!("✖ {e}{since}"), theme.error),
        ]));
    }
    for w in &m.warnings {
        out.push(Line::from(vec![
            label(""),
            Span::styled(format!("⚠ {w}"), theme.warning),
        ]));
    }
    out
}

/// Whether the service has enough history to chart.
pub fn has_charts(s: &Service) -> bool {
    s.metrics.as_ref().is_some_and(|m| m.points.len() >= 2)
}

/// Three charts — request rate, error rate, p95 latency — stacked (tall
/// area) or side by side (short one).
pub fn render_charts(frame: &mut Frame, area: Rect, s: &Service, theme: &Theme) {
    let Some(m) = &s.metrics else { return };
    type Field = fn(&MetricPoint) -> f32;
    type ChartSpec<'a> = (&'a str, Field, fn(f32) -> String, Style, f64);
    // (title, field, format, style, the y-axis top when all is zero)
    let charts: [ChartSpec; 3] = [
        ("req/s", |p| p.req_rate, fmt_rate, theme.sparkline, 1.0),
        ("errors", |p| p.error_ratio, fmt_ratio, theme.down, 0.05),
        ("p95", |p| p.p95, fmt_seconds, theme.warning, 0.1),
    ];
    let stacked = area.height >= 18;
    let areas: Vec<Rect> = if stacked {
        Layout::vertical([Constraint::Ratio(1, 3); 3])
            .split(area)
            .to_vec()
    } else {
        Layout::horizontal([Constraint::Ratio(1, 3); 3])
            .split(area)
            .to_vec()
    };
    let end = m.latest().map_or(0, |p| p.at_s);
    let start = end.saturating_sub(3600);
    for ((title, field, fmt, style, floor), r) in charts.into_iter().zip(areas) {
        let data: Vec<(f64, f64)> = m
            .series(field)
            .filter(|(t, _)| *t >= start)
            .map(|(t, v)| (f64::from(t - start) / 60.0 - 60.0, f64::from(v)))
            .collect();
        let max = data.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
        let top = if max > 0.0 { max * 1.1 } else { floor };
        let now_value = data.last().map_or("—".to_string(), |(_, v)| fmt(*v as f32));
        let datasets = vec![
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(style)
                .data(&data),
        ];
        let chart = Chart::new(datasets)
            .block(
                Block::bordered()
                    .border_style(theme.border)
                    .title(Line::from(vec![
                        Span::styled(format!(" {title} "), theme.title),
                        Span::styled(format!("{now_value} "), theme.text),
                    ])),
            )
            .x_axis(
                Axis::default()
                    .bounds([-60.0, 0.0])
                    .labels(vec![
                        Span::styled("-60m", theme.dim),
                        Span::styled("-30m", theme.dim),
                        Span::styled("now", theme.dim),
                    ])
                    .style(theme.dim),
            )
            .y_axis(
                Axis::default()
                    .bounds([0.0, top])
                    .labels(vec![
                        Span::styled("0", theme.dim),
                        Span::styled(fmt(top as f32), theme.dim),
                    ])
                    .style(theme.dim),
            );
        frame.render_widget(chart, r);
    }
}
