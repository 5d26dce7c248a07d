//! Secret references: `"${ENV_VAR}"` or `"file:/path/to/token"`.
//!
//! Secrets are never written inline in the config file, and the resolved
//! value is never drawn, logged or printed: `Secret` has no `Display` and its
//! `Debug` is redacted.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// Where a secret comes from, as written in the config.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(String),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(v) => write!(f, "${{{v}}}"),
            SecretSource::File(p) => write!(f, "file:{p}"),
        }
    }
}

/// A resolved secret and the reference it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    source: SecretSource,
    value: String,
}

impl Secret {
    /// The secret's value. Call only where it is sent to the system that
    /// needs it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The reference as written (`${API_TOKEN}`), safe to show.
    pub fn source(&self) -> &SecretSource {
        &self.source
    }

    /// Parses and resolves a reference.
    pub fn resolve(reference: &str) -> Result<Secret, String> {
        let source = parse_reference(reference)?;
        let value = match &source {
            SecretSource::Env(var) => std::env::var(var).map_err(|_| {
                format!("environment variable `{var}` (from secret reference \"{reference}\") is not set")
            })?,
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read secret file `{path}`: {e}"))?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        };
        crate::model::text::register_secret(&value);
        Ok(Secret { source, value })
    }

    /// A secret for tests and the demo world, not read from anywhere.
    pub fn literal_for_tests(value: &str) -> Secret {
        crate::model::text::register_secret(value);
        Secret {
            source: SecretSource::Env("TEST".into()),
            value: value.into(),
        }
    }
}

fn parse_reference(reference: &str) -> Result<SecretSource, String> {
    if let Some(inner) = reference
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
    {
        let valid = !inner.is_empty()
            && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !inner.starts_with(|c: char| c.is_ascii_digit());
        if valid {
            return Ok(SecretSource::Env(inner.to_string()));
        }
        return Err(format!(
            "`{reference}` is not a valid environment variable reference"
        ));
    }
    if let Some(path) = reference.strip_prefix("file:") {
        if path.is_empty() {
            return Err("`file:` needs a path, e.g. \"file:/etc/opsboard/token\"".into());
        }
        return Ok(SecretSource::File(path.to_string()));
    }
    Err(
        "secrets are referenced, never written inline: use \"${ENV_VAR}\" or \"file:/path/to/secret\""
            .into(),
    )
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} = ***)", self.source)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Secret::resolve(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_secret_is_refused() {
        let e = Secret::resolve("hunter2").unwrap_err();
        assert!(e.contains("never written inline"), "{e}");
    }

    #[test]
    fn env_reference_resolves_and_debug_is_redacted() {
        // PATH is set in every test environment; the crate forbids the
        // unsafe `set_var`.
        let expected = std::env::var("PATH").unwrap();
        let s = Secret::resolve("${PATH}").unwrap();
        assert_eq!(s.expose(), expected);
        let dbg = format!("{s:?}");
        assert!(!dbg.contains(&expected), "{dbg}");
        assert!(dbg.contains("${PATH}"));
    }

    #[test]
    fn missing_env_names_the_variable() {
        let e = Secret::resolve("${OPSBOARD_SURELY_UNSET_VAR}").unwrap_err();
        assert!(e.contains("OPSBOARD_SURELY_UNSET_VAR"), "{e}");
    }

    #[test]
    fn file_reference_trims_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tok");
        std::fs::write(&p, "abc\n").unwrap();
        let s = Secret::resolve(&format!("file:{}", p.display())).unwrap();
        assert_eq!(s.expose(), "abc");
    }
}
