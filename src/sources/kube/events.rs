//! From core/v1 Events to the Events pane's lean rows: every type, the
//! strings made safe to show, repeats folded, the newest few hundred kept.

use std::sync::Arc;
use std::time::SystemTime;

use k8s_openapi::api::core::v1::Event;

use crate::model::cluster_event::{EVENTS_PER_CONTEXT, fold};
use crate::model::text::safe;
use crate::model::{ClusterEvent, EventType};

/// The context's events, folded, newest first, at most
/// [`EVENTS_PER_CONTEXT`].
pub fn cluster_events(context: &str, events: &[Arc<Event>]) -> Vec<ClusterEvent> {
    let mut rows = fold(events.iter().map(|e| row(context, e)).collect());
    rows.truncate(EVENTS_PER_CONTEXT);
    rows
}

fn row(context: &str, e: &Event) -> ClusterEvent {
    let created = e.metadata.creation_timestamp.as_ref().map(|t| t.0.into());
    let event_time: Option<SystemTime> = e.event_time.as_ref().map(|t| t.0.into());
    let series = e.series.as_ref();
    let last = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0.into())
        .or_else(|| {
            series
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|t| t.0.into())
        })
        .or(event_time)
        .or(created);
    let first = e
        .first_timestamp
        .as_ref()
        .map(|t| t.0.into())
        .or(event_time)
        .or(created);
    let count = e
        .count
        .or_else(|| series.and_then(|s| s.count))
        .map_or(1, |c| u32::try_from(c).unwrap_or(0).max(1));
    let source = e
        .source
        .as_ref()
        .and_then(|s| s.component.clone())
        .or_else(|| e.reporting_component.clone())
        .unwrap_or_default();
    let o = &e.involved_object;
    ClusterEvent {
        context: context.to_string(),
        namespace: safe(
            e.metadata
                .namespace
                .as_deref()
                .or(o.namespace.as_deref())
                .unwrap_or_default(),
        ),
        type_: EventType::parse(e.type_.as_deref().unwrap_or_default()),
        reason: safe(e.reason.as_deref().unwrap_or_default()),
        object_kind: safe(o.kind.as_deref().unwrap_or_default()),
        object_name: safe(o.name.as_deref().unwrap_or_default()),
        // One line: a multi-line message reads as one with spaces.
        message: safe(
            &e.message
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        count,
        first,
        last: last.max(first),
        source: safe(&source),
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{EventSeries, ObjectReference};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};

    use super::*;

    fn event(name: &str, kind: &str, obj: &str, ty: &str, count: Option<i32>, at: i64) -> Event {
        let t = k8s_openapi::jiff::Timestamp::from_second(at).unwrap();
        Event {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("shop".into()),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                kind: Some(kind.into()),
                name: Some(obj.into()),
                namespace: Some("shop".into()),
                ..ObjectReference::default()
            },
            type_: Some(ty.into()),
            reason: Some("BackOff".into()),
            message: Some("Back-off restarting\nfailed container\u{1b}[2J".into()),
            count,
            first_timestamp: Some(Time(t)),
            last_timestamp: Some(Time(t)),
            ..Event::default()
        }
    }

    #[test]
    fn events_of_every_type_fold_with_their_counts_and_read_safely() {
        let mut series = event("c", "Pod", "api-1", "Warning", None, 300);
        series.last_timestamp = None;
        series.series = Some(EventSeries {
            count: Some(5),
            last_observed_time: Some(MicroTime(
                k8s_openapi::jiff::Timestamp::from_second(400).unwrap(),
            )),
        });
        let events = [
            event("a", "Pod", "api-1", "Warning", Some(3), 100),
            event("b", "Pod", "api-1", "Normal", Some(1), 200),
            series,
        ]
        .map(Arc::new);
        let rows = cluster_events("prod", &events);
        assert_eq!(rows.len(), 2, "{rows:#?}");
        let w = &rows[0];
        assert_eq!(w.type_, EventType::Warning);
        assert_eq!(w.count, 8, "3 + series.count 5");
        assert_eq!(
            w.last,
            Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(400))
        );
        assert_eq!(
            w.first,
            Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(100))
        );
        assert_eq!(w.object(), "pod/api-1");
        assert!(
            !w.message.contains('\n') && !w.message.contains('\u{1b}'),
            "{}",
            w.message
        );
        assert!(
            w.message
                .starts_with("Back-off restarting failed container")
        );
        assert_eq!(rows[1].type_, EventType::Normal);
    }

    #[test]
    fn only_the_newest_are_kept() {
        let events: Vec<Arc<Event>> = (0..EVENTS_PER_CONTEXT as i64 + 50)
            .map(|i| {
                Arc::new(event(
                    &format!("e{i}"),
                    "Pod",
                    &format!("p{i}"),
                    "Normal",
                    Some(1),
                    i,
                ))
            })
            .collect();
        let rows = cluster_events("prod", &events);
        assert_eq!(rows.len(), EVENTS_PER_CONTEXT);
        assert_eq!(rows[0].object_name, format!("p{}", EVENTS_PER_CONTEXT + 49));
    }
}
