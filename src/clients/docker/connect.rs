//! Finding and connecting to a Docker daemon the way the docker CLI does:
//! an explicit endpoint, else `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` /
//! `DOCKER_CERT_PATH`), else the current `docker context`, else the local
//! unix socket.

use std::path::{Path, PathBuf};

use bollard::{API_DEFAULT_VERSION, Docker};
use sha2::{Digest, Sha256};

use super::HostSpec;

/// The local daemon's socket.
pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// Seconds a request may wait for the daemon's response headers.
const TIMEOUT_SECS: u64 = 120;

/// Why a host's daemon cannot be reached before any request is sent.
/// Each says the endpoint and where it came from (`endpoint`,
/// `DOCKER_HOST`, `docker context NAME`, `default`).
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The environment or the docker context names no usable endpoint.
    #[error("{0}")]
    Resolve(String),
    /// A unix socket that does not exist: the daemon is not running.
    #[error("{host} ({origin}): socket not found at {path} (is the Docker daemon running?)")]
    SocketMissing {
        host: String,
        origin: String,
        path: String,
    },
    #[error("{host} ({origin}): TLS certificate {} is missing", .path.display())]
    CertificateMissing {
        host: String,
        origin: String,
        path: PathBuf,
    },
    #[error("{host} ({origin}): https needs certificates (tls_cert_path or DOCKER_CERT_PATH)")]
    HttpsWithoutCertificates { host: String, origin: String },
    #[error("{host} ({origin}): unsupported endpoint (use unix://, tcp://, http:// or https://)")]
    Unsupported { host: String, origin: String },
    /// The client could not be built for the endpoint.
    #[error("{host} ({origin}): {error}")]
    Client {
        host: String,
        origin: String,
        error: Box<bollard::errors::Error>,
    },
}

/// Why a client for a configured host could not be made: the host's name
/// and the [`EndpointError`].
#[derive(Debug, thiserror::Error)]
#[error("docker host {host}: {cause}")]
pub struct ConnectError {
    pub host: String,
    pub cause: EndpointError,
}

/// Where a host's daemon is and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix:///…`, `tcp://host:port`, `http://…`, `https://…`.
    pub host: String,
    /// TLS with `ca.pem`, `cert.pem` and `key.pem` from this directory.
    pub tls: Option<PathBuf>,
    /// Where the endpoint came from, for messages: `endpoint`,
    /// `DOCKER_HOST`, `docker context NAME`, `default`.
    pub source: String,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// `$DOCKER_CONFIG`, else `~/.docker`.
fn docker_config_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(d) = non_empty(env("DOCKER_CONFIG")) {
        return Some(PathBuf::from(d));
    }
    non_empty(env("HOME")).map(|h| Path::new(&h).join(".docker"))
}

/// The certificate directory `DOCKER_CERT_PATH` names, else `~/.docker`.
fn env_cert_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    non_empty(env("DOCKER_CERT_PATH"))
        .map(PathBuf::from)
        .or_else(|| docker_config_dir(env))
}

/// The endpoint of the current `docker context`, when it is not `default`.
fn context_endpoint(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Endpoint>, String> {
    let Some(dir) = docker_config_dir(env) else {
        return Ok(None);
    };
    let name = match non_empty(env("DOCKER_CONTEXT")) {
        Some(n) => n,
        None => {
            let path = dir.join("config.json");
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(format!("reading {}: {e}", path.display())),
            };
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
            match v.get("currentContext").and_then(|c| c.as_str()) {
                Some(n) if !n.is_empty() => n.to_string(),
                _ => return Ok(None),
            }
        }
    };
    if name == "default" {
        return Ok(None);
    }
    let hash = hex::encode(Sha256::digest(name.as_bytes()));
    let meta = dir
        .join("contexts")
        .join("meta")
        .join(&hash)
        .join("meta.json");
    let text = std::fs::read_to_string(&meta).map_err(|e| {
        format!(
            "docker context `{name}`: cannot read {}: {e}",
            meta.display()
        )
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", meta.display()))?;
    let host = v
        .pointer("/Endpoints/docker/Host")
        .and_then(|h| h.as_str())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            format!(
                "docker context `{name}` has no docker endpoint ({})",
                meta.display()
            )
        })?;
    let tls_dir = dir.join("contexts").join("tls").join(&hash).join("docker");
    let tls = tls_dir.join("ca.pem").exists().then_some(tls_dir);
    Ok(Some(Endpoint {
        host: host.to_string(),
        tls,
        source: format!("docker context {name}"),
    }))
}

/// Where `h`'s daemon is, reading the environment through `env`.
pub fn resolve(
    h: &HostSpec,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Endpoint, EndpointError> {
    if let Some(host) = h.endpoint.as_ref().filter(|e| !e.trim().is_empty()) {
        return Ok(Endpoint {
            host: host.trim().to_string(),
            tls: h.tls_cert_path.clone(),
            source: "endpoint".into(),
        });
    }
    if let Some(host) = non_empty(env("DOCKER_HOST")) {
        let tls = if h.tls_cert_path.is_some() {
            h.tls_cert_path.clone()
        } else if non_empty(env("DOCKER_TLS_VERIFY")).is_some_and(|v| v != "0")
            || non_empty(env("DOCKER_TLS")).is_some_and(|v| v != "0")
        {
            Some(env_cert_path(env).ok_or_else(|| {
                EndpointError::Resolve(
                    "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME is".into(),
                )
            })?)
        } else {
            None
        };
        return Ok(Endpoint {
            host,
            tls,
            source: "DOCKER_HOST".into(),
        });
    }
    if let Some(mut e) = context_endpoint(env).map_err(EndpointError::Resolve)? {
        if h.tls_cert_path.is_some() {
            e.tls = h.tls_cert_path.clone();
        }
        return Ok(e);
    }
    Ok(Endpoint {
        host: DEFAULT_SOCKET.into(),
        tls: h.tls_cert_path.clone(),
        source: "default".into(),
    })
}

/// A client for `e`. Nothing is sent yet: the socket is only checked to
/// exist; call [`negotiate`] before the first request.
pub fn connect_endpoint(e: &Endpoint) -> Result<Docker, EndpointError> {
    let host = e.host.as_str();
    let fail = |error: bollard::errors::Error| EndpointError::Client {
        host: host.to_string(),
        origin: e.source.clone(),
        error: Box::new(error),
    };
    if let Some(path) = host.strip_prefix("unix://") {
        if !Path::new(path).exists() {
            return Err(EndpointError::SocketMissing {
                host: host.to_string(),
                origin: e.source.clone(),
                path: path.to_string(),
            });
        }
        return Docker::connect_with_unix(host, TIMEOUT_SECS, API_DEFAULT_VERSION).map_err(fail);
    }
    let tcp = ["tcp://", "http://", "https://"]
        .iter()
        .any(|p| host.starts_with(p));
    if tcp {
        if let Some(dir) = e.tls.as_ref().filter(|_| !host.starts_with("http://")) {
            let file = |f: &str| {
                let p = dir.join(f);
                if p.exists() {
                    Ok(p)
                } else {
                    Err(EndpointError::CertificateMissing {
                        host: host.to_string(),
                        origin: e.source.clone(),
                        path: p,
                    })
                }
            };
            let (key, cert, ca) = (file("key.pem")?, file("cert.pem")?, file("ca.pem")?);
            return Docker::connect_with_ssl(
                host,
                &key,
                &cert,
                &ca,
                TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            )
            .map_err(fail);
        }
        if host.starts_with("https://") {
            return Err(EndpointError::HttpsWithoutCertificates {
                host: host.to_string(),
                origin: e.source.clone(),
            });
        }
        return Docker::connect_with_http(host, TIMEOUT_SECS, API_DEFAULT_VERSION).map_err(fail);
    }
    Err(EndpointError::Unsupported {
        host: host.to_string(),
        origin: e.source.clone(),
    })
}

/// Connects to `h` reading the environment through `env` (tests pass their
/// own; [`super::connect`] passes the process environment).
pub fn connect_with(
    h: &HostSpec,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Docker, ConnectError> {
    let named = |cause| ConnectError {
        host: h.name.clone(),
        cause,
    };
    let e = resolve(h, env).map_err(named)?;
    connect_endpoint(&e).map_err(named)
}

/// Agrees on an API version with the daemon (downgrading to an older
/// daemon's, e.g. 1.41 for Docker 20.10). Clones share the version, so this
/// fixes it for every clone of `docker`. Doubles as a reachability check.
pub async fn negotiate(docker: &Docker) -> Result<(), String> {
    docker
        .clone()
        .negotiate_version()
        .await
        .map(|_| ())
        .map_err(|e| super::describe(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn spec(endpoint: Option<&str>) -> HostSpec {
        HostSpec {
            name: "h".into(),
            endpoint: endpoint.map(String::from),
            tls_cert_path: None,
        }
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn explicit_endpoint_wins_over_docker_host() {
        let env = env_of(&[("DOCKER_HOST", "tcp://10.0.0.1:2375")]);
        let e = resolve(&spec(Some("unix:///tmp/x.sock")), &env).unwrap();
        assert_eq!(e.host, "unix:///tmp/x.sock");
        assert_eq!(e.source, "endpoint");
        assert_eq!(e.tls, None);
    }

    #[test]
    fn docker_host_with_and_without_tls() {
        let env = env_of(&[("DOCKER_HOST", "tcp://d:2376")]);
        let e = resolve(&spec(None), &env).unwrap();
        assert_eq!((e.host.as_str(), e.tls), ("tcp://d:2376", None));

        let env = env_of(&[
            ("DOCKER_HOST", "tcp://d:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]);
        let e = resolve(&spec(None), &env).unwrap();
        assert_eq!(e.tls, Some(PathBuf::from("/certs")));

        let env = env_of(&[
            ("DOCKER_HOST", "tcp://d:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("HOME", "/home/u"),
        ]);
        let e = resolve(&spec(None), &env).unwrap();
        assert_eq!(e.tls, Some(PathBuf::from("/home/u/.docker")));
    }

    #[test]
    fn current_context_endpoint_and_tls() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".docker");
        let hash = hex::encode(Sha256::digest(b"remote"));
        let meta = dir.join("contexts/meta").join(&hash);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            dir.join("config.json"),
            r#"{"auths":{},"currentContext":"remote"}"#,
        )
        .unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://remote:2376","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        let h = home.path().to_str().unwrap().to_string();
        let env = env_of(&[("HOME", &h)]);
        let e = resolve(&spec(None), &env).unwrap();
        assert_eq!(e.host, "tcp://remote:2376");
        assert_eq!(e.source, "docker context remote");
        assert_eq!(e.tls, None);

        let tls = dir.join("contexts/tls").join(&hash).join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(tls.join("ca.pem"), "x").unwrap();
        let e = resolve(&spec(None), &env).unwrap();
        assert_eq!(e.tls, Some(tls));

        // DOCKER_CONTEXT=default means the local socket.
        let env = env_of(&[("HOME", &h), ("DOCKER_CONTEXT", "default")]);
        assert_eq!(resolve(&spec(None), &env).unwrap().host, DEFAULT_SOCKET);
        // A context that does not exist is an error that names it.
        let env = env_of(&[("HOME", &h), ("DOCKER_CONTEXT", "gone")]);
        let err = resolve(&spec(None), &env).unwrap_err().to_string();
        assert!(err.contains("docker context `gone`"), "{err}");
    }

    #[test]
    fn default_is_the_local_socket() {
        let env = env_of(&[("HOME", "/nonexistent-home")]);
        let e = resolve(&spec(None), &env).unwrap();
        assert_eq!(e.host, DEFAULT_SOCKET);
    }

    #[test]
    fn connect_errors_name_the_endpoint() {
        let env = env_of(&[]);
        let err = connect_with(&spec(Some("unix:///nonexistent/docker.sock")), &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/docker.sock"), "{err}");
        assert!(err.contains("docker host h"), "{err}");
        let err = connect_with(&spec(Some("ssh://u@h")), &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported endpoint"), "{err}");
        let mut s = spec(Some("tcp://127.0.0.1:1"));
        s.tls_cert_path = Some("/nonexistent-certs".into());
        let err = connect_with(&s, &env).unwrap_err().to_string();
        assert!(err.contains("/nonexistent-certs/key.pem"), "{err}");
        assert!(connect_with(&spec(Some("tcp://127.0.0.1:1")), &env).is_ok());
    }
}
