//! pending → firing → resolved. A rule only says whether its condition
//! holds right now; this remembers since when, so `for` durations and the
//! timeline work like Prometheus' alerting rules.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use crate::model::{Alert, AlertState};

/// Resolved alerts kept on the board at most.
const RESOLVED_KEPT: usize = 100;

/// A condition that holds now, with how long it must hold before firing.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub alert: Alert,
    pub hold_for: Duration,
}

#[derive(Debug, Clone)]
struct Tracked {
    alert: Alert,
    since: SystemTime,
    fired_at: Option<SystemTime>,
}

/// What the rules remember between evaluations.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    active: HashMap<String, Tracked>,
    /// Newest last.
    resolved: VecDeque<Alert>,
}

/// An alert's identity across evaluations: its name and labels, minus
/// `severity` (a warning that becomes critical is the same alert).
fn key(a: &Alert) -> String {
    let mut k = a.name.clone();
    for (n, v) in &a.labels {
        if n != "severity" {
            k.push('\u{1f}');
            k.push_str(n);
            k.push('=');
            k.push_str(v);
        }
    }
    k
}

impl Lifecycle {
    /// Takes every condition that holds at `now`; returns the local alerts
    /// to show: pending and firing ones, then resolved ones younger than
    /// `keep_resolved`. Also returns the keys of alerts that started firing
    /// in this evaluation (for the bell).
    pub fn evaluate(
        &mut self,
        candidates: Vec<Candidate>,
        now: SystemTime,
        keep_resolved: Duration,
    ) -> (Vec<Alert>, Vec<Alert>) {
        let mut seen: HashMap<String, Tracked> = HashMap::with_capacity(candidates.len());
        let mut newly_firing = Vec::new();
        for c in candidates {
            let k = key(&c.alert);
            if seen.contains_key(&k) {
                continue;
            }
            let (since, mut fired_at) = match self.active.remove(&k) {
                Some(t) => (t.since, t.fired_at),
                // A condition may know when it started (a backup's age):
                // trust it, but never in the future.
                None => (c.alert.since.filter(|s| *s <= now).unwrap_or(now), None),
            };
            let held = now.duration_since(since).unwrap_or_default();
            let mut alert = c.alert;
            alert.since = Some(since);
            alert.resolved_at = None;
            if fired_at.is_none() && held >= c.hold_for {
                fired_at = Some(now);
                newly_firing.push(alert.clone());
            }
            alert.state = if fired_at.is_some() {
                AlertState::Firing
            } else {
                AlertState::Pending
            };
            alert.fired_at = fired_at;
            seen.insert(
                k,
                Tracked {
                    alert,
                    since,
                    fired_at,
                },
            );
        }
        // Whatever was active and no longer holds is resolved; a pending
        // alert that never fired just goes away, as in Prometheus.
        for (_, t) in self.active.drain() {
            if t.fired_at.is_some() {
                let mut a = t.alert;
                a.state = AlertState::Resolved;
                a.resolved_at = Some(now);
                self.resolved.push_back(a);
            }
        }
        self.active = seen;
        while self.resolved.len() > RESOLVED_KEPT {
            self.resolved.pop_front();
        }
        self.resolved.retain(|a| {
            a.resolved_at
                .and_then(|r| now.duration_since(r).ok())
                .is_none_or(|age| age <= keep_resolved)
        });
        let mut out: Vec<Alert> = self.active.values().map(|t| t.alert.clone()).collect();
        out.sort_by_cached_key(key);
        out.extend(self.resolved.iter().rev().cloned());
        (out, newly_firing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn cand(name: &str, sev: Severity, hold: u64) -> Candidate {
        Candidate {
            alert: Alert::local(name, sev, format!("{name} holds")),
            hold_for: Duration::from_secs(hold),
        }
    }

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + s)
    }

    const KEEP: Duration = Duration::from_secs(900);

    #[test]
    fn pending_then_firing_then_resolved_with_times() {
        let mut l = Lifecycle::default();
        let (out, new) = l.evaluate(vec![cand("X", Severity::Warning, 60)], at(0), KEEP);
        assert_eq!(out[0].state, AlertState::Pending);
        assert!(new.is_empty());
        let (out, _) = l.evaluate(vec![cand("X", Severity::Warning, 60)], at(59), KEEP);
        assert_eq!(out[0].state, AlertState::Pending);
        let (out, new) = l.evaluate(vec![cand("X", Severity::Warning, 60)], at(60), KEEP);
        assert_eq!(out[0].state, AlertState::Firing);
        assert_eq!(out[0].since, Some(at(0)));
        assert_eq!(out[0].fired_at, Some(at(60)));
        assert_eq!(new.len(), 1);
        // Still firing: not new again.
        let (_, new) = l.evaluate(vec![cand("X", Severity::Warning, 60)], at(70), KEEP);
        assert!(new.is_empty());
        let (out, _) = l.evaluate(vec![], at(80), KEEP);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].state, AlertState::Resolved);
        assert_eq!(out[0].resolved_at, Some(at(80)));
        assert_eq!(out[0].fired_at, Some(at(60)));
        // Resolved ones age out.
        let (out, _) = l.evaluate(vec![], at(80 + 901), KEEP);
        assert!(out.is_empty());
    }

    #[test]
    fn pending_that_clears_never_resolves() {
        let mut l = Lifecycle::default();
        l.evaluate(vec![cand("X", Severity::Warning, 60)], at(0), KEEP);
        let (out, _) = l.evaluate(vec![], at(10), KEEP);
        assert!(out.is_empty());
        // And starts over.
        let (out, _) = l.evaluate(vec![cand("X", Severity::Warning, 60)], at(20), KEEP);
        assert_eq!(out[0].since, Some(at(20)));
    }

    #[test]
    fn escalation_keeps_identity_and_since() {
        let mut l = Lifecycle::default();
        l.evaluate(vec![cand("X", Severity::Warning, 0)], at(0), KEEP);
        let (out, new) = l.evaluate(vec![cand("X", Severity::Critical, 0)], at(30), KEEP);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Critical);
        assert_eq!(out[0].since, Some(at(0)));
        assert!(new.is_empty(), "already firing");
    }

    #[test]
    fn known_start_counts_towards_for() {
        let mut l = Lifecycle::default();
        let mut c = cand("Old", Severity::Warning, 60);
        c.alert.since = Some(at(0));
        let (out, _) = l.evaluate(vec![c], at(100), KEEP);
        assert_eq!(out[0].state, AlertState::Firing);
        assert_eq!(out[0].since, Some(at(0)));
    }
}
