//! The environment a child process starts with: cleared, then a short
//! allowlist passed through from opsboard's own environment, then what the
//! caller adds explicitly.
//!
//! opsboard runs with whatever its user's shell exported — cloud
//! credentials, `PGPASSWORD`, API tokens, `LD_PRELOAD` — and a backup
//! command, `pg_dump` or a runbook step has no business seeing any of it.
//! A child gets only what it needs to find programs and to print and parse
//! text the way its user expects; anything else (a password, a service
//! file) is handed over by name in `extra`, where a reviewer can see it.
//!
//! ```no_run
//! let mut cmd = tokio::process::Command::new("pg_dump");
//! opsboard::ops::child_env::apply(&mut cmd, &[("PGSERVICE", "opsboard")]);
//! ```

use std::ffi::{OsStr, OsString};

/// Variables passed through from opsboard's environment, and why:
///
/// - `PATH`: how a configured argv (`pg_dump`, `sh`) finds its program and
///   what that program finds in turn.
/// - `HOME`: where tools read their own settings (`~/.pgpass`, `~/.ssh`,
///   `~/.kube`), and the expansion of `~`.
/// - `USER`, `LOGNAME`: who runs it; tools default a user name from these
///   (libpq, ssh).
/// - `LANG`, `LC_ALL`, `LC_CTYPE`: the character set and language of what a
///   tool prints and parses; without them output falls back to ASCII `C`.
/// - `TZ`: timestamps in output and file names in the operator's zone.
/// - `TMPDIR`: where a tool puts its temporary files (often a private or
///   bigger volume on purpose).
/// - `TERM`: what a tool may assume about a terminal, for the few that
///   check (most see pipes).
pub const PASSED_THROUGH: [&str; 10] = [
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TERM",
];

/// What a runbook also gets, because the commands operators put there
/// (`ssh`, `kubectl`, `docker`) find their agent and cluster through them:
/// locations, never credentials.
pub const RUNBOOK_PASSED_THROUGH: [&str; 6] = [
    "SSH_AUTH_SOCK",
    "KUBECONFIG",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "XDG_RUNTIME_DIR",
];

/// A runbook's environment: [`child_vars`] plus [`RUNBOOK_PASSED_THROUGH`],
/// then its configured `env` (which wins).
pub fn apply_runbook<'a, K: AsRef<OsStr>, V: AsRef<OsStr>>(
    cmd: &'a mut tokio::process::Command,
    extra: &[(K, V)],
) -> &'a mut tokio::process::Command {
    let mut vars: Vec<(OsString, OsString)> = RUNBOOK_PASSED_THROUGH
        .iter()
        .filter_map(|&k| std::env::var_os(k).map(|v| (OsString::from(k), v)))
        .collect();
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| (k.as_ref().to_os_string(), v.as_ref().to_os_string())),
    );
    cmd.env_clear().envs(child_vars(&vars))
}

/// For callers with nothing to add: `apply(&mut cmd, NO_EXTRA)`.
pub const NO_EXTRA: &[(&str, &str)] = &[];

/// The allowlisted variables opsboard itself has, in [`PASSED_THROUGH`]
/// order.
pub fn inherited() -> Vec<(&'static str, OsString)> {
    PASSED_THROUGH
        .iter()
        .filter_map(|&k| std::env::var_os(k).map(|v| (k, v)))
        .collect()
}

/// The whole environment a child gets: [`inherited`], then `extra` (which
/// wins over an inherited value of the same name).
pub fn child_vars<K: AsRef<OsStr>, V: AsRef<OsStr>>(extra: &[(K, V)]) -> Vec<(OsString, OsString)> {
    let mut vars: Vec<(OsString, OsString)> = inherited()
        .into_iter()
        .map(|(k, v)| (OsString::from(k), v))
        .collect();
    for (k, v) in extra {
        let k = k.as_ref().to_os_string();
        vars.retain(|(have, _)| *have != k);
        vars.push((k, v.as_ref().to_os_string()));
    }
    vars
}

/// Clears `cmd`'s environment and sets exactly [`child_vars`]`(extra)`.
pub fn apply<'a, K: AsRef<OsStr>, V: AsRef<OsStr>>(
    cmd: &'a mut tokio::process::Command,
    extra: &[(K, V)],
) -> &'a mut tokio::process::Command {
    cmd.env_clear().envs(child_vars(extra))
}

/// [`apply`] for a `std::process::Command`.
pub fn apply_std<'a, K: AsRef<OsStr>, V: AsRef<OsStr>>(
    cmd: &'a mut std::process::Command,
    extra: &[(K, V)],
) -> &'a mut std::process::Command {
    cmd.env_clear().envs(child_vars(extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_is_added_and_wins_over_an_inherited_value() {
        let vars = child_vars(&[("PATH", "/only/here"), ("PGSERVICE", "opsboard")]);
        let get = |k: &str| {
            vars.iter()
                .filter(|(have, _)| have == k)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("PATH"), [OsString::from("/only/here")]);
        assert_eq!(get("PGSERVICE"), [OsString::from("opsboard")]);
        for (k, _) in &vars {
            let k = k.to_str().unwrap();
            assert!(
                PASSED_THROUGH.contains(&k) || k == "PGSERVICE",
                "{k} is neither allowlisted nor extra"
            );
        }
    }

    #[test]
    fn a_built_command_sets_only_allowlisted_and_extra_variables() {
        let mut cmd = std::process::Command::new("true");
        apply_std(&mut cmd, &[("EXTRA".to_string(), "1".to_string())]);
        for (k, _) in cmd.get_envs() {
            let k = k.to_str().unwrap();
            assert!(PASSED_THROUGH.contains(&k) || k == "EXTRA", "{k}");
        }
        // The child sees nothing else: run it and read its environment.
        let out = apply_std(&mut std::process::Command::new("env"), NO_EXTRA)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            let (k, _) = line.split_once('=').unwrap_or((line, ""));
            assert!(PASSED_THROUGH.contains(&k), "{k} reached the child");
        }
    }
}
