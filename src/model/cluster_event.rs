//! core/v1 Events of a cluster as the Events pane lists them: one lean row
//! per event, repeats folded into one row with a count, newest first.

use std::collections::HashMap;
use std::time::SystemTime;

use serde::Serialize;

/// Events kept per context: the newest ones, after folding.
pub const EVENTS_PER_CONTEXT: usize = 300;

/// An Event's `type`: the API knows only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    /// `Warning` for "Warning", `Normal` for anything else.
    pub fn parse(s: &str) -> EventType {
        if s == "Warning" {
            EventType::Warning
        } else {
            EventType::Normal
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// One Event (or several folded into one) of one context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterEvent {
    pub context: String,
    pub namespace: String,
    pub type_: EventType,
    pub reason: String,
    /// The involved object's kind as the API writes it: `Pod`, `Node`.
    pub object_kind: String,
    pub object_name: String,
    pub message: String,
    /// How often it happened: the Event's `count` (or `series.count`),
    /// summed over the Events folded into this row.
    pub count: u32,
    pub first: Option<SystemTime>,
    /// Last seen: the newest of the folded Events.
    pub last: Option<SystemTime>,
    /// The component that reported it (`kubelet`, `default-scheduler`).
    pub source: String,
}

impl ClusterEvent {
    /// `pod/api-7b4…` as kubectl names the object.
    pub fn object(&self) -> String {
        format!(
            "{}/{}",
            self.object_kind.to_ascii_lowercase(),
            self.object_name
        )
    }

    /// Whether the (lower-case) `needle` occurs in the type, reason,
    /// object, namespace, context or message.
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty()
            || [
                self.type_.word(),
                &self.reason,
                &self.object(),
                &self.namespace,
                &self.context,
                &self.message,
            ]
            .iter()
            .any(|f| f.to_lowercase().contains(needle))
    }

    /// Whether `other` is the same event (the same row once folded),
    /// whatever its count and times.
    pub fn same_event(&self, other: &ClusterEvent) -> bool {
        self.fold_key() == other.fold_key()
    }

    /// What makes two Events the same event for folding.
    fn fold_key(&self) -> (&str, &str, EventType, &str, &str, &str, &str) {
        (
            &self.context,
            &self.namespace,
            self.type_,
            &self.reason,
            &self.object_kind,
            &self.object_name,
            &self.message,
        )
    }
}

/// Context, namespace, type, reason, object kind and name, message.
type FoldKey = (String, String, EventType, String, String, String, String);

/// Folds repeated events (same context, namespace, type, reason, object
/// and message) into one row: counts added up, first seen the oldest, last
/// seen the newest. Newest first; events without a time last.
pub fn fold(events: Vec<ClusterEvent>) -> Vec<ClusterEvent> {
    let mut out: Vec<ClusterEvent> = Vec::with_capacity(events.len());
    let mut index: HashMap<FoldKey, usize> = HashMap::new();
    for e in events {
        let key = {
            let (c, n, t, r, k, o, m) = e.fold_key();
            (
                c.to_string(),
                n.to_string(),
                t,
                r.to_string(),
                k.to_string(),
                o.to_string(),
                m.to_string(),
            )
        };
        match index.get(&key) {
            Some(&i) => {
                let row = &mut out[i];
                row.count = row.count.saturating_add(e.count);
                row.first = min_time(row.first, e.first);
                if e.last > row.last {
                    row.last = e.last;
                    row.source = e.source;
                }
            }
            None => {
                index.insert(key, out.len());
                out.push(e);
            }
        }
    }
    sort_newest_first(&mut out);
    out
}

/// Newest first (by last seen, then first seen); ties in a stable order.
pub fn sort_newest_first(events: &mut [ClusterEvent]) {
    events.sort_by(|a, b| {
        b.last
            .cmp(&a.last)
            .then_with(|| b.first.cmp(&a.first))
            .then_with(|| a.fold_key().cmp(&b.fold_key()))
    });
}

fn min_time(a: Option<SystemTime>, b: Option<SystemTime>) -> Option<SystemTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(s: u64) -> Option<SystemTime> {
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(s))
    }

    fn ev(reason: &str, name: &str, count: u32, first: u64, last: u64) -> ClusterEvent {
        ClusterEvent {
            context: "prod".into(),
            namespace: "shop".into(),
            type_: EventType::Warning,
            reason: reason.into(),
            object_kind: "Pod".into(),
            object_name: name.into(),
            message: "Back-off restarting failed container".into(),
            count,
            first: at(first),
            last: at(last),
            source: "kubelet".into(),
        }
    }

    #[test]
    fn repeats_fold_into_one_row_with_the_counts_added() {
        let folded = fold(vec![
            ev("BackOff", "api-1", 3, 100, 200),
            ev("BackOff", "api-2", 1, 150, 150),
            ev("BackOff", "api-1", 4, 50, 300),
        ]);
        assert_eq!(folded.len(), 2, "{folded:#?}");
        let api1 = &folded[0];
        assert_eq!(api1.object(), "pod/api-1");
        assert_eq!(api1.count, 7);
        assert_eq!(api1.first, at(50));
        assert_eq!(api1.last, at(300));
        assert_eq!(folded[1].object_name, "api-2");
    }

    #[test]
    fn a_different_type_message_or_context_is_another_row() {
        let mut normal = ev("BackOff", "api-1", 1, 10, 10);
        normal.type_ = EventType::Normal;
        let mut other_msg = ev("BackOff", "api-1", 1, 10, 10);
        other_msg.message = "something else".into();
        let mut other_ctx = ev("BackOff", "api-1", 1, 10, 10);
        other_ctx.context = "staging".into();
        let folded = fold(vec![
            ev("BackOff", "api-1", 1, 10, 10),
            normal,
            other_msg,
            other_ctx,
        ]);
        assert_eq!(folded.len(), 4);
    }

    #[test]
    fn newest_first_and_timeless_last() {
        let folded = fold(vec![
            ev("A", "p", 1, 10, 10),
            ev("B", "p", 1, 0, 0),
            ev("C", "p", 1, 30, 30),
        ]);
        let mut no_time = ev("D", "p", 1, 0, 0);
        no_time.first = None;
        no_time.last = None;
        let mut all = folded;
        all.push(no_time);
        sort_newest_first(&mut all);
        let reasons: Vec<&str> = all.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(reasons, ["C", "A", "B", "D"]);
    }

    #[test]
    fn the_filter_reads_every_column() {
        let e = ev("BackOff", "api-7b4", 1, 1, 1);
        for needle in ["warning", "backoff", "pod/api", "shop", "prod", "back-off"] {
            assert!(e.matches(needle), "{needle}");
        }
        assert!(!e.matches("oomkilled"));
    }
}
