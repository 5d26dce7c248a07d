//! One line from a reqwest error, for every HTTP source (health probes,
//! Prometheus, Alertmanager, fleets): the causes said once, without the URL
//! (it may hold credentials, and the board names the server already) and
//! without reqwest's and hyper's generic wrappers.

use std::error::Error;

use crate::model::fault::push_causes;

/// The causes of a reqwest error as one line, without the URL (it may
/// hold credentials, and the board names the server already) and without
/// reqwest's and hyper's generic wrappers.
pub(crate) fn chain(e: &reqwest::Error) -> String {
    let generic =
        |s: &str| s.starts_with("client error (") || s.starts_with("error sending request");
    let mut msg = String::new();
    push_causes(&mut msg, e.source(), |s| !generic(s));
    if msg.is_empty() {
        msg = e.to_string();
        if let Some(u) = e.url() {
            msg = msg
                .replace(&format!(" for url ({})", u.as_str()), "")
                .replace(u.as_str(), "");
        }
    }
    msg
}
