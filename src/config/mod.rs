//! Configuration: where the file is, what it says, and errors that point at
//! the exact line and key.

pub mod diagnostic;
pub mod schema;
pub mod schema_fleet;
pub mod schema_metrics;
pub mod schema_redirect;
pub mod secret;
mod validate_fleet;
mod validate_metrics;

use std::path::{Path, PathBuf};

pub use diagnostic::{ConfigError, Diagnostic};
pub use schema::{
    AuditConfig, BackupDefaults, BackupJobConfig, BasicAuth, ComposeBinding, Config, Defaults,
    DockerConfig, DockerHostConfig, EnvironmentConfig, HeaderValue, KubernetesConfig, ProbeConfig,
    RunbookConfig, ServiceConfig, WorkloadBinding,
};
pub use schema_redirect::RedirectHost;
pub use secret::Secret;

use crate::model::ProbeUrl;

/// Where the config was looked for and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigLocation {
    /// `--config PATH`
    Flag(PathBuf),
    /// `$OPSBOARD_CONFIG`
    Env(PathBuf),
    /// The XDG config dir (`~/.config/opsboard/config.toml`).
    Default(PathBuf),
    /// No config dir could be determined (no home directory).
    Nowhere,
}

impl ConfigLocation {
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigLocation::Flag(p) | ConfigLocation::Env(p) | ConfigLocation::Default(p) => {
                Some(p)
            }
            ConfigLocation::Nowhere => None,
        }
    }
}

/// The config file in effect, in lookup order: `--config`, `$OPSBOARD_CONFIG`,
/// then the XDG config dir.
pub fn locate(flag: Option<&Path>) -> ConfigLocation {
    if let Some(p) = flag {
        return ConfigLocation::Flag(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("OPSBOARD_CONFIG").filter(|v| !v.is_empty()) {
        return ConfigLocation::Env(PathBuf::from(p));
    }
    match directories::ProjectDirs::from("", "", "opsboard") {
        Some(dirs) => ConfigLocation::Default(dirs.config_dir().join("config.toml")),
        None => ConfigLocation::Nowhere,
    }
}

/// A loaded config and what the board should say about where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
    /// Shown on screen, e.g. that no config file exists.
    pub notice: Option<String>,
}

/// Loads the config at `location`. A file named explicitly must exist; a
/// missing default file means "discovery only", which is said on screen.
pub fn load(location: &ConfigLocation) -> Result<Loaded, ConfigError> {
    match location {
        ConfigLocation::Flag(p) | ConfigLocation::Env(p) => {
            let config = load_file(p)?;
            Ok(Loaded {
                config,
                path: Some(p.clone()),
                notice: None,
            })
        }
        ConfigLocation::Default(p) => match std::fs::read_to_string(p) {
            Ok(text) => Ok(Loaded {
                config: parse(p, &text)?,
                path: Some(p.clone()),
                notice: None,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Loaded {
                config: Config::default(),
                path: None,
                notice: Some(format!(
                    "no config file ({} not found): discovery only",
                    p.display()
                )),
            }),
            Err(source) => Err(ConfigError::Io {
                path: p.clone(),
                source,
            }),
        },
        ConfigLocation::Nowhere => Ok(Loaded {
            config: Config::default(),
            path: None,
            notice: Some("no config directory (no home): discovery only".into()),
        }),
    }
}

pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses and validates config text. `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let de = toml::Deserializer::new(text);
    let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let key = (key != ".").then_some(key);
        ConfigError::Invalid(Box::new(Diagnostic::new(
            path,
            text,
            inner.span(),
            key,
            inner.message().trim().to_string(),
        )))
    })?;
    validate(path, text, &config)?;
    Ok(config)
}

/// `unknown environment `x` (defined: a, b)`.
fn unknown_environment(c: &Config, env: &str) -> String {
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
fn validate(path: &Path, text: &str, c: &Config) -> Result<(), ConfigError> {
    let fail = |needle: Option<(&str, &str, usize)>, key: String, msg: String| {
        let span = needle.and_then(|(k, v, nth)| find_assignment(text, k, v, nth));
        ConfigError::Invalid(Box::new(Diagnostic::new(path, text, span, Some(key), msg)))
    };
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
    validate_actions(path, text, c)?;
    validate_metrics::validate(path, text, c)?;
    validate_fleet::validate(path, text, c)?;
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

/// Byte span of the `nth` line assigning `key` a value containing `value`.
fn find_assignment(
    text: &str,
    key: &str,
    value: &str,
    nth: usize,
) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    let mut hits = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
            && rest.contains(value)
        {
            if hits == nth {
                let start = offset + (line.len() - trimmed.len());
                return Some(start..start + key.len());
            }
            hits += 1;
        }
        offset += line.len();
    }
    None
}

/// Placeholders a runbook argv may use.
pub const RUNBOOK_PLACEHOLDERS: &[&str] = &["service", "namespace", "context", "container", "host"];

/// Backup jobs and runbooks: unique names, the keys each kind needs, known
/// placeholders.
fn validate_actions(path: &Path, text: &str, c: &Config) -> Result<(), ConfigError> {
    use crate::model::BackupKind;
    let fail = |needle: (&str, &str, usize), key: String, msg: String| {
        let span = find_assignment(text, needle.0, needle.1, needle.2);
        ConfigError::Invalid(Box::new(Diagnostic::new(path, text, span, Some(key), msg)))
    };
    let mut jobs: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, s) in c.services.iter().enumerate() {
        for (j, b) in s.backups.iter().enumerate() {
            let key = format!("services[{i}].backups[{j}]");
            let seen = jobs.entry(b.name.as_str()).or_insert(0);
            *seen += 1;
            let at_name = ("name", b.name.as_str(), 0);
            if *seen > 1 {
                return Err(fail(
                    ("name", &b.name, *seen - 1),
                    format!("{key}.name"),
                    format!(
                        "backup job `{}` is defined more than once (job names are unique across services)",
                        b.name
                    ),
                ));
            }
            let valid_name = !b.name.is_empty()
                && b.name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
                && !b.name.starts_with('.');
            if !valid_name {
                return Err(fail(
                    at_name,
                    format!("{key}.name"),
                    format!(
                        "backup job name `{}` may only use letters, digits, `-`, `_` and `.` (it names files)",
                        b.name
                    ),
                ));
            }
            let need = |present: bool, what: &str| -> Result<(), ConfigError> {
                if present {
                    Ok(())
                } else {
                    Err(fail(
                        at_name,
                        key.clone(),
                        format!(
                            "backup job `{}` of kind `{}` needs `{what}`",
                            b.name,
                            b.kind.word()
                        ),
                    ))
                }
            };
            let foreign = |name: &str, present: bool| -> Result<(), ConfigError> {
                if present {
                    Err(fail(
                        (name, "", 0),
                        format!("{key}.{name}"),
                        format!(
                            "`{name}` does not apply to a `{}` backup job",
                            b.kind.word()
                        ),
                    ))
                } else {
                    Ok(())
                }
            };
            match b.kind {
                BackupKind::Redis => {
                    need(b.address.is_some(), "address = \"host:port\"")?;
                    if let Some(a) = &b.address
                        && a.rsplit_once(':')
                            .and_then(|(_, p)| p.parse::<u16>().ok())
                            .is_none()
                    {
                        return Err(fail(
                            ("address", a, 0),
                            format!("{key}.address"),
                            format!("`{a}` is not host:port"),
                        ));
                    }
                    foreign("url", b.url.is_some())?;
                    foreign("path", b.path.is_some())?;
                    foreign("command", !b.command.is_empty())?;
                }
                BackupKind::Postgres => {
                    need(b.url.is_some(), "url = \"${DATABASE_URL}\"")?;
                    foreign("address", b.address.is_some())?;
                    foreign("path", b.path.is_some())?;
                    foreign("command", !b.command.is_empty())?;
                }
                BackupKind::Files => {
                    need(b.path.is_some(), "path = \"/dir/to/archive\"")?;
                    foreign("address", b.address.is_some())?;
                    foreign("url", b.url.is_some())?;
                    foreign("command", !b.command.is_empty())?;
                }
                BackupKind::Command => {
                    need(!b.command.is_empty(), "command = [\"program\", \"arg\"]")?;
                    foreign("address", b.address.is_some())?;
                    foreign("url", b.url.is_some())?;
                    foreign("path", b.path.is_some())?;
                }
            }
            if b.keep_last == Some(0) {
                return Err(fail(
                    ("keep_last", "0", 0),
                    format!("{key}.keep_last"),
                    "keep_last must be at least 1".into(),
                ));
            }
        }
    }
    let check_runbooks = |list: &[RunbookConfig], scope: String| -> Result<(), ConfigError> {
        let mut names = std::collections::HashSet::new();
        for (k, r) in list.iter().enumerate() {
            let key = format!("{scope}[{k}]");
            if !names.insert(r.name.as_str()) {
                return Err(fail(
                    ("name", &r.name, 1),
                    format!("{key}.name"),
                    format!("runbook `{}` is defined more than once here", r.name),
                ));
            }
            let Some(program) = r.command.first() else {
                return Err(fail(
                    ("name", &r.name, 0),
                    format!("{key}.command"),
                    format!("runbook `{}` needs `command = [\"program\", …]`", r.name),
                ));
            };
            if program.contains('{') {
                return Err(fail(
                    ("command", "", 0),
                    format!("{key}.command"),
                    "the program (first element) cannot be a placeholder".into(),
                ));
            }
            for arg in &r.command {
                for ph in placeholders(arg) {
                    if !RUNBOOK_PLACEHOLDERS.contains(&ph) {
                        let known = RUNBOOK_PLACEHOLDERS
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        return Err(fail(
                            ("command", "", 0),
                            format!("{key}.command"),
                            format!("unknown placeholder `{{{ph}}}` in `{arg}`; known: {known}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    };
    check_runbooks(&c.runbooks, "runbooks".into())?;
    for (i, s) in c.services.iter().enumerate() {
        check_runbooks(&s.runbooks, format!("services[{i}].runbooks"))?;
    }
    Ok(())
}

/// The `{name}` placeholders in one argv element.
pub fn placeholders(arg: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}
