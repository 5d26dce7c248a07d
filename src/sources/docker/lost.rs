//! Why a session with a Docker host ended: the fault in words for the
//! notice line and the raw error chain for the log and the detail view.

use std::time::SystemTime;

use crate::clients::docker::EndpointError;
use crate::model::Fault;

/// Why a session ended: the fault in words and the raw chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Lost {
    /// What the notice line says: `connection refused`, `timed out` …
    pub words: String,
    /// The whole error chain, for the log and the detail view.
    pub raw: String,
}

impl Lost {
    /// Finding or setting up the endpoint failed (no socket, a bad docker
    /// context, missing certificates): the message says it already.
    pub fn setup(e: EndpointError) -> Lost {
        let msg = e.to_string();
        let words = if matches!(e, EndpointError::SocketMissing { .. }) {
            crate::model::fault::words(&msg)
        } else {
            let clean = crate::model::text::clean(&msg);
            let mut w: String = clean.chars().take(100).collect();
            if clean.chars().count() > 100 {
                w.push('…');
            }
            w
        };
        Lost { words, raw: msg }
    }

    /// A request failed: `what` says which (`listing containers` …).
    pub fn request(what: &str, e: &bollard::errors::Error) -> Lost {
        use bollard::errors::Error as E;
        let raw = format!("{what}: {}", crate::clients::docker::describe(e));
        let words = match e {
            E::DockerResponseServerError { status_code, .. } => format!("HTTP {status_code}"),
            E::RequestTimeoutError => "timed out".into(),
            _ => crate::model::fault::words(&raw),
        };
        Lost { words, raw }
    }

    /// The daemon ended the event stream without an error.
    pub fn stream_ended() -> Lost {
        Lost {
            words: "the daemon closed the event stream".into(),
            raw: "the daemon closed the event stream".into(),
        }
    }

    /// As a [`Fault`] that began with `prev` (or now).
    pub(super) fn fault(&self, prev: Option<&Fault>, now: SystemTime) -> Fault {
        let mut f = Fault::update(prev, self.raw.clone(), now);
        f.words.clone_from(&self.words);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_for_the_usual_faults() {
        let l = Lost::setup(EndpointError::SocketMissing {
            host: "unix:///tmp/x/docker.sock".into(),
            origin: "endpoint".into(),
            path: "/tmp/x/docker.sock".into(),
        });
        assert_eq!(l.words, "socket not found (daemon not running?)");
        let l = Lost::setup(EndpointError::Resolve(format!(
            "bad\u{1b}[2J context {}",
            "x".repeat(300)
        )));
        assert!(l.words.starts_with("bad\u{fffd}[2J context"), "{}", l.words);
        assert!(l.words.chars().count() <= 101);
        let e = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "containerd is gone".into(),
        };
        let l = Lost::request("listing containers", &e);
        assert_eq!(l.words, "HTTP 500");
        assert!(l.raw.contains("listing containers"), "{}", l.raw);
        assert!(l.raw.contains("containerd is gone"), "{}", l.raw);
        let l = Lost::request("the version", &bollard::errors::Error::RequestTimeoutError);
        assert_eq!(l.words, "timed out");
    }
}
