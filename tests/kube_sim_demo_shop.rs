//! The demo world's `shop` namespace judged by the real `kubectl`: the
//! blue-green doorbell pair behind one Service whose Endpoints follow its
//! selector, api's rollout four minutes before start, and the managed
//! fields a `kubectl set image` leaves beside the controllers'.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::time::Duration;

use kube_support::{Kubectl, eventually, start};
use opsboard::sim::kube::{SimCluster, World};
use serde_json::Value;

async fn demo() -> Option<(SimCluster, Kubectl)> {
    let sim = start(World::demo()).await;
    let k = Kubectl::find(&sim)?;
    Some((sim, k))
}

/// The IPs of the doorbell pods in `slot`, sorted.
async fn slot_ips(k: &Kubectl, slot: &str) -> Vec<String> {
    let sel = format!("app=doorbell,slot={slot}");
    let pods = k
        .json(&["get", "pods", "-n", "shop", "-l", &sel, "-o", "json"])
        .await;
    let mut ips: Vec<String> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"]["podIP"].as_str().unwrap_or("").to_string())
        .collect();
    ips.sort();
    ips
}

fn endpoint_ips(ep: &Value) -> Vec<String> {
    let mut ips: Vec<String> = ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
        .map(|a| a["ip"].as_str().unwrap_or("").to_string())
        .collect();
    ips.sort();
    ips
}

/// Waits (a few seconds) until the doorbell Endpoints list exactly `ips`.
async fn endpoints_become(k: &Kubectl, ips: &[String]) {
    eventually(Duration::from_secs(10), "doorbell's endpoints", || async {
        let ep = k
            .json(&["get", "endpoints", "doorbell", "-n", "shop", "-o", "json"])
            .await;
        (endpoint_ips(&ep) == ips).then_some(())
    })
    .await;
}

async fn select_slot(k: &Kubectl, slot: &str) {
    let patch = format!(r#"{{"spec":{{"selector":{{"app":"doorbell","slot":"{slot}"}}}}}}"#);
    k.ok(&["patch", "svc", "doorbell", "-n", "shop", "-p", &patch])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_endpoints_follow_the_service_selector() {
    let Some((_sim, k)) = demo().await else {
        return;
    };
    let green_table = k
        .ok(&["get", "pods", "-n", "shop", "-l", "app=doorbell,slot=green"])
        .await;
    let rows: Vec<&str> = green_table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{green_table}");
    assert!(
        rows.iter()
            .all(|r| r.starts_with("doorbell-green-") && r.contains("Running")),
        "{green_table}"
    );
    let blue = slot_ips(&k, "blue").await;
    let green = slot_ips(&k, "green").await;
    assert_eq!(blue.len(), 2);
    assert_eq!(green.len(), 2);
    // Only the one Service: none per Deployment.
    let services = k.ok(&["get", "svc", "-n", "shop", "-o", "name"]).await;
    assert!(services.contains("service/doorbell\n"), "{services}");
    assert!(!services.contains("doorbell-"), "{services}");

    let table = k.ok(&["get", "endpoints", "-n", "shop"]).await;
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "ENDPOINTS", "AGE"], "{table}");
    let row = table
        .lines()
        .find(|l| l.starts_with("doorbell "))
        .unwrap_or_else(|| panic!("no doorbell row:\n{table}"));
    let cell = row.split_whitespace().nth(1).unwrap();
    let mut shown: Vec<&str> = cell.split(',').collect();
    shown.sort();
    let want: Vec<String> = blue.iter().map(|ip| format!("{ip}:8080")).collect();
    assert_eq!(shown, want, "{table}");
    // The short name works too.
    let by_short = k.ok(&["get", "ep", "doorbell", "-n", "shop"]).await;
    assert!(by_short.contains(cell), "{by_short}");

    let ep = k
        .json(&["get", "endpoints", "doorbell", "-n", "shop", "-o", "json"])
        .await;
    assert_eq!(ep["kind"], "Endpoints");
    let addr = &ep["subsets"][0]["addresses"][0];
    assert_eq!(addr["targetRef"]["kind"], "Pod");
    assert!(
        addr["targetRef"]["name"]
            .as_str()
            .unwrap()
            .starts_with("doorbell-blue-"),
        "{ep:#}"
    );
    assert!(addr["nodeName"].as_str().unwrap().starts_with("node-"));
    assert_eq!(ep["subsets"][0]["ports"][0]["port"], 8080);

    select_slot(&k, "green").await;
    endpoints_become(&k, &green).await;
    select_slot(&k, "blue").await;
    endpoints_become(&k, &blue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_leaves_kubectl_sets_fields_beside_the_controllers() {
    let Some((_sim, k)) = demo().await else {
        return;
    };
    // api's current revision was rolled out four minutes before start.
    let rs = k
        .ok(&["get", "rs", "-n", "shop", "-l", "app=api", "-o", "wide"])
        .await;
    let row = rs
        .lines()
        .find(|l| l.contains("registry.local/api:1.4.3"))
        .unwrap_or_else(|| panic!("no 1.4.3 ReplicaSet:\n{rs}"));
    let age = row.split_whitespace().nth(4).unwrap();
    let minutes: u64 = age
        .split(['m', 's'])
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        age.contains('m') && (4..10).contains(&minutes),
        "age {age}:\n{rs}"
    );
    let history = k
        .ok(&["rollout", "history", "deployment/api", "-n", "shop"])
        .await;
    let last = history
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .rfind(|l| !l.is_empty())
        .unwrap_or_default();
    assert_eq!(
        last, "4 kubectl set image deployment/api api=registry.local/api:1.4.3",
        "{history}"
    );

    k.ok(&[
        "set",
        "image",
        "deployment/api",
        "api=registry.local/api:1.4.4",
        "-n",
        "shop",
    ])
    .await;
    let d = k
        .json(&[
            "get",
            "deploy",
            "api",
            "-n",
            "shop",
            "-o",
            "json",
            "--show-managed-fields",
        ])
        .await;
    let entries = d["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields");
    let find = |manager: &str, sub: Option<&str>| {
        entries
            .iter()
            .find(|e| {
                e["manager"] == manager && e.get("subresource").and_then(Value::as_str) == sub
            })
            .unwrap_or_else(|| panic!("no {manager} {sub:?} entry in {entries:#?}"))
    };
    let set = find("kubectl-set", None);
    assert_eq!(set["operation"], "Update");
    assert_eq!(set["apiVersion"], "apps/v1");
    assert_eq!(set["fieldsType"], "FieldsV1");
    let image = set["fieldsV1"]
        .pointer("/f:spec/f:template/f:spec/f:containers")
        .and_then(|c| c.get(r#"k:{"name":"api"}"#))
        .and_then(|c| c.get("f:image"));
    assert!(image.is_some(), "{set:#}");
    let status = find("kube-controller-manager", Some("status"));
    assert!(status["fieldsV1"].get("f:status").is_some(), "{status:#}");
    let create = find("kubectl-create", None);
    let container = &create["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][r#"k:{"name":"api"}"#];
    assert!(container.get("f:name").is_some(), "{create:#}");
    assert!(container.get("f:image").is_none(), "{create:#}");

    // YAML shows them only when asked.
    let yaml = k
        .ok(&[
            "get",
            "deploy",
            "api",
            "-n",
            "shop",
            "-o",
            "yaml",
            "--show-managed-fields",
        ])
        .await;
    assert!(yaml.contains("managedFields:"), "{yaml}");
    assert!(yaml.contains("manager: kubectl-set"), "{yaml}");
    assert!(yaml.contains("subresource: status"), "{yaml}");
    let plain = k
        .ok(&["get", "deploy", "api", "-n", "shop", "-o", "yaml"])
        .await;
    assert!(!plain.contains("managedFields"), "{plain}");
}
