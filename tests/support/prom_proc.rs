//! The process side of the real servers in `prom.rs`: start one on a free
//! loopback port until it is ready, stop it, and start it again on the
//! same port with the same temp dir (a server that went away and came
//! back, as the fault tests need).

#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

pub fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A blocking `GET` on loopback: the status code and body, or `None` when
/// nothing answers. Enough to wait for readiness without an async runtime.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    use std::io::Write;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status: u16 = text.split(' ').nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// When a spawned server counts as started.
#[derive(Clone, Copy)]
pub enum Ready {
    /// `GET path` answers 200 over plain HTTP.
    Http(&'static str),
    /// The port accepts connections (TLS or auth in the way; the test
    /// polls with its own client).
    Listening,
}

impl Ready {
    fn check(&self, port: u16) -> bool {
        match self {
            Ready::Http(path) => http_get(port, path).is_some_and(|(code, _)| code == 200),
            Ready::Listening => TcpStream::connect(("127.0.0.1", port)).is_ok(),
        }
    }
}

/// A spawned server: its port, temp dir and log, killed on drop.
pub struct Proc {
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// The log of the latest start.
    pub log: PathBuf,
    child: Option<Child>,
    what: String,
    bin: PathBuf,
    args: Vec<String>,
    ready: Ready,
    starts: u32,
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Proc {
    fn launch(&mut self) -> Result<(), String> {
        self.starts += 1;
        self.log = self
            .dir
            .path()
            .join(format!("{}.{}.log", self.what, self.starts));
        let out = fs::File::create(&self.log).map_err(|e| e.to_string())?;
        let child = Command::new(&self.bin)
            .args(&self.args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().map_err(|e| e.to_string())?))
            .stderr(Stdio::from(out))
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.bin.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until ready; `false` when the process died or `within` passed.
    fn wait_ready(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(None)) => {}
                _ => return false,
            }
            if self.ready.check(self.port) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Kills the process (SIGKILL: it goes away as in a crash) and waits
    /// for it; the port is free afterwards.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// Starts the stopped server again on the same port, with the same
    /// arguments and data, and waits until it is ready. Panics with its
    /// log when it cannot (the port taken meanwhile is retried for a while).
    pub fn start_again(&mut self, within: Duration) {
        self.stop();
        let deadline = Instant::now() + within;
        loop {
            self.launch().unwrap_or_else(|e| panic!("{e}"));
            let left = deadline.saturating_duration_since(Instant::now());
            if self.wait_ready(left) {
                return;
            }
            self.stop();
            if Instant::now() >= deadline {
                panic!(
                    "{} did not come back on port {}; log:\n{}",
                    self.what,
                    self.port,
                    log_tail(&self.log)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Starts `bin` with `args(port, dir)` until it is `ready`; retries on a
/// fresh port when the process dies (another test took the port).
pub fn spawn_ready(
    what: &str,
    bin: &Path,
    dir: tempfile::TempDir,
    args: &dyn Fn(u16, &Path) -> Vec<String>,
    ready: Ready,
    within: Duration,
) -> Proc {
    let mut p = Proc {
        port: 0,
        log: dir.path().join(format!("{what}.log")),
        dir,
        child: None,
        what: what.to_string(),
        bin: bin.to_path_buf(),
        args: Vec::new(),
        ready,
        starts: 0,
    };
    for _ in 0..3 {
        p.port = free_port();
        p.args = args(p.port, p.dir.path());
        p.launch().unwrap_or_else(|e| panic!("{e}"));
        if p.wait_ready(within) {
            return p;
        }
        p.stop();
    }
    panic!("{what} did not become ready; log:\n{}", log_tail(&p.log));
}
