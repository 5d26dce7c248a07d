//! A pod: status, IP, node, conditions, containers with their state and
//! last state, volumes.

use serde_json::Value;

use super::{LABEL, arr, conditions, s, spec};
use crate::model::document::Document;

pub(super) fn describe(doc: &mut Document, o: &Value) {
    let phase = s(o, "/status/phase");
    let status = match (
        o.pointer("/metadata/deletionTimestamp"),
        s(o, "/status/reason"),
    ) {
        (Some(_), _) => format!("Terminating (phase {phase})"),
        (None, "") => phase.to_string(),
        (None, reason) => format!("{phase} ({reason})"),
    };
    if phase == "Running" || phase == "Succeeded" {
        doc.field("", "Status", LABEL, status);
    } else {
        doc.warning(format!("{:<LABEL$} {status}", "Status:"));
    }
    doc.field("", "Node", LABEL, or_none(s(o, "/spec/nodeName")));
    doc.field("", "IP", LABEL, or_none(s(o, "/status/podIP")));
    doc.field("", "Host IP", LABEL, or_none(s(o, "/status/hostIP")));
    doc.field("", "Start Time", LABEL, or_none(s(o, "/status/startTime")));
    if let Some(qos) = o.pointer("/status/qosClass").and_then(Value::as_str) {
        doc.field("", "QoS Class", LABEL, qos);
    }
    let empty = Value::Null;
    let spec_v = o.pointer("/spec").unwrap_or(&empty);
    conditions(doc, "", arr(o, "/status/conditions"));
    spec::containers(doc, "", spec_v, o.pointer("/status"));
    spec::volumes(doc, "", spec_v);
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "<none>" } else { s }
}
