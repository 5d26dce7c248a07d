//! The alerts: firing ones (Prometheus, Alertmanager and opsboard's own
//! rules, merged and ranked as the Alerts pane ranks them), then silenced
//! and inhibited ones, in a table; pending ones in a line.

use std::time::SystemTime;

use super::cell::{Table, cell, since, text};
use crate::app::State;
use crate::app::alerts::{AlertRow, RowSection};
use crate::model::AlertSource;
use crate::ui::alerts::state_word;

/// Pending alerts named at most.
const PENDING_NAMED: usize = 10;

/// The rows the table shows, in the pane's order: active rows that fire
/// (or that an Alertmanager has only just received), then silenced and
/// inhibited ones.
pub fn shown(state: &State) -> Vec<&AlertRow> {
    state
        .alerts
        .rows
        .iter()
        .filter(|r| match r.section {
            RowSection::Active => matches!(state_word(r), "firing" | "new"),
            RowSection::Silenced => true,
            RowSection::Resolved => false,
        })
        .collect()
}

/// Rows only pending (their rule's `for` not yet held).
pub fn pending(state: &State) -> Vec<&AlertRow> {
    state
        .alerts
        .rows
        .iter()
        .filter(|r| r.section == RowSection::Active && state_word(r) == "pending")
        .collect()
}

/// `firing`, `firing, last known` (every source of it is down now),
/// `silenced`, `inhibited`, `new`.
fn state_cell(r: &AlertRow) -> String {
    let w = state_word(r);
    match &r.stale {
        Some(_) => format!("{w}, last known"),
        None => w.to_string(),
    }
}

/// `14:45:08Z (for 12m)`; for an alert only opsboard's rules report and
/// that they first saw in this round, `first seen now` (the rules have no
/// memory before it).
fn since_cell(r: &AlertRow, now: SystemTime, started: SystemTime) -> String {
    let local_only = r.sources.iter().all(|(s, _, _)| *s == AlertSource::Local);
    match r.alert.since {
        Some(t) if local_only && t >= started => "first seen now".into(),
        Some(t) => since(t, now),
        None => "—".into(),
    }
}

/// `opsboard`, `prometheus main`, `alertmanager am`: who reports it.
fn sources_cell(r: &AlertRow) -> String {
    let mut names: Vec<String> = Vec::new();
    for (src, origin, _) in &r.sources {
        let n = match src {
            AlertSource::Local => src.word().to_string(),
            _ => format!("{} {origin}", src.word()),
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    cell(&names.join(", "))
}

/// The table of firing and silenced alerts, then the pending ones; `none`
/// when nothing fires.
pub fn alerts_section(state: &State, now: SystemTime, started: SystemTime) -> String {
    let rows = shown(state);
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("none\n");
    } else {
        let mut t = Table::new(&[
            "severity", "state", "alert", "service", "since", "summary", "source",
        ]);
        for r in rows {
            let a = &r.alert;
            let service = a.service.clone().or_else(|| {
                r.service
                    .and_then(|i| state.services.get(i))
                    .map(|s| s.name.clone())
            });
            t.row(vec![
                a.severity.word().to_string(),
                state_cell(r),
                cell(&a.name),
                service.as_deref().map_or_else(|| "—".into(), cell),
                since_cell(r, now, started),
                text(&a.summary, 300),
                sources_cell(r),
            ]);
        }
        out.push_str(&t.render());
    }
    let pending = pending(state);
    if !pending.is_empty() {
        let named: Vec<String> = pending
            .iter()
            .take(PENDING_NAMED)
            .map(|r| match &r.alert.service {
                Some(s) => format!("{} ({})", cell(&r.alert.name), cell(s)),
                None => cell(&r.alert.name),
            })
            .collect();
        let more = pending.len().saturating_sub(PENDING_NAMED);
        out.push_str(&format!(
            "\nPending (condition holds, not yet for its `for`): {}{}\n",
            named.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    out
}
