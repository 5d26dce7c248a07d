//! A unix socket in front of the real Docker daemon that a test can break
//! on purpose: stop it (the socket file goes, every connection is cut, as
//! when the daemon goes away) and start it again at the same path; cut
//! the open connections while still accepting new ones (an event stream
//! cut); and run an action just before a request reaches the daemon (a
//! container removed between its list and its inspect). It reads the
//! request lines as they pass, so a test can count them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::{JoinHandle, JoinSet};

/// Runs once, blocking (it may call the docker CLI), before the request
/// whose line contains its needle is passed on.
type Hook = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Shared {
    /// The forwarding tasks of the open connections.
    conns: Mutex<JoinSet<()>>,
    /// Request lines seen (`GET /v1.41/events?… HTTP/1.1`), in order.
    requests: Mutex<Vec<String>>,
    hooks: Mutex<Vec<(String, Option<Hook>)>>,
    hooks_run: AtomicUsize,
    connections: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct DockerProxy {
    path: PathBuf,
    upstream: PathBuf,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl DockerProxy {
    /// Listens on `path`, forwarding to the daemon socket `upstream`.
    pub fn start(path: &Path, upstream: &Path) -> DockerProxy {
        let mut p = DockerProxy {
            path: path.to_path_buf(),
            upstream: upstream.to_path_buf(),
            shared: Arc::new(Shared::default()),
            accept: None,
        };
        p.resume();
        p
    }

    /// `unix:///…/docker.sock`.
    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    pub fn is_up(&self) -> bool {
        self.accept.is_some()
    }

    /// Listens again at the same path (after [`DockerProxy::stop`]).
    pub fn resume(&mut self) {
        if self.accept.is_some() {
            return;
        }
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path)
            .unwrap_or_else(|e| panic!("bind proxy socket {}: {e}", self.path.display()));
        let shared = self.shared.clone();
        let upstream = self.upstream.clone();
        self.accept = Some(tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let s = shared.clone();
                let up = upstream.clone();
                lock(&shared.conns).spawn(forward(client, up, s));
            }
        }));
    }

    /// The daemon goes away: no more listening, the socket file removed,
    /// every open connection (the event stream too) cut.
    pub fn stop(&mut self) {
        if let Some(a) = self.accept.take() {
            a.abort();
        }
        let _ = std::fs::remove_file(&self.path);
        self.cut();
    }

    /// Cuts every open connection, still accepting new ones.
    pub fn cut(&self) {
        lock(&self.shared.conns).abort_all();
    }

    /// Runs `action` once, just before the first request whose request
    /// line contains `needle` reaches the daemon.
    pub fn before(&self, needle: impl Into<String>, action: impl FnOnce() + Send + 'static) {
        lock(&self.shared.hooks).push((needle.into(), Some(Box::new(action))));
    }

    /// Hooks that have run.
    pub fn hooks_run(&self) -> usize {
        self.shared.hooks_run.load(Ordering::SeqCst)
    }

    /// Requests whose line contains `needle`, so far.
    pub fn requests(&self, needle: &str) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for DockerProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

const METHODS: &[&str] = &["GET ", "POST ", "PUT ", "DELETE ", "HEAD "];

/// The request lines completed by `chunk` (`carry` holds an unfinished
/// line between chunks).
fn request_lines(carry: &mut Vec<u8>, chunk: &[u8]) -> Vec<String> {
    carry.extend_from_slice(chunk);
    let mut out = Vec::new();
    while let Some(i) = carry.windows(2).position(|w| w == b"\r\n") {
        let line = String::from_utf8_lossy(&carry[..i]).into_owned();
        carry.drain(..i + 2);
        if METHODS.iter().any(|m| line.starts_with(m)) && line.ends_with(" HTTP/1.1") {
            out.push(line);
        }
    }
    // A body without line breaks must not grow this without bound.
    if carry.len() > 16 * 1024 {
        carry.clear();
    }
    out
}

async fn forward(client: UnixStream, upstream: PathBuf, shared: Arc<Shared>) {
    let Ok(daemon) = UnixStream::connect(&upstream).await else {
        return;
    };
    let (mut client_r, mut client_w) = client.into_split();
    let (mut daemon_r, mut daemon_w) = daemon.into_split();
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut carry = Vec::new();
        loop {
            let n = match client_r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for line in request_lines(&mut carry, &buf[..n]) {
                let due: Vec<Hook> = lock(&shared.hooks)
                    .iter_mut()
                    .filter(|(needle, h)| h.is_some() && line.contains(needle.as_str()))
                    .filter_map(|(_, h)| h.take())
                    .collect();
                lock(&shared.requests).push(line);
                for hook in due {
                    let _ = tokio::task::spawn_blocking(hook).await;
                    shared.hooks_run.fetch_add(1, Ordering::SeqCst);
                }
            }
            if daemon_w.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = daemon_w.shutdown().await;
    };
    let down = async {
        let _ = tokio::io::copy(&mut daemon_r, &mut client_w).await;
        let _ = client_w.shutdown().await;
    };
    tokio::join!(up, down);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_across_chunks() {
        let mut carry = Vec::new();
        assert!(request_lines(&mut carry, b"GET /v1.41/cont").is_empty());
        let got = request_lines(
            &mut carry,
            b"ainers/abc/json HTTP/1.1\r\nHost: x\r\n\r\nPOST /v1.41/x HTTP/1.1\r\n",
        );
        assert_eq!(
            got,
            vec![
                "GET /v1.41/containers/abc/json HTTP/1.1",
                "POST /v1.41/x HTTP/1.1"
            ]
        );
    }
}
