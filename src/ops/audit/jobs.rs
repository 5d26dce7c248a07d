//! Confirmed jobs that never got an outcome line.

use std::collections::HashMap;

use super::entry::{AuditLine, AuditOutcome};
use super::report::UnfinishedJob;
use super::verify::Rec;

/// Every `confirmed` entry on the chain with a run and a job and no later
/// entry for the same run and job that ends it (succeeded, failed,
/// cancelled, interrupted), in line order. Lines without `run` (older
/// opsboard) cannot be paired and are left out.
pub(super) fn unfinished(chain: &[Rec]) -> Vec<UnfinishedJob> {
    let mut open: HashMap<(&str, u64), &Rec> = HashMap::new();
    for r in chain {
        let AuditLine::Entry(e) = &r.item else {
            continue;
        };
        let (Some(run), Some(job)) = (e.run.as_deref(), e.job) else {
            continue;
        };
        if e.outcome == AuditOutcome::Confirmed {
            open.insert((run, job), r);
        } else if e.outcome.ends_a_job() {
            open.remove(&(run, job));
        }
    }
    let mut out: Vec<UnfinishedJob> = open
        .into_iter()
        .filter_map(|((run, job), r)| match &r.item {
            AuditLine::Entry(e) => Some(UnfinishedJob {
                line: r.line,
                run: run.to_string(),
                job,
                time: e.time.clone(),
                verb: e.verb.clone(),
                target: e.target.clone(),
            }),
            AuditLine::Anchor(_) => None,
        })
        .collect();
    out.sort_by_key(|u| u.line);
    out
}
