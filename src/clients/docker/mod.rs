//! The Docker client shared by the Docker source and the Docker actions:
//! which daemon a host means and how to reach it ([`connect`]), a daemon
//! error in words ([`describe`]), inspecting and listing containers, and
//! the Compose label conventions.

pub mod connect;
pub mod inspect;
pub mod inspect_doc;
pub mod labels;

use std::path::PathBuf;

pub use connect::{ConnectError, Endpoint, EndpointError, connect_with, negotiate, resolve};

/// One Docker host: its name on the board and where its daemon is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// The label shown on the board.
    pub name: String,
    /// `unix:///…`, `tcp://host:port`; `None`: as the docker CLI finds it.
    pub endpoint: Option<String>,
    /// TLS with `ca.pem`, `cert.pem`, `key.pem` from this directory.
    pub tls_cert_path: Option<PathBuf>,
}

/// A client for `h`: its endpoint, else `DOCKER_HOST` (TLS with
/// `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`), else the current docker
/// context, else the local socket. The API version is agreed on the first
/// request made through this crate ([`negotiate`]).
pub fn connect(h: &HostSpec) -> Result<bollard::Docker, ConnectError> {
    connect_with(h, &|k| std::env::var(k).ok())
}

/// A daemon error in an operator's words: the daemon's own message, quoted.
pub fn describe(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match e {
        E::DockerResponseServerError {
            status_code,
            message,
        } => format!("the daemon said \"{}\" ({status_code})", message.trim()),
        E::RequestTimeoutError => "the daemon did not answer in time (timed out)".into(),
        other => crate::model::fault::chain(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_errors_are_quoted() {
        let e = bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message: "No such container: web-9".into(),
        };
        assert_eq!(
            describe(&e),
            "the daemon said \"No such container: web-9\" (404)"
        );
    }
}
