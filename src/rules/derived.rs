//! Built-in alerts derived from what the board already watches: a service
//! down, a restart loop, a stalled rollout, a fleet group offline.

use std::collections::{HashMap, VecDeque};
use std::time::SystemTime;

use super::lifecycle::Candidate;
use super::settings::RuleSettings;
use crate::model::{Alert, Health, RolloutState, Service, Severity, fmt_duration};

/// How many instances of one fleet group there are and how many are
/// offline (a Prometheus job's targets, a device location…).
#[derive(Debug, Clone, PartialEq)]
pub struct FleetGroupCount {
    /// The fleet (`prometheus/main`, a device fleet's name).
    pub fleet: String,
    pub group: String,
    pub total: usize,
    pub offline: usize,
    /// The board service the group belongs to, when known.
    pub service: Option<String>,
    /// This group's offline share that alerts (else `[rules] fleet_offline`).
    pub threshold: Option<f64>,
}

pub fn service_down(services: &[Service], settings: &RuleSettings) -> Vec<Candidate> {
    services
        .iter()
        .filter(|s| s.status() == Health::Down)
        .map(|s| {
            let why = s.reason().unwrap_or_else(|| "down".into());
            let mut a = Alert::local(
                "ServiceDown",
                Severity::Critical,
                format!("{} is down: {why}", s.name),
            );
            a.labels.insert("service".into(), s.name.clone());
            a.service = Some(s.name.clone());
            Candidate {
                alert: a,
                hold_for: settings.down_for,
            }
        })
        .collect()
}

/// A rollout progressing for longer than `rollout_stalled_after`, or past
/// its progress deadline.
pub fn rollout_stalled(services: &[Service], settings: &RuleSettings) -> Vec<Candidate> {
    let mut out = Vec::new();
    for s in services {
        let Some(w) = &s.workload else { continue };
        let (hold_for, detail) = match &w.rollout {
            RolloutState::Stalled(m) => (std::time::Duration::ZERO, m.clone()),
            RolloutState::Progressing(m) => (settings.rollout_stalled_after, m.clone()),
            RolloutState::Complete | RolloutState::Paused => continue,
        };
        let mut a = Alert::local(
            "RolloutStalled",
            Severity::Warning,
            format!("rollout of {} is not finishing: {detail}", w.id.short()),
        );
        a.labels.insert("service".into(), s.name.clone());
        a.labels.insert("workload".into(), w.id.to_string());
        a.annotations.insert(
            "description".into(),
            format!(
                "still progressing after {} or past its progress deadline",
                fmt_duration(settings.rollout_stalled_after)
            ),
        );
        a.service = Some(s.name.clone());
        out.push(Candidate { alert: a, hold_for });
    }
    out
}

/// Restart counts seen per container or pod, to tell a loop from one
/// restart long ago.
#[derive(Debug, Clone, Default)]
pub struct RestartHistory {
    seen: HashMap<String, VecDeque<(SystemTime, i64)>>,
}

impl RestartHistory {
    /// Restarts of `id` within the window ending `now`, after recording
    /// `count` (a restart counter that only grows, except on recreation).
    fn restarts_within(
        &mut self,
        id: &str,
        count: i64,
        now: SystemTime,
        window: std::time::Duration,
    ) -> i64 {
        let q = self.seen.entry(id.to_string()).or_default();
        if q.back().is_none_or(|(_, c)| *c != count) {
            q.push_back((now, count));
        }
        while q.len() > 1
            && q.front()
                .and_then(|(t, _)| now.duration_since(*t).ok())
                .is_some_and(|age| age > window)
        {
            q.pop_front();
        }
        let first = q.front().map_or(count, |(_, c)| *c);
        (count - first).max(0)
    }

    /// Forget what is no longer listed.
    fn retain(&mut self, live: &std::collections::HashSet<String>) {
        self.seen.retain(|k, _| live.contains(k));
    }
}

pub fn restart_loops(
    services: &[Service],
    settings: &RuleSettings,
    history: &mut RestartHistory,
    now: SystemTime,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut live = std::collections::HashSet::new();
    let window = settings.restart_window;
    let limit = i64::from(settings.restart_count);
    for s in services {
        let mut looping: Vec<String> = Vec::new();
        for c in &s.containers {
            let id = format!("docker/{}/{}", c.host, c.id);
            let n = history.restarts_within(&id, c.restart_count, now, window);
            live.insert(id);
            if n >= limit || c.state == "restarting" && c.restart_count >= limit {
                looping.push(format!("container {} ({n} restarts)", c.name));
            }
        }
        if let Some(w) = &s.workload {
            for p in &w.pods {
                let id = format!("pod/{}/{}/{}", w.id.context, p.namespace, p.name);
                let n = history.restarts_within(&id, i64::from(p.restarts), now, window);
                live.insert(id);
                let crash = p.waiting_reason.as_deref() == Some("CrashLoopBackOff");
                if n >= limit || crash {
                    let why = if crash { "CrashLoopBackOff, " } else { "" };
                    looping.push(format!("pod {} ({why}{n} restarts)", p.name));
                }
            }
        }
        if looping.is_empty() {
            continue;
        }
        let mut a = Alert::local(
            "RestartLoop",
            Severity::Critical,
            format!(
                "{} restarting: {}",
                s.name,
                looping.first().cloned().unwrap_or_default()
            ),
        );
        a.labels.insert("service".into(), s.name.clone());
        a.annotations.insert(
            "description".into(),
            format!(
                "{} or more restarts within {}: {}",
                settings.restart_count,
                fmt_duration(window),
                looping.join(", ")
            ),
        );
        a.value = Some(looping.len().to_string());
        a.service = Some(s.name.clone());
        out.push(Candidate {
            alert: a,
            hold_for: std::time::Duration::ZERO,
        });
    }
    history.retain(&live);
    out
}

/// More than `fleet_offline` of a group offline.
pub fn fleet_offline(groups: &[FleetGroupCount], settings: &RuleSettings) -> Vec<Candidate> {
    groups
        .iter()
        .filter(|g| g.total > 0 && g.offline > 0)
        .filter_map(|g| {
            let limit = g.threshold.unwrap_or(settings.fleet_offline);
            let share = g.offline as f64 / g.total as f64;
            if share <= limit {
                return None;
            }
            let severity = if share >= (limit * 2.0).min(1.0) {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let mut a = Alert::local(
                "FleetGroupOffline",
                severity,
                format!(
                    "{}/{} of {} {} offline ({:.0} %)",
                    g.offline,
                    g.total,
                    g.fleet,
                    g.group,
                    share * 100.0
                ),
            );
            a.labels.insert("fleet".into(), g.fleet.clone());
            a.labels.insert("group".into(), g.group.clone());
            if let Some(s) = &g.service {
                a.labels.insert("service".into(), s.clone());
            }
            a.service = g.service.clone();
            a.value = Some(format!("{:.3}", share));
            a.annotations.insert(
                "description".into(),
                format!("more than {:.0} % of the group is offline", limit * 100.0),
            );
            Some(Candidate {
                alert: a,
                hold_for: std::time::Duration::ZERO,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + s)
    }

    #[test]
    fn restart_window_counts_only_recent_restarts() {
        let mut h = RestartHistory::default();
        let w = Duration::from_secs(600);
        assert_eq!(h.restarts_within("c", 10, at(0), w), 0);
        assert_eq!(h.restarts_within("c", 11, at(100), w), 1);
        assert_eq!(h.restarts_within("c", 13, at(200), w), 3);
        // Ten minutes after the last restart the old ones age out.
        assert_eq!(h.restarts_within("c", 13, at(900), w), 0);
    }

    #[test]
    fn fleet_share_severity() {
        let s = RuleSettings::default();
        let g = |offline| FleetGroupCount {
            fleet: "edge".into(),
            group: "berlin".into(),
            total: 10,
            offline,
            service: None,
            threshold: None,
        };
        assert!(
            fleet_offline(&[g(2)], &s).is_empty(),
            "20 % is not more than 20 %"
        );
        let c = fleet_offline(&[g(3)], &s);
        assert_eq!(c[0].alert.severity, Severity::Warning);
        assert!(
            c[0].alert.summary.contains("3/10"),
            "{}",
            c[0].alert.summary
        );
        assert_eq!(
            fleet_offline(&[g(4)], &s)[0].alert.severity,
            Severity::Critical
        );
        // A group's own threshold wins over the default.
        let lenient = FleetGroupCount {
            threshold: Some(0.5),
            ..g(4)
        };
        assert!(fleet_offline(std::slice::from_ref(&lenient), &s).is_empty());
        let c = fleet_offline(
            &[FleetGroupCount {
                offline: 6,
                ..lenient
            }],
            &s,
        );
        assert_eq!(c[0].alert.severity, Severity::Warning);
        assert!(c[0].alert.annotations["description"].contains("50 %"));
    }
}
