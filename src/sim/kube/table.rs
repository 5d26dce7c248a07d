//! Server-side printing: `meta.k8s.io/v1` `Table` responses with the same
//! columns and cells as the real API server's printers, which is what
//! `kubectl get` shows.

use serde_json::{Value, json};

use super::clock::{SimTime, human_duration, parse_time};
use super::resources::Res;
use super::util;

mod batch;
mod pdb;
mod printers;
use batch::{CRONJOB_COLUMNS, JOB_COLUMNS, cronjob_cells, job_cells};
use pdb::pdb_cells;
use printers::{endpoints_cell, hpa_targets, node_cells, pod_cells};

/// What each row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    pub fn parse(s: Option<&str>) -> Include {
        match s {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

fn col(name: &str, ty: &str, priority: i64) -> Value {
    let mut c =
        json!({"name": name, "type": ty, "format": "", "description": name, "priority": priority});
    if name == "Name" {
        c["format"] = json!("name");
        c["description"] = json!(
            "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically."
        );
    }
    if name == "Endpoints" {
        c["description"] = json!(
            "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."
        );
    }
    if name == "Age" {
        c["description"] = json!(
            "CreationTimestamp is a timestamp representing the server time when this object was created."
        );
    }
    c
}

pub fn columns(res: Res) -> Vec<Value> {
    let cols: &[(&str, &str, i64)] = match res {
        Res::Pods => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
            ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1),
        ],
        Res::Deployments => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Up-to-date", "string", 0),
            ("Available", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Res::ReplicaSets => &[
            ("Name", "string", 0),
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Res::StatefulSets => &[
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
        ],
        Res::DaemonSets => &[
            ("Name", "string", 0),
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Node Selector", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Res::Nodes => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
            ("Internal-IP", "string", 1),
            ("External-IP", "string", 1),
            ("OS-Image", "string", 1),
            ("Kernel-Version", "string", 1),
            ("Container-Runtime", "string", 1),
        ],
        Res::Hpas => &[
            ("Name", "string", 0),
            ("Reference", "string", 0),
            ("Targets", "string", 0),
            ("MinPods", "string", 0),
            ("MaxPods", "integer", 0),
            ("Replicas", "integer", 0),
            ("Age", "string", 0),
        ],
        Res::Namespaces => &[
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Age", "string", 0),
        ],
        Res::Events => &[
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Subobject", "string", 1),
            ("Source", "string", 1),
            ("Message", "string", 0),
            ("First Seen", "string", 1),
            ("Count", "string", 1),
            ("Name", "string", 1),
        ],
        Res::Services => &[
            ("Name", "string", 0),
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
            ("Selector", "string", 1),
        ],
        Res::Endpoints => &[
            ("Name", "string", 0),
            ("Endpoints", "string", 0),
            ("Age", "string", 0),
        ],
        Res::ControllerRevisions => &[
            ("Name", "string", 0),
            ("Controller", "string", 0),
            ("Revision", "integer", 0),
            ("Age", "string", 0),
        ],
        Res::Pdbs => &[
            ("Name", "string", 0),
            ("Min Available", "string", 0),
            ("Max Unavailable", "string", 0),
            ("Allowed Disruptions", "integer", 0),
            ("Age", "string", 0),
        ],
        Res::Jobs => JOB_COLUMNS,
        Res::CronJobs => CRONJOB_COLUMNS,
    };
    cols.iter().map(|(n, t, p)| col(n, t, *p)).collect()
}

fn age(obj: &Value, now: SimTime) -> String {
    match parse_time(util::s(obj, "/metadata/creationTimestamp")) {
        Some(t) => human_duration(now - t),
        None => "<unknown>".into(),
    }
}

fn since(ts: &str, now: SimTime) -> String {
    match parse_time(ts) {
        Some(t) => human_duration(now - t),
        None => "<unknown>".into(),
    }
}

fn template_columns(obj: &Value) -> (String, String) {
    let cs = obj
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = cs.iter().map(|c| util::s(c, "/name")).collect();
    let images: Vec<&str> = cs.iter().map(|c| util::s(c, "/image")).collect();
    (names.join(","), images.join(","))
}

fn selector(obj: &Value) -> String {
    let s = obj
        .pointer("/spec/selector")
        .map(util::label_selector_string)
        .unwrap_or_default();
    if s.is_empty() { "<none>".into() } else { s }
}

fn cells(res: Res, obj: &Value, now: SimTime) -> Vec<Value> {
    let name = json!(util::name(obj));
    let i = |p: &str| json!(util::i(obj, p));
    match res {
        Res::Pods => pod_cells(obj, now),
        Res::Nodes => node_cells(obj, now),
        Res::Deployments => {
            let (c, im) = template_columns(obj);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    util::i(obj, "/status/readyReplicas"),
                    util::i(obj, "/spec/replicas")
                )),
                i("/status/updatedReplicas"),
                i("/status/availableReplicas"),
                json!(age(obj, now)),
                json!(c),
                json!(im),
                json!(selector(obj)),
            ]
        }
        Res::ReplicaSets => {
            let (c, im) = template_columns(obj);
            vec![
                name,
                i("/spec/replicas"),
                i("/status/replicas"),
                i("/status/readyReplicas"),
                json!(age(obj, now)),
                json!(c),
                json!(im),
                json!(selector(obj)),
            ]
        }
        Res::StatefulSets => {
            let (c, im) = template_columns(obj);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    util::i(obj, "/status/readyReplicas"),
                    util::i(obj, "/spec/replicas")
                )),
                json!(age(obj, now)),
                json!(c),
                json!(im),
            ]
        }
        Res::DaemonSets => {
            let (c, im) = template_columns(obj);
            let ns = obj
                .pointer("/spec/template/spec/nodeSelector")
                .map(util::selector_string)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<none>".into());
            vec![
                name,
                i("/status/desiredNumberScheduled"),
                i("/status/currentNumberScheduled"),
                i("/status/numberReady"),
                i("/status/updatedNumberScheduled"),
                i("/status/numberAvailable"),
                json!(ns),
                json!(age(obj, now)),
                json!(c),
                json!(im),
                json!(selector(obj)),
            ]
        }
        Res::Hpas => vec![
            name,
            json!(format!(
                "{}/{}",
                util::s(obj, "/spec/scaleTargetRef/kind"),
                util::s(obj, "/spec/scaleTargetRef/name")
            )),
            json!(hpa_targets(obj)),
            util::opt_i(obj, "/spec/minReplicas").map_or(json!("<unset>"), |m| json!(m)),
            i("/spec/maxReplicas"),
            i("/status/currentReplicas"),
            json!(age(obj, now)),
        ],
        Res::Namespaces => vec![
            name,
            json!(util::s(obj, "/status/phase")),
            json!(age(obj, now)),
        ],
        Res::Events => {
            let last = [
                util::s(obj, "/lastTimestamp"),
                util::s(obj, "/eventTime"),
                util::s(obj, "/metadata/creationTimestamp"),
            ]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("");
            let first = util::s(obj, "/firstTimestamp");
            let source = util::s(obj, "/source/component");
            let host = util::s(obj, "/source/host");
            let source = if host.is_empty() {
                source.to_string()
            } else {
                format!("{source}, {host}")
            };
            vec![
                json!(since(last, now)),
                json!(util::s(obj, "/type")),
                json!(util::s(obj, "/reason")),
                json!(format!(
                    "{}/{}",
                    util::s(obj, "/involvedObject/kind").to_ascii_lowercase(),
                    util::s(obj, "/involvedObject/name")
                )),
                json!(util::s(obj, "/involvedObject/fieldPath")),
                json!(source),
                json!(util::s(obj, "/message")),
                json!(if first.is_empty() {
                    "<unknown>".to_string()
                } else {
                    since(first, now)
                }),
                json!(util::i(obj, "/count").to_string()),
                name,
            ]
        }
        Res::Services => {
            let ports: Vec<String> = obj
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| format!("{}/{}", util::i(p, "/port"), util::s(p, "/protocol")))
                        .collect()
                })
                .unwrap_or_default();
            let ext = obj
                .pointer("/spec/externalIPs")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<none>".into());
            let sel = obj
                .pointer("/spec/selector")
                .map(util::selector_string)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<none>".into());
            vec![
                name,
                json!(util::s(obj, "/spec/type")),
                json!(util::s(obj, "/spec/clusterIP")),
                json!(ext),
                json!(if ports.is_empty() {
                    "<none>".to_string()
                } else {
                    ports.join(",")
                }),
                json!(age(obj, now)),
                json!(sel),
            ]
        }
        Res::Endpoints => vec![name, json!(endpoints_cell(obj)), json!(age(obj, now))],
        Res::Pdbs => pdb_cells(obj, now),
        Res::ControllerRevisions => {
            let owner = obj
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .map(|o| {
                    let group = util::s(o, "/apiVersion").split('/').next().unwrap_or("");
                    format!(
                        "{}.{group}/{}",
                        util::s(o, "/kind").to_ascii_lowercase(),
                        util::s(o, "/name")
                    )
                })
                .unwrap_or_else(|| "<none>".into());
            vec![name, json!(owner), i("/revision"), json!(age(obj, now))]
        }
        Res::Jobs => job_cells(obj, now),
        Res::CronJobs => cronjob_cells(obj, now),
    }
}

/// The `PartialObjectMetadata` form of an object.
pub fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
    })
}

pub fn row(res: Res, obj: &Value, now: SimTime, include: Include) -> Value {
    let mut r = json!({"cells": cells(res, obj, now)});
    match include {
        Include::None => {}
        Include::Metadata => r["object"] = partial_metadata(obj),
        Include::Object => r["object"] = obj.clone(),
    }
    r
}

/// A Table of `objs`; `list_meta` becomes its metadata.
pub fn table(res: Res, objs: &[&Value], now: SimTime, include: Include, list_meta: Value) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns(res),
        "rows": objs.iter().map(|o| row(res, o, now, include)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_rows_follow_print_pod() {
        let now = parse_time("2024-01-01T00:10:00Z").unwrap();
        let pod = json!({"metadata": {"name": "p", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "a"}], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.0.0.1", "containerStatuses": [{
                "name": "a", "ready": false, "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "OOMKilled", "finishedAt": "2024-01-01T00:09:30Z"}}}]}});
        let c = cells(Res::Pods, &pod, now);
        assert_eq!(c[1], "0/1");
        assert_eq!(c[2], "CrashLoopBackOff");
        assert_eq!(c[3], "3 (30s ago)");
        assert_eq!(c[4], "10m");
        assert_eq!(c[6], "n1");
        assert_eq!(columns(Res::Pods).len(), c.len());
    }

    #[test]
    fn every_resource_has_matching_cells() {
        for r in super::super::resources::ALL {
            let obj =
                json!({"metadata": {"name": "x", "creationTimestamp": "2024-01-01T00:00:00Z"}});
            assert_eq!(cells(r, &obj, 0).len(), columns(r).len(), "{r:?}");
        }
    }

    #[test]
    fn endpoints_column_like_format_endpoints() {
        let addr = |ip: &str| json!({"ip": ip});
        let ep = |addrs: Vec<Value>| json!({"subsets": [{"addresses": addrs, "ports": [{"name": "http", "port": 8080}]}]});
        assert_eq!(endpoints_cell(&json!({})), "<none>");
        assert_eq!(
            endpoints_cell(&ep(vec![addr("10.0.0.1"), addr("10.0.0.2")])),
            "10.0.0.1:8080,10.0.0.2:8080"
        );
        let five = (1..=5).map(|n| addr(&format!("10.0.0.{n}"))).collect();
        assert_eq!(
            endpoints_cell(&ep(five)),
            "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 2 more..."
        );
        let only_not_ready = json!({"subsets": [{"notReadyAddresses": [addr("10.0.0.1")],
            "ports": [{"port": 80}]}]});
        assert_eq!(endpoints_cell(&only_not_ready), "");
    }

    #[test]
    fn node_status_and_hpa_targets() {
        let node = json!({"metadata": {"name": "n1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let c = cells(Res::Nodes, &node, 0);
        assert_eq!(c[1], "Ready,SchedulingDisabled");
        assert_eq!(c[2], "control-plane");
        let hpa = json!({"spec": {"metrics": [{"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": 70}}}]},
            "status": {"currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
            "current": {"averageUtilization": 45}}}]}});
        assert_eq!(hpa_targets(&hpa), "cpu: 45%/70%");
    }
}
