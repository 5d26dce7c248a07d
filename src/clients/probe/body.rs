//! Understanding what health endpoints return: JSON in the common shapes
//! (`{"status": …, "checks": {…}}`, Spring Boot `components`, the IETF
//! health-check draft's `pass`/`warn`/`fail`) and plain text.

use serde_json::Value;

use crate::model::{DependencyCheck, Health, HealthReport};

/// Parses a health body. `Ok(None)` means the body carries no verdict (empty,
/// or text like "pong") and the HTTP status decides. `Err` means the body is
/// garbage: not text, or JSON that does not parse.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Option<HealthReport>, String> {
    let text = std::str::from_utf8(body)
        .map_err(|e| format!("body is not UTF-8 text ({} bytes; {e})", body.len()))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let says_json = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    if says_json || trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(trimmed)
            .map_err(|e| format!("invalid JSON ({e}): {}", excerpt(trimmed)))?;
        return Ok(from_json(&v));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !c.is_whitespace())
    {
        return Err(format!("body is not readable text: {}", excerpt(trimmed)));
    }
    Ok(from_text(trimmed))
}

/// The first 80 characters of a body, for error messages.
fn excerpt(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(80)
        .map(|c| if c.is_control() { '·' } else { c })
        .collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

fn from_text(text: &str) -> Option<HealthReport> {
    let first_line = text.lines().next().unwrap_or("").trim();
    let stated = Health::from_word(first_line).or_else(|| {
        let first_word = first_line.split([' ', ':', ',', '.']).next().unwrap_or("");
        Health::from_word(first_word)
    })?;
    Some(HealthReport {
        stated: Some(stated),
        checks: vec![],
        version: None,
    })
}

fn from_json(v: &Value) -> Option<HealthReport> {
    match v {
        Value::String(s) => from_text(s),
        Value::Bool(b) => Some(HealthReport {
            stated: Some(if *b { Health::Up } else { Health::Down }),
            ..Default::default()
        }),
        Value::Object(map) => {
            let stated = status_of(v);
            let mut checks = Vec::new();
            for key in CONTAINERS {
                if let Some(c) = map.get(key) {
                    collect_checks(c, "", key == "details", &mut checks, 0);
                }
            }
            let version = version_of(v);
            if stated.is_none() && checks.is_empty() && version.is_none() {
                return None;
            }
            Some(HealthReport {
                stated,
                checks,
                version,
            })
        }
        _ => None,
    }
}

/// The status an object states about itself: `status`/`state`/`health` as a
/// word (or an object that has one), or `healthy`/`ok`/`up` as a boolean.
fn status_of(v: &Value) -> Option<Health> {
    match v {
        Value::String(s) => Health::from_word(s),
        Value::Bool(b) => Some(if *b { Health::Up } else { Health::Down }),
        Value::Object(map) => {
            for key in ["status", "state", "health", "Status", "STATUS"] {
                match map.get(key) {
                    Some(Value::String(s)) => {
                        if let Some(h) = Health::from_word(s) {
                            return Some(h);
                        }
                    }
                    Some(Value::Bool(b)) => {
                        return Some(if *b { Health::Up } else { Health::Down });
                    }
                    Some(inner @ Value::Object(_)) => {
                        if let Some(h) = status_of(inner) {
                            return Some(h);
                        }
                    }
                    _ => {}
                }
            }
            for key in ["healthy", "ok", "up", "alive", "ready"] {
                if let Some(Value::Bool(b)) = map.get(key) {
                    return Some(if *b { Health::Up } else { Health::Down });
                }
            }
            None
        }
        _ => None,
    }
}

/// Keys under which a body lists its checks.
const CONTAINERS: [&str; 5] = [
    "checks",
    "components",
    "details",
    "dependencies",
    "services",
];
/// Keys under which a check nests more checks (Spring Boot's composites
/// nest `components`; `details` often holds sub-checks as plain words).
const NESTED: [&str; 4] = ["components", "checks", "dependencies", "details"];
/// Keys of a `details` map that describe its owner rather than name a
/// dependency, even when their value is a status word.
const NOT_A_DEPENDENCY: [&str; 11] = [
    "status",
    "state",
    "health",
    "Status",
    "STATUS",
    "error",
    "message",
    "output",
    "reason",
    "description",
    "version",
];
const MAX_DEPTH: usize = 6;
const MAX_CHECKS: usize = 64;

/// Checks as a map (`{"db": "healthy"}`, `{"db": {"status": …}}`), a list
/// (`[{"name": "db", "status": …}]`), or the IETF draft's map of lists.
/// Nested checks are kept too, named by their dotted path, so that a
/// failing leaf deep in the body counts: Spring Boot's composites
/// (`components.db.components.replica` becomes `db.replica`) and
/// dependencies stated inside a check's `details`
/// (`checks.db.details.replica = "down"` also becomes `db.replica`).
///
/// A `details` map is read leniently: it also carries plain information
/// (`"database": "PostgreSQL"`, `"free": 1024`), so only entries that
/// state a health (a status word, or an object with a status) count.
fn collect_checks(
    v: &Value,
    prefix: &str,
    lenient: bool,
    out: &mut Vec<DependencyCheck>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let path = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    match v {
        Value::Object(map) => {
            for (name, c) in map {
                if out.len() >= MAX_CHECKS {
                    return;
                }
                let full = path(name);
                match c {
                    Value::Array(items) => {
                        // IETF draft: "db:connections": [{ "status": "pass", … }]
                        for item in items {
                            if (!lenient || status_of(item).is_some()) && out.len() < MAX_CHECKS {
                                out.push(check_from(&full, item));
                            }
                        }
                    }
                    Value::Object(obj) => {
                        let nested: Vec<(&str, &Value)> = NESTED
                            .iter()
                            .filter_map(|k| Some((*k, obj.get(*k).filter(|n| n.is_object())?)))
                            .collect();
                        if lenient && nested.is_empty() && status_of(c).is_none() {
                            continue;
                        }
                        out.push(check_from(&full, c));
                        for (key, n) in nested {
                            collect_checks(n, &full, key == "details", out, depth + 1);
                        }
                    }
                    Value::String(word) if lenient => {
                        if NOT_A_DEPENDENCY.contains(&name.as_str()) {
                            continue;
                        }
                        if let Some(status) = Health::from_word(word) {
                            out.push(DependencyCheck {
                                name: full,
                                status,
                                detail: None,
                            });
                        }
                    }
                    // Numbers and flags in `details` are information.
                    _ if lenient => {}
                    _ => out.push(check_from(&full, c)),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if out.len() >= MAX_CHECKS {
                    return;
                }
                if lenient && status_of(item).is_none() {
                    continue;
                }
                let name = item
                    .get("name")
                    .or_else(|| item.get("component"))
                    .or_else(|| item.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("check {}", i + 1));
                out.push(check_from(&path(&name), item));
            }
        }
        _ => {}
    }
}

fn check_from(name: &str, v: &Value) -> DependencyCheck {
    let status = status_of(v).unwrap_or(Health::Unknown);
    let detail = match v {
        Value::Object(map) => {
            let mut parts = Vec::new();
            for key in [
                "error",
                "message",
                "output",
                "reason",
                "description",
                "details",
                "latency",
                "responseTime",
            ] {
                if let Some(x) = map.get(key) {
                    let s = match x {
                        Value::String(s) => s.clone(),
                        Value::Null => continue,
                        other => other.to_string(),
                    };
                    if !s.is_empty() {
                        parts.push(format!("{key}: {s}"));
                    }
                }
            }
            (!parts.is_empty()).then(|| {
                let joined = parts.join("; ");
                if joined.chars().count() > 200 {
                    let mut t: String = joined.chars().take(200).collect();
                    t.push('…');
                    t
                } else {
                    joined
                }
            })
        }
        _ => None,
    };
    DependencyCheck {
        name: name.to_string(),
        status,
        detail,
    }
}

fn version_of(v: &Value) -> Option<String> {
    let candidates = [
        v.get("version"),
        v.get("build").and_then(|b| b.get("version")),
        v.get("info").and_then(|b| b.get("version")),
        v.get("releaseId"),
    ];
    candidates.into_iter().flatten().find_map(|x| match x {
        Value::String(s) if !s.is_empty() => Some(s.chars().take(64).collect()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(body: &str) -> HealthReport {
        parse(Some("application/json"), body.as_bytes())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn flat_checks() {
        let r = p(
            r#"{"status":"healthy","checks":{"database":"healthy","redis":"unhealthy"},"version":"1.4.2"}"#,
        );
        assert_eq!(r.stated, Some(Health::Up));
        assert_eq!(r.version.as_deref(), Some("1.4.2"));
        assert_eq!(r.checks.len(), 2);
        assert_eq!(r.checks[1].name, "redis");
        assert_eq!(r.checks[1].status, Health::Down);
        assert_eq!(r.verdict(), Some(Health::Degraded));
    }

    #[test]
    fn nested_check_objects_keep_detail() {
        let r = p(
            r#"{"status":"degraded","checks":{"gpu":{"status":"degraded","error":"CUDA OOM"},"model":{"status":"ok","latency":12}}}"#,
        );
        assert_eq!(r.stated, Some(Health::Degraded));
        assert_eq!(r.checks[0].detail.as_deref(), Some("error: CUDA OOM"));
        assert_eq!(r.checks[1].status, Health::Up);
        assert_eq!(r.checks[1].detail.as_deref(), Some("latency: 12"));
    }

    #[test]
    fn spring_boot_components() {
        let r = p(
            r#"{"status":"DOWN","components":{"db":{"status":"DOWN","components":{"primary":{"status":"UP"},"replica":{"status":"DOWN","details":{"error":"timeout"}}}},"diskSpace":{"status":"UP","details":{"free":1}}}}"#,
        );
        assert_eq!(r.stated, Some(Health::Down));
        let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["db", "db.primary", "db.replica", "diskSpace"]);
        assert_eq!(r.checks[2].status, Health::Down);
        assert!(r.checks[2].detail.as_deref().unwrap().contains("timeout"));
    }

    /// The failing checks the board would name, and the body's verdict.
    fn failing(body: &str) -> (Vec<String>, Option<Health>) {
        let r = p(body);
        let names = r
            .failing_checks()
            .map(|c| format!("{} {}", c.name, c.status))
            .collect();
        (names, r.verdict())
    }

    #[test]
    fn a_down_leaf_under_a_healthy_check_degrades_the_service() {
        let (names, verdict) = failing(
            r#"{"status":"ok","checks":{"db":{"status":"ok","details":{"replica":"down","primary":"up","engine":"PostgreSQL","free":12}}}}"#,
        );
        assert_eq!(names, ["db.replica down"]);
        assert_eq!(verdict, Some(Health::Degraded));
    }

    #[test]
    fn spring_nested_components_name_the_failing_leaf() {
        let (names, verdict) = failing(
            r#"{"status":"UP","components":{"db":{"status":"UP","components":{"replica":{"status":"DOWN"},"primary":{"status":"UP"}}},"ping":{"status":"UP"}}}"#,
        );
        assert_eq!(names, ["db.replica down"]);
        assert_eq!(verdict, Some(Health::Degraded));
        // Spring Boot 2.1 nested `details` the same way.
        let (names, verdict) = failing(
            r#"{"status":"UP","details":{"db":{"status":"UP","details":{"replica":{"status":"DOWN","details":{"error":"timeout"}},"database":"H2"}}}}"#,
        );
        assert_eq!(names, ["db.replica down"]);
        assert_eq!(verdict, Some(Health::Degraded));
    }

    #[test]
    fn failing_parents_defer_to_their_failing_leaves() {
        let (names, verdict) = failing(
            r#"{"status":"DOWN","components":{"db":{"status":"DOWN","components":{"a":{"status":"UP"},"b":{"components":{"c":{"status":"OUT_OF_SERVICE"}}}}},"mail":{"status":"DOWN"}}}"#,
        );
        assert_eq!(names, ["db.b.c down", "mail down"]);
        assert_eq!(verdict, Some(Health::Down));
    }

    #[test]
    fn details_that_are_information_are_not_checks() {
        let r = p(
            r#"{"status":"UP","components":{"diskSpace":{"status":"UP","details":{"total":1,"free":1,"exists":true,"path":"/"}},"db":{"status":"UP","details":{"database":"PostgreSQL","validationQuery":"isValid()","status":"down","error":"failed","hosts":["a","b"]}}}}"#,
        );
        let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["db", "diskSpace"]);
        assert_eq!(r.verdict(), Some(Health::Up));
    }

    #[test]
    fn a_degraded_leaf_is_named_too() {
        let (names, verdict) = failing(
            r#"{"status":"pass","checks":{"queue":{"status":"pass","details":{"consumer":{"state":"warn"}}}}}"#,
        );
        assert_eq!(names, ["queue.consumer degraded"]);
        assert_eq!(verdict, Some(Health::Degraded));
    }

    #[test]
    fn ietf_draft_map_of_lists() {
        let r = p(
            r#"{"status":"warn","version":"1","checks":{"db:responseTime":[{"status":"pass","observedValue":250}],"disk:utilization":[{"status":"fail","output":"97% full"}]}}"#,
        );
        assert_eq!(r.stated, Some(Health::Degraded));
        assert_eq!(r.checks[1].status, Health::Down);
        assert_eq!(r.checks[1].detail.as_deref(), Some("output: 97% full"));
    }

    #[test]
    fn list_of_checks_and_boolean_flags() {
        let r = p(
            r#"{"healthy":false,"checks":[{"name":"db","healthy":true},{"name":"queue","ok":false}]}"#,
        );
        assert_eq!(r.stated, Some(Health::Down));
        assert_eq!(r.checks[0].status, Health::Up);
        assert_eq!(r.checks[1].name, "queue");
        assert_eq!(r.checks[1].status, Health::Down);
    }

    #[test]
    fn plain_text() {
        let r = parse(None, b"OK\n").unwrap().unwrap();
        assert_eq!(r.stated, Some(Health::Up));
        let r = parse(Some("text/plain"), b"unhealthy: db down")
            .unwrap()
            .unwrap();
        assert_eq!(r.stated, Some(Health::Down));
        assert_eq!(parse(None, b"pong").unwrap(), None);
        assert_eq!(parse(None, b"   ").unwrap(), None);
    }

    #[test]
    fn garbage_is_an_error_with_the_reason() {
        let e = parse(Some("application/json"), b"{\"status\": hea").unwrap_err();
        assert!(e.starts_with("invalid JSON"), "{e}");
        let e = parse(None, &[0xff, 0xfe, 0x00, 0x01]).unwrap_err();
        assert!(e.contains("not UTF-8"), "{e}");
        let e = parse(None, b"ok\x01\x02\x03").unwrap_err();
        assert!(e.contains("not readable text"), "{e}");
    }

    #[test]
    fn json_without_verdict_is_none() {
        assert_eq!(p_opt(r#"{"uptime": 123}"#), None);
        assert_eq!(p_opt("[1,2,3]"), None);
    }

    fn p_opt(body: &str) -> Option<HealthReport> {
        parse(None, body.as_bytes()).unwrap()
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut s = String::from(r#"{"status":"up","components":"#);
        for _ in 0..50 {
            s.push_str(r#"{"x":{"status":"up","components":"#);
        }
        s.push_str("{}");
        for _ in 0..50 {
            s.push_str("}}");
        }
        s.push('}');
        let r = p(&s);
        assert!(r.checks.len() <= 64);
    }
}
