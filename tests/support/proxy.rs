//! A loopback TCP proxy in front of a real server that a test switches,
//! at any moment, between passing bytes through and misbehaving the way
//! servers and networks do: refusing connections, closing them unanswered,
//! answering an HTTP error instead of the server, holding answers back
//! (past a client's timeout), or never answering at all.
//!
//! Use with `mod support; use support::proxy;` and start it
//! inside a tokio runtime. Every switch cuts the connections made under
//! the previous mode, so pooled keep-alive connections see the new mode
//! too.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// How the proxy treats connections from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Bytes flow both ways untouched.
    Pass,
    /// Nothing listens: connecting is refused. The port is released and
    /// taken again at the next switch.
    Refuse,
    /// Connections are accepted and closed at once, unanswered.
    Close,
    /// Every request is answered with this HTTP status (and `Connection:
    /// close`) without asking the server.
    Status(u16),
    /// The server's answers are held back this long (each chunk): a slow
    /// server, or one slower than the client's timeout.
    Delay(Duration),
    /// Connections are accepted and nothing is ever answered.
    Hang,
}

/// The proxy; dropping it stops it and cuts every connection.
pub struct Proxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy on a free loopback port in front of `upstream`, passing
    /// through.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (mode, rx) = watch::channel(Mode::Pass);
        let accepted = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(run(listener, addr, upstream, rx, accepted.clone()));
        Proxy {
            addr,
            mode,
            accepted,
            task,
        }
    }

    /// In front of `127.0.0.1:port`.
    pub async fn in_front_of(port: u16) -> Proxy {
        Proxy::start(SocketAddr::from(([127, 0, 0, 1], port))).await
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Switches the mode; connections made before are cut.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    pub fn mode(&self) -> Mode {
        self.mode.borrow().clone()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

async fn run(
    listener: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    mut mode: watch::Receiver<Mode>,
    accepted: Arc<AtomicUsize>,
) {
    let mut listener = Some(listener);
    let mut conns = JoinSet::new();
    loop {
        let now = mode.borrow_and_update().clone();
        if now == Mode::Refuse {
            listener = None;
        } else if listener.is_none() {
            listener = Some(rebind(addr).await);
        }
        tokio::select! {
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
                conns.abort_all();
            }
            res = accept(listener.as_ref()) => match res {
                Ok((sock, _)) => {
                    accepted.fetch_add(1, Ordering::SeqCst);
                    conns.spawn(serve(sock, upstream, now));
                }
                // Out of descriptors or the like: try again shortly.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
        while conns.try_join_next().is_some() {}
    }
}

async fn accept(l: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Takes the port again after [`Mode::Refuse`]; a port that another
/// process took meanwhile is a test failure, said plainly.
async fn rebind(addr: SocketAddr) -> TcpListener {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(e) if Instant::now() >= deadline => {
                panic!("the proxy cannot take {addr} back: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, mode: Mode) {
    match mode {
        Mode::Pass => relay(client, upstream, Duration::ZERO).await,
        Mode::Delay(d) => relay(client, upstream, d).await,
        Mode::Refuse | Mode::Close => drop(client),
        Mode::Hang => {
            // Read and ignore whatever comes, until the client gives up.
            let mut buf = [0u8; 4096];
            while matches!(client.read(&mut buf).await, Ok(n) if n > 0) {}
        }
        Mode::Status(code) => {
            if read_request_head(&mut client).await {
                let reason = match code {
                    500 => "Internal Server Error",
                    502 => "Bad Gateway",
                    503 => "Service Unavailable",
                    504 => "Gateway Timeout",
                    _ => "Error",
                };
                let body = format!("{reason}\n");
                let head = format!(
                    "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = client.write_all(head.as_bytes()).await;
                let _ = client.write_all(body.as_bytes()).await;
                let _ = client.shutdown().await;
            }
        }
    }
}

/// Reads up to the end of a request's head (the body, if any, is left).
async fn read_request_head(client: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match client.read(&mut buf).await {
            Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return false,
        }
    }
    true
}

/// Both ways until either side closes (HTTP clients do not half-close);
/// answers are held back `delay` before each chunk is passed on.
async fn relay(client: TcpStream, upstream: SocketAddr, delay: Duration) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        // The server is not there: the client sees its connection closed.
        return;
    };
    let _ = server.set_nodelay(true);
    let _ = client.set_nodelay(true);
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async {
        let _ = tokio::io::copy(&mut cr, &mut sw).await;
        let _ = sw.shutdown().await;
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(n) if n > 0 => n,
                _ => break,
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = cw.shutdown().await;
    };
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}
