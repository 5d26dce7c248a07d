//! "What changed": every service's timeline entries of the last hours,
//! newest first, in one table (its alerts are in the alerts section, so
//! not here); and the line an alert gets when it started soon after a
//! release (the same words the Alerts pane shows).

use std::time::{Duration, SystemTime};

use super::cell::{Table, cell, text, utc};
use crate::app::State;
use crate::app::timeline::{after_change, timeline};
use crate::model::ChangeKind;

/// How far back the section looks.
pub const CHANGES_WINDOW: Duration = Duration::from_secs(6 * 3600);
/// Rows the table shows at most.
const SHOWN: usize = 20;

pub fn changes_section(state: &State, now: SystemTime) -> String {
    let mut rows: Vec<(SystemTime, String, crate::model::Change)> = state
        .services
        .iter()
        .flat_map(|s| {
            timeline(state, s)
                .into_iter()
                .map(move |c| (c.at, s.name.clone(), c))
        })
        .filter(|(at, _, _)| now.duration_since(*at).unwrap_or_default() <= CHANGES_WINDOW)
        .filter(|(_, _, c)| !matches!(c.kind, ChangeKind::AlertStarted | ChangeKind::AlertResolved))
        .collect();
    if rows.is_empty() {
        return "none\n".into();
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let more = rows.len().saturating_sub(SHOWN);
    let mut t = Table::new(&["when", "service", "change", "what", "by"]);
    for (at, service, c) in rows.into_iter().take(SHOWN) {
        t.row(vec![
            ago(at, now),
            cell(&service),
            c.kind.word().to_string(),
            text(&c.what, 200),
            c.who.as_deref().map_or_else(|| "—".into(), cell),
        ]);
    }
    let mut out = t.render();
    if more > 0 {
        out.push_str(&format!("\nand {more} older\n"));
    }
    out
}

/// `18:22:55Z (4m ago)`.
fn ago(t: SystemTime, now: SystemTime) -> String {
    let d = now.duration_since(t).unwrap_or_default();
    if d.as_secs() == 0 {
        return format!("{} (just now)", utc(t, now));
    }
    format!("{} ({} ago)", utc(t, now), crate::model::fmt_duration(d))
}

/// Alerts (firing, silenced or pending) that started soon after a change
/// on their service, one line each; empty when none did.
pub fn after_change_lines(state: &State) -> String {
    let mut out = String::new();
    let pending = super::alerts::pending(state);
    let rows = super::alerts::shown(state)
        .into_iter()
        .map(|r| (r, ""))
        .chain(pending.into_iter().map(|r| (r, " (pending)")));
    for (r, note) in rows {
        let Some(s) = r.service.and_then(|i| state.services.get(i)) else {
            continue;
        };
        if let Some(line) = after_change(state, s, &r.alert) {
            out.push_str(&format!("- {}{note}\n", text(&line, 300)));
        }
    }
    if out.is_empty() {
        return out;
    }
    format!("\nAfter a change:\n\n{out}")
}
