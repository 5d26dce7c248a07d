//! Cells of the printers with real logic: pods (`printPod`: status
//! reason, restarts with "(Ns ago)"), nodes (status, roles) and HPAs
//! (targets).

use serde_json::{Value, json};

use super::age;
use crate::sim::kube::clock::{SimTime, human_duration, parse_time};
use crate::sim::kube::util;

pub(super) fn pod_cells(obj: &Value, now: SimTime) -> Vec<Value> {
    let phase = util::s(obj, "/status/phase");
    let mut reason = if util::s(obj, "/status/reason").is_empty() {
        phase.to_string()
    } else {
        util::s(obj, "/status/reason").to_string()
    };
    let total = obj
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let mut ready = 0;
    let mut restarts = 0;
    let mut last_restart: Option<SimTime> = None;
    let mut has_running = false;
    let statuses = obj
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in statuses.iter().rev() {
        restarts += util::i(c, "/restartCount");
        if let Some(t) = parse_time(util::s(c, "/lastState/terminated/finishedAt")) {
            last_restart = Some(last_restart.map_or(t, |l| l.max(t)));
        }
        let waiting = util::s(c, "/state/waiting/reason");
        let terminated = c.pointer("/state/terminated");
        if !waiting.is_empty() {
            reason = waiting.to_string();
        } else if let Some(t) = terminated {
            let r = util::s(t, "/reason");
            reason = if !r.is_empty() {
                r.to_string()
            } else if util::i(t, "/signal") != 0 {
                format!("Signal:{}", util::i(t, "/signal"))
            } else {
                format!("ExitCode:{}", util::i(t, "/exitCode"))
            };
        } else if util::b(c, "/ready") && c.pointer("/state/running").is_some() {
            has_running = true;
            ready += 1;
        }
    }
    if reason == "Completed" && has_running {
        reason = "Running".into();
    }
    if util::is_deleting(obj) && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".into();
    }
    let restarts_str = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", human_duration(now - t)),
        _ => restarts.to_string(),
    };
    let or_none = |s: &str| {
        if s.is_empty() {
            "<none>".to_string()
        } else {
            s.to_string()
        }
    };
    vec![
        json!(util::name(obj)),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_str),
        json!(age(obj, now)),
        json!(or_none(util::s(obj, "/status/podIP"))),
        json!(or_none(util::s(obj, "/spec/nodeName"))),
        json!(or_none(util::s(obj, "/status/nominatedNodeName"))),
        json!("<none>"),
    ]
}

pub(super) fn node_cells(obj: &Value, now: SimTime) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    if let Some(conds) = obj.pointer("/status/conditions").and_then(Value::as_array)
        && let Some(c) = conds.iter().find(|c| util::s(c, "/type") == "Ready")
    {
        status.push(if util::s(c, "/status") == "True" {
            "Ready".into()
        } else {
            "NotReady".into()
        });
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if util::b(obj, "/spec/unschedulable") {
        status.push("SchedulingDisabled".into());
    }
    let mut roles: Vec<String> = obj
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
                        Some(r.to_string())
                    } else if k == "kubernetes.io/role" {
                        v.as_str().map(str::to_string)
                    } else {
                        None
                    }
                })
                .filter(|r| !r.is_empty())
                .collect()
        })
        .unwrap_or_default();
    roles.sort();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };
    let addr = |ty: &str| {
        obj.pointer("/status/addresses")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|x| util::s(x, "/type") == ty))
            .map(|x| util::s(x, "/address").to_string())
            .unwrap_or_else(|| "<none>".into())
    };
    let runtime = util::s(obj, "/status/nodeInfo/containerRuntimeVersion");
    vec![
        json!(util::name(obj)),
        json!(status.join(",")),
        json!(roles),
        json!(age(obj, now)),
        json!(util::s(obj, "/status/nodeInfo/kubeletVersion")),
        json!(addr("InternalIP")),
        json!(addr("ExternalIP")),
        json!(util::s(obj, "/status/nodeInfo/osImage")),
        json!(util::s(obj, "/status/nodeInfo/kernelVersion")),
        json!(if runtime.is_empty() {
            "<unknown>"
        } else {
            runtime
        }),
    ]
}

pub(super) fn hpa_targets(obj: &Value) -> String {
    let specs = obj
        .pointer("/spec/metrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let statuses = obj
        .pointer("/status/currentMetrics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if specs.is_empty() {
        return "<none>".into();
    }
    let mut list = Vec::new();
    for (n, m) in specs.iter().enumerate() {
        if util::s(m, "/type") != "Resource" {
            list.push("<unknown>/<unknown>".to_string());
            continue;
        }
        let res = util::s(m, "/resource/name");
        let current = statuses
            .get(n)
            .and_then(|s| s.pointer("/resource/current/averageUtilization"))
            .and_then(Value::as_i64)
            .map_or_else(|| "<unknown>".to_string(), |u| format!("{u}%"));
        let target = util::opt_i(m, "/resource/target/averageUtilization")
            .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
        list.push(format!("{res}: {current}/{target}"));
    }
    if list.len() > 2 {
        let more = list.len() - 2;
        list.truncate(2);
        format!("{} + {more} more...", list.join(", "))
    } else {
        list.join(", ")
    }
}

/// `formatEndpoints`: `ip:port` of ready addresses per port, three at
/// most and then `+ N more...`; `<none>` without subsets.
pub(super) fn endpoints_cell(obj: &Value) -> String {
    let Some(subsets) = obj.get("subsets").and_then(Value::as_array) else {
        return "<none>".into();
    };
    if subsets.is_empty() {
        return "<none>".into();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    let empty = Vec::new();
    for ss in subsets {
        let addrs = ss
            .get("addresses")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let ports = ss.get("ports").and_then(Value::as_array).unwrap_or(&empty);
        // A headless Service may have no ports: bare IPs.
        let ports: Vec<Option<i64>> = if ports.is_empty() {
            vec![None]
        } else {
            ports.iter().map(|p| Some(util::i(p, "/port"))).collect()
        };
        for port in ports {
            count += addrs.len();
            for a in addrs {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                let ip = util::s(a, "/ip");
                list.push(match port {
                    Some(p) if ip.contains(':') => format!("[{ip}]:{p}"),
                    Some(p) => format!("{ip}:{p}"),
                    None => ip.to_string(),
                });
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - MAX)
    } else {
        ret
    }
}
