//! The Fleet pane: every instance as one cell, colour and glyph by status,
//! in labelled blocks by the chosen grouping. Blocks collapse to a summary
//! line with a bar when the grid does not fit. Only the visible lines are
//! drawn, cell by cell straight into the buffer.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{Theme, ago, truncate};
use crate::app::State;
use crate::app::fleet::Block;
use crate::app::fleet_grid::{GridLine, INDENT};
use crate::app::fleet_view::{grid, grid_rows};
use crate::model::Health;
use crate::model::fleet::StatusCounts;

const ORDER: [Health; 4] = [Health::Down, Health::Degraded, Health::Unknown, Health::Up];

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if area.height < 3 {
        return;
    }
    let f = &state.fleet;
    let title = Rect { height: 1, ..area };
    frame.render_widget(summary(state, theme, area.width as usize), title);
    let info = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    if f.is_empty() {
        let text = super::connecting(state)
            .map(|c| format!(" {c} Its pods and nodes appear here as they are listed."))
            .unwrap_or_else(|| " No instances yet: pods, nodes, containers, scrape targets and [[fleet]] devices appear here.".into());
        let body = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        frame.render_widget(
            Line::styled(truncate(&text, area.width as usize), theme.dim),
            body,
        );
        return;
    }
    let g = grid(state);
    let rows = grid_rows(state).min(area.height.saturating_sub(2) as usize);
    let cursor_line = g.line_of(f.cursor);
    let threshold = state.rules.settings.fleet_offline;
    let buf = frame.buffer_mut();
    let start = f.offset.min(g.lines.len().saturating_sub(1));
    for (n, line) in g.lines.iter().skip(start).take(rows).enumerate() {
        let y = area.y + 1 + n as u16;
        let row = Rect {
            y,
            height: 1,
            ..area
        };
        match *line {
            GridLine::Header(b) => {
                let block = &f.blocks[b];
                let limit = f.threshold_for(&block.key).unwrap_or(threshold);
                let open = g.expanded(f, b);
                let selected = start + n == cursor_line;
                header(buf, row, block, open, limit, selected, theme);
            }
            GridLine::Cells { block, start, end } => {
                let cells = &f.blocks[block].members[start..end];
                let mut x = area.x + INDENT as u16;
                for (k, r) in cells.iter().enumerate() {
                    if x >= area.right() {
                        break;
                    }
                    let status = f.get(*r).map_or(Health::Unknown, |i| i.status);
                    let mut style = theme.status(status);
                    if f.cursor.block == block && f.cursor.cell == Some(start + k) {
                        style = style.add_modifier(Modifier::REVERSED);
                    }
                    buf[(x, y)].set_symbol(status.glyph()).set_style(style);
                    x += g.cell_w as u16;
                }
            }
        }
    }
    frame.render_widget(cursor_info(state, theme, area.width as usize), info);
}

/// ` Fleet  2,041 · ✖ 12 ◐ 30 ? 5 ● 1,994 · by location (G) · /ams`.
fn summary<'a>(state: &State, theme: &Theme, width: usize) -> Line<'a> {
    let f = &state.fleet;
    let t = f.totals();
    let mut spans = vec![
        Span::styled(" Fleet ", theme.title),
        Span::styled(format!("{} ", thousands(t.total())), theme.text),
    ];
    spans.extend(counts(&t, theme));
    spans.push(Span::styled(
        format!(" · by {}", f.group_by.title()),
        theme.dim,
    ));
    if !f.filter.text.is_empty() || f.filter.editing {
        let cursor = if f.filter.editing { "▏" } else { "" };
        spans.push(Span::styled(
            format!(" · /{}{cursor}", f.filter.text),
            theme.key,
        ));
    }
    truncate_line(spans, width)
}

/// `✖ 3 ◐ 2 ● 115`: nonzero counts only, worst first.
fn counts<'a>(c: &StatusCounts, theme: &Theme) -> Vec<Span<'a>> {
    ORDER
        .iter()
        .filter(|h| c.get(**h) > 0)
        .map(|h| {
            Span::styled(
                format!("{}{} ", h.glyph(), thousands(c.get(*h))),
                theme.status(*h),
            )
        })
        .collect()
}

fn header(
    buf: &mut Buffer,
    row: Rect,
    block: &Block,
    open: bool,
    limit: f64,
    selected: bool,
    theme: &Theme,
) {
    let c = &block.counts;
    let share = c.offline_share();
    let over = share > limit && c.get(Health::Down) > 0;
    let width = row.width as usize;
    let mut spans = vec![Span::styled(
        format!("{} ", if open { "▾" } else { "▸" }),
        theme.dim,
    )];
    let name_w = if open { 0 } else { 18.min(width / 4) };
    let name = truncate(&block.key, name_w.max(12));
    let pad = name_w.saturating_sub(unicode_width::UnicodeWidthStr::width(name.as_str()));
    spans.push(Span::styled(
        format!("{name}{} ", " ".repeat(pad)),
        theme.title,
    ));
    if !open && width >= 60 {
        spans.extend(bar(c, (width / 5).clamp(8, 30), theme));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(
        format!("{:>5} ", thousands(c.total())),
        theme.text,
    ));
    spans.extend(counts(c, theme));
    if c.get(Health::Down) > 0 {
        let text = format!("{:.0}% offline", share * 100.0);
        let (text, style) = if over && open {
            (
                format!("⚠ {text} (limit {:.0}%)", limit * 100.0),
                theme.error,
            )
        } else if over {
            (format!("⚠ {text}"), theme.error)
        } else {
            (text, theme.dim)
        };
        spans.push(Span::styled(text, style));
    }
    let mut line = truncate_line(spans, width);
    if selected {
        line = line.patch_style(Style::default().add_modifier(Modifier::REVERSED));
    }
    buf.set_line(row.x, row.y, &line, row.width);
}

/// A bar `width` cells long, one run per status, worst first; each run
/// its own character too, so it reads without colour.
fn bar<'a>(c: &StatusCounts, width: usize, theme: &Theme) -> Vec<Span<'a>> {
    let total = c.total().max(1);
    let mut spans = Vec::new();
    let mut used = 0;
    for (n, h) in ORDER.iter().enumerate() {
        let v = c.get(*h);
        if v == 0 {
            continue;
        }
        // Every nonzero status gets at least one cell; Up takes the rest.
        let cells = if n == ORDER.len() - 1 {
            width.saturating_sub(used)
        } else {
            (v * width)
                .div_ceil(total)
                .max(1)
                .min(width.saturating_sub(used))
        };
        used += cells;
        let ch = match h {
            Health::Down => "×",
            Health::Degraded => "▒",
            Health::Unknown => "░",
            Health::Up => "█",
        };
        spans.push(Span::styled(ch.repeat(cells), theme.status(*h)));
    }
    if used < width {
        spans.push(Span::styled("░".repeat(width - used), theme.dim));
    }
    spans
}

/// The instance under the cursor, in one line.
fn cursor_info<'a>(state: &State, theme: &Theme, width: usize) -> Line<'a> {
    let f = &state.fleet;
    let Some(i) = f.selected_instance() else {
        let text = match f.blocks.get(f.cursor.block) {
            Some(b) => format!(
                " {} · {} instances · Enter {} · G grouping",
                b.key,
                thousands(b.members.len()),
                if f.toggled.contains(&b.key) == grid(state).compact {
                    "collapses"
                } else {
                    "expands"
                }
            ),
            None => String::new(),
        };
        return Line::styled(truncate(&text, width), theme.dim);
    };
    let mut spans = vec![
        Span::styled(
            format!(" {} {}", i.status.glyph(), i.name),
            theme.status(i.status),
        ),
        Span::styled(format!(" · {} · {}", i.kind.word(), i.source), theme.dim),
    ];
    if let Some(r) = &i.reason {
        spans.push(Span::styled(format!(" · {r}"), theme.status(i.status)));
    }
    if let Some(seen) = i.last_seen {
        spans.push(Span::styled(
            format!(" · seen {}", ago(state.now, seen)),
            theme.dim,
        ));
    }
    truncate_line(spans, width)
}

fn truncate_line<'a>(spans: Vec<Span<'a>>, width: usize) -> Line<'a> {
    let mut out = Vec::new();
    let mut used = 0;
    for s in spans {
        let w = s.width();
        if used + w <= width {
            used += w;
            out.push(s);
        } else {
            let room = width.saturating_sub(used);
            if room > 1 {
                out.push(Span::styled(truncate(&s.content, room), s.style));
            }
            break;
        }
    }
    Line::from(out)
}

/// `12,345`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
