//! `opsboard audit show` and `opsboard audit verify`.
//!
//! They read only `[audit] path` from the config file: not the rest of the
//! schema, and no secret reference is resolved. Checking the audit log must
//! work on a machine (or in a shell) where the `${ENV}` secrets the board
//! needs are not set, and must not need them.
//!
//! Exit codes: 0 the log verifies (confirmed jobs with no outcome are
//! listed, not failures: a crash or a job still running is not tampering);
//! 1 something is wrong with the file, or the expected head is not on its
//! chain; 2 the log or the config cannot be read, or an argument is wrong.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use opsboard::cli::AuditCommand;
use opsboard::config::{ConfigError, ConfigLocation, Diagnostic};
use opsboard::ops::audit::{self, AuditLog};

/// Runs one `audit` command; returns the exit code.
pub fn run(location: &ConfigLocation, command: AuditCommand) -> u8 {
    let path = match audit_path(location) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let Some(path) = path.or_else(AuditLog::default_path) else {
        eprintln!("opsboard: no audit log location (no home directory and no [audit] path)");
        return 2;
    };
    let log = AuditLog::new(path);
    match command {
        AuditCommand::Verify { expect_head } => verify(&log, expect_head.as_deref()),
        AuditCommand::Show { since, json } => show(&log, since.as_deref(), json),
    }
}

fn verify(log: &AuditLog, expect_head: Option<&str>) -> u8 {
    if let Some(h) = expect_head
        && !audit::is_head_hash(h)
    {
        eprintln!(
            "opsboard: --expect-head `{}` is not a head: 64 hex digits, as `opsboard audit \
             verify` prints it",
            opsboard::model::text::clean(h)
        );
        return 2;
    }
    match log.verify_expecting(expect_head) {
        Ok(report) => {
            println!("{}", audit::format_report(log.path(), &report));
            if report.is_ok() { 0 } else { 1 }
        }
        Err(e) => {
            eprintln!("opsboard: {e}");
            2
        }
    }
}

fn show(log: &AuditLog, since: Option<&str>, json: bool) -> u8 {
    let since = match since.map(parse_since).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("opsboard: {e}");
            return 2;
        }
    };
    match log.read(since) {
        Ok(entries) if json => {
            for e in &entries {
                println!("{}", audit::format_json_line(e));
            }
            0
        }
        Ok(entries) => {
            print!("{}", audit::format_entries(&entries));
            0
        }
        Err(e) => {
            eprintln!("opsboard: {e}");
            2
        }
    }
}

/// `--since 2h` or `--since 2026-11-21T09:00:00Z`.
fn parse_since(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let d = humantime::parse_duration(s).map_err(|_| {
        format!(
            "--since `{}` is neither a duration (2h, 7d) nor an RFC 3339 time",
            opsboard::model::text::clean(s)
        )
    })?;
    let d = chrono::Duration::from_std(d).map_err(|e| format!("--since `{s}`: {e}"))?;
    Ok(chrono::Utc::now() - d)
}

/// The part of the config file the audit commands read.
#[derive(Debug, Default, Deserialize)]
struct AuditOnly {
    #[serde(default)]
    audit: AuditTable,
}

/// `[audit]`, as strict as the full schema.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditTable {
    path: Option<PathBuf>,
}

/// `[audit] path` from the config file in effect, if any. A missing default
/// file is no config; a file named explicitly must exist.
pub fn audit_path(location: &ConfigLocation) -> Result<Option<PathBuf>, ConfigError> {
    let (file, must_exist) = match location {
        ConfigLocation::Flag(p) | ConfigLocation::Env(p) => (p, true),
        ConfigLocation::Default(p) => (p, false),
        ConfigLocation::Nowhere => return Ok(None),
    };
    match std::fs::read_to_string(file) {
        Ok(text) => parse_audit_path(file, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => Ok(None),
        Err(source) => Err(ConfigError::Io {
            path: file.clone(),
            source,
        }),
    }
}

fn parse_audit_path(file: &Path, text: &str) -> Result<Option<PathBuf>, ConfigError> {
    let de = toml::Deserializer::new(text);
    let only: AuditOnly = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        ConfigError::Invalid(Box::new(Diagnostic::new(
            file,
            text,
            inner.span(),
            (key != ".").then_some(key),
            inner.message().trim().to_string(),
        )))
    })?;
    Ok(only.audit.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_audit_path_is_read_and_no_secret_resolved() {
        let f = Path::new("opsboard.toml");
        let text = r#"
theme = "mono"
[[services]]
name = "api"
[[services.health]]
url = "https://api.internal/health"
bearer = "${OPSBOARD_SURELY_UNSET_FOR_AUDIT}"
[audit]
path = "/var/log/opsboard/audit.jsonl"
"#;
        assert_eq!(
            parse_audit_path(f, text).unwrap(),
            Some(PathBuf::from("/var/log/opsboard/audit.jsonl"))
        );
        assert_eq!(parse_audit_path(f, "theme = 'x'\n").unwrap(), None);
        let e = parse_audit_path(f, "[audit]\npth = 'x'\n").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("pth") && text.contains(":2"), "{text}");
        assert!(parse_audit_path(f, "[audit\n").is_err());
    }

    #[test]
    fn since_takes_durations_and_times() {
        assert!(parse_since("2h").is_ok());
        assert!(parse_since("2025-01-31T12:00:00Z").is_ok());
        let e = parse_since("garbage\x1b").unwrap_err();
        assert!(e.contains("--since `garbage") && !e.contains('\x1b'), "{e}");
    }
}
