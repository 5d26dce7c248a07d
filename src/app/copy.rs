//! `Ctrl-Y`: what the open view holds as plain text, for the clipboard
//! (written as OSC 52 by the runtime, so it works over SSH): the selected
//! row of a list, or the whole of a detail, a log, a describe or YAML view.
//! Everything in it is masked and cleaned as on screen.

use std::fmt::Write as _;

use super::state::{State, View};
use crate::model::text;

/// At most this much is copied (terminals limit OSC 52; the newest part of
/// a log is kept).
pub const COPY_MAX: usize = 64 * 1024;

/// What `Ctrl-Y` copies in the current view: (what it is, the text).
pub fn text_of(state: &State) -> Option<(String, String)> {
    let (what, text) = match state.view {
        View::Logs { .. } => ("the log lines shown".to_string(), logs(state)),
        View::Text { .. } => {
            let t = state.text_view.as_ref()?;
            (t.title(), t.shown_lines().join("\n"))
        }
        View::Services => {
            let s = state.services.get(state.selected_service()?)?;
            (format!("the {} row", s.name), service_line(s))
        }
        View::Detail { service, .. } => {
            let s = state.services.get(service)?;
            (format!("{}'s detail", s.name), detail(s))
        }
        View::Alerts | View::AlertDetail { .. } => {
            let row = match state.view {
                View::AlertDetail { row, .. } => row,
                _ => state.alerts.list.selected,
            };
            let a = &state.alerts.rows.get(row)?.alert;
            let mut t = format!(
                "{} {} {}: {}",
                a.severity.word(),
                a.state.word(),
                a.name,
                a.summary
            );
            if let Some(s) = &a.service {
                let _ = write!(t, " (service {s})");
            }
            if let Some(since) = a.since {
                let _ = write!(t, " since {}", stamp(since));
            }
            (format!("alert {}", a.name), t)
        }
        View::Events => {
            let e = super::events::selected(state)?;
            let t = format!(
                "{} {} {} {} x{}: {}",
                e.last.map(stamp).unwrap_or_default(),
                e.type_.word(),
                e.reason,
                e.object(),
                e.count,
                e.message
            );
            ("the event".to_string(), t)
        }
        _ => return None,
    };
    Some((what, bounded(&text::safe_multiline(&text))))
}

fn stamp(t: std::time::SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The newest `COPY_MAX` bytes, cut at a line start.
fn bounded(s: &str) -> String {
    if s.len() <= COPY_MAX {
        return s.to_string();
    }
    let mut from = s.len() - COPY_MAX;
    while !s.is_char_boundary(from) {
        from += 1;
    }
    let tail = &s[from..];
    tail.split_once('\n')
        .map_or(tail, |(_, rest)| rest)
        .to_string()
}

fn logs(state: &State) -> String {
    let logs = &state.logs;
    let mut out = String::new();
    for l in logs.shown() {
        if logs.timestamps
            && let Some(at) = l.at
        {
            out.push_str(&stamp(at));
            out.push(' ');
        }
        if !l.prefix.is_empty() {
            out.push_str(&l.prefix);
            out.push_str(" | ");
        }
        out.push_str(&l.line);
        out.push('\n');
    }
    out
}

fn service_line(s: &crate::model::Service) -> String {
    let mut t = format!("{} {}", s.name, s.status().word());
    if let Some(r) = s.reason() {
        let _ = write!(t, ": {r}");
    }
    t
}

fn detail(s: &crate::model::Service) -> String {
    let mut t = service_line(s);
    t.push('\n');
    for p in &s.probes {
        let _ = write!(t, "probe {} {}", p.target, p.status.word());
        if let Some(f) = &p.failing {
            let _ = write!(t, ": {f}");
        }
        t.push('\n');
    }
    if let Some(w) = &s.workload {
        let _ = writeln!(
            t,
            "{} {}/{} ready, images {}",
            w.id.short(),
            w.ready,
            w.desired,
            w.images.join(", ")
        );
        for p in &w.pods {
            let _ = writeln!(
                t,
                "  pod {} {} restarts {}{}",
                p.name,
                p.status(),
                p.restarts,
                p.node
                    .as_deref()
                    .map(|n| format!(" on {n}"))
                    .unwrap_or_default()
            );
        }
        for e in &w.events {
            let _ = writeln!(t, "  event {} x{}: {}", e.reason, e.count, e.message);
        }
    }
    for c in &s.containers {
        let _ = writeln!(t, "container {} {} {}", c.name, c.state, c.image);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_keeps_its_newest_whole_lines() {
        let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let b = bounded(&text);
        assert!(b.len() <= COPY_MAX);
        assert!(b.starts_with("line "), "{}", &b[..20]);
        assert!(b.ends_with("line 19999\n"));
    }
}
