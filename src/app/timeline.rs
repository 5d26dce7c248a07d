//! "What changed?": one service's change timeline, newest first, from
//! its Kubernetes revisions (who from the field manager), the HPA's
//! rescales, Docker image changes and blue-green switches observed,
//! opsboard's own jobs, and its alerts starting and resolving; and the
//! hint an alert gets when it started soon after a release.

use std::time::Duration;

use super::state::State;
use crate::model::kube::short_image;
use crate::model::{Alert, Change, ChangeKind, Service, Verb};

pub use crate::model::kube::image_tag as tag;

/// Entries a timeline shows at most.
pub const TIMELINE_LEN: usize = 40;

fn tags(images: &[String]) -> String {
    images.iter().map(|i| tag(i)).collect::<Vec<_>>().join(", ")
}

/// The revisions of the service's workload as changes.
fn revisions(s: &Service) -> Vec<Change> {
    let Some(w) = &s.workload else { return vec![] };
    w.history
        .iter()
        .filter_map(|r| {
            let at = r.created?;
            let images = r
                .images
                .iter()
                .map(|i| short_image(i))
                .collect::<Vec<_>>()
                .join(", ");
            let cause = r
                .change_cause
                .as_deref()
                .map(|c| format!(" · {c}"))
                .unwrap_or_default();
            Some(Change {
                at,
                kind: ChangeKind::Rollout,
                what: format!("rev {} {images}{cause}", r.revision),
                who: r.by.clone(),
                release: Some(format!(
                    "{} rolled out {} (rev {})",
                    w.id.name,
                    tags(&r.images),
                    r.revision
                )),
            })
        })
        .collect()
}

/// The HPA's rescales of the service's workload, from the cluster's events.
fn rescales(state: &State, s: &Service) -> Vec<Change> {
    let Some(w) = &s.workload else { return vec![] };
    let Some(hpa) = &w.hpa else { return vec![] };
    let Some(cluster) = state.clusters.get(&w.id.context) else {
        return vec![];
    };
    cluster
        .events
        .iter()
        .filter(|e| {
            e.namespace == w.id.namespace
                && e.object_kind == "HorizontalPodAutoscaler"
                && e.object_name == hpa.name
                && e.reason == "SuccessfulRescale"
        })
        .filter_map(|e| {
            Some(Change {
                at: e.last.or(e.first)?,
                kind: ChangeKind::Scale,
                what: format!("hpa/{}: {}", hpa.name, e.message),
                who: Some("horizontal-pod-autoscaler".into()),
                release: None,
            })
        })
        .collect()
}

/// This board's jobs on the service.
fn actions(state: &State, s: &Service) -> Vec<Change> {
    let keys: Vec<String> = s
        .workload
        .iter()
        .map(|w| format!("k8s/{}", w.id))
        .chain(
            s.blue_green
                .iter()
                .map(|p| format!("k8s/{}/{}/service/{}", p.context, p.namespace, p.service)),
        )
        .collect();
    state
        .jobs
        .iter()
        .filter(|j| {
            j.plan.target.service.as_deref() == Some(s.name.as_str())
                || keys.contains(&j.plan.target.key)
        })
        .filter(|j| !matches!(j.plan.verb, Verb::Exec { .. }))
        .map(|j| {
            let outcome = match &j.finished {
                Some((_, r)) => r.outcome.word(),
                None => "running",
            };
            let automatic = j.plan.parameters.contains_key("automatic");
            Change {
                at: j.started,
                kind: ChangeKind::Action,
                what: format!("{} ({outcome})", j.plan.summary()),
                who: Some(if automatic { "automatic" } else { "opsboard" }.into()),
                release: None,
            }
        })
        .collect()
}

/// A service's timeline, newest first, at most [`TIMELINE_LEN`].
pub fn timeline(state: &State, s: &Service) -> Vec<Change> {
    let mut all = revisions(s);
    all.extend(rescales(state, s));
    all.extend(actions(state, s));
    all.extend(state.change_log.of(&s.name).cloned());
    all.sort_by(|a, b| b.at.cmp(&a.at).then(a.kind.cmp(&b.kind)));
    all.truncate(TIMELINE_LEN);
    all
}

/// What an alert that started soon after a release says about it:
/// `ErrorRateHigh started 4m after api rolled out 1.4.3 (rev 4) — u rolls
/// back to 1.4.2`.
pub fn after_change(state: &State, s: &Service, alert: &Alert) -> Option<String> {
    let since = alert.since?;
    let window = s.rollback_on.window;
    let blamed = timeline(state, s)
        .into_iter()
        .filter(|c| c.kind.is_release() && c.release.is_some())
        .find(|c| c.at <= since && since.duration_since(c.at).unwrap_or_default() <= window)?;
    let after = since.duration_since(blamed.at).unwrap_or_default();
    let mut line = format!(
        "{} started {} after {}",
        alert.name,
        fmt_after(after),
        blamed.release.as_deref().unwrap_or("a change")
    );
    if let Some(undo) = undo_hint(s, &blamed) {
        line.push_str(" — ");
        line.push_str(&undo);
    }
    Some(line)
}

fn fmt_after(d: Duration) -> String {
    if d.as_secs() < 60 {
        format!("{}s", d.as_secs())
    } else {
        crate::model::fmt_duration(Duration::from_secs(d.as_secs() / 60 * 60))
    }
}

/// The key that undoes the blamed change, while it is still the current
/// state: `u rolls back to 1.4.2`, `B switches back to blue`.
pub fn undo_hint(s: &Service, blamed: &Change) -> Option<String> {
    match blamed.kind {
        ChangeKind::Switch => {
            let p = s.blue_green.as_ref()?;
            Some(format!("B switches back to {}", p.idle.name))
        }
        ChangeKind::Rollout => {
            let w = s.workload.as_ref()?;
            let current = w.history.last()?;
            // Only while the blamed revision is still the one running.
            let blamed_rev = format!("(rev {})", current.revision);
            if !blamed.release.as_deref()?.ends_with(&blamed_rev) {
                return None;
            }
            let previous = w.history.iter().rev().nth(1)?;
            Some(format!("u rolls back to {}", tags(&previous.images)))
        }
        _ => None,
    }
}
