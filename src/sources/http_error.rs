//! One line from a reqwest error, for every HTTP source (health probes,
//! Prometheus, Alertmanager, fleets): the causes said once, without the URL
//! (it may hold credentials, and the board names the server already) and
//! without reqwest's and hyper's generic wrappers.

use std::error::Error;

/// The causes of a reqwest error as one line, without the URL (it may
/// hold credentials, and the board names the server already) and without
/// reqwest's and hyper's generic wrappers.
pub(crate) fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        let generic = s.starts_with("client error (") || s.starts_with("error sending request");
        if !generic && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    if parts.is_empty() {
        let mut top = e.to_string();
        if let Some(u) = e.url() {
            top = top
                .replace(&format!(" for url ({})", u.as_str()), "")
                .replace(u.as_str(), "");
        }
        return top;
    }
    parts.join(": ")
}
