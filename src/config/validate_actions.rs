//! Checks of the backup jobs and runbooks: unique names, the keys each
//! kind needs, known placeholders.

use std::path::Path;

use super::diagnostic::find_assignment;
use super::diagnostic::{ConfigError, Diagnostic};
use super::schema::{Config, RunbookConfig};
use crate::model::action::runbook_template::{RUNBOOK_PLACEHOLDERS, placeholders};

/// Backup jobs and runbooks: unique names, the keys each kind needs, known
/// placeholders.
pub(super) fn validate(path: &Path, text: &str, c: &Config) -> Result<(), ConfigError> {
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
