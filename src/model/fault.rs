//! Faults of the sources as an on-call engineer reads them: a few words for
//! the notice line (`connection refused`, `HTTP 503`, `timed out`), the raw
//! error chain for the detail and the log, and the time the fault began.
//! Data from a source that cannot reach its backend is marked [`Stale`]
//! rather than shown as current.

use std::error::Error;
use std::time::SystemTime;

use serde::Serialize;

/// One source that cannot reach its backend: since when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// What the notice line says, e.g. `connection refused`.
    pub words: String,
    /// The whole error chain, for the detail view and the log.
    pub raw: String,
    /// When the fault began (the first failure of this run of failures).
    pub since: SystemTime,
}

impl Fault {
    pub fn new(raw: impl Into<String>, since: SystemTime) -> Fault {
        let raw = raw.into();
        Fault {
            words: words(&raw),
            raw,
            since,
        }
    }

    /// The same fault seen again keeps its start time; a different one
    /// (another cause) keeps it too: the backend has been away since then.
    pub fn update(prev: Option<&Fault>, raw: impl Into<String>, now: SystemTime) -> Fault {
        let since = prev.map_or(now, |p| p.since);
        Fault::new(raw, since)
    }
}

/// Data last known from a source that is now failing: shown as
/// `? STALE`, dimmed, never as a current green `UP`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stale {
    /// The source as the notice names it, e.g. `k8s prod`, `docker local`.
    pub source: String,
    /// Since when the source has been unreachable.
    pub since: SystemTime,
}

impl Stale {
    /// `k8s prod unreachable since 14:02:10Z — last known state`.
    pub fn reason(&self) -> String {
        format!(
            "{} unreachable since {} — last known state",
            self.source,
            hms(self.since)
        )
    }
}

/// `14:02:10Z` (UTC, as the header clock).
pub fn hms(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%H:%M:%SZ").to_string()
}

/// An error and its sources as one line, each cause said once
/// (`error sending request: client error (Connect): tcp connect error:
/// Connection refused (os error 111)`).
pub fn chain(e: &(dyn Error + 'static)) -> String {
    let mut msg = e.to_string();
    push_causes(&mut msg, e.source(), |_| true);
    msg
}

/// The one loop that flattens an error chain: appends to `msg` `first`
/// and each of its sources in turn, joined by `: `, skipping a cause that
/// is empty, that `keep` refuses, or that `msg` says already.
pub fn push_causes(
    msg: &mut String,
    first: Option<&(dyn Error + 'static)>,
    keep: impl Fn(&str) -> bool,
) {
    let mut src = first;
    while let Some(s) = src {
        let part = s.to_string();
        if !part.is_empty() && keep(&part) && !msg.contains(&part) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&part);
        }
        src = s.source();
    }
}

/// The fault in a few words, read from a raw error chain of any of the
/// clients (reqwest, hyper, kube, bollard, std::io). The first match in
/// this order wins: the cause nearest the wire is the one that helps.
pub fn words(raw: &str) -> String {
    let l = raw.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| l.contains(n));
    if let Some(code) = http_status(&l) {
        return match code {
            401 => "HTTP 401 unauthorized (credentials expired?)".into(),
            403 => "HTTP 403 forbidden".into(),
            404 => "HTTP 404 not found (wrong URL?)".into(),
            429 => "HTTP 429 too many requests".into(),
            c => format!("HTTP {c}"),
        };
    }
    if has(&["connection refused"]) {
        return "connection refused".into();
    }
    if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
        "temporary failure in name resolution",
        "nodename nor servname",
    ]) {
        return "DNS lookup failed".into();
    }
    if has(&[
        "certificate",
        "invalidcertificate",
        "unknownissuer",
        "tls handshake",
        "handshake failure",
        "wrong version number",
        "corrupt message",
        "invalid peer",
    ]) {
        return "TLS error (certificate or handshake)".into();
    }
    if has(&["timed out", "timeout", "deadline has elapsed"]) {
        return "timed out".into();
    }
    if has(&["connection reset", "reset by peer", "broken pipe"]) {
        return "connection reset".into();
    }
    if has(&["no such file or directory", "socket not found"]) {
        return "socket not found (daemon not running?)".into();
    }
    if has(&["permission denied"]) {
        return "permission denied".into();
    }
    if has(&["too large", "too long", "exceeds", "length limit"]) {
        return "response too large".into();
    }
    if has(&[
        "error decoding",
        "expected value",
        "expected ident",
        "invalid type",
        "eof while parsing",
        "missing field",
        "not json",
        "invalid utf-8",
        "garbage",
    ]) {
        return "garbage response (not the expected JSON)".into();
    }
    if has(&[
        "connection closed",
        "incomplete message",
        "unexpected eof",
        "unexpected end of file",
        "end of file before message",
        "channel closed",
        "connection aborted",
    ]) {
        return "connection closed by the server".into();
    }
    // Unknown: the outermost message, shortened.
    let first = super::text::clean(raw.split(": ").next().unwrap_or(raw).trim()).into_owned();
    if first.chars().count() <= 60 {
        return first;
    }
    let mut short: String = first.chars().take(59).collect();
    short.push('…');
    short
}

/// `HTTP 503`, `status 503`, `status code: 503`, `503 Service Unavailable`,
/// `ServiceError: 500` … in a lower-cased chain.
fn http_status(l: &str) -> Option<u16> {
    for marker in [
        "http status server error (",
        "http status client error (",
        "http ",
        "status code: ",
        "status code ",
        "status: ",
        "status ",
        "code: ",
        "returned ",
    ] {
        let mut rest = l;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if digits.len() == 3
                && let Ok(code) = digits.parse::<u16>()
                && (400..600).contains(&code)
            {
                return Some(code);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_name_the_fault_not_the_stack() {
        let cases = [
            (
                "controllerrevisions: failed to start watching object: ServiceError: client error (Connect): tcp connect error: Connection refused (os error 111)",
                "connection refused",
            ),
            (
                "error sending request for url (http://x/api/v1/alerts): client error (Connect): dns error: failed to lookup address information: Name or service not known",
                "DNS lookup failed",
            ),
            (
                "HTTP status server error (503 Service Unavailable) for url (http://127.0.0.1:9090/api/v1/alerts)",
                "HTTP 503",
            ),
            ("HTTP 500 from /api/v1/query", "HTTP 500"),
            ("operation timed out", "timed out"),
            (
                "error trying to connect: invalid peer certificate: UnknownIssuer",
                "TLS error (certificate or handshake)",
            ),
            (
                "error sending request: connection closed before message completed",
                "connection closed by the server",
            ),
            (
                "Socket not found: /var/run/docker.sock",
                "socket not found (daemon not running?)",
            ),
            (
                "error decoding response body: expected value at line 1 column 1",
                "garbage response (not the expected JSON)",
            ),
            (
                "Connection reset by peer (os error 104)",
                "connection reset",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(words(raw), want, "{raw}");
        }
    }

    #[test]
    fn unknown_faults_keep_the_outer_message_short_and_clean() {
        let w = words("something odd\u{1b}[31m happened: deep: cause");
        assert_eq!(w, "something odd\u{fffd}[31m happened");
        assert!(words(&"x".repeat(500)).chars().count() <= 60);
    }

    #[test]
    fn status_digits_must_be_an_error_code() {
        assert_eq!(http_status("status 200 ok"), None);
        assert_eq!(http_status("listening on port 8080"), None);
        assert_eq!(http_status("status code: 502"), Some(502));
    }

    #[test]
    fn a_fault_keeps_its_start_while_it_lasts() {
        let t0 = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(50_000);
        let t1 = t0 + std::time::Duration::from_secs(30);
        let first = Fault::update(None, "connection refused", t0);
        let again = Fault::update(Some(&first), "operation timed out", t1);
        assert_eq!(again.since, t0);
        assert_eq!(again.words, "timed out");
        let s = Stale {
            source: "k8s prod".into(),
            since: t0,
        };
        assert_eq!(
            s.reason(),
            "k8s prod unreachable since 13:53:20Z — last known state"
        );
    }

    #[test]
    fn chain_says_each_cause_once() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let outer = std::io::Error::other(inner);
        assert_eq!(chain(&outer), "refused");
    }
}
