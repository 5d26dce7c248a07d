//! The Backups pane: jobs with their last run, age against RPO, size and
//! result; Enter lists a job's files.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{Theme, ago, clock, truncate};
use crate::app::State;
use crate::model::{BackupJob, RpoStatus, fmt_bytes, fmt_duration};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if state.backups.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "No backup jobs. Add [[services.backups]] to the config (see config.example.toml).",
                theme.dim,
            ))
            .wrap(Wrap { trim: true }),
            area.inner(ratatui::layout::Margin {
                horizontal: 1,
                vertical: 1,
            }),
        );
        return;
    }
    let wide = area.width >= 110;
    let mut titles = vec![
        "RPO",
        "JOB",
        "KIND",
        "NEWEST",
        "AGE / RPO",
        "SIZE",
        "LAST RUN",
    ];
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Min(12),
        Constraint::Length(8),
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    if wide {
        titles.insert(2, "SERVICE");
        widths.insert(2, Constraint::Length(14));
    }
    let header = Row::new(titles.into_iter().map(Cell::from)).style(theme.column_title);
    let rows_fit = area.height.saturating_sub(1) as usize;
    let start = state.backup_list.offset.min(state.backups.len());
    let end = (start + rows_fit).min(state.backups.len());
    let rows = state.backups[start..end]
        .iter()
        .map(|b| row(b, state, theme, wide));
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut ts =
        TableState::default().with_selected(Some(state.backup_list.selected.saturating_sub(start)));
    frame.render_stateful_widget(table, area, &mut ts);
}

fn rpo_badge(status: RpoStatus, theme: &Theme) -> Span<'static> {
    match status {
        RpoStatus::NotSet => Span::styled("  -", theme.dim),
        RpoStatus::Met { .. } => Span::styled("● ok", theme.up),
        RpoStatus::Breached { .. } => Span::styled("✖ OLD", theme.down),
        RpoStatus::NoBackup { .. } => Span::styled("✖ NONE", theme.down),
    }
}

fn row<'a>(b: &'a BackupJob, state: &State, theme: &Theme, wide: bool) -> Row<'a> {
    let status = b.rpo_status(state.now);
    let newest = b.newest_verified().or(b.newest());
    let age = newest.map(|f| state.now.duration_since(f.taken).unwrap_or_default());
    let age_text = match (age, b.rpo) {
        (Some(a), Some(r)) => format!("{} / {}", fmt_duration(a), fmt_duration(r)),
        (Some(a), None) => fmt_duration(a),
        (None, Some(r)) => format!("- / {}", fmt_duration(r)),
        (None, None) => "-".into(),
    };
    let newest_text = match newest {
        Some(f) if f.verified == Some(true) => clock(f.taken),
        Some(f) if f.verified == Some(false) => format!("{} ✖", clock(f.taken)),
        Some(f) => format!("{} ?", clock(f.taken)),
        None => "none".into(),
    };
    let last = match (&b.last_run, &b.scan_error) {
        (_, Some(e)) => Span::styled(format!("cannot read dir: {e}"), theme.error),
        (Some(r), _) if r.ok => Span::styled(
            format!("✔ {} in {}", ago(state.now, r.at), fmt_duration(r.duration)),
            theme.up,
        ),
        (Some(r), _) => Span::styled(format!("✖ {}", r.message), theme.error),
        (None, _) => Span::styled("-".to_string(), theme.dim),
    };
    let mut cells = vec![
        Cell::from(rpo_badge(status, theme)),
        Cell::from(truncate(&b.name, 28)),
        Cell::from(Span::styled(b.kind.word(), theme.dim)),
        Cell::from(newest_text),
        Cell::from(Span::styled(
            age_text,
            if status.is_breached() {
                theme.error
            } else {
                theme.text
            },
        )),
        Cell::from(
            newest
                .map(|f| fmt_bytes(f.size))
                .unwrap_or_else(|| "-".into()),
        ),
        Cell::from(last),
    ];
    if wide {
        cells.insert(2, Cell::from(Span::styled(b.service.clone(), theme.dim)));
    }
    Row::new(cells)
}

/// The files of one job, newest first, with their verification state.
pub fn render_files(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    job: usize,
    scroll: u16,
    theme: &Theme,
) {
    let Some(b) = state.backups.get(job) else {
        frame.render_widget(
            Line::styled(" backup job no longer exists — Esc", theme.error),
            area,
        );
        return;
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", b.name), theme.title),
            Span::styled(
                format!("{} backup of {}", b.kind.word(), b.service),
                theme.dim,
            ),
        ]),
        Line::styled(format!(" dir {}", b.dir.display()), theme.dim),
    ];
    let mut policy = Vec::new();
    if let Some(r) = b.rpo {
        policy.push(format!("rpo {}", fmt_duration(r)));
    }
    if let Some(k) = b.keep_last {
        policy.push(format!("keep last {k}"));
    }
    if let Some(m) = b.max_age {
        policy.push(format!("max age {}", fmt_duration(m)));
    }
    if !policy.is_empty() {
        lines.push(Line::styled(format!(" {}", policy.join(" · ")), theme.dim));
    }
    lines.push(Line::raw(""));
    if b.files.is_empty() {
        lines.push(Line::styled(
            " no backup files yet — press b to take one",
            theme.dim,
        ));
    }
    for f in &b.files {
        let (mark, style) = match f.verified {
            Some(true) => ("✔ verified  ", theme.up),
            Some(false) => ("✖ FAILED    ", theme.error),
            None => ("? unverified", theme.warning),
        };
        let name = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(format!("{:>9}  ", fmt_bytes(f.size)), theme.text),
            Span::styled(
                format!("{:<8} ", ago(state.now, f.taken).trim_end_matches(" ago")),
                theme.dim,
            ),
            Span::styled(name, theme.text),
        ]));
    }
    let max = (lines.len() as u16).saturating_sub(area.height);
    frame.render_widget(Paragraph::new(lines).scroll((scroll.min(max), 0)), area);
}
