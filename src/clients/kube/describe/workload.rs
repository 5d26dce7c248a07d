//! A Deployment, StatefulSet or DaemonSet: replicas, strategy, selector,
//! conditions and the pod template.

use serde_json::Value;

use super::{LABEL, arr, conditions, pairs, s, spec, text};
use crate::model::document::Document;

pub(super) fn describe(doc: &mut Document, o: &Value) {
    let selector = pairs(o, "/spec/selector/matchLabels", "=").join(",");
    doc.field("", "Selector", LABEL, or_none(selector));
    let n = |p: &str| o.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    match s(o, "/kind") {
        "DaemonSet" => {
            doc.field(
                "",
                "Pods",
                LABEL,
                format!(
                    "{} desired | {} current | {} ready | {} up-to-date | {} available",
                    n("/status/desiredNumberScheduled"),
                    n("/status/currentNumberScheduled"),
                    n("/status/numberReady"),
                    n("/status/updatedNumberScheduled"),
                    n("/status/numberAvailable"),
                ),
            );
        }
        _ => {
            let desired = o
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            doc.field(
                "",
                "Replicas",
                LABEL,
                format!(
                    "{desired} desired | {} updated | {} total | {} ready | {} available | {} unavailable",
                    n("/status/updatedReplicas"),
                    n("/status/replicas"),
                    n("/status/readyReplicas"),
                    n("/status/availableReplicas"),
                    n("/status/unavailableReplicas"),
                ),
            );
        }
    }
    let strategy = ["/spec/strategy", "/spec/updateStrategy"]
        .iter()
        .find_map(|p| o.pointer(p));
    if let Some(st) = strategy {
        doc.field("", "Strategy", LABEL, or_none(s(st, "/type").to_string()));
        if let Some(r) = st.pointer("/rollingUpdate") {
            let mut parts = Vec::new();
            if r.pointer("/maxUnavailable").is_some() {
                parts.push(format!("{} max unavailable", text(r, "/maxUnavailable")));
            }
            if r.pointer("/maxSurge").is_some() {
                parts.push(format!("{} max surge", text(r, "/maxSurge")));
            }
            if r.pointer("/partition").is_some() {
                parts.push(format!("partition {}", text(r, "/partition")));
            }
            if !parts.is_empty() {
                doc.field("", "Rolling", LABEL, parts.join(", "));
            }
        }
    }
    if o.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        doc.warning(format!("{:<LABEL$} true", "Paused:"));
    }
    // Status before the template: what an on-call engineer looks for first.
    conditions(doc, "", arr(o, "/status/conditions"));
    doc.heading("Pod Template:");
    super::list_field(
        doc,
        "  ",
        "Labels",
        LABEL - 2,
        &pairs(o, "/spec/template/metadata/labels", "="),
    );
    let Some(template) = o.pointer("/spec/template/spec") else {
        doc.line("  <none>");
        return;
    };
    if let Some(sa) = template
        .pointer("/serviceAccountName")
        .and_then(Value::as_str)
    {
        doc.field("  ", "Service Account", LABEL - 2, sa);
    }
    spec::containers(doc, "  ", template, None);
    spec::volumes(doc, "  ", template);
}

fn or_none(s: String) -> String {
    if s.is_empty() { "<none>".into() } else { s }
}
