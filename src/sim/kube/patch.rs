//! The three patch formats kubectl and clients send: JSON merge patch
//! (RFC 7386), strategic merge patch (merge keys, `$patch`, `$retainKeys`,
//! `$setElementOrder`, `$deleteFromPrimitiveList`) and JSON patch
//! (RFC 6902).

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Strategic,
    Json,
    Apply,
}

impl PatchType {
    pub fn from_content_type(ct: &str) -> Option<PatchType> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/json-patch+json" => Some(PatchType::Json),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                Some(PatchType::Apply)
            }
            _ => None,
        }
    }
}

/// Applies `patch` to `doc`, returning a message on failure.
pub fn apply(kind: PatchType, doc: &Value, patch: &Value) -> Result<Value, String> {
    match kind {
        PatchType::Merge => {
            if !patch.is_object() {
                return Err("merge patch must be a JSON object".into());
            }
            let mut d = doc.clone();
            merge_patch(&mut d, patch);
            Ok(d)
        }
        PatchType::Strategic => {
            let Some(p) = patch.as_object() else {
                return Err("strategic merge patch must be a JSON object".into());
            };
            let mut d = doc.clone();
            strategic_map(&mut d, p, "")?;
            Ok(d)
        }
        PatchType::Json => json_patch(doc, patch),
        PatchType::Apply => Err("apply patches are not supported by this server".into()),
    }
}

/// RFC 7386.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Some(t) = target.as_object_mut() else {
        return;
    };
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// The merge key of a list field, from the Kubernetes types'
/// `patchMergeKey` tags; `None` means the list is replaced.
fn merge_key(path: &str, field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "readinessGates" => Some("conditionType"),
        "ports" => {
            if path.contains("ontainers") {
                Some("containerPort")
            } else {
                Some("port")
            }
        }
        _ => None,
    }
}

/// Primitive lists merged as sets rather than replaced.
fn merges_primitives(field: &str) -> bool {
    field == "finalizers"
}

fn strategic_map(target: &mut Value, patch: &Map<String, Value>, path: &str) -> Result<(), String> {
    if let Some(directive) = patch.get("$patch").and_then(Value::as_str) {
        match directive {
            "replace" => {
                let mut m = patch.clone();
                m.remove("$patch");
                *target = Value::Object(strip_directives(&m));
                return Ok(());
            }
            "delete" => {
                *target = Value::Null;
                return Ok(());
            }
            "merge" => {}
            other => return Err(format!("unknown patch type: {other}")),
        }
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Some(t) = target.as_object_mut() else {
        return Ok(());
    };
    if let Some(keys) = patch.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        t.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (k, v) in patch {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(list), Some(del)) =
                (t.get_mut(field).and_then(Value::as_array_mut), v.as_array())
            {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        let child_path = format!("{path}/{k}");
        match v {
            Value::Null => {
                t.remove(k);
            }
            Value::Object(pm) => {
                let entry = t.entry(k.clone()).or_insert(Value::Null);
                strategic_map(entry, pm, &child_path)?;
                if entry.is_null() {
                    t.remove(k);
                }
            }
            Value::Array(items) => {
                let current = t.remove(k).unwrap_or(Value::Null);
                let merged = strategic_list(current, items, path, k)?;
                t.insert(k.clone(), merged);
            }
            other => {
                t.insert(k.clone(), other.clone());
            }
        }
    }
    // `$setElementOrder/<field>` reorders a merged list by its merge key.
    for (k, v) in patch {
        let Some(field) = k.strip_prefix("$setElementOrder/") else {
            continue;
        };
        let Some(order) = v.as_array() else { continue };
        let Some(list) = t.get_mut(field).and_then(Value::as_array_mut) else {
            continue;
        };
        let key = merge_key(path, field);
        let pos = |x: &Value| {
            order.iter().position(|o| match key {
                Some(key) => o.get(key).is_some() && o.get(key) == x.get(key),
                None => o == x,
            })
        };
        list.sort_by_key(|x| pos(x).unwrap_or(usize::MAX));
    }
    Ok(())
}

fn strip_directives(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .filter(|(k, _)| !k.starts_with('$'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn strategic_list(
    current: Value,
    items: &[Value],
    path: &str,
    field: &str,
) -> Result<Value, String> {
    let child_path = format!("{path}/{field}");
    // A `{"$patch": "replace"}` element replaces the whole list.
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        let rest: Vec<Value> = items
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .cloned()
            .collect();
        return Ok(Value::Array(rest));
    }
    let mut list = match current {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    if let Some(key) = merge_key(path, field) {
        for item in items {
            let Some(im) = item.as_object() else {
                continue;
            };
            let kv = im.get(key).cloned();
            let pos = list
                .iter()
                .position(|x| kv.is_some() && x.get(key) == kv.as_ref());
            let directive = im.get("$patch").and_then(Value::as_str);
            match (pos, directive) {
                (Some(p), Some("delete")) => {
                    list.remove(p);
                }
                (None, Some("delete")) => {}
                (Some(p), _) => strategic_map(&mut list[p], im, &child_path)?,
                (None, _) => list.push(Value::Object(strip_directives(im))),
            }
        }
        Ok(Value::Array(list))
    } else if merges_primitives(field) {
        for item in items {
            if !list.contains(item) {
                list.push(item.clone());
            }
        }
        Ok(Value::Array(list))
    } else {
        Ok(Value::Array(items.to_vec()))
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn parse_pointer(p: &str) -> Result<Vec<String>, String> {
    if p.is_empty() {
        return Ok(vec![]);
    }
    if !p.starts_with('/') {
        return Err(format!("invalid JSON pointer {p:?}"));
    }
    Ok(p[1..].split('/').map(unescape).collect())
}

fn get_path<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for t in path {
        cur = match cur {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn parent_mut<'a>(doc: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = doc;
    for t in &path[..path.len().saturating_sub(1)] {
        cur = match cur {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn add(doc: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let last = &path[path.len() - 1];
    let parent =
        parent_mut(doc, path).ok_or("add operation does not apply: doc is missing path")?;
    match parent {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| format!("invalid array index {last:?}"))?;
            if i > a.len() {
                return Err(format!(
                    "add operation does not apply: index {i} out of bounds"
                ));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err("add operation does not apply: parent is not a container".into()),
    }
}

fn remove_at(doc: &mut Value, path: &[String]) -> Result<Value, String> {
    let missing = || "remove operation does not apply: doc is missing path".to_string();
    let last = path.last().ok_or("cannot remove the whole document")?;
    match parent_mut(doc, path).ok_or_else(missing)? {
        Value::Object(m) => m.remove(last).ok_or_else(missing),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| missing())?;
            if i >= a.len() {
                return Err(missing());
            }
            Ok(a.remove(i))
        }
        _ => Err(missing()),
    }
}

/// RFC 6902.
pub fn json_patch(doc: &Value, patch: &Value) -> Result<Value, String> {
    let ops = patch.as_array().ok_or("json patch must be an array")?;
    let mut d = doc.clone();
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).ok_or("missing op")?;
        let path = parse_pointer(
            op.get("path")
                .and_then(Value::as_str)
                .ok_or("missing path")?,
        )?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or(format!("{name}: missing value"))
        };
        match name {
            "add" => add(&mut d, &path, value()?)?,
            "remove" => {
                remove_at(&mut d, &path)?;
            }
            "replace" => {
                if get_path(&d, &path).is_none() {
                    return Err(format!(
                        "replace operation does not apply: doc is missing key: {}",
                        op["path"].as_str().unwrap_or("")
                    ));
                }
                if path.is_empty() {
                    d = value()?;
                } else {
                    remove_at(&mut d, &path)?;
                    add(&mut d, &path, value()?)?;
                }
            }
            "test" => {
                if get_path(&d, &path) != Some(&value()?) {
                    return Err(format!(
                        "testing value {} failed",
                        op["path"].as_str().unwrap_or("")
                    ));
                }
            }
            "move" | "copy" => {
                let from = parse_pointer(
                    op.get("from")
                        .and_then(Value::as_str)
                        .ok_or("missing from")?,
                )?;
                let v = if name == "move" {
                    remove_at(&mut d, &from)?
                } else {
                    get_path(&d, &from)
                        .cloned()
                        .ok_or("copy: missing from path")?
                };
                add(&mut d, &path, v)?;
            }
            other => return Err(format!("unexpected kind: {other}")),
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386() {
        let d = json!({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]});
        let out = apply(
            PatchType::Merge,
            &d,
            &json!({"a": null, "b": {"c": 5}, "l": [3]}),
        )
        .unwrap();
        assert_eq!(out, json!({"b": {"c": 5, "d": 3}, "l": [3]}));
    }

    #[test]
    fn strategic_merges_containers_by_name() {
        let d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
            {"name": "side", "image": "busybox"}]}}}});
        let p = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "web"}],
            "containers": [{"name": "web", "image": "nginx:1.26"}]}}}});
        let out = apply(PatchType::Strategic, &d, &p).unwrap();
        let cs = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs[0]["name"], "side");
        assert_eq!(cs[1]["image"], "nginx:1.26");
        assert_eq!(cs[1]["ports"][0]["containerPort"], 80);

        let p = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "side", "$patch": "delete"}, {"name": "new", "image": "x"}]}}}});
        let out = apply(PatchType::Strategic, &d, &p).unwrap();
        let names: Vec<&str> = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["web", "new"]);
    }

    #[test]
    fn strategic_maps_and_directives() {
        let d = json!({"metadata": {"annotations": {"a": "1"}, "labels": {"x": "y"}},
                       "spec": {"paused": false, "args": ["a", "b"]}, "metadata2": {"finalizers": ["f1"]}});
        let p = json!({"metadata": {"annotations": {"b": "2", "a": null}, "labels": {"$patch": "replace", "z": "w"}},
                       "spec": {"paused": true, "args": ["c"]}, "metadata2": {"finalizers": ["f2"]}});
        let out = apply(PatchType::Strategic, &d, &p).unwrap();
        assert_eq!(out["metadata"]["annotations"], json!({"b": "2"}));
        assert_eq!(out["metadata"]["labels"], json!({"z": "w"}));
        assert_eq!(out["spec"]["paused"], true);
        assert_eq!(out["spec"]["args"], json!(["c"]));
        assert_eq!(out["metadata2"]["finalizers"], json!(["f1", "f2"]));
        let out = apply(
            PatchType::Strategic,
            &d,
            &json!({"metadata2": {"$deleteFromPrimitiveList/finalizers": ["f1"]}}),
        )
        .unwrap();
        assert_eq!(out["metadata2"]["finalizers"], json!([]));
        let out = apply(
            PatchType::Strategic,
            &d,
            &json!({"spec": {"$retainKeys": ["args"], "args": ["q"]}}),
        )
        .unwrap();
        assert_eq!(out["spec"], json!({"args": ["q"]}));
    }

    #[test]
    fn json_patch_rfc6902() {
        let d = json!({"metadata": {"annotations": {"a": "1"}}, "spec": {"template": {"x": 1}, "l": [1, 2]}});
        let p = json!([
            {"op": "replace", "path": "/spec/template", "value": {"y": 2}},
            {"op": "replace", "path": "/metadata/annotations", "value": {"b": "2"}},
            {"op": "add", "path": "/spec/l/-", "value": 3},
            {"op": "remove", "path": "/spec/l/0"},
            {"op": "test", "path": "/spec/l", "value": [2, 3]},
            {"op": "add", "path": "/metadata/labels", "value": {"k~1x": "v"}},
            {"op": "copy", "from": "/spec/l", "path": "/spec/m"},
            {"op": "move", "from": "/spec/m", "path": "/spec/n"}
        ]);
        let out = json_patch(&d, &p).unwrap();
        assert_eq!(out["spec"]["template"], json!({"y": 2}));
        assert_eq!(out["metadata"]["annotations"], json!({"b": "2"}));
        assert_eq!(out["spec"]["l"], json!([2, 3]));
        assert_eq!(out["spec"]["n"], json!([2, 3]));
        assert!(out["spec"].get("m").is_none());
        assert!(json_patch(&d, &json!([{"op": "test", "path": "/spec/l", "value": []}])).is_err());
        assert!(json_patch(&d, &json!([{"op": "replace", "path": "/nope", "value": 1}])).is_err());
        assert!(json_patch(&d, &json!([{"op": "remove", "path": "/nope"}])).is_err());
    }
}
