//! `metadata.managedFields`, kept the way the API server keeps them for
//! Update operations: every write is made by a *manager* (a client's
//! `fieldManager`, or its User-Agent up to the first `/`; the in-process
//! controllers as `kube-controller-manager`, the kubelet as `kubelet`),
//! and the fields a write changed become that manager's — merged into its
//! entry, whose `time` moves — and stop being anyone else's (entries left
//! empty are dropped). Removed fields are nobody's.
//!
//! Simplified against structured-merge-diff, which knows the schema:
//! objects are walked by key (`f:<key>`); list elements that are objects
//! with a `name` are keyed `k:{"name":"…"}` (real lists are keyed by their
//! schema's keys, e.g. a Service port by port and protocol), every other
//! list is one leaf; `.` (the field itself) is recorded only for keyed list
//! elements and label/annotation maps; there are no Apply operations and
//! no cap on the number of entries.

use serde_json::{Map, Value, json};

use super::resources::Res;

/// The manager of the in-process controllers.
pub const CONTROLLER_MANAGER: &str = "kube-controller-manager";

/// What a writer writes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A client request on the object (`None`) or a subresource.
    Request(Option<String>),
    /// An in-process controller: its `status` changes land in an entry
    /// with `subresource: status`, as its status writes would.
    Controller,
}

/// Who makes the store's writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    pub manager: String,
    pub via: Via,
}

impl Writer {
    pub fn controller(manager: &str) -> Writer {
        Writer {
            manager: manager.to_string(),
            via: Via::Controller,
        }
    }

    pub fn client(manager: &str, subresource: Option<&str>) -> Writer {
        Writer {
            manager: manager.to_string(),
            via: Via::Request(subresource.map(str::to_string)),
        }
    }
}

impl Default for Writer {
    fn default() -> Writer {
        Writer::controller(CONTROLLER_MANAGER)
    }
}

/// The manager of a request: its `fieldManager`, else its User-Agent up
/// to the first `/`.
pub fn manager_of(field_manager: Option<&str>, user_agent: &str) -> String {
    match field_manager {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => user_agent.split('/').next().unwrap_or("").to_string(),
    }
}

/// Metadata the field manager never tracks (server-set or identity).
const UNTRACKED_METADATA: [&str; 10] = [
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "resourceVersion",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Sets `new`'s `metadata.managedFields` after `writer` turned `old`
/// (`None`: a create) into `new` at `now` (RFC 3339).
pub fn track(writer: &Writer, res: Res, old: Option<&Value>, new: &mut Value, now: &str) {
    let mut entries: Vec<Value> = old
        .and_then(|o| o.pointer("/metadata/managedFields"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut changed = Map::new();
    let mut removed = Map::new();
    diff_root(old, new, &mut changed, &mut removed);
    let groups: Vec<(Option<String>, Map<String, Value>)> = match &writer.via {
        Via::Request(sub) => vec![(sub.clone(), changed)],
        Via::Controller => {
            let status = changed.remove("f:status");
            let mut g = vec![(None, changed)];
            if let Some(Value::Object(s)) = status {
                let sub = res.has_status_subresource().then(|| "status".to_string());
                let mut m = Map::new();
                m.insert("f:status".into(), Value::Object(s));
                g.push((sub, m));
            }
            g
        }
    };
    for (sub, owned) in groups {
        if owned.is_empty() {
            continue;
        }
        for e in entries.iter_mut() {
            if let Some(f) = e.get_mut("fieldsV1").and_then(Value::as_object_mut) {
                subtract(f, &owned);
            }
        }
        let mine = entries.iter().position(|e| {
            e["manager"] == writer.manager.as_str()
                && e.get("subresource").and_then(Value::as_str) == sub.as_deref()
        });
        let i = mine.unwrap_or_else(|| {
            let mut e = json!({"manager": writer.manager, "operation": "Update",
                "apiVersion": res.api_version(), "fieldsType": "FieldsV1", "fieldsV1": {}});
            if let Some(s) = &sub {
                e["subresource"] = json!(s);
            }
            entries.push(e);
            entries.len() - 1
        });
        entries[i]["time"] = json!(now);
        if let Some(f) = entries[i]
            .get_mut("fieldsV1")
            .and_then(Value::as_object_mut)
        {
            union(f, &owned);
        }
    }
    for e in entries.iter_mut() {
        if let Some(f) = e.get_mut("fieldsV1").and_then(Value::as_object_mut) {
            subtract(f, &removed);
        }
    }
    entries.retain(|e| e["fieldsV1"].as_object().is_some_and(|f| !f.is_empty()));
    entries.sort_by(|a, b| {
        let k = |e: &Value| {
            (
                e["time"].as_str().unwrap_or("").to_string(),
                e["manager"].as_str().unwrap_or("").to_string(),
                e["subresource"].as_str().unwrap_or("").to_string(),
            )
        };
        k(a).cmp(&k(b))
    });
    if let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        if entries.is_empty() {
            m.remove("managedFields");
        } else {
            m.insert("managedFields".into(), Value::Array(entries));
        }
    }
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// The diff of the tracked parts: everything but `apiVersion`, `kind`
/// and the untracked metadata.
fn diff_root(
    old: Option<&Value>,
    new: &Value,
    changed: &mut Map<String, Value>,
    removed: &mut Map<String, Value>,
) {
    let empty = Map::new();
    let o = old.and_then(Value::as_object).unwrap_or(&empty);
    let n = new.as_object().unwrap_or(&empty);
    for (k, nv) in n {
        // A new object's status is the server's own (reset and defaulted
        // on create), not its creator's.
        let untracked = k == "status" && old.is_none();
        if untracked || matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        diff_field(k, o.get(k), Some(nv), changed, removed);
    }
    for k in o.keys() {
        if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata") && !n.contains_key(k) {
            diff_field(k, o.get(k), None, changed, removed);
        }
    }
    let om = o
        .get("metadata")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let nm = n
        .get("metadata")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut mc = Map::new();
    let mut mr = Map::new();
    let keys: Vec<&String> = nm
        .keys()
        .chain(om.keys().filter(|k| !nm.contains_key(*k)))
        .collect();
    for k in keys {
        if !UNTRACKED_METADATA.contains(&k.as_str()) {
            diff_field(k, om.get(k), nm.get(k), &mut mc, &mut mr);
        }
    }
    if !mc.is_empty() {
        changed.insert("f:metadata".into(), Value::Object(mc));
    }
    if !mr.is_empty() {
        removed.insert("f:metadata".into(), Value::Object(mr));
    }
}

/// Diffs one field `key` of an object into `changed` and `removed`.
fn diff_field(
    key: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    changed: &mut Map<String, Value>,
    removed: &mut Map<String, Value>,
) {
    let name = format!("f:{key}");
    match (present(old), present(new)) {
        (None, None) => {}
        (Some(_), None) => {
            removed.insert(name, json!({}));
        }
        (None, Some(n)) => {
            changed.insert(name, Value::Object(leaves(n, dotted(key))));
        }
        (Some(o), Some(n)) => {
            if o == n {
                return;
            }
            match diff_values(o, n) {
                Some((c, r)) => {
                    if !c.is_empty() {
                        changed.insert(name.clone(), Value::Object(c));
                    }
                    if !r.is_empty() {
                        removed.insert(name, Value::Object(r));
                    }
                }
                // A leaf that changed (or changed type): all of it.
                None => {
                    changed.insert(name, json!({}));
                }
            }
        }
    }
}

/// Maps whose presence is recorded with `.` as well as their keys.
fn dotted(key: &str) -> bool {
    matches!(key, "labels" | "annotations")
}

/// Changed and removed fields below two different values that are both
/// non-empty objects or both keyed lists; `None` when the values are
/// leaves to each other.
fn diff_values(o: &Value, n: &Value) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let mut c = Map::new();
    let mut r = Map::new();
    match (o, n) {
        (Value::Object(om), Value::Object(nm)) if !om.is_empty() && !nm.is_empty() => {
            for (k, nv) in nm {
                diff_field(k, om.get(k), Some(nv), &mut c, &mut r);
            }
            for (k, ov) in om {
                if !nm.contains_key(k) {
                    diff_field(k, Some(ov), None, &mut c, &mut r);
                }
            }
        }
        (Value::Array(oa), Value::Array(na)) => {
            let (ok, nk) = (keyed(oa)?, keyed(na)?);
            for (key, nv) in &nk {
                match ok.iter().find(|(k, _)| k == key) {
                    None => {
                        c.insert(key.clone(), Value::Object(element_leaves(nv)));
                    }
                    Some((_, ov)) if ov != nv => match diff_values(ov, nv) {
                        Some((ec, er)) => {
                            if !ec.is_empty() {
                                c.insert(key.clone(), Value::Object(ec));
                            }
                            if !er.is_empty() {
                                r.insert(key.clone(), Value::Object(er));
                            }
                        }
                        None => {
                            c.insert(key.clone(), Value::Object(element_leaves(nv)));
                        }
                    },
                    Some(_) => {}
                }
            }
            for (key, _) in &ok {
                if !nk.iter().any(|(k, _)| k == key) {
                    r.insert(key.clone(), json!({}));
                }
            }
        }
        _ => return None,
    }
    Some((c, r))
}

/// The elements of a list keyed by `name`, when every element has a
/// distinct one (an empty list qualifies).
fn keyed(list: &[Value]) -> Option<Vec<(String, &Value)>> {
    let mut out: Vec<(String, &Value)> = Vec::new();
    for e in list {
        let name = e.get("name").and_then(Value::as_str)?;
        let key = format!("k:{}", json!({"name": name}));
        if out.iter().any(|(k, _)| *k == key) {
            return None;
        }
        out.push((key, e));
    }
    Some(out)
}

fn element_leaves(v: &Value) -> Map<String, Value> {
    let mut m = leaves(v, false);
    m.insert(".".into(), json!({}));
    m
}

/// Every field of a value newly set: a leaf (empty map) for scalars,
/// empty maps and unkeyed lists.
fn leaves(v: &Value, dot: bool) -> Map<String, Value> {
    let mut m = Map::new();
    match v {
        Value::Object(o) if !o.is_empty() => {
            if dot {
                m.insert(".".into(), json!({}));
            }
            for (k, x) in o {
                if !x.is_null() {
                    m.insert(format!("f:{k}"), Value::Object(leaves(x, dotted(k))));
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            if let Some(k) = keyed(a) {
                for (key, e) in k {
                    m.insert(key, Value::Object(element_leaves(e)));
                }
            }
        }
        _ => {}
    }
    m
}

/// Adds the fields of `b` to `a`.
fn union(a: &mut Map<String, Value>, b: &Map<String, Value>) {
    for (k, bv) in b {
        let slot = a.entry(k.clone()).or_insert_with(|| json!({}));
        if let (Some(am), Some(bm)) = (slot.as_object_mut(), bv.as_object()) {
            union(am, bm);
        }
    }
}

/// Removes the fields of `b` from `a`: a leaf of `b` takes the whole
/// subtree below it; a node left with nothing below it goes too.
fn subtract(a: &mut Map<String, Value>, b: &Map<String, Value>) {
    for (k, bv) in b {
        let Some(bm) = bv.as_object() else { continue };
        if bm.is_empty() {
            a.remove(k);
            continue;
        }
        let Some(am) = a.get_mut(k).and_then(Value::as_object_mut) else {
            continue;
        };
        if am.is_empty() {
            // `a` owns the leaf; `b` owns fields below it: the leaf stays.
            continue;
        }
        subtract(am, bm);
        if am.is_empty() {
            a.remove(k);
        }
    }
}

#[cfg(test)]
#[path = "managed_fields_tests.rs"]
mod tests;
