//! A node: conditions, addresses, capacity and allocatable, system info,
//! taints, whether it takes new pods, and the pods it runs.

use serde_json::Value;

use super::{LABEL, arr, conditions, pairs, s, text};
use crate::model::document::Document;

pub(super) fn describe(doc: &mut Document, o: &Value, pods: &[Value]) {
    let roles: Vec<String> = pairs(o, "/metadata/labels", "=")
        .iter()
        .filter_map(|l| l.strip_prefix("node-role.kubernetes.io/"))
        .map(|r| r.trim_end_matches('=').to_string())
        .collect();
    doc.field(
        "",
        "Roles",
        LABEL,
        if roles.is_empty() {
            "<none>".into()
        } else {
            roles.join(",")
        },
    );
    let taints: Vec<String> = arr(o, "/spec/taints")
        .iter()
        .map(|t| {
            let value = match s(t, "/value") {
                "" => String::new(),
                v => format!("={v}"),
            };
            format!("{}{value}:{}", s(t, "/key"), s(t, "/effect"))
        })
        .collect();
    super::list_field(doc, "", "Taints", LABEL, &taints);
    let unschedulable = o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true);
    if unschedulable {
        doc.warning(format!("{:<LABEL$} true (cordoned)", "Unschedulable:"));
    } else {
        doc.field("", "Unschedulable", LABEL, "false");
    }
    conditions(doc, "", arr(o, "/status/conditions"));
    doc.heading("Addresses:");
    for a in arr(o, "/status/addresses") {
        doc.line(format!("  {}: {}", s(a, "/type"), s(a, "/address")));
    }
    for (title, path) in [
        ("Capacity:", "/status/capacity"),
        ("Allocatable:", "/status/allocatable"),
    ] {
        doc.heading(title);
        for p in pairs(o, path, ": ") {
            doc.line(format!("  {p}"));
        }
    }
    doc.heading("System Info:");
    for (label, key) in [
        ("Machine ID", "machineID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
    ] {
        let v = text(o, &format!("/status/nodeInfo/{key}"));
        if !v.is_empty() {
            doc.field("  ", label, 18, v);
        }
    }
    if let Some(cidr) = o.pointer("/spec/podCIDR").and_then(Value::as_str) {
        doc.field("", "PodCIDR", LABEL, cidr);
    }
    doc.heading(format!("Non-terminated Pods: ({} in total)", pods.len()));
    if !pods.is_empty() {
        doc.line("  Namespace            Name");
    }
    for p in pods {
        doc.line(format!(
            "  {:<20} {}",
            s(p, "/metadata/namespace"),
            s(p, "/metadata/name")
        ));
    }
}
