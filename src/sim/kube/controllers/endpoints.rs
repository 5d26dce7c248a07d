//! The endpoints controller: for every Service with a selector, an
//! Endpoints object of the same name listing the pods it selects — ready
//! ones under `addresses`, running but not ready ones under
//! `notReadyAddresses`, one subset with the Service's ports. Deleting a
//! Service deletes its Endpoints.
//!
//! Simplified: a named `targetPort` is not resolved against the pods'
//! container ports (the Service's `port` is used); there is one subset
//! even if pods differ in ports; no `last-change-trigger-time`
//! annotation; `publishNotReadyAddresses` and EndpointSlices are not
//! simulated.

use std::collections::HashSet;
use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::Controllers;
use super::podutil::is_ready;
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::{Key, Store};
use crate::sim::kube::util;

pub fn sync_all(ctl: &mut Controllers, store: &mut Store) {
    let mut seen: HashSet<Key> = HashSet::new();
    for svc in store.list(Res::Services, None) {
        let key = (
            util::namespace(&svc).to_string(),
            util::name(&svc).to_string(),
        );
        seen.insert(key);
        let Some(selector) = svc
            .pointer("/spec/selector")
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
        else {
            continue;
        };
        let pods = store.list(Res::Pods, Some(util::namespace(&svc)));
        let wanted = endpoints_for(&svc, selector, &pods);
        write(store, &svc, wanted);
    }
    for (ns, name) in ctl.known_services.difference(&seen) {
        store.delete(Res::Endpoints, ns, name);
    }
    ctl.known_services = seen;
}

/// Whether `pod` carries every label of `selector`.
fn selects(selector: &Map<String, Value>, pod: &Value) -> bool {
    selector
        .iter()
        .all(|(k, v)| pod.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
}

fn address(pod: &Value) -> Value {
    let mut a = json!({"ip": util::s(pod, "/status/podIP")});
    let node = util::s(pod, "/spec/nodeName");
    if !node.is_empty() {
        a["nodeName"] = json!(node);
    }
    a["targetRef"] = json!({"kind": "Pod", "namespace": util::namespace(pod),
        "name": util::name(pod), "uid": util::uid(pod)});
    a
}

fn by_ip(list: &mut [Value]) {
    let key = |a: &Value| {
        let ip = util::s(a, "/ip");
        (
            ip.parse::<IpAddr>().ok(),
            ip.to_string(),
            util::s(a, "/targetRef/name").to_string(),
        )
    };
    list.sort_by_key(key);
}

fn ports(svc: &Value) -> Vec<Value> {
    let Some(ports) = svc.pointer("/spec/ports").and_then(Value::as_array) else {
        return vec![];
    };
    ports
        .iter()
        .map(|p| {
            let port = p
                .get("targetPort")
                .and_then(Value::as_i64)
                .unwrap_or_else(|| util::i(p, "/port"));
            let protocol = match util::s(p, "/protocol") {
                "" => "TCP",
                other => other,
            };
            let mut out = json!({"port": port, "protocol": protocol});
            let name = util::s(p, "/name");
            if !name.is_empty() {
                out["name"] = json!(name);
            }
            out
        })
        .collect()
}

/// The `subsets` the Service's Endpoints should have.
fn endpoints_for(
    svc: &Value,
    selector: &Map<String, Value>,
    pods: &[std::sync::Arc<Value>],
) -> Vec<Value> {
    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    for p in pods {
        let terminal = matches!(util::s(p, "/status/phase"), "Succeeded" | "Failed");
        if !selects(selector, p)
            || util::is_deleting(p)
            || terminal
            || util::s(p, "/status/podIP").is_empty()
        {
            continue;
        }
        if is_ready(p) {
            ready.push(address(p));
        } else {
            not_ready.push(address(p));
        }
    }
    if ready.is_empty() && not_ready.is_empty() {
        return vec![];
    }
    by_ip(&mut ready);
    by_ip(&mut not_ready);
    let mut subset = json!({});
    if !ready.is_empty() {
        subset["addresses"] = json!(ready);
    }
    if !not_ready.is_empty() {
        subset["notReadyAddresses"] = json!(not_ready);
    }
    subset["ports"] = json!(ports(svc));
    vec![subset]
}

/// Creates or updates the Endpoints of `svc` when its subsets or labels
/// differ from `subsets`.
fn write(store: &mut Store, svc: &Value, subsets: Vec<Value>) {
    let ns = util::namespace(svc);
    let name = util::name(svc);
    let labels = svc
        .pointer("/metadata/labels")
        .cloned()
        .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()));
    let current = store.get(Res::Endpoints, ns, name);
    let mut ep = match &current {
        Some(c) => (**c).clone(),
        None => json!({"metadata": {"name": name, "namespace": ns}}),
    };
    match labels {
        Some(l) => ep["metadata"]["labels"] = l,
        None => {
            util::remove(&mut ep, "/metadata/labels");
        }
    }
    if subsets.is_empty() {
        util::remove(&mut ep, "/subsets");
    } else {
        ep["subsets"] = json!(subsets);
    }
    match current {
        Some(c) if *c == ep => {}
        Some(_) => {
            let _ = store.update(Res::Endpoints, ep);
        }
        None => {
            let _ = store.create(Res::Endpoints, ep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, ip: &str, labels: Value, ready: bool) -> std::sync::Arc<Value> {
        std::sync::Arc::new(json!({
            "metadata": {"name": name, "namespace": "shop", "uid": format!("uid-{name}"), "labels": labels},
            "spec": {"nodeName": "node-2"},
            "status": {"phase": "Running", "podIP": ip,
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
        }))
    }

    #[test]
    fn ready_and_not_ready_pods_by_ip_with_target_ports() {
        let svc = json!({"metadata": {"name": "doorbell", "namespace": "shop"},
            "spec": {"selector": {"app": "doorbell", "slot": "blue"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                          {"port": 9000, "targetPort": "metrics"}]}});
        let sel = svc["spec"]["selector"].as_object().unwrap().clone();
        let blue = json!({"app": "doorbell", "slot": "blue"});
        let pods = vec![
            pod("b", "10.244.1.12", blue.clone(), true),
            pod("a", "10.244.1.9", blue.clone(), true),
            pod("c", "10.244.2.3", blue.clone(), false),
            pod(
                "g",
                "10.244.2.4",
                json!({"app": "doorbell", "slot": "green"}),
                true,
            ),
            pod("n", "", blue, false),
        ];
        let s = endpoints_for(&svc, &sel, &pods);
        assert_eq!(s.len(), 1);
        let ips: Vec<&str> = s[0]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["ip"].as_str().unwrap())
            .collect();
        assert_eq!(ips, ["10.244.1.9", "10.244.1.12"]);
        assert_eq!(s[0]["addresses"][0]["targetRef"]["name"], "a");
        assert_eq!(s[0]["addresses"][0]["targetRef"]["uid"], "uid-a");
        assert_eq!(s[0]["addresses"][0]["nodeName"], "node-2");
        assert_eq!(s[0]["notReadyAddresses"][0]["ip"], "10.244.2.3");
        assert_eq!(
            s[0]["ports"],
            json!([{"name": "http", "port": 8080, "protocol": "TCP"},
                   {"port": 9000, "protocol": "TCP"}])
        );
        assert!(endpoints_for(&svc, &sel, &pods[3..]).is_empty());
    }
}
