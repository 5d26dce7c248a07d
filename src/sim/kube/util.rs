//! JSON helpers, hashes and deterministic names.

use serde_json::{Map, Value, json};

/// The alphabet of `k8s.io/apimachinery/pkg/util/rand` (no vowels, no
/// confusable characters).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A small deterministic PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `rand.String(n)`: the random suffix of generated names.
    pub fn suffix(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| ALPHANUMS[(self.next_u64() % ALPHANUMS.len() as u64) as usize] as char)
            .collect()
    }

    pub fn uid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

pub fn fnv32a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= *b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `rand.SafeEncodeString(fmt.Sprint(hash))`, as `controller.ComputeHash`
/// names pod templates: e.g. `7d9c6b5f4`.
pub fn safe_encode(hash: u32) -> String {
    hash.to_string()
        .bytes()
        .map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char)
        .collect()
}

/// The hash of a pod template, ignoring the pod-template-hash label and
/// representation details (nulls, empty maps).
pub fn template_hash(template: &Value, collision_count: i64) -> String {
    let mut t = normalized(template);
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove("pod-template-hash");
        labels.remove("controller-revision-hash");
    }
    let mut text = serde_json::to_string(&normalized(&t)).unwrap_or_default();
    if collision_count > 0 {
        text.push_str(&collision_count.to_string());
    }
    safe_encode(fnv32a(text.as_bytes()))
}

/// Drops nulls, empty strings, empty maps and empty arrays recursively:
/// the differences Go's typed round trips erase.
pub fn normalized(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let n = normalized(v);
                let empty = match &n {
                    Value::Null => true,
                    Value::String(s) => s.is_empty(),
                    Value::Object(o) => o.is_empty(),
                    Value::Array(a) => a.is_empty(),
                    _ => false,
                };
                if !empty {
                    out.insert(k.clone(), n);
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// Semantic equality of two pod templates, ignoring the hash labels.
pub fn templates_equal(a: &Value, b: &Value) -> bool {
    let strip = |t: &Value| {
        let mut t = normalized(t);
        if let Some(labels) = t
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            labels.remove("pod-template-hash");
            labels.remove("controller-revision-hash");
        }
        normalized(&t)
    };
    strip(a) == strip(b)
}

pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub fn i(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

pub fn opt_i(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

pub fn b(v: &Value, pointer: &str) -> bool {
    v.pointer(pointer).and_then(Value::as_bool).unwrap_or(false)
}

pub fn name(v: &Value) -> &str {
    s(v, "/metadata/name")
}

pub fn namespace(v: &Value) -> &str {
    s(v, "/metadata/namespace")
}

pub fn uid(v: &Value) -> &str {
    s(v, "/metadata/uid")
}

pub fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

pub fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get("metadata")?.get("labels")?.get(key)?.as_str()
}

pub fn is_deleting(v: &Value) -> bool {
    v.pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
}

/// Sets `value` at a JSON pointer (`~1` escapes `/`), creating
/// intermediate objects.
pub fn set(v: &mut Value, pointer: &str, value: Value) {
    let mut cur = v;
    let parts: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    for (n, p) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let Some(map) = cur.as_object_mut() else {
            return;
        };
        if n == parts.len() - 1 {
            map.insert(p.to_string(), value);
            return;
        }
        cur = map.entry(p.to_string()).or_insert_with(|| json!({}));
    }
}

/// Removes the member at a JSON pointer (objects only).
pub fn remove(v: &mut Value, pointer: &str) -> Option<Value> {
    let (parent, last) = pointer.rsplit_once('/')?;
    let p = if parent.is_empty() {
        Some(v)
    } else {
        v.pointer_mut(parent)
    };
    p?.as_object_mut()?.remove(last)
}

pub fn set_annotation(v: &mut Value, key: &str, value: &str) {
    let ann = v
        .as_object_mut()
        .map(|m| m.entry("metadata").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
        .map(|m| m.entry("annotations").or_insert_with(|| json!({})));
    if let Some(a) = ann {
        if !a.is_object() {
            *a = json!({});
        }
        if let Some(a) = a.as_object_mut() {
            a.insert(key.to_string(), Value::String(value.to_string()));
        }
    }
}

/// The object's controller owner reference UID, if any.
pub fn controller_uid(v: &Value) -> Option<&str> {
    v.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("uid")?.as_str())
}

pub fn owner_ref(owner: &Value, kind: &str, api_version: &str) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "name": name(owner),
        "uid": uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Resolves an int-or-percent (`1`, `"25%"`) against `total`.
pub fn int_or_percent(v: Option<&Value>, total: i64, round_up: bool, default: &str) -> i64 {
    let text = match v {
        Some(Value::Number(n)) => return n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.clone(),
        _ => default.to_string(),
    };
    if let Some(p) = text.strip_suffix('%') {
        let p: f64 = p.trim().parse().unwrap_or(0.0);
        let x = p * total as f64 / 100.0;
        if round_up {
            x.ceil() as i64
        } else {
            x.floor() as i64
        }
    } else {
        text.trim().parse().unwrap_or(0)
    }
}

/// `app=web,pod-template-hash=abc` from a label map.
pub fn selector_string(match_labels: &Value) -> String {
    match match_labels.as_object() {
        Some(m) => m
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(","),
        None => String::new(),
    }
}

/// `metav1.LabelSelectorAsSelector` rendered as a string, including
/// `matchExpressions`.
pub fn label_selector_string(sel: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(m) = sel.get("matchLabels") {
        let s = selector_string(m);
        if !s.is_empty() {
            parts.push(s);
        }
    }
    if let Some(exprs) = sel.get("matchExpressions").and_then(Value::as_array) {
        for e in exprs {
            let key = s(e, "/key");
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            match s(e, "/operator") {
                "In" => parts.push(format!("{key} in ({})", values.join(","))),
                "NotIn" => parts.push(format!("{key} notin ({})", values.join(","))),
                "Exists" => parts.push(key.to_string()),
                "DoesNotExist" => parts.push(format!("!{key}")),
                _ => {}
            }
        }
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic_and_safe() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let s = a.suffix(5);
        assert_eq!(s, b.suffix(5));
        assert_eq!(s.len(), 5);
        assert!(s.bytes().all(|c| ALPHANUMS.contains(&c)));
        let u = a.uid();
        assert_eq!(u.len(), 36);
    }

    #[test]
    fn template_hash_ignores_representation() {
        let a = json!({"metadata": {"labels": {"app": "web"}, "creationTimestamp": null},
            "spec": {"containers": [{"name": "web", "image": "nginx", "resources": {}}]}});
        let b = json!({"metadata": {"labels": {"app": "web", "pod-template-hash": "x"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]}});
        assert_eq!(template_hash(&a, 0), template_hash(&b, 0));
        assert!(templates_equal(&a, &b));
        let c = json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:2"}]}});
        assert_ne!(template_hash(&a, 0), template_hash(&c, 0));
        assert!(template_hash(&a, 0).len() >= 6);
    }

    #[test]
    fn int_or_percent_rounds_like_fenceposts() {
        assert_eq!(int_or_percent(Some(&json!("25%")), 3, true, "25%"), 1);
        assert_eq!(int_or_percent(Some(&json!("25%")), 3, false, "25%"), 0);
        assert_eq!(int_or_percent(Some(&json!(2)), 3, false, "25%"), 2);
        assert_eq!(int_or_percent(None, 10, true, "25%"), 3);
    }

    #[test]
    fn set_creates_parents() {
        let mut v = json!({});
        set(&mut v, "/a/b/c", json!(1));
        assert_eq!(v, json!({"a": {"b": {"c": 1}}}));
        set(&mut v, "/l/x.io~1y", json!("z"));
        assert_eq!(v["l"]["x.io/y"], "z");
        assert_eq!(remove(&mut v, "/a/b/c"), Some(json!(1)));
        set_annotation(&mut v, "k", "v");
        assert_eq!(annotation(&v, "k"), Some("v"));
    }
}
