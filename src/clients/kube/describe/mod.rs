//! `kubectl describe` in opsboard's layout: an object's JSON (as the API
//! server sends it) and its events turned into a [`Document`]. Pure: the
//! GETs happen in `fetch`; everything from the body is cleaned as it goes
//! into the document.

mod node;
mod pod;
mod spec;
mod workload;

use std::time::SystemTime;

use serde_json::Value;

use crate::model::document::{Document, ObjectKind};

/// Width of a top-level field label (`Annotations:`).
const LABEL: usize = 14;

/// What describing one object needs: the object, its events, and for a
/// node the pods it runs.
#[derive(Debug, Clone, Default)]
pub struct Described {
    pub object: Value,
    pub events: Vec<Value>,
    /// Why the events could not be listed, if they could not.
    pub events_error: Option<String>,
    /// Non-terminated pods on a node (empty for other kinds).
    pub node_pods: Vec<Value>,
}

/// The describe document of `d.object`, an object of `kind`.
pub fn describe(kind: ObjectKind, d: &Described, now: SystemTime) -> Document {
    let mut doc = Document::default();
    metadata(&mut doc, &d.object);
    match kind {
        ObjectKind::Workload(_) => workload::describe(&mut doc, &d.object),
        ObjectKind::Pod => pod::describe(&mut doc, &d.object),
        ObjectKind::Node => node::describe(&mut doc, &d.object, &d.node_pods),
    }
    events(&mut doc, &d.events, now);
    if let Some(e) = &d.events_error {
        doc.warning(format!("  (events could not be listed: {e})"));
    }
    doc
}

/// The string at JSON pointer `p`, or "".
pub(super) fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

/// The value at `p` as text: strings as they are, numbers and booleans
/// written out, "" when absent.
pub(super) fn text(v: &Value, p: &str) -> String {
    match v.pointer(p) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The array at `p`, or an empty one.
pub(super) fn arr<'a>(v: &'a Value, p: &str) -> &'a [Value] {
    v.pointer(p)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `k=v` pairs of the object at `p`, sorted (JSON objects keep key order
/// sorted already).
pub(super) fn pairs(v: &Value, p: &str, sep: &str) -> Vec<String> {
    v.pointer(p)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}{sep}{s}"),
                    other => format!("{k}{sep}{other}"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `label:` with one value per line, the first on the label's line;
/// `<none>` when there is none.
pub(super) fn list_field(
    doc: &mut Document,
    indent: &str,
    label: &str,
    width: usize,
    values: &[String],
) {
    match values.split_first() {
        None => doc.field(indent, label, width, "<none>"),
        Some((first, rest)) => {
            doc.field(indent, label, width, first);
            let pad = " ".repeat(indent.len() + width + 1);
            for v in rest {
                doc.line(format!("{pad}{v}"));
            }
        }
    }
}

/// Longest annotation value shown; the YAML view has them whole.
const ANNOTATION_MAX: usize = 60;

fn metadata(doc: &mut Document, o: &Value) {
    doc.field("", "Name", LABEL, s(o, "/metadata/name"));
    if let Some(ns) = o.pointer("/metadata/namespace").and_then(Value::as_str) {
        doc.field("", "Namespace", LABEL, ns);
    }
    doc.field("", "Created", LABEL, s(o, "/metadata/creationTimestamp"));
    list_field(doc, "", "Labels", LABEL, &pairs(o, "/metadata/labels", "="));
    let annotations: Vec<String> = pairs(o, "/metadata/annotations", ": ")
        .into_iter()
        // Written by kubectl apply: the whole object again.
        .filter(|a| !a.starts_with("kubectl.kubernetes.io/last-applied-configuration"))
        .map(|a| trim_to(&a, ANNOTATION_MAX))
        .collect();
    list_field(doc, "", "Annotations", LABEL, &annotations);
    let owners: Vec<String> = arr(o, "/metadata/ownerReferences")
        .iter()
        .map(|r| format!("{}/{}", s(r, "/kind"), s(r, "/name")))
        .collect();
    if !owners.is_empty() {
        list_field(doc, "", "Controlled By", LABEL, &owners);
    }
}

/// `s` cut to `max` characters, marked with `…`.
pub(super) fn trim_to(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A `Conditions:` table (`type`, `status`, `reason`, `message`); a
/// condition that is not as it should be is drawn as a warning.
pub(super) fn conditions(doc: &mut Document, indent: &str, conds: &[Value]) {
    doc.heading(format!("{indent}Conditions:"));
    if conds.is_empty() {
        doc.line(format!("{indent}  <none>"));
        return;
    }
    let w = conds
        .iter()
        .map(|c| s(c, "/type").len())
        .max()
        .unwrap_or(4)
        .max(4);
    doc.line(format!("{indent}  {:<w$}  Status  Reason", "Type"));
    for c in conds {
        let ty = s(c, "/type");
        let status = s(c, "/status");
        let reason = s(c, "/reason");
        let message = s(c, "/message");
        let line = format!(
            "{indent}  {ty:<w$}  {status:<6}  {reason}{}",
            if message.is_empty() {
                String::new()
            } else {
                format!(" — {message}")
            }
        );
        // Pressure conditions are bad when True, the rest when not.
        let bad =
            if ty.ends_with("Pressure") || ty == "NetworkUnavailable" || ty == "ReplicaFailure" {
                status == "True"
            } else {
                status != "True"
            };
        if bad {
            doc.warning(line);
        } else {
            doc.line(line);
        }
    }
}

/// The `Events:` table, oldest first as kubectl prints it.
fn events(doc: &mut Document, events: &[Value], now: SystemTime) {
    doc.heading("Events:");
    if events.is_empty() {
        doc.line("  <none>");
        return;
    }
    let mut sorted: Vec<&Value> = events.iter().collect();
    sorted.sort_by_key(|e| last_seen(e).to_string());
    doc.line("  Type     Reason             Age     From                   Message");
    for e in sorted {
        let ty = s(e, "/type");
        let count = e.pointer("/count").and_then(Value::as_i64).unwrap_or(1);
        let age = age(now, last_seen(e));
        let age = if count > 1 {
            format!("{age} (x{count})")
        } else {
            age
        };
        let from = match s(e, "/source/component") {
            "" => s(e, "/reportingComponent"),
            c => c,
        };
        let line = format!(
            "  {ty:<8} {:<18} {age:<7} {:<22} {}",
            s(e, "/reason"),
            trim_to(from, 30),
            s(e, "/message").trim()
        );
        if ty == "Warning" {
            doc.warning(line);
        } else {
            doc.line(line);
        }
    }
}

fn last_seen(e: &Value) -> &str {
    [
        "/lastTimestamp",
        "/eventTime",
        "/firstTimestamp",
        "/metadata/creationTimestamp",
    ]
    .iter()
    .map(|p| s(e, p))
    .find(|t| !t.is_empty())
    .unwrap_or("")
}

/// `5m`, `2h`, `3d` since an RFC 3339 time; `<unknown>` if unreadable.
pub(super) fn age(now: SystemTime, at: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(at) else {
        return "<unknown>".into();
    };
    let then: SystemTime = t.with_timezone(&chrono::Utc).into();
    let secs = now.duration_since(then).unwrap_or_default().as_secs();
    match secs {
        0..120 => format!("{secs}s"),
        120..7200 => format!("{}m", secs / 60),
        7200..172_800 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

#[cfg(test)]
mod tests;
