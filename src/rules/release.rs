//! `RolloutRegressed`: a service whose latest rollout (completed, within
//! its `rollback_on.window`) is followed by errors above the threshold, p95
//! latency above a multiple of the pre-rollout baseline, or failing
//! health — the deployment guides' automated-rollback conditions. The
//! alert names the rollout, the evidence and the key that rolls back.

use std::time::{Duration, SystemTime};

use super::lifecycle::Candidate;
use crate::model::metrics::{fmt_ratio, fmt_seconds};
use crate::model::{Alert, Health, RollbackMode, Service, Severity};

pub const RULE: &str = "RolloutRegressed";

/// Points this recent speak for "now".
const FRESH: Duration = Duration::from_secs(120);
/// Pre-rollout points needed for a latency baseline.
const BASELINE_POINTS: usize = 3;

/// The rollout a service's regression is judged against: its workload's
/// newest revision, when it is recent enough and has one to go back to.
pub struct Rollout {
    pub revision: i64,
    pub at: SystemTime,
    pub tag: String,
    pub previous_tag: String,
}

pub fn recent_rollout(s: &Service, now: SystemTime) -> Option<Rollout> {
    let w = s.workload.as_ref()?;
    // Last known state is no evidence; and only a finished rollout is
    // judged: while one progresses (or stalls, which RolloutStalled
    // reports) its new pods may not serve at all, and what fails may be
    // the old ones.
    if w.stale.is_some() || w.rollout != crate::model::RolloutState::Complete {
        return None;
    }
    let current = w.history.last()?;
    let previous = w.history.iter().rev().nth(1)?;
    let at = current.created?;
    let age = now.duration_since(at).unwrap_or_default();
    (age <= s.rollback_on.window).then(|| Rollout {
        revision: current.revision,
        at,
        tag: tags(&current.images),
        previous_tag: tags(&previous.images),
    })
}

fn tags(images: &[String]) -> String {
    images
        .iter()
        .map(|i| crate::model::kube::image_tag(i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What says the rollout regressed, in words (empty: nothing does).
pub fn evidence(s: &Service, r: &Rollout, now: SystemTime) -> Vec<String> {
    let on = &s.rollback_on;
    let mut out = Vec::new();
    let at_s = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    let now_s = at_s(now);
    let since_s = at_s(r.at);
    if let Some(m) = &s.metrics
        && let Some(p) = m.latest()
        && u64::from(p.at_s) + FRESH.as_secs() >= now_s
        && u64::from(p.at_s) >= since_s
    {
        if let Some(limit) = on.error_rate
            && p.error_ratio.is_finite()
            && p.req_rate > 0.0
            && f64::from(p.error_ratio) > limit
        {
            out.push(format!(
                "errors {} > {}",
                fmt_ratio(p.error_ratio),
                fmt_ratio(limit as f32)
            ));
        }
        if let Some(factor) = on.latency_factor
            && p.p95.is_finite()
        {
            let mut before: Vec<f32> = m
                .points
                .iter()
                .filter(|q| u64::from(q.at_s) < since_s && q.p95.is_finite())
                .map(|q| q.p95)
                .collect();
            if before.len() >= BASELINE_POINTS {
                before.sort_by(f32::total_cmp);
                let baseline = before[before.len() / 2];
                if baseline > 0.0 && f64::from(p.p95) > factor * f64::from(baseline) {
                    out.push(format!(
                        "p95 {} > {factor}× baseline {}",
                        fmt_seconds(p.p95),
                        fmt_seconds(baseline)
                    ));
                }
            }
        }
    }
    if on.health {
        let probes = s.probes.iter().map(|p| p.effective_status()).min();
        let down = match probes {
            Some(h) => h == Health::Down,
            None => s
                .workload
                .as_ref()
                .is_some_and(|w| w.health().0 == Health::Down),
        };
        if down {
            out.push("health Down".into());
        }
    }
    out
}

/// Every service whose recent rollout regressed.
pub fn regressed(services: &[Service], now: SystemTime) -> Vec<Candidate> {
    let mut out = Vec::new();
    for s in services {
        if s.rollback_on.mode == RollbackMode::Off {
            continue;
        }
        let Some(r) = recent_rollout(s, now) else {
            continue;
        };
        let evidence = evidence(s, &r, now);
        if evidence.is_empty() {
            continue;
        }
        let act = if s.rollback_on.mode == RollbackMode::Act {
            "rolling back to"
        } else {
            "u rolls back to"
        };
        let mut a = Alert::local(
            RULE,
            Severity::Critical,
            format!(
                "{} rollout {} (rev {}) regressed: {} — {act} {}",
                s.name,
                r.tag,
                r.revision,
                evidence.join(", "),
                r.previous_tag
            ),
        );
        a.labels.insert("service".into(), s.name.clone());
        a.labels.insert("revision".into(), r.revision.to_string());
        a.annotations.insert("evidence".into(), evidence.join("; "));
        a.annotations.insert(
            "rollback".into(),
            format!("to {} (mode {})", r.previous_tag, s.rollback_on.mode.word()),
        );
        a.value = Some(evidence.join(", "));
        a.service = Some(s.name.clone());
        out.push(Candidate {
            alert: a,
            hold_for: s.rollback_on.hold_for,
        });
    }
    out
}
