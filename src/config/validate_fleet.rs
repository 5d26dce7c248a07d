//! Checks of `[[fleet]]` that the schema alone cannot express, with the
//! line of the offending key: one source per fleet, a URL template that
//! names `{host}`, host ranges that expand, shares between 0 and 1.

use std::path::Path;

use super::diagnostic::find_assignment;
use super::diagnostic::{ConfigError, Diagnostic};
use super::schema::Config;
use super::schema_fleet::{FleetConfig, MAX_DEVICES, expand_hosts};

pub fn validate(path: &Path, text: &str, c: &Config) -> Result<(), ConfigError> {
    let fail = |needle: (&str, &str), key: String, msg: String| {
        let span = find_assignment(text, needle.0, needle.1, 0);
        ConfigError::Invalid(Box::new(Diagnostic::new(path, text, span, Some(key), msg)))
    };
    let mut names = std::collections::HashSet::new();
    for (i, f) in c.fleet.iter().enumerate() {
        let at = format!("fleet[{i}]");
        if f.name.trim().is_empty() || !names.insert(f.name.as_str()) {
            return Err(fail(
                ("name", &f.name),
                format!("{at}.name"),
                format!("fleet names must be unique and not empty (`{}`)", f.name),
            ));
        }
        source(f, c, &at)
            .map_err(|(key, value, msg)| fail((key, value), format!("{at}.{key}"), msg))?;
        let mut devices = 0usize;
        let groups = std::iter::once((format!("{at}.hosts"), &f.hosts, f.offline_threshold)).chain(
            f.groups.iter().enumerate().map(|(j, g)| {
                (
                    format!("{at}.groups[{j}].hosts"),
                    &g.hosts,
                    g.offline_threshold,
                )
            }),
        );
        for (key, hosts, threshold) in groups {
            for h in hosts {
                let n = expand_hosts(h, MAX_DEVICES)
                    .map_err(|e| fail(("hosts", h), key.clone(), e))?
                    .len();
                devices += n;
                if devices > MAX_DEVICES {
                    return Err(fail(
                        ("hosts", h),
                        key,
                        format!("the fleet has more than {MAX_DEVICES} hosts"),
                    ));
                }
            }
            if let Some(t) = threshold
                && !(t > 0.0 && t <= 1.0)
            {
                let key = key.replace(".hosts", ".offline_threshold");
                return Err(fail(
                    ("offline_threshold", ""),
                    key,
                    format!(
                        "offline_threshold is a share above 0 and at most 1 (e.g. 0.2), not {t}"
                    ),
                ));
            }
        }
        if f.concurrency == Some(0) {
            return Err(fail(
                ("concurrency", "0"),
                format!("{at}.concurrency"),
                "concurrency must be at least 1".into(),
            ));
        }
    }
    Ok(())
}

/// `(key, value to find its line, message)` when the fleet's source is
/// not exactly one of `url` with hosts, or `prometheus` with `query`.
fn source<'a>(
    f: &'a FleetConfig,
    c: &Config,
    _at: &str,
) -> Result<(), (&'static str, &'a str, String)> {
    let has_hosts = !f.hosts.is_empty() || f.groups.iter().any(|g| !g.hosts.is_empty());
    match (&f.url, &f.prometheus) {
        (Some(_), Some(p)) => Err((
            "prometheus",
            p,
            "a fleet is polled through `url` or queried from `prometheus`, not both".into(),
        )),
        (None, None) => Err((
            "name",
            &f.name,
            "a fleet needs `url` (a health endpoint template with {host}) and hosts, or `prometheus` and `query`".into(),
        )),
        (Some(u), None) => {
            if !u.contains("{host}") {
                return Err(("url", u, format!("`{u}` does not contain {{host}}")));
            }
            let sample = u.replace("{host}", "host").replace("{location}", "loc");
            match url::Url::parse(&sample) {
                Ok(x) if matches!(x.scheme(), "http" | "https") => {}
                _ => {
                    return Err((
                        "url",
                        u,
                        format!("`{u}` is not an http:// or https:// URL template"),
                    ));
                }
            }
            if !has_hosts {
                return Err(("url", u, "the fleet lists no hosts (`hosts` or `[[fleet.groups]]`)".into()));
            }
            Ok(())
        }
        (None, Some(p)) => {
            if !c.prometheus.iter().any(|s| s.name == *p) {
                let known: Vec<&str> = c.prometheus.iter().map(|s| s.name.as_str()).collect();
                return Err((
                    "prometheus",
                    p,
                    format!(
                        "no [[prometheus]] named `{p}` ({})",
                        if known.is_empty() {
                            "none is defined".into()
                        } else {
                            format!("defined: {}", known.join(", "))
                        }
                    ),
                ));
            }
            if f.query.as_deref().is_none_or(|q| q.trim().is_empty()) {
                return Err(("prometheus", p, "a query fleet needs `query` (e.g. up{job=\"edge\"})".into()));
            }
            if has_hosts {
                return Err(("prometheus", p, "a query fleet's devices come from the query: drop `hosts`".into()));
            }
            Ok(())
        }
    }
}
