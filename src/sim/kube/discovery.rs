//! Discovery documents: `/version`, `/api`, `/apis`, `/apis/<group>` and the
//! per-group-version resource lists. Clients asking for aggregated
//! discovery (`as=APIGroupDiscoveryList`) get the plain documents with
//! `Content-Type: application/json`, which client-go treats as "not
//! aggregated" and falls back to fetching every group version.

use serde_json::{Value, json};

use super::resources::{ALL, GROUP_VERSIONS, Res};

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.4-opsboard-sim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-04-22T00:00:00Z",
        "goVersion": "go1.23.8",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group_json(group: &str) -> Value {
    let versions: Vec<Value> = GROUP_VERSIONS
        .iter()
        .filter(|(g, _)| *g == group)
        .map(|(g, v)| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(json!({}));
    json!({"name": group, "versions": versions, "preferredVersion": preferred})
}

fn groups() -> Vec<&'static str> {
    let mut gs: Vec<&str> = Vec::new();
    for (g, _) in GROUP_VERSIONS {
        if !g.is_empty() && !gs.contains(&g) {
            gs.push(g);
        }
    }
    gs
}

pub fn group_list() -> Value {
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": groups().into_iter().map(group_json).collect::<Vec<_>>(),
    })
}

pub fn group(name: &str) -> Option<Value> {
    if !groups().contains(&name) {
        return None;
    }
    let mut g = group_json(name);
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    Some(g)
}

fn verbs(res: Res) -> Vec<&'static str> {
    let mut v = vec![
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ];
    if res == Res::Namespaces {
        v.retain(|x| *x != "deletecollection");
    }
    v
}

pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    if !GROUP_VERSIONS.contains(&(group, version)) {
        return None;
    }
    let mut resources = Vec::new();
    for r in ALL
        .into_iter()
        .filter(|r| r.group() == group && r.version() == version)
    {
        let mut main = json!({
            "name": r.plural(),
            "singularName": r.singular(),
            "namespaced": r.namespaced(),
            "kind": r.kind(),
            "verbs": verbs(r),
        });
        if !r.short_names().is_empty() {
            main["shortNames"] = json!(r.short_names());
        }
        if r.in_category_all() {
            main["categories"] = json!(["all"]);
        }
        resources.push(main);
        for sub in r.subresources() {
            let entry = match *sub {
                "scale" => json!({
                    "name": format!("{}/scale", r.plural()),
                    "singularName": "",
                    "namespaced": r.namespaced(),
                    "group": "autoscaling",
                    "version": "v1",
                    "kind": "Scale",
                    "verbs": ["get", "patch", "update"],
                }),
                "exec" => json!({
                    "name": format!("{}/exec", r.plural()),
                    "singularName": "",
                    "namespaced": r.namespaced(),
                    "kind": "PodExecOptions",
                    "verbs": ["create", "get"],
                }),
                "eviction" => json!({
                    "name": format!("{}/eviction", r.plural()),
                    "singularName": "",
                    "namespaced": r.namespaced(),
                    "group": "policy",
                    "version": "v1",
                    "kind": "Eviction",
                    "verbs": ["create"],
                }),
                "log" => json!({
                    "name": format!("{}/log", r.plural()),
                    "singularName": "",
                    "namespaced": r.namespaced(),
                    "kind": "Pod",
                    "verbs": ["get"],
                }),
                other => json!({
                    "name": format!("{}/{other}", r.plural()),
                    "singularName": "",
                    "namespaced": r.namespaced(),
                    "kind": r.kind(),
                    "verbs": ["get", "patch", "update"],
                }),
            };
            resources.push(entry);
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_v1_lists_scale_subresources() {
        let l = resource_list("apps", "v1").unwrap();
        let scale = l["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "deployments/scale")
            .unwrap()
            .clone();
        assert_eq!(scale["group"], "autoscaling");
        assert_eq!(scale["kind"], "Scale");
        assert!(resource_list("apps", "v2").is_none());
        assert_eq!(group_list()["groups"].as_array().unwrap().len(), 4);
        assert!(group("apps").is_some());
        assert!(
            resource_list("", "v1").unwrap()["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["name"] == "pods/log")
        );
    }
}
