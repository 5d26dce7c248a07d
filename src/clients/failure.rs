//! Naming a failed request the way an on-call engineer would: the
//! [`ProbeFailure`] kind read from the error chain (the io::Error nearest
//! the wire first), with the chain itself kept as the detail.

use std::time::Duration;

use crate::model::ProbeFailure;

pub(crate) fn classify_io(e: &std::io::Error, host: &str, timeout: Duration) -> ProbeFailure {
    use std::io::ErrorKind as K;
    let detail = e.to_string();
    match e.kind() {
        K::ConnectionRefused => ProbeFailure::Refused { detail },
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            ProbeFailure::Reset { detail }
        }
        K::TimedOut => ProbeFailure::Timeout {
            after_ms: timeout.as_millis() as u64,
        },
        _ if looks_like_dns(&detail) => ProbeFailure::Dns {
            detail: format!("{host}: {detail}"),
        },
        _ => ProbeFailure::Connect { detail },
    }
}

pub(crate) fn looks_like_dns(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.contains("dns error")
        || s.contains("failed to lookup address")
        || s.contains("name or service not known")
        || s.contains("no address associated")
        || s.contains("temporary failure in name resolution")
        || s.contains("nodename nor servname")
}

/// A reqwest failure in one line for other sources' status: the short
/// reason, then what the error chain said.
pub(crate) fn describe_error(e: &reqwest::Error, timeout: Duration) -> String {
    let f = classify(e, timeout);
    match f.detail() {
        // Unclassified: its words come from the detail itself.
        Some(d) if matches!(f, ProbeFailure::Other { .. }) => d.to_string(),
        Some(d) if !d.is_empty() => format!("{}: {d}", f.short()),
        _ => f.short(),
    }
}

/// Names a reqwest failure the way an on-call engineer would.
pub(crate) fn classify(e: &reqwest::Error, timeout: Duration) -> ProbeFailure {
    if e.is_timeout() {
        return ProbeFailure::Timeout {
            after_ms: timeout.as_millis() as u64,
        };
    }
    let detail = super::http_error::chain(e);
    // The most specific cause is an io::Error down the chain, if any.
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused => return ProbeFailure::Refused { detail },
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof
                    if !is_tls_text(&detail) =>
                {
                    return ProbeFailure::Reset { detail };
                }
                _ => {}
            }
        }
        cur = err.source();
    }
    if looks_like_dns(&detail) {
        return ProbeFailure::Dns { detail };
    }
    if is_tls_text(&detail) {
        return ProbeFailure::Tls { detail };
    }
    let lower = detail.to_ascii_lowercase();
    if lower.contains("connection closed")
        || lower.contains("incomplete message")
        || lower.contains("connection reset")
        || lower.contains("unexpected eof")
    {
        return ProbeFailure::Reset { detail };
    }
    if e.is_connect() {
        return ProbeFailure::Connect { detail };
    }
    if lower.contains("invalid http")
        || lower.contains("invalid status")
        || lower.contains("invalid header")
        || lower.contains("parse")
    {
        return ProbeFailure::NotHttp { detail };
    }
    if e.is_decode() || e.is_body() {
        return ProbeFailure::UnparsableBody { detail };
    }
    ProbeFailure::Other { detail }
}

pub(crate) fn is_tls_text(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.contains("certificate")
        || s.contains("tls")
        || s.contains("ssl")
        || s.contains("handshake")
        || s.contains("unknownissuer")
}
