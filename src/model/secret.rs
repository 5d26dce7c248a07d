//! Secret references and the values they resolved to: `"${ENV_VAR}"` or
//! `"file:/path/to/token"`, as plain data.
//!
//! The value is never drawn, logged or printed: `Secret` has no `Display`,
//! its `Debug` shows only the reference, and every value is registered with
//! [`super::text::register_secret`] so it is masked wherever it appears.
//! Reading a reference (the environment, a file) is the config loader's job
//! (`config::secret::resolve`).

use std::fmt;

/// Where a secret comes from, as written in the config.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(String),
}

impl SecretSource {
    /// Reads a reference as written: `${VAR}` or `file:/path`.
    pub fn parse(reference: &str) -> Result<SecretSource, String> {
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
    /// The secret `source` resolved to `value`; from here on `value` is
    /// masked in everything opsboard draws, logs or writes.
    pub fn new(source: SecretSource, value: String) -> Secret {
        super::text::register_secret(&value);
        Secret { source, value }
    }

    /// The secret's value. Call only where it is sent to the system that
    /// needs it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The reference as written (`${API_TOKEN}`), safe to show.
    pub fn source(&self) -> &SecretSource {
        &self.source
    }

    /// A secret for tests and the demo world, not read from anywhere.
    pub fn literal_for_tests(value: &str) -> Secret {
        Secret::new(SecretSource::Env("TEST".into()), value.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} = ***)", self.source)
    }
}

/// A header (or environment) value: plain text, or a secret reference for
/// values that are credentials (`"${API_KEY}"`, `"file:…"`).
#[derive(Debug, Clone)]
pub enum HeaderValue {
    Plain(String),
    Secret(Secret),
}

impl HeaderValue {
    pub fn expose(&self) -> &str {
        match self {
            HeaderValue::Plain(s) => s,
            HeaderValue::Secret(s) => s.expose(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_secret_is_refused() {
        let Err(e) = SecretSource::parse("hunter2") else {
            panic!("an inline secret was read");
        };
        assert!(e.contains("never written inline"), "{e}");
    }

    #[test]
    fn debug_shows_the_reference_not_the_value() {
        let s = Secret::new(SecretSource::Env("API_TOKEN".into()), "v4lue-s3cret".into());
        let dbg = format!("{s:?} {:?}", HeaderValue::Secret(s.clone()));
        assert!(!dbg.contains("v4lue-s3cret"), "{dbg}");
        assert!(dbg.contains("${API_TOKEN}"), "{dbg}");
    }
}
