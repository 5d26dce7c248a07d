//! A minimal OpenAPI v3: the index and, per group version, the PATCH
//! operations with their `x-kubernetes-group-version-kind` and query
//! parameters. That is what kubectl's `QueryParamVerifierV3` reads to learn
//! that the server validates fields itself (`fieldValidation`), so `kubectl
//! apply` needs no client-side schema. There are no schemas: commands that
//! need them (`kubectl explain`) are not supported.

use serde_json::{Map, Value, json};

use super::resources::{ALL, GROUP_VERSIONS};

const HASH: &str = "0PSB0ARDS1M";

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

pub fn index() -> Value {
    let paths: Map<String, Value> = GROUP_VERSIONS
        .iter()
        .map(|(g, v)| {
            let p = gv_path(g, v);
            (
                p.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={HASH}")}),
            )
        })
        .collect();
    json!({"paths": paths})
}

fn param(name: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}})
}

/// The document of one group version, `None` if not served.
pub fn group_version(group: &str, version: &str) -> Option<Value> {
    if !GROUP_VERSIONS.contains(&(group, version)) {
        return None;
    }
    let mut paths = Map::new();
    for r in ALL
        .into_iter()
        .filter(|r| r.group() == group && r.version() == version)
    {
        let base = format!("/{}", gv_path(group, version));
        let item = if r.namespaced() {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", r.plural())
        } else {
            format!("{base}/{}/{{name}}", r.plural())
        };
        let gvk = json!({"group": group, "version": version, "kind": r.kind()});
        let op = |verb: &str, params: &[&str]| {
            json!({
                "operationId": format!("{verb}{}", r.kind()),
                "x-kubernetes-action": verb,
                "x-kubernetes-group-version-kind": gvk,
                "parameters": params.iter().map(|p| param(p)).collect::<Vec<_>>(),
                "responses": {"200": {"description": "OK"}},
            })
        };
        paths.insert(
            item,
            json!({
                "get": op("get", &[]),
                "put": op("put", &["dryRun", "fieldManager", "fieldValidation"]),
                "patch": op("patch", &["dryRun", "fieldManager", "fieldValidation", "force"]),
                "delete": op("delete", &["dryRun", "gracePeriodSeconds", "propagationPolicy"]),
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.4"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_operations_declare_field_validation() {
        let doc = group_version("apps", "v1").unwrap();
        let op = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert!(
            op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation")
        );
        assert!(
            index()["paths"]["apis/apps/v1"]["serverRelativeURL"]
                .as_str()
                .unwrap()
                .starts_with("/openapi/v3/apis/apps/v1?hash=")
        );
        assert!(group_version("apps", "v9").is_none());
    }
}
