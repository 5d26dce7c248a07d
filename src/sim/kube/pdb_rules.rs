//! A PodDisruptionBudget's bounds as the API server validates them (the
//! defaulting and validation path reads this; the disruption controller
//! re-exports it).

use serde_json::Value;

/// `ValidatePositiveIntOrPercent` of each bound and their exclusivity, as
/// `(field, detail)` causes.
pub fn validate(obj: &Value) -> Vec<(String, String)> {
    let mut causes = Vec::new();
    let spec = &obj["spec"];
    let set = |k: &str| spec.get(k).filter(|v| !v.is_null());
    if set("minAvailable").is_some() && set("maxUnavailable").is_some() {
        causes.push((
            "spec".into(),
            format!("Invalid value: {spec}: minAvailable and maxUnavailable cannot be both set"),
        ));
    }
    for key in ["minAvailable", "maxUnavailable"] {
        let field = format!("spec.{key}");
        match set(key) {
            Some(Value::Number(n)) if n.as_i64().is_none_or(|x| x < 0) => causes.push((
                field,
                format!("Invalid value: {n}: must be greater than or equal to 0"),
            )),
            Some(Value::String(s)) => match s.strip_suffix('%').map(str::parse::<u64>) {
                Some(Ok(p)) if p > 100 => causes.push((
                    field,
                    format!("Invalid value: {s:?}: must not be greater than 100%"),
                )),
                Some(Ok(_)) => {}
                _ => causes.push((
                    field,
                    format!(
                        "Invalid value: {s:?}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
                    ),
                )),
            },
            _ => {}
        }
    }
    causes
}
