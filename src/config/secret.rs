//! Reading secret references while the config loads: `"${ENV_VAR}"` from
//! the environment, `"file:/path/to/token"` from a file, into a
//! [`model::Secret`](crate::model::secret::Secret).
//!
//! Secrets are never written inline in the config file, and the resolved
//! value is never drawn, logged or printed (see `model::secret`).

use serde::{Deserialize, Deserializer};

use crate::model::secret::{HeaderValue, Secret, SecretSource};

/// Parses and resolves a reference.
pub fn resolve(reference: &str) -> Result<Secret, String> {
    let source = SecretSource::parse(reference)?;
    let value = match &source {
        SecretSource::Env(var) => std::env::var(var).map_err(|_| {
            format!(
                "environment variable `{var}` (from secret reference \"{reference}\") is not set"
            )
        })?,
        SecretSource::File(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read secret file `{path}`: {e}"))?
            .trim_end_matches(['\n', '\r'])
            .to_string(),
    };
    Ok(Secret::new(source, value))
}

/// A secret in the config is a reference, resolved as it is read.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        resolve(&s).map_err(serde::de::Error::custom)
    }
}

/// A header value that looks like a reference is a secret; anything else
/// is plain text on one line.
impl<'de> Deserialize<'de> for HeaderValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.starts_with("${") || s.starts_with("file:") {
            resolve(&s)
                .map(HeaderValue::Secret)
                .map_err(serde::de::Error::custom)
        } else {
            if s.contains(['\r', '\n']) {
                return Err(serde::de::Error::custom(
                    "header values cannot contain line breaks",
                ));
            }
            Ok(HeaderValue::Plain(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_secret_is_refused() {
        let e = resolve("hunter2").unwrap_err();
        assert!(e.contains("never written inline"), "{e}");
    }

    #[test]
    fn env_reference_resolves_and_debug_is_redacted() {
        // PATH is set in every test environment; the crate forbids the
        // unsafe `set_var`.
        let expected = std::env::var("PATH").unwrap();
        let s = resolve("${PATH}").unwrap();
        assert_eq!(s.expose(), expected);
        let dbg = format!("{s:?}");
        assert!(!dbg.contains(&expected), "{dbg}");
        assert!(dbg.contains("${PATH}"));
    }

    #[test]
    fn missing_env_names_the_variable() {
        let e = resolve("${OPSBOARD_SURELY_UNSET_VAR}").unwrap_err();
        assert!(e.contains("OPSBOARD_SURELY_UNSET_VAR"), "{e}");
    }

    #[test]
    fn file_reference_trims_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tok");
        std::fs::write(&p, "abc\n").unwrap();
        let s = resolve(&format!("file:{}", p.display())).unwrap();
        assert_eq!(s.expose(), "abc");
    }
}
