//! What `opsboard audit show` and `opsboard audit verify` print. Every
//! string that came from the file is cleaned of control characters first:
//! a line written by an older version, or by hand, must not be able to
//! move the cursor, clear the screen or set the clipboard.

use std::fmt::Write;
use std::path::Path;

use unicode_width::UnicodeWidthStr;

use super::entry::AuditEntry;
use super::report::{ExpectedHead, RecordedHead, VerifyReport};
use super::verify::lines_word;
use crate::model::text::{clean, is_unsafe_char};

fn fmt_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    } else {
        format!("{}h{:02}m", ms / 3_600_000, (ms / 60_000) % 60)
    }
}

fn c(s: &str) -> String {
    clean(s).into_owned()
}

/// A table for `opsboard audit show`: time, user@host, outcome, verb,
/// target, duration, message. Ends with a newline.
pub fn format_entries(entries: &[AuditEntry]) -> String {
    if entries.is_empty() {
        return "no audit entries\n".into();
    }
    let header = [
        "TIME",
        "USER@HOST",
        "OUTCOME",
        "VERB",
        "TARGET",
        "DURATION",
        "MESSAGE",
    ];
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|e| {
            [
                c(&e.time),
                c(&format!("{}@{}", e.user, e.host)),
                e.outcome.as_str().to_string(),
                c(&e.verb),
                c(&e.target),
                e.duration_ms.map_or_else(|| "-".into(), fmt_ms),
                e.message.as_deref().map_or_else(|| "-".into(), c),
            ]
        })
        .collect();
    let mut widths = header.map(UnicodeWidthStr::width);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut out = String::new();
    let header = header.map(String::from);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(w.saturating_sub(cell.width())));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// One entry as `audit show --json` prints it: the stored line, except that
/// characters a terminal would act on and JSON leaves raw (DEL, C1
/// controls, bidi overrides; only in lines an older version wrote) are
/// `\uXXXX`-escaped. The JSON value is the same.
pub fn format_json_line(e: &AuditEntry) -> String {
    let line = e.to_line();
    if !line.chars().any(is_unsafe_char) {
        return line;
    }
    let mut out = String::with_capacity(line.len() + 16);
    for ch in line.chars() {
        if is_unsafe_char(ch) {
            let mut units = [0u16; 2];
            for u in ch.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// `audit log OK: N lines, head <hash>`, or one `path:line: kind: what
/// happened` line per problem and a summary; then what else `verify`
/// knows (the recorded head, the expected head, jobs with no outcome) and
/// the head to ship elsewhere. No trailing newline.
pub fn format_report(path: &Path, r: &VerifyReport) -> String {
    let head = r.head.as_deref().map(c);
    let mut out: Vec<String> = Vec::new();
    if r.problems.is_empty() {
        out.push(match &head {
            Some(h) => format!(
                "audit log OK: {} {}, head {h}",
                r.lines,
                lines_word(r.lines)
            ),
            None => format!("audit log OK: {} lines (empty)", r.lines),
        });
    } else {
        for p in &r.problems {
            out.push(format!(
                "{}:{}: {}: {}",
                path.display(),
                p.line,
                p.kind,
                c(&p.message)
            ));
        }
        let n = r.problems.len() as u64;
        out.push(format!(
            "audit log {} FAILED verification: {n} {} in {} {}{}",
            path.display(),
            if n == 1 { "problem" } else { "problems" },
            r.lines,
            lines_word(r.lines),
            head.as_deref()
                .map(|h| format!(", chain head {h}"))
                .unwrap_or_default()
        ));
    }
    if r.anchor.is_none() && r.head.is_some() {
        out.push(
            "no anchor: this log was started by an older opsboard (its chain starts from 64 \
             zeros), so a log rebuilt from scratch cannot be told from it by the chain alone"
                .into(),
        );
    }
    out.push(recorded_line(&r.recorded));
    match &r.expected {
        None => {}
        Some(ExpectedHead::IsHead { line, seq }) => out.push(format!(
            "expected head: it is the head (line {line}, seq {seq})"
        )),
        Some(ExpectedHead::InChain { line, seq, after }) => {
            out.push(format!(
                "expected head: line {line} (seq {seq}); {} {} appended after it:",
                after.len(),
                if after.len() == 1 {
                    "entry was"
                } else {
                    "entries were"
                }
            ));
            for l in format_entries(after).lines() {
                out.push(format!("  {l}"));
            }
        }
        Some(ExpectedHead::Missing) => {
            out.push("expected head: NOT in the chain (see above)".into());
        }
    }
    if !r.unfinished.is_empty() {
        out.push(format!(
            "confirmed with no outcome (crashed or still running): {}",
            r.unfinished.len()
        ));
        for u in &r.unfinished {
            out.push(format!(
                "  line {}: job {} of run {}: {} {}, confirmed {}",
                u.line,
                u.job,
                c(&u.run),
                c(&u.verb),
                c(&u.target),
                c(&u.time)
            ));
        }
    }
    // Only a head that verifies is worth keeping.
    if let Some(h) = head.as_ref().filter(|_| r.is_ok()) {
        out.push(format!(
            "keep this head elsewhere (a ticket, a chat, remote syslog) and check the file \
             against it later: opsboard audit verify --expect-head {h}"
        ));
    }
    out.join("\n")
}

fn recorded_line(r: &RecordedHead) -> String {
    match r {
        RecordedHead::NotKept => "recorded head: none kept (no state directory)".into(),
        RecordedHead::Missing { record } => format!(
            "recorded head: none for this file on this machine ({} does not exist; the next \
             append writes it)",
            record.display()
        ),
        RecordedHead::Unreadable { record, error } => format!(
            "recorded head: {} is unreadable: {}",
            record.display(),
            c(error)
        ),
        RecordedHead::Matches { line, seq, .. } => {
            format!("recorded head: matches (line {line}, seq {seq})")
        }
        RecordedHead::Behind {
            line, seq, after, ..
        } => format!(
            "recorded head: line {line} (seq {seq}); the {after} {} after it {} appended \
             without a record (an older opsboard, a crash right after writing, or someone else)",
            if *after == 1 { "entry" } else { "entries" },
            if *after == 1 { "was" } else { "were" }
        ),
        RecordedHead::Mismatch { record } => format!(
            "recorded head: kept in {}; once the cause is known, removing that file accepts the \
             log as it is",
            record.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::audit::test_support::entry;

    #[test]
    fn durations_are_compact() {
        assert_eq!(fmt_ms(0), "0ms");
        assert_eq!(fmt_ms(999), "999ms");
        assert_eq!(fmt_ms(1500), "1.5s");
        assert_eq!(fmt_ms(125_000), "2m05s");
        assert_eq!(fmt_ms(3_720_000), "1h02m");
    }

    #[test]
    fn control_characters_never_reach_the_table() {
        let mut e = entry();
        e.message = Some("ok\x1b[2J\nrm -rf".into());
        e.target = "t\u{9b}31m\u{202e}x".into();
        let t = format_entries(&[e]);
        assert!(
            !t.chars().any(|ch| ch != '\n' && is_unsafe_char(ch)),
            "{t:?}"
        );
        assert_eq!(t.lines().count(), 2, "{t}");
    }

    #[test]
    fn json_lines_escape_what_a_terminal_would_act_on_and_keep_the_value() {
        let mut e = entry();
        e.message = Some("a\u{9b}2J\u{7f}\u{202e}b\x1b".into());
        let line = format_json_line(&e);
        assert!(!line.chars().any(is_unsafe_char), "{line:?}");
        assert!(line.contains(r"\u009b2J\u007f\u202eb\u001b"), "{line}");
        let back: AuditEntry = serde_json::from_str(&line).unwrap();
        assert_eq!(back, e);
        assert_eq!(format_json_line(&entry()), entry().to_line());
    }
}
