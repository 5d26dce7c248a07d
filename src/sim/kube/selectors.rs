//! Label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!key`, `>`,
//! `<`) and field selectors, parsed and matched like apimachinery does.

use serde_json::Value;

use super::errors::ApiError;
use super::resources::Res;
use super::util;

#[derive(Debug, Clone, PartialEq)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    Gt(String, i64),
    Lt(String, i64),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Vec<Req>);

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 317
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, ApiError> {
        let err = |why: &str| {
            ApiError::bad_request(format!(
                "unable to parse requirement: {why} in label selector {text:?}"
            ))
        };
        let mut reqs = Vec::new();
        if text.trim().is_empty() {
            return Ok(LabelSelector(reqs));
        }
        for part in split_top_level(text) {
            let p = part.trim();
            if p.is_empty() {
                return Err(err("empty requirement"));
            }
            if let Some(k) = p.strip_prefix('!') {
                let k = k.trim();
                if !valid_key(k) {
                    return Err(err("invalid key"));
                }
                reqs.push(Req::NotExists(k.to_string()));
                continue;
            }
            if let Some(open) = p.find('(') {
                let close = p.rfind(')').ok_or_else(|| err("missing ')'"))?;
                let head: Vec<&str> = p[..open].split_whitespace().collect();
                let values: Vec<String> = p[open + 1..close]
                    .split(',')
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
                if values.iter().any(|v| !valid_value(v)) {
                    return Err(err("invalid value"));
                }
                match head.as_slice() {
                    [k, "in"] if valid_key(k) => reqs.push(Req::In(k.to_string(), values)),
                    [k, "notin"] if valid_key(k) => reqs.push(Req::NotIn(k.to_string(), values)),
                    _ => return Err(err("expected 'in' or 'notin'")),
                }
                continue;
            }
            let ops: [(&str, u8); 5] = [("!=", 0), ("==", 1), ("=", 1), (">", 2), ("<", 3)];
            let mut done = false;
            for (op, code) in ops {
                if let Some(pos) = p.find(op) {
                    let k = p[..pos].trim();
                    let v = p[pos + op.len()..].trim();
                    if !valid_key(k) {
                        return Err(err("invalid key"));
                    }
                    match code {
                        0 | 1 => {
                            if !valid_value(v) {
                                return Err(err("invalid value"));
                            }
                            if code == 0 {
                                reqs.push(Req::Ne(k.into(), v.into()));
                            } else {
                                reqs.push(Req::Eq(k.into(), v.into()));
                            }
                        }
                        _ => {
                            let n: i64 = v.parse().map_err(|_| err("invalid integer"))?;
                            if code == 2 {
                                reqs.push(Req::Gt(k.into(), n));
                            } else {
                                reqs.push(Req::Lt(k.into(), n));
                            }
                        }
                    }
                    done = true;
                    break;
                }
            }
            if !done {
                if !valid_key(p) {
                    return Err(err("invalid key"));
                }
                reqs.push(Req::Exists(p.to_string()));
            }
        }
        Ok(LabelSelector(reqs))
    }

    /// Matches an object's `metadata.labels`.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = obj.pointer("/metadata/labels");
        self.matches_labels(labels)
    }

    pub fn matches_labels(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::Ne(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
            Req::Gt(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            Req::Lt(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        })
    }

    /// The selector of a workload (`spec.selector`, a `LabelSelector`
    /// object). An empty or missing selector matches nothing, like
    /// controllers treat it.
    pub fn from_object(sel: Option<&Value>) -> Option<LabelSelector> {
        let sel = sel?;
        let text = util::label_selector_string(sel);
        if text.is_empty() {
            return None;
        }
        LabelSelector::parse(&text).ok()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    pub fn parse(text: &str, res: Res) -> Result<FieldSelector, ApiError> {
        let mut reqs = Vec::new();
        if text.trim().is_empty() {
            return Ok(FieldSelector(reqs));
        }
        for part in text.split(',') {
            let p = part.trim();
            let (field, eq, value) = if let Some((f, v)) = p.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = p.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = p.split_once('=') {
                (f, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{text}'; can't understand '{p}'"
                )));
            };
            let field = field.trim();
            if field_value(res, &Value::Null, field).is_none() {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            reqs.push((field.to_string(), eq, value.trim().to_string()));
        }
        Ok(FieldSelector(reqs))
    }

    pub fn matches(&self, res: Res, obj: &Value) -> bool {
        self.0.iter().all(|(f, eq, v)| {
            let actual = field_value(res, obj, f).unwrap_or_default();
            (actual == *v) == *eq
        })
    }
}

/// The value of a selectable field, or `None` when the field is not
/// selectable for this resource.
fn field_value(res: Res, obj: &Value, field: &str) -> Option<String> {
    let s = |p: &str| util::s(obj, p).to_string();
    match field {
        "metadata.name" => return Some(s("/metadata/name")),
        "metadata.namespace" => return Some(s("/metadata/namespace")),
        _ => {}
    }
    match (res, field) {
        (Res::Pods, "spec.nodeName") => Some(s("/spec/nodeName")),
        (Res::Pods, "spec.restartPolicy") => Some(s("/spec/restartPolicy")),
        (Res::Pods, "spec.schedulerName") => Some(s("/spec/schedulerName")),
        (Res::Pods, "spec.serviceAccountName") => Some(s("/spec/serviceAccountName")),
        (Res::Pods, "spec.hostNetwork") => Some(util::b(obj, "/spec/hostNetwork").to_string()),
        (Res::Pods, "status.phase") => Some(s("/status/phase")),
        (Res::Pods, "status.podIP") => Some(s("/status/podIP")),
        (Res::Pods, "status.nominatedNodeName") => Some(s("/status/nominatedNodeName")),
        (Res::Events, f) if f.starts_with("involvedObject.") => {
            let key = &f["involvedObject.".len()..];
            matches!(
                key,
                "kind"
                    | "namespace"
                    | "name"
                    | "uid"
                    | "apiVersion"
                    | "resourceVersion"
                    | "fieldPath"
            )
            .then(|| s(&format!("/involvedObject/{key}")))
        }
        (Res::Events, "reason") => Some(s("/reason")),
        (Res::Events, "type") => Some(s("/type")),
        (Res::Events, "reportingComponent") => Some(s("/reportingComponent")),
        (Res::Events, "source") => Some(s("/source/component")),
        (Res::Nodes, "spec.unschedulable") => Some(util::b(obj, "/spec/unschedulable").to_string()),
        (Res::Namespaces, "status.phase") => Some(s("/status/phase")),
        (Res::ReplicaSets, "status.replicas") => Some(util::i(obj, "/status/replicas").to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(labels: Value) -> Value {
        json!({"metadata": {"name": "p", "namespace": "default", "labels": labels},
               "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}})
    }

    #[test]
    fn label_selectors() {
        let p = pod(json!({"app": "web", "tier": "fe"}));
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(&p);
        assert!(m("app=web"));
        assert!(m("app==web"));
        assert!(!m("app!=web"));
        assert!(m("app in (web, api)"));
        assert!(!m("app notin (web,api)"));
        assert!(m("tier"));
        assert!(!m("!tier"));
        assert!(m("!missing,app=web"));
        assert!(m("missing!=x"));
        assert!(m("missing notin (x)"));
        assert!(!m("app in (api)"));
        assert!(m(""));
        assert!(LabelSelector::parse("app in (web").is_err());
        assert!(LabelSelector::parse("a b c").is_err());
    }

    #[test]
    fn field_selectors() {
        let p = pod(json!({}));
        let m = |s: &str| {
            FieldSelector::parse(s, Res::Pods)
                .unwrap()
                .matches(Res::Pods, &p)
        };
        assert!(m("status.phase=Running"));
        assert!(m("spec.nodeName==n1,metadata.name=p"));
        assert!(!m("status.phase!=Running"));
        assert!(m("metadata.namespace=default"));
        let e = FieldSelector::parse("spec.foo=x", Res::Pods).unwrap_err();
        assert_eq!(e.message, "field label not supported: spec.foo");
        assert!(FieldSelector::parse("involvedObject.name=x,type=Warning", Res::Events).is_ok());
    }

    #[test]
    fn workload_selectors() {
        let sel = json!({"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe"]}]});
        let s = LabelSelector::from_object(Some(&sel)).unwrap();
        assert!(s.matches(&pod(json!({"app": "web", "tier": "fe"}))));
        assert!(!s.matches(&pod(json!({"app": "web"}))));
        assert!(LabelSelector::from_object(Some(&json!({}))).is_none());
    }
}
