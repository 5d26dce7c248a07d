//! What the board saw change on each service that no source keeps:
//! Docker image changes, blue-green switches, alerts starting and
//! resolving. Bounded per service; the timeline reads it.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::time::SystemTime;

use super::alerts::AlertRow;
use crate::model::{AlertState, Change, ChangeKind, Service};

/// Changes kept per service in the log (observed ones: images, switches,
/// alerts); revisions and jobs are read from where they live.
const LOGGED_PER_SERVICE: usize = 50;

/// What the board observed change, per service name, bounded.
#[derive(Debug, Clone, Default)]
pub struct ChangeLog {
    by_service: BTreeMap<String, VecDeque<Change>>,
    /// `(service, alert name, started)`, `resolved` flag: alerts already
    /// logged.
    seen: HashSet<(String, String, u64, bool)>,
}

impl ChangeLog {
    pub fn record(&mut self, service: &str, change: Change) {
        let log = self.by_service.entry(service.to_string()).or_default();
        while log.len() >= LOGGED_PER_SERVICE {
            log.pop_front();
        }
        log.push_back(change);
    }

    pub fn of(&self, service: &str) -> impl Iterator<Item = &Change> {
        self.by_service.get(service).into_iter().flatten()
    }

    /// Logs each alert on a service once when it starts and once when it
    /// resolves (rows drop resolved alerts after a while; the log keeps
    /// them).
    pub fn observe_alerts(&mut self, rows: &[AlertRow], services: &[Service]) {
        for row in rows {
            let Some(service) = row.service.and_then(|i| services.get(i)) else {
                continue;
            };
            let a = &row.alert;
            let Some(since) = a.since else { continue };
            let secs = since
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let key = |resolved| (service.name.clone(), a.name.clone(), secs, resolved);
            if a.state != AlertState::Pending && self.seen.insert(key(false)) {
                self.record(
                    &service.name,
                    Change {
                        at: since,
                        kind: ChangeKind::AlertStarted,
                        what: format!(
                            "{} fired ({}, {})",
                            a.name,
                            a.severity.word(),
                            a.source.word()
                        ),
                        who: None,
                        release: None,
                    },
                );
            }
            if a.state == AlertState::Resolved
                && let Some(at) = a.resolved_at
                && self.seen.insert(key(true))
            {
                self.record(
                    &service.name,
                    Change {
                        at,
                        kind: ChangeKind::AlertResolved,
                        what: format!("{} resolved", a.name),
                        who: None,
                        release: None,
                    },
                );
            }
        }
        // Bounded like the log: forget the oldest keys past a size.
        if self.seen.len() > 4096 {
            self.seen.clear();
        }
    }
}
