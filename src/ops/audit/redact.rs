//! What reaches the file: every string of a record with registered secret
//! values masked ([`crate::model::text::redact`]) and control characters
//! replaced, and, as defence in depth, every parameter whose *name* looks
//! secret masked unless its value is a secret reference.

use std::collections::BTreeMap;

use crate::model::text;

/// What redacted parameter values are replaced with.
pub const REDACTED: &str = "***";

/// Whether a parameter name suggests a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "token", "secret", "key"]
        .iter()
        .any(|w| k.contains(w))
}

/// Whether a value is a secret reference (`${VAR}`, `file:/path`) rather
/// than a secret; the same forms the config accepts.
pub fn is_secret_reference(value: &str) -> bool {
    if let Some(name) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        return !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
    }
    value.strip_prefix("file:").is_some_and(|p| !p.is_empty())
}

/// Replaces the value of every secret-looking parameter with `***` unless
/// it is a reference, masks every registered secret value in keys and
/// values, and replaces control characters. Over-redacts on purpose
/// (`monkey` contains `key`). Two keys that become equal once cleaned are
/// both kept (the second as `key (2)`).
pub fn redact_parameters(params: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in params {
        let key = safe(k);
        let value = if (is_secret_key(k) || is_secret_key(&key)) && !is_secret_reference(v) {
            REDACTED.to_string()
        } else {
            safe(v)
        };
        let mut unique = key.clone();
        let mut n = 1;
        while out.contains_key(&unique) {
            n += 1;
            unique = format!("{key} ({n})");
        }
        out.insert(unique, value);
    }
    out
}

/// One string for the file: secrets masked, then control characters
/// (newlines, escapes, bidi overrides) replaced.
pub fn safe(s: &str) -> String {
    text::safe(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_rules() {
        for k in [
            "password",
            "DB_PASSWORD",
            "api_token",
            "Secret",
            "ssh_key",
            "KEY",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["region", "host", "count"] {
            assert!(!is_secret_key(k), "{k}");
        }
        for v in ["${API_TOKEN}", "file:/etc/opsboard/token", "file:rel"] {
            assert!(is_secret_reference(v), "{v}");
        }
        for v in [
            "hunter2",
            "${}",
            "${1X}",
            "${A B}",
            "file:",
            "$API_TOKEN",
            "",
        ] {
            assert!(!is_secret_reference(v), "{v}");
        }
    }

    #[test]
    fn registered_values_are_masked_in_keys_and_values_and_controls_replaced() {
        text::register_secret("Redact-Unit-Canary-31");
        let params: BTreeMap<String, String> = [
            (
                "url",
                "postgres://app@db/x?sslpassword=Redact-Unit-Canary-31",
            ),
            ("Redact-Unit-Canary-31", "v"),
            ("note", "a\x1b[2Jb\nc"),
            ("note\n", "second"),
            ("db_password", "${DB_PW}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let out = redact_parameters(&params);
        let all = format!("{out:?}");
        assert!(!all.contains("Redact-Unit-Canary-31"), "{all}");
        assert!(!all.contains('\x1b') && !all.contains('\n'), "{all}");
        assert_eq!(out["url"], "postgres://app@db/x?sslpassword=***");
        assert_eq!(out["***"], "v");
        assert_eq!(out["db_password"], "${DB_PW}");
        // `note` and `note\n` clean to different keys; nothing is lost.
        assert_eq!(out.len(), 5, "{out:?}");
        let collide: BTreeMap<String, String> = [("a\x07", "1"), ("a\x1b", "2")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(redact_parameters(&collide).len(), 2);
    }
}
