//! Recent actions from the audit log, newest first, and whether its hash
//! chain verifies.

use std::time::SystemTime;

use super::cell::{Table, cell, count, text, utc};
use crate::headless_gather::{AuditSummary, RECENT_ACTIONS};
use crate::ops::audit::{AuditEntry, VerifyReport};

/// Actions listed at most.
pub const ACTIONS_SHOWN: usize = 10;
/// Problems of a broken chain named at most.
const PROBLEMS_NAMED: usize = 3;

/// The section's body: the table (or `none`), then a line on the chain.
pub fn actions_section(audit: &AuditSummary, now: SystemTime) -> String {
    let window = crate::model::fmt_duration(RECENT_ACTIONS);
    match audit {
        AuditSummary::NoLocation => {
            "none: no audit log location (no home directory and no `[audit] path`)\n".into()
        }
        AuditSummary::Missing { path } => format!(
            "none: no audit log at {} (nothing recorded yet)\n",
            cell(&path.display().to_string())
        ),
        AuditSummary::Read {
            path,
            recent,
            verify,
        } => {
            let mut out = match recent {
                Ok(entries) if entries.is_empty() => format!("none in the last {window}\n"),
                Ok(entries) => table(entries, now, &window),
                Err(e) => format!("cannot read the entries: {}\n", cell(e)),
            };
            out.push('\n');
            out.push_str(&chain_line(&cell(&path.display().to_string()), verify));
            out
        }
    }
}

fn table(entries: &[AuditEntry], now: SystemTime, window: &str) -> String {
    let mut t = Table::new(&[
        "time", "who", "action", "target", "outcome", "job", "message",
    ]);
    for e in entries.iter().rev().take(ACTIONS_SHOWN) {
        let time = e
            .timestamp()
            .map_or_else(|| cell(&e.time), |t| utc(SystemTime::from(t), now));
        t.row(vec![
            time,
            cell(&format!("{}@{}", e.user, e.host)),
            cell(&e.verb),
            cell(&e.target),
            e.outcome.as_str().to_string(),
            e.job.map_or_else(|| "—".into(), |j| format!("#{j}")),
            e.message
                .as_deref()
                .map_or_else(|| "—".into(), |m| text(m, 160)),
        ]);
    }
    let mut out = t.render();
    let more = entries.len().saturating_sub(ACTIONS_SHOWN);
    if more > 0 {
        out.push_str(&format!(
            "\n{} more in the last {window}: `opsboard audit show --since {window}`\n",
            more
        ));
    }
    out
}

/// `Audit log …: chain verified (…)`, or the chain is broken and where.
fn chain_line(path: &str, verify: &Result<Box<VerifyReport>, String>) -> String {
    let r = match verify {
        Ok(r) => r,
        Err(e) => return format!("**Audit log {path} could not be verified:** {}\n", cell(e)),
    };
    let mut out = if r.is_ok() {
        let head = r
            .head
            .as_deref()
            .map(|h| {
                let short: String = h.chars().filter(char::is_ascii_hexdigit).take(16).collect();
                format!(", head `{short}…`")
            })
            .unwrap_or_default();
        format!(
            "Audit log {path}: chain verified ({}{head}).\n",
            count(r.lines as usize, "line", "lines")
        )
    } else {
        let named: Vec<String> = r
            .problems
            .iter()
            .take(PROBLEMS_NAMED)
            .map(|p| format!("line {} {}: {}", p.line, p.kind, text(&p.message, 160)))
            .collect();
        let more = r.problems.len().saturating_sub(PROBLEMS_NAMED);
        format!(
            "**Audit log chain BROKEN** ({path}): {}: {}{}. Run `opsboard audit verify`.\n",
            count(r.problems.len(), "problem", "problems"),
            named.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        )
    };
    if !r.unfinished.is_empty() {
        out.push_str(&format!(
            "{} confirmed with no outcome yet (still running, or opsboard stopped).\n",
            count(r.unfinished.len(), "job", "jobs")
        ));
    }
    out
}
