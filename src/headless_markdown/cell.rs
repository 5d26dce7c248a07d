//! Outside text made safe for Markdown, tables that read as plain text,
//! and times as an incident channel writes them (UTC).

use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use unicode_width::UnicodeWidthStr;

/// Characters of outside text a cell keeps at most.
pub const CELL_MAX: usize = 240;

/// Outside text (a name, a label, a reason, a message) for a table cell or
/// a line of prose: one line (each run of newlines, tabs and spaces
/// becomes one space), every registered secret masked and every control
/// character replaced ([`crate::model::text::safe`]), cut to `max`
/// characters, and every character Markdown would act on escaped, so that
/// no label can end a cell, open a code span, start a heading or a quote,
/// or make a link.
pub fn text(s: &str, max: usize) -> String {
    // Runs of whitespace (a multi-line error's indentation) become one space.
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let safe = crate::model::text::safe(&one_line);
    let mut cut: String = safe.chars().take(max).collect();
    if safe.chars().count() > max {
        cut.push('…');
    }
    escape(&cut)
}

/// [`text`] with the usual cap.
pub fn cell(s: &str) -> String {
    text(s, CELL_MAX)
}

/// Backslash-escapes Markdown's punctuation in already safe text. `_` is
/// left alone inside words (`ml_queue_depth` stays readable; CommonMark
/// does not emphasise there); `#`, `>`, `-`, `+`, `=` only matter at the
/// start. A masked secret standing alone (` *** `) stays as it is: a run
/// of `*` between spaces can neither open nor close emphasis.
pub fn escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    let word = |j: Option<usize>| {
        j.and_then(|j| chars.get(j))
            .is_some_and(|c| c.is_alphanumeric())
    };
    let space = |j: Option<usize>| {
        j.and_then(|j| chars.get(j))
            .is_none_or(|c| c.is_whitespace())
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&x| x == '*').count();
        if run == crate::model::text::MASK.len()
            && crate::model::text::MASK.chars().all(|m| m == '*')
            && space(i.checked_sub(1))
            && space(Some(i + run))
        {
            out.push_str(crate::model::text::MASK);
            i += run;
            continue;
        }
        let escaped = match c {
            '\\' | '`' | '|' | '*' | '[' | ']' | '<' | '>' | '~' => true,
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            '#' | '-' | '+' | '=' => i == 0,
            _ => false,
        };
        if escaped {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A Markdown table whose columns are padded, so that it also reads as
/// plain text. Cells are given already escaped.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&'static str]) -> Table {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table, one line per row, each ending with a newline.
    pub fn render(&self) -> String {
        let n = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.width().max(3)).collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.width());
            }
        }
        let line = |cells: Vec<String>| -> String {
            let mut l = String::from("|");
            for (i, w) in widths.iter().enumerate() {
                let c = cells.get(i).map_or("", String::as_str);
                l.push(' ');
                l.push_str(c);
                if i + 1 < n {
                    l.push_str(&" ".repeat(w.saturating_sub(c.width())));
                }
                l.push_str(" |");
            }
            l.push('\n');
            l
        };
        let mut out = line(self.header.iter().map(|h| h.to_string()).collect());
        out.push_str(&line(
            widths
                .iter()
                .enumerate()
                .map(|(i, w)| "-".repeat(if i + 1 < n { *w } else { 3 }))
                .collect(),
        ));
        for row in &self.rows {
            out.push_str(&line(row.clone()));
        }
        out
    }
}

/// `2026-11-21T14:57:20Z`: RFC 3339, UTC, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `14:57:20Z` on the day of `now` (UTC), else `2026-11-20 23:10:05Z`.
pub fn utc(t: SystemTime, now: SystemTime) -> String {
    let t = DateTime::<Utc>::from(t);
    if t.date_naive() == DateTime::<Utc>::from(now).date_naive() {
        t.format("%H:%M:%SZ").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%SZ").to_string()
    }
}

/// `14:45:08Z (for 12m)`.
pub fn since(t: SystemTime, now: SystemTime) -> String {
    let held = now.duration_since(t).unwrap_or_default();
    let held = if held.as_secs() == 0 {
        "just now".to_string()
    } else {
        format!("for {}", crate::model::fmt_duration(held))
    };
    format!("{} ({held})", utc(t, now))
}

/// `8s`, `1m 30s`, `500ms`: a wait as it was given.
pub fn seconds(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// `1 service`, `3 services`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
