//! The Events pane's data: the events of every connected context merged
//! newest first, narrowed by the `/` filter and the warnings-only switch,
//! and where `Enter` on one of them leads (its service, or its node).

use super::layout::scroll_to_show;
use super::state::State;
use crate::model::{ClusterEvent, EventType, Workload, WorkloadKind};

/// Rows below the table (at least) that show the selected event in full.
pub const DETAIL_ROWS: u16 = 3;

/// The events the pane lists, newest first: every context's (each already
/// folded), filtered.
pub fn rows(state: &State) -> Vec<&ClusterEvent> {
    let needle = state.events.filter.text.to_lowercase();
    let mut out: Vec<&ClusterEvent> = state
        .clusters
        .values()
        .flat_map(|c| &c.events)
        .filter(|e| !state.events.warnings_only || e.type_ == EventType::Warning)
        .filter(|e| e.matches(&needle))
        .collect();
    out.sort_by(|a, b| {
        b.last
            .cmp(&a.last)
            .then_with(|| b.first.cmp(&a.first))
            .then_with(|| a.context.cmp(&b.context))
    });
    out
}

/// The event under the cursor.
pub fn selected(state: &State) -> Option<&ClusterEvent> {
    rows(state).get(state.events.list.selected).copied()
}

/// Puts the cursor back on `was` (the event selected before new events
/// arrived) so that the row being read does not change under it; the
/// first row stays the first, following the newest.
pub fn keep_selected(state: &mut State, was: Option<ClusterEvent>) {
    let Some(was) = was.filter(|_| state.events.list.selected > 0) else {
        return;
    };
    let rows = rows(state);
    let len = rows.len();
    if let Some(i) = rows.iter().position(|e| e.same_event(&was)) {
        let fit = visible_rows(state);
        let list = &mut state.events.list;
        list.selected = i;
        list.offset = scroll_to_show(i, list.offset, fit, len);
    }
}

/// Event rows that fit on screen (for paging): the body less the table
/// title, the full-message rows and a filter line.
pub fn visible_rows(state: &State) -> usize {
    state
        .list_rows()
        .saturating_sub(DETAIL_ROWS as usize + 1)
        .max(1)
}

/// Where an event's object is on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTarget {
    /// `state.services[i]`.
    Service(usize),
    /// The node's index in the Nodes pane's list.
    Node(usize),
    /// Not on the board; the words say what was looked for.
    Nowhere(String),
}

/// The service whose workload the event's object belongs to, or the node.
pub fn target(state: &State, e: &ClusterEvent) -> EventTarget {
    if e.object_kind == "Node" {
        return match state
            .clusters
            .values()
            .flat_map(|c| &c.nodes)
            .position(|n| n.context == e.context && n.name == e.object_name)
        {
            Some(i) => EventTarget::Node(i),
            None => EventTarget::Nowhere(format!("node {} is not on the board", e.object_name)),
        };
    }
    let here = |w: &Workload| w.id.context == e.context && w.id.namespace == e.namespace;
    let name = e.object_name.as_str();
    let found = state.services.iter().position(|s| {
        s.workload.as_ref().is_some_and(|w| {
            here(w)
                && match e.object_kind.as_str() {
                    "Pod" => w.pods.iter().any(|p| p.name == name),
                    "ReplicaSet" => {
                        w.id.kind == WorkloadKind::Deployment
                            && name.rsplit_once('-').is_some_and(|(d, _)| d == w.id.name)
                    }
                    "Deployment" => w.id.kind == WorkloadKind::Deployment && w.id.name == name,
                    "StatefulSet" => w.id.kind == WorkloadKind::StatefulSet && w.id.name == name,
                    "DaemonSet" => w.id.kind == WorkloadKind::DaemonSet && w.id.name == name,
                    "HorizontalPodAutoscaler" => w.hpa.as_ref().is_some_and(|h| h.name == name),
                    _ => false,
                }
        })
    });
    // A pod that is gone (the crash-looping one replaced) still names its
    // workload: `<deployment>-<hash>-<id>`, `<statefulset>-<n>`,
    // `<daemonset>-<id>`; the longest such workload name wins.
    let found = found.or_else(|| {
        (e.object_kind == "Pod")
            .then(|| {
                state
                    .services
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| Some((i, s.workload.as_ref()?)))
                    .filter(|(_, w)| here(w) && owns_pod_name(w, name))
                    .max_by_key(|(_, w)| w.id.name.len())
                    .map(|(i, _)| i)
            })
            .flatten()
    });
    match found {
        Some(i) => EventTarget::Service(i),
        None => EventTarget::Nowhere(format!("{} has no service on the board", e.object())),
    }
}

/// Whether a pod named `pod` is one the workload would have made.
fn owns_pod_name(w: &Workload, pod: &str) -> bool {
    let Some(rest) = pod
        .strip_prefix(w.id.name.as_str())
        .and_then(|r| r.strip_prefix('-'))
    else {
        return false;
    };
    match w.id.kind {
        WorkloadKind::StatefulSet => rest.parse::<u32>().is_ok(),
        WorkloadKind::Deployment => rest.split('-').count() == 2,
        WorkloadKind::DaemonSet => !rest.contains('-'),
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
