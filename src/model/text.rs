//! Text that came from outside, made safe to show: every registered secret
//! value masked, every control character removed.
//!
//! Secrets are registered once, when a reference is resolved
//! (`config::secret::resolve`), and masked *by value* wherever they appear:
//! in plan text, job output, error messages, the log file, the audit log,
//! command output and on screen — whatever key or URL part carries them.
//! Control characters (C0, DEL, C1, and the bidirectional overrides that
//! reorder what a reader sees) are replaced before anything from a body,
//! label, name or log is printed or drawn, so a remote service cannot move
//! the cursor, clear the screen or write the clipboard (OSC 52).

use std::borrow::Cow;
use std::sync::RwLock;

/// What a masked secret is replaced with.
pub const MASK: &str = "***";

/// What a removed control character is replaced with.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Shorter values are not masked: masking every `a` on screen would hide
/// everything and protect nothing (such a value is no secret).
pub const MIN_SECRET_LEN: usize = 4;

/// Every secret value known to this process, longest first (so a secret
/// that contains another is masked whole).
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a secret value (and the forms it takes inside URLs and
/// connection strings) so that [`redact`] masks it everywhere.
pub fn register_secret(value: &str) {
    let mut forms = vec![value.to_string()];
    let encoded = percent_encode(value);
    if encoded != value {
        forms.push(encoded);
    }
    forms.extend(url_password_parts(value));
    let Ok(mut all) = SECRETS.write() else {
        return;
    };
    for f in forms {
        if f.chars().count() >= MIN_SECRET_LEN && !all.contains(&f) {
            all.push(f);
        }
    }
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Whether any secret is registered (tests and diagnostics).
pub fn secrets_registered() -> usize {
    SECRETS.read().map(|s| s.len()).unwrap_or(0)
}

/// `s` with every registered secret value replaced by [`MASK`].
pub fn redact(s: &str) -> Cow<'_, str> {
    let Ok(all) = SECRETS.read() else {
        return Cow::Borrowed(s);
    };
    if !all.iter().any(|secret| s.contains(secret.as_str())) {
        return Cow::Borrowed(s);
    }
    let mut out = s.to_string();
    for secret in all.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    Cow::Owned(out)
}

/// Byte ranges of `s` where a registered secret appears (for masking text
/// that is already laid out, cell by cell).
pub fn secret_spans(s: &str) -> Vec<(usize, usize)> {
    let Ok(all) = SECRETS.read() else {
        return Vec::new();
    };
    let mut spans = Vec::new();
    for secret in all.iter() {
        for (start, m) in s.match_indices(secret.as_str()) {
            spans.push((start, start + m.len()));
        }
    }
    spans
}

/// Whether `c` must never reach a terminal: C0 and C1 controls, DEL, and
/// the bidirectional embedding/override/isolate marks.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One line of text for a table cell or a status line: every control
/// character (newlines and tabs too) replaced.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\t' => ' ',
                c if is_unsafe_char(c) => REPLACEMENT,
                c => c,
            })
            .collect(),
    )
}

/// Text that may span lines (command output, reports): newlines and tabs
/// kept, every other control character replaced. A carriage return is
/// replaced too, since it can overwrite what the line already said.
pub fn clean_multiline(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| c != '\n' && c != '\t' && is_unsafe_char(c))
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\n' | '\t' => c,
                c if is_unsafe_char(c) => REPLACEMENT,
                c => c,
            })
            .collect(),
    )
}

/// Masked and cleaned, one line: what any outside string goes through
/// before it is shown.
pub fn safe(s: &str) -> String {
    clean(&redact(s)).into_owned()
}

/// Masked and cleaned, newlines kept: for everything a command prints.
pub fn safe_multiline(s: &str) -> String {
    clean_multiline(&redact(s)).into_owned()
}

/// Cuts `s` to at most `max` bytes on a character boundary, saying so.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}… [{} bytes cut]", &s[..end], s.len() - end))
}

/// Every byte but RFC 3986's unreserved characters, as a URL encodes a
/// password.
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// The passwords inside a connection URL (`scheme://user:PW@host/…?password=PW`),
/// both as written and decoded, so they are masked where they are quoted
/// on their own (an error message from the server, a tool's output).
fn url_password_parts(value: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(pw) = url.password() {
        out.push(pw.to_string());
        if let Some(decoded) = percent_decode(pw) {
            out.push(decoded);
        }
    }
    for (k, v) in url.query_pairs() {
        let k = k.to_ascii_lowercase();
        if k.contains("password") || k.contains("secret") || k.contains("token") || k == "key" {
            out.push(v.into_owned());
        }
    }
    out
}

/// `%40` → `@`; `None` when the decoded bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_the_unreserved_characters() {
        assert_eq!(
            percent_encode("pa@ss!~-._ é/"),
            "pa%40ss%21~-._%20%C3%A9%2F"
        );
    }

    #[test]
    fn a_url_password_ending_in_an_escape_is_decoded_too() {
        let parts = url_password_parts("postgres://u:pa%40ss%21@db:5432/app");
        assert_eq!(parts, ["pa%40ss%21", "pa@ss!"]);
    }

    #[test]
    fn registered_secrets_are_masked_by_value_in_any_position() {
        register_secret("tEsT-CaNaRy-0001");
        let s = "url: postgres://u@h/db?sslpassword=tEsT-CaNaRy-0001 and again tEsT-CaNaRy-0001.";
        let r = redact(s);
        assert!(!r.contains("tEsT-CaNaRy-0001"), "{r}");
        assert_eq!(r.matches(MASK).count(), 2);
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn url_passwords_and_encoded_forms_are_masked() {
        register_secret("postgresql://app:p%40ss-Word-77@127.0.0.1/orders?password=Qq-Token-9");
        assert!(!redact("auth failed for p@ss-Word-77").contains("p@ss-Word-77"));
        assert!(!redact("password=Qq-Token-9").contains("Qq-Token-9"));
        register_secret("a b/c+Secret!");
        assert!(!redact("q=a%20b%2Fc%2BSecret%21").contains("Secret"));
    }

    #[test]
    fn short_values_are_not_masked() {
        register_secret("ab");
        assert_eq!(redact("a label with ab"), "a label with ab");
    }

    #[test]
    fn control_characters_are_replaced() {
        let osc52 = "db\x1b]52;c;aGVsbG8=\x07 down\x1b[2J\r\u{9b}31m\u{202e}x";
        let c = clean(osc52);
        assert!(!c.chars().any(is_unsafe_char), "{c:?}");
        assert!(c.starts_with("db\u{FFFD}]52;c;"));
        let m = clean_multiline("line one\nline\ttwo\x1b[1A\r");
        assert_eq!(m, "line one\nline\ttwo\u{FFFD}[1A\u{FFFD}");
        assert!(matches!(clean("plain ünïcode ✔"), Cow::Borrowed(_)));
    }

    #[test]
    fn truncate_keeps_char_boundaries() {
        let s = "ééééé";
        let t = truncate(s, 3);
        assert!(t.starts_with('é') && t.contains("bytes cut"), "{t}");
        assert_eq!(truncate("short", 10), "short");
    }
}
