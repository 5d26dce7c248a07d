//! Checks of the metrics, server and rules config that the schema alone
//! cannot express, with the line of the offending key.

use std::path::Path;

use super::diagnostic::find_assignment;
use super::diagnostic::{ConfigError, Diagnostic};
use super::schema::Config;
use super::schema_metrics::CustomFunctionName;

pub fn validate(path: &Path, text: &str, c: &Config) -> Result<(), ConfigError> {
    let fail = |needle: (&str, &str, usize), key: String, msg: String| {
        let span = find_assignment(text, needle.0, needle.1, needle.2);
        ConfigError::Invalid(Box::new(Diagnostic::new(path, text, span, Some(key), msg)))
    };
    for (kind, list) in [
        ("prometheus", &c.prometheus),
        ("alertmanager", &c.alertmanager),
    ] {
        let mut seen = std::collections::HashSet::new();
        for (i, s) in list.iter().enumerate() {
            if !seen.insert(s.name.as_str()) {
                return Err(fail(
                    ("name", &s.name, 0),
                    format!("{kind}[{i}].name"),
                    format!("{kind} `{}` is defined more than once", s.name),
                ));
            }
        }
    }
    for (i, s) in c.services.iter().enumerate() {
        if let Some(p) = &s.prometheus
            && !c.prometheus.iter().any(|x| x.name == p.server)
        {
            let known: Vec<&str> = c.prometheus.iter().map(|x| x.name.as_str()).collect();
            return Err(fail(
                ("server", &p.server, 0),
                format!("services[{i}].prometheus.server"),
                format!(
                    "no [[prometheus]] named `{}` ({})",
                    p.server,
                    if known.is_empty() {
                        "none is defined".to_string()
                    } else {
                        format!("defined: {}", known.join(", "))
                    }
                ),
            ));
        }
        for (j, m) in s.metrics.iter().flat_map(|m| m.custom.iter()).enumerate() {
            let key = format!("services[{i}].metrics.custom[{j}]");
            match m.function {
                Some(CustomFunctionName::Ratio) if m.denominator.is_none() => {
                    return Err(fail(
                        ("label", &m.label, 0),
                        format!("{key}.denominator"),
                        "function = \"ratio\" needs a denominator metric".into(),
                    ));
                }
                Some(CustomFunctionName::Quantile)
                    if !m.quantile.is_some_and(|q| (0.0..=1.0).contains(&q)) =>
                {
                    return Err(fail(
                        ("label", &m.label, 0),
                        format!("{key}.quantile"),
                        "function = \"quantile\" needs quantile between 0 and 1 (e.g. 0.99)".into(),
                    ));
                }
                _ => {}
            }
        }
    }
    for (n, d) in c.rules.disabled.iter().enumerate() {
        if !crate::model::alert::BUILT_IN_RULES.contains(&d.as_str()) {
            let near = crate::model::alert::BUILT_IN_RULES
                .iter()
                .min_by_key(|b| strsim::levenshtein(b, d))
                .copied()
                .unwrap_or("");
            return Err(fail(
                ("disabled", d, 0),
                format!("rules.disabled[{n}]"),
                format!("no built-in rule `{d}` (did you mean `{near}`?)"),
            ));
        }
    }
    if let Some(f) = c.rules.fleet_offline
        && !(0.0..=1.0).contains(&f)
    {
        return Err(fail(
            ("fleet_offline", "", 0),
            "rules.fleet_offline".into(),
            format!("fleet_offline is a share between 0 and 1 (e.g. 0.2), not {f}"),
        ));
    }
    for (n, r) in c.rules.custom.iter().enumerate() {
        if r.above.is_none() && r.below.is_none() {
            return Err(fail(
                ("name", &r.name, 0),
                format!("rules.custom[{n}]"),
                format!("rule `{}` needs `above` or `below`", r.name),
            ));
        }
    }
    Ok(())
}
