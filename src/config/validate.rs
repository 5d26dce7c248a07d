//! Checks of the config that serde cannot express (unique names, known
//! environments, sensible numbers), with the error pointing at the line
//! and key; the actions', metrics' and fleets' parts are in their own
//! files.

use std::path::Path;

use super::diagnostic::{ConfigError, Diagnostic, find_assignment};
use super::schema::Config;
use crate::model::ProbeUrl;

/// `unknown environment `x` (defined: a, b)`.
pub(super) fn unknown_environment(c: &Config, env: &str) -> String {
    let known: Vec<&str> = c.environments.keys().map(String::as_str).collect();
    let hint = if known.is_empty() {
        "no [environments] are defined".to_string()
    } else {
        format!("defined: {}", known.join(", "))
    };
    format!("unknown environment `{env}` ({hint})")
}

/// Checks that serde cannot express: unique names, known environments,
/// sensible numbers.
pub(super) fn validate(path: &Path, text: &str, c: &Config) -> Result<(), ConfigError> {
    let fail = |needle: Option<(&str, &str, usize)>, key: String, msg: String| {
        let span = needle.and_then(|(k, v, nth)| find_assignment(text, k, v, nth));
        ConfigError::Invalid(Box::new(Diagnostic::new(path, text, span, Some(key), msg)))
    };
    if let Some((key, msg)) = c.defaults.rollback_on.problem() {
        return Err(fail(
            Some((key, "", 0)),
            format!("defaults.rollback_on.{key}"),
            msg,
        ));
    }
    let mut seen = std::collections::HashMap::new();
    for (i, s) in c.services.iter().enumerate() {
        if s.name.trim().is_empty() {
            return Err(fail(
                Some(("name", &s.name, 0)),
                format!("services[{i}].name"),
                "service name is empty".into(),
            ));
        }
        let count = seen.entry(s.name.as_str()).or_insert(0usize);
        *count += 1;
        if *count > 1 {
            return Err(fail(
                Some(("name", &s.name, *count - 1)),
                format!("services[{i}].name"),
                format!("service `{}` is defined more than once", s.name),
            ));
        }
        if let Some(env) = &s.environment
            && !c.environments.contains_key(env)
        {
            return Err(fail(
                Some(("environment", env, 0)),
                format!("services[{i}].environment"),
                unknown_environment(c, env),
            ));
        }
        if s.compose.is_some() && s.container.is_some() {
            return Err(fail(
                Some(("container", "", 0)),
                format!("services[{i}].container"),
                format!(
                    "service `{}` binds both `compose` and `container`: use one",
                    s.name
                ),
            ));
        }
        if let Some((key, msg)) = s.rollback_on.as_ref().and_then(|r| r.problem()) {
            return Err(fail(
                Some((key, "", 0)),
                format!("services[{i}].rollback_on.{key}"),
                msg,
            ));
        }
        if let Some(argv) = &s.exec
            && argv.first().is_none_or(|a| a.trim().is_empty())
        {
            return Err(fail(
                Some(("exec", "", 0)),
                format!("services[{i}].exec"),
                "exec needs a program to run, e.g. [\"/bin/bash\", \"-l\"]".into(),
            ));
        }
        for (j, p) in s.health.iter().enumerate() {
            if p.failure_threshold == Some(0) {
                return Err(fail(
                    Some(("failure_threshold", "0", 0)),
                    format!("services[{i}].health[{j}].failure_threshold"),
                    "failure_threshold must be at least 1".into(),
                ));
            }
            if let Some(code) = p.expect_status.iter().find(|c| !(100..=599).contains(*c)) {
                return Err(fail(
                    Some(("expect_status", "", 0)),
                    format!("services[{i}].health[{j}].expect_status"),
                    format!("{code} is not an HTTP status code"),
                ));
            }
            let auth_header = p
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("authorization"));
            if p.bearer.is_some() && p.basic.is_some()
                || (auth_header && (p.bearer.is_some() || p.basic.is_some()))
            {
                return Err(fail(
                    Some(("bearer", "", 0)).filter(|_| p.bearer.is_some()).or(Some(("basic", "", 0))),
                    format!("services[{i}].health[{j}]"),
                    "a probe sends one Authorization header: use only one of `bearer`, `basic` or an `Authorization` entry in `headers`".into(),
                ));
            }
            for k in p.headers.keys() {
                if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                    return Err(fail(
                        Some(("headers", "", 0)),
                        format!("services[{i}].health[{j}].headers"),
                        format!("`{k}` is not a valid HTTP header name"),
                    ));
                }
            }
            if matches!(p.url, ProbeUrl::Tcp { .. })
                && (p.bearer.is_some() || p.basic.is_some() || !p.headers.is_empty())
            {
                return Err(fail(
                    Some(("url", &p.url.display(), 0)),
                    format!("services[{i}].health[{j}]"),
                    "a tcp:// probe cannot have headers or HTTP auth".into(),
                ));
            }
        }
    }
    super::validate_actions::validate(path, text, c)?;
    super::validate_metrics::validate(path, text, c)?;
    super::validate_fleet::validate(path, text, c)?;
    // Everything an action can target may name an environment; a name that
    // is not defined would silently leave it unprotected.
    let named = c
        .docker
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (format!("docker.hosts[{i}].environment"), &h.environment))
        .chain(
            c.alertmanager
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("alertmanager[{i}].environment"), &a.environment)),
        )
        .chain(
            c.prometheus
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("prometheus[{i}].environment"), &a.environment)),
        )
        .chain(
            c.fleet
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("fleet[{i}].environment"), &f.environment)),
        );
    for (key, env) in named {
        if let Some(env) = env
            && !c.environments.contains_key(env)
        {
            return Err(fail(
                Some(("environment", env, 0)),
                key,
                unknown_environment(c, env),
            ));
        }
    }
    if c.defaults.failure_threshold == 0 {
        return Err(fail(
            Some(("failure_threshold", "0", 0)),
            "defaults.failure_threshold".into(),
            "failure_threshold must be at least 1".into(),
        ));
    }
    if c.defaults.max_concurrent_probes == 0 {
        return Err(fail(
            Some(("max_concurrent_probes", "0", 0)),
            "defaults.max_concurrent_probes".into(),
            "max_concurrent_probes must be at least 1".into(),
        ));
    }
    Ok(())
}
