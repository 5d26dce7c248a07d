//! One Prometheus' or Alertmanager's alerts as the board last got them,
//! and what the board does while that server fails: the alerts are kept,
//! marked as last known, and dropped [`STALE_ALERTS_AGE_OUT`] after the
//! failures began.

use std::time::{Duration, SystemTime};

use crate::model::text::clean;
use crate::model::{Alert, AlertSource, Fault, Stale};

/// How long alerts from a Prometheus or Alertmanager that stopped
/// answering are kept (dimmed, marked last known) after its first failed
/// poll. Past this they are dropped: a quarter of an hour is long enough to
/// ride out a restart or a network blip without the board going blank,
/// and short enough that an alert resolved meanwhile does not linger as if
/// it still fired. Counted from the first failure, so the alerts leave at
/// the first failed poll after it (within one retry, ≤ 30 s, of it).
pub const STALE_ALERTS_AGE_OUT: Duration = Duration::from_secs(15 * 60);

/// How long last known alerts are kept: [`STALE_ALERTS_AGE_OUT`], unless a
/// test shortens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeOut(pub Duration);

impl Default for AgeOut {
    fn default() -> Self {
        AgeOut(STALE_ALERTS_AGE_OUT)
    }
}

/// Alerts from one configured server, as last fetched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteFeed {
    /// The alerts of the last success; while `fault` is set, the last known
    /// ones (until they age out).
    pub alerts: Vec<Alert>,
    /// Set while the server fails: since when, why in words (for the
    /// notice) and the raw error (for the detail). `None` once a poll
    /// succeeds again.
    pub fault: Option<Fault>,
    /// When the last poll succeeded.
    pub updated: Option<SystemTime>,
}

impl RemoteFeed {
    /// Whether the last poll of this server failed.
    pub fn is_failing(&self) -> bool {
        self.fault.is_some()
    }

    /// The fault in words, while failing (`HTTP 503`, `timed out`).
    pub fn error(&self) -> Option<&str> {
        self.fault.as_ref().map(|f| f.words.as_str())
    }

    /// Takes in one poll's result at `at`. A failure keeps the alerts
    /// already known (a flaky server must not make the board look all
    /// clear) until `age_out` after the failures began; a success replaces
    /// them and clears the fault.
    pub fn apply(&mut self, at: SystemTime, alerts: Result<Vec<Alert>, String>, age_out: AgeOut) {
        match alerts {
            Ok(a) => {
                self.alerts = a;
                self.fault = None;
                self.updated = Some(at);
            }
            Err(raw) => {
                let fault = Fault::update(self.fault.as_ref(), clean(&raw), at);
                if at.duration_since(fault.since).unwrap_or_default() >= age_out.0 {
                    self.alerts.clear();
                }
                self.fault = Some(fault);
            }
        }
    }

    /// While failing: what the alerts of this feed are marked with.
    pub fn stale(&self, source: AlertSource, server: &str) -> Option<Stale> {
        self.fault.as_ref().map(|f| Stale {
            source: server_title(source, server),
            since: f.since,
        })
    }

    /// While failing: when the last known alerts leave the board.
    pub fn ages_out_at(&self, age_out: AgeOut) -> Option<SystemTime> {
        self.fault.as_ref().map(|f| f.since + age_out.0)
    }
}

/// `Prometheus main`, `Alertmanager am`: how the notice and the detail
/// name a server.
pub fn server_title(source: AlertSource, server: &str) -> String {
    format!("{} {}", source.title(), clean(server))
}

/// `prometheus main`: the short name the header lists for a server that
/// is down.
pub fn server_short(source: AlertSource, server: &str) -> String {
    format!("{} {}", source.word(), clean(server))
}

/// The combined mark of a row whose every copy comes from a failing
/// server: all of them named, since the earliest failure.
pub fn combine_stale<'a>(marks: impl IntoIterator<Item = Option<&'a Stale>>) -> Option<Stale> {
    let mut names: Vec<&str> = Vec::new();
    let mut since: Option<SystemTime> = None;
    for m in marks {
        let m = m?;
        if !names.contains(&m.source.as_str()) {
            names.push(&m.source);
        }
        since = Some(since.map_or(m.since, |s| s.min(m.since)));
    }
    Some(Stale {
        source: names.join(" and "),
        since: since?,
    })
}
