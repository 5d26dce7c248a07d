//! The Alerts pane: one merged list (active, then silenced, then
//! resolved), an alert's detail, and the Prometheus targets view. An alert
//! whose every source is failing is drawn dimmed as `? stale`: its last
//! known state, not a current one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Theme, ago};
use crate::app::State;
use crate::app::alerts::{AlertRow, RowSection, server_title};
use crate::model::fault::hms;
use crate::model::{AlertSource, AlertState, Severity};

#[path = "alerts_targets.rs"]
mod targets;
pub use targets::render_targets;

pub fn severity_style(theme: &Theme, s: Severity) -> Style {
    match s {
        Severity::Critical => theme.down,
        Severity::Warning => theme.warning,
        Severity::Info => theme.unknown,
    }
}

fn severity_cell(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "▲ crit",
        Severity::Warning => "▲ warn",
        Severity::Info => "● info",
    }
}

/// `firing`, `pending`, `silenced`, `inhibited`, `resolved`.
pub fn state_word(r: &AlertRow) -> &'static str {
    match r.section {
        RowSection::Resolved => "resolved",
        RowSection::Silenced if r.alert.silenced_by.is_empty() => "inhibited",
        RowSection::Silenced => "silenced",
        RowSection::Active => {
            if r.sources.iter().any(|(_, _, s)| *s == AlertState::Firing) {
                "firing"
            } else if r
                .sources
                .iter()
                .any(|(_, _, s)| *s == AlertState::Unprocessed)
            {
                "new"
            } else {
                "pending"
            }
        }
    }
}

/// `P A L`: which sources report it.
fn sources_cell(r: &AlertRow) -> String {
    let mut s = String::new();
    for (src, letter) in [
        (AlertSource::Prometheus, 'P'),
        (AlertSource::Alertmanager, 'A'),
        (AlertSource::Local, 'L'),
    ] {
        s.push(if r.sources.iter().any(|(x, _, _)| *x == src) {
            letter
        } else {
            '·'
        });
    }
    s
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let board = &state.alerts;
    if board.rows.is_empty() {
        let down = board.sources_down();
        let mut lines = if down.is_empty() {
            vec![Line::styled(" ✔ No alerts.", theme.up)]
        } else {
            // Not all clear: a server that does not answer may have some.
            let mut l = vec![Line::styled(
                " ? No alerts known — some alert sources do not answer:",
                theme.unknown,
            )];
            l.extend(targets::server_faults(state, theme));
            l
        };
        let sources = board.remote.len();
        lines.push(Line::styled(
            if sources == 0 {
                " opsboard's own rules are watching (error rate, latency, CPU, memory, disk, restarts, rollouts, backups, fleet). Add [[prometheus]] or [[alertmanager]] to the config to see theirs too.".to_string()
            } else {
                format!(" Watching {sources} alert source(s) and opsboard's own rules.")
            },
            theme.dim,
        ));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
        return;
    }
    // What the selected alert started after, under the list.
    let area = match board.selected().and_then(|r| change_hint(state, r)) {
        Some(hint) => {
            let rows = if hint.chars().count() + 3 > area.width as usize {
                2
            } else {
                1
            };
            let [list, below] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(rows)]).areas(area);
            frame.render_widget(
                Paragraph::new(Line::styled(format!(" ↳ {hint}"), theme.warning))
                    .wrap(Wrap { trim: false }),
                below,
            );
            list
        }
        None => area,
    };
    let wide = area.width >= 110;
    let mut header = vec!["SEV", "STATE", "ALERT", "SERVICE", "SUMMARY", "AGE"];
    if wide {
        header.push("SRC");
    }
    // Rows and the section titles between them; `pos` maps list index →
    // display row, so the cursor skips titles.
    let mut rows: Vec<Row> = Vec::new();
    let mut pos = Vec::with_capacity(board.rows.len());
    let mut last: Option<RowSection> = None;
    for r in &board.rows {
        if last != Some(r.section) {
            if last.is_some() || r.section != RowSection::Active {
                let n = board.rows.iter().filter(|x| x.section == r.section).count();
                rows.push(
                    Row::new(vec![
                        Cell::from("──────"),
                        Cell::from(Span::styled(r.section.word(), theme.column_title)),
                        Cell::from(format!("({n}) {}", "─".repeat(40))),
                    ])
                    .style(theme.dim),
                );
            }
            last = Some(r.section);
        }
        pos.push(rows.len());
        rows.push(alert_row(r, state, theme, wide));
    }
    let visible = area.height.saturating_sub(1) as usize;
    let sel = pos.get(board.list.selected).copied().unwrap_or(0);
    // Keep the selection (and its section title just above) in view.
    let start = if sel < visible { 0 } else { sel + 1 - visible };
    let rows: Vec<Row> = rows.into_iter().skip(start).take(visible).collect();
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Length(9),
        Constraint::Length(if wide { 24 } else { 18 }),
        Constraint::Length(if wide { 16 } else { 11 }),
        Constraint::Min(10),
        Constraint::Length(4),
    ];
    if wide {
        widths.push(Constraint::Length(3));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header.into_iter().map(Cell::from)).style(theme.column_title))
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut ts = TableState::default().with_selected(Some(sel - start));
    frame.render_stateful_widget(table, area, &mut ts);
}

/// "started 4m after api rolled out 1.4.3 (rev 4) — u rolls back to
/// 1.4.2", for an alert on a service that changed shortly before.
pub fn change_hint(state: &State, r: &AlertRow) -> Option<String> {
    if r.section == RowSection::Resolved {
        return None;
    }
    let s = state.services.get(r.service?)?;
    crate::app::timeline::after_change(state, s, &r.alert)
}

fn alert_row<'a>(r: &'a AlertRow, state: &State, theme: &Theme, wide: bool) -> Row<'a> {
    let a = &r.alert;
    // Last known only: dimmed like the sections that are not live.
    let live = r.section == RowSection::Active && r.stale.is_none();
    let sev = if live {
        severity_style(theme, a.severity)
    } else {
        theme.dim
    };
    let text = if live { theme.text } else { theme.dim };
    // How long it has been firing; for a resolved one, since it resolved.
    let age = if r.section == RowSection::Resolved {
        a.resolved_at.or(a.since)
    } else {
        a.since
    }
    .map(|t| short_age(state.now, t))
    .unwrap_or_default();
    let mut cells = vec![
        Cell::from(Span::styled(severity_cell(a.severity), sev)),
        Cell::from(Span::styled(
            if r.stale.is_some() {
                "? stale"
            } else {
                state_word(r)
            },
            if live && state_word(r) == "firing" {
                sev
            } else {
                theme.dim
            },
        )),
        Cell::from(Span::styled(a.name.clone(), text)),
        Cell::from(Span::styled(
            a.service.clone().unwrap_or_else(|| "-".into()),
            theme.dim,
        )),
        Cell::from(Span::styled(a.summary.clone(), text)),
        Cell::from(Span::styled(age, theme.dim)),
    ];
    if wide {
        cells.push(Cell::from(Span::styled(sources_cell(r), theme.dim)));
    }
    Row::new(cells)
}

/// One alert in full: labels, annotations, value, sources, timeline,
/// silences.
pub fn render_detail(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    row: usize,
    scroll: u16,
    theme: &Theme,
) {
    let Some(r) = state.alerts.rows.get(row) else {
        frame.render_widget(
            Paragraph::new(Line::styled(" This alert is gone.", theme.dim)),
            area,
        );
        return;
    };
    let a = &r.alert;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!(" {} ", severity_cell(a.severity)),
                severity_style(theme, a.severity),
            ),
            Span::styled(a.name.clone(), theme.title),
            Span::styled(
                format!(
                    "  {}{}",
                    state_word(r),
                    if r.stale.is_some() {
                        " · last known"
                    } else {
                        ""
                    }
                ),
                theme.dim,
            ),
        ]),
        Line::styled(format!(" {}", a.summary), theme.text),
    ];
    if let Some(hint) = change_hint(state, r) {
        lines.push(Line::styled(format!(" ↳ {hint}"), theme.warning));
    }
    if let Some(stale) = &r.stale {
        lines.push(Line::styled(
            format!(
                " ? from {}, unreachable since {} — last known state",
                stale.source,
                hms(stale.since)
            ),
            theme.warning,
        ));
        if let Some(until) = ages_out_at(state, r) {
            lines.push(Line::styled(
                format!(
                    "   dropped at {} unless the server answers before",
                    hms(until)
                ),
                theme.dim,
            ));
        }
    }
    if let Some(d) = a
        .annotations
        .get("description")
        .filter(|d| **d != a.summary)
    {
        lines.push(Line::styled(format!(" {d}"), theme.text));
    }
    lines.push(Line::raw(""));
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!(" {k:<12}"), theme.column_title),
            Span::styled(v, theme.text),
        ])
    };
    match (&a.service, r.service) {
        (Some(s), Some(_)) => lines.push(Line::from(vec![
            Span::styled(format!(" {:<12}", "service"), theme.column_title),
            Span::styled(s.clone(), theme.key),
            Span::styled("  (Enter or o: open it)", theme.dim),
        ])),
        (Some(s), None) => lines.push(kv("service", s.clone())),
        _ => {}
    }
    if let Some(v) = &a.value {
        lines.push(kv("value", v.clone()));
    }
    if let Some(u) = a.annotations.get("runbook_url") {
        lines.push(kv("runbook", u.clone()));
    }
    let sources: Vec<String> = r
        .sources
        .iter()
        .map(|(s, o, st)| {
            if o.is_empty() {
                format!("{} ({})", s.word(), st.word())
            } else {
                format!("{} {o} ({})", s.word(), st.word())
            }
        })
        .collect();
    lines.push(kv("sources", sources.join(", ")));
    for (src, origin, _) in &r.sources {
        let feed = state.alerts.remote.get(&(*src, origin.clone()));
        if let Some(f) = feed.and_then(|f| f.fault.as_ref()) {
            lines.push(Line::styled(
                format!(
                    " {:<12}{} failing since {}: {}",
                    "",
                    server_title(*src, origin),
                    hms(f.since),
                    f.raw
                ),
                theme.error,
            ));
        }
    }
    if !a.receivers.is_empty() {
        lines.push(kv("receivers", a.receivers.join(", ")));
    }
    if let Some(f) = &a.fingerprint {
        lines.push(kv("fingerprint", f.clone()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Timeline", theme.column_title));
    let when = |t: std::time::SystemTime| {
        let rel = match t.duration_since(state.now) {
            Ok(ahead) if ahead.as_secs() > 0 => format!("in {}", crate::model::fmt_duration(ahead)),
            _ => ago(state.now, t),
        };
        format!(
            "{} ({rel})",
            chrono::DateTime::<chrono::Utc>::from(t).format("%Y-%m-%d %H:%M:%SZ"),
        )
    };
    if let Some(t) = a.since {
        lines.push(kv("  active", when(t)));
    }
    if let Some(t) = a.fired_at {
        lines.push(kv("  firing", when(t)));
    }
    if let Some(t) = a.resolved_at {
        lines.push(kv("  resolved", when(t)));
    }
    for id in &a.silenced_by {
        lines.push(Line::raw(""));
        match state.alerts.silence(id) {
            Some(s) => {
                lines.push(Line::styled(
                    format!(" Silenced by {id} ({})", s.created_by),
                    theme.warning,
                ));
                lines.push(Line::styled(
                    format!("   until {} · \"{}\"", when(s.ends_at), s.comment),
                    theme.dim,
                ));
                lines.push(Line::styled(
                    format!("   {}", crate::model::Matcher::format_list(&s.matchers)),
                    theme.dim,
                ));
                lines.push(Line::styled("   E expires it", theme.dim));
            }
            None => lines.push(Line::styled(format!(" Silenced by {id}"), theme.warning)),
        }
    }
    for id in &a.inhibited_by {
        lines.push(Line::styled(format!(" Inhibited by {id}"), theme.warning));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Labels", theme.column_title));
    for (k, v) in &a.labels {
        lines.push(kv(&format!("  {k}"), v.clone()));
    }
    let other: Vec<_> = a
        .annotations
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "summary" | "description" | "runbook_url"))
        .collect();
    if !other.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(" Annotations", theme.column_title));
        for (k, v) in other {
            lines.push(kv(&format!("  {k}"), v.clone()));
        }
    }
    let max = (lines.len() as u16).saturating_sub(area.height);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(max), 0)),
        area,
    );
}

/// When a stale row leaves the board: when the last of its sources' last
/// known alerts age out.
fn ages_out_at(state: &State, r: &AlertRow) -> Option<std::time::SystemTime> {
    r.sources
        .iter()
        .filter_map(|(src, origin, _)| state.alerts.remote.get(&(*src, origin.clone())))
        .filter_map(|f| f.ages_out_at(state.alerts.age_out))
        .max()
}

/// `12s`, `5m`, `now`: an age for a narrow column.
fn short_age(now: std::time::SystemTime, then: std::time::SystemTime) -> String {
    match now.duration_since(then) {
        Ok(d) if d.as_secs() >= 1 => crate::model::fmt_duration(d),
        _ => "now".into(),
    }
}
