//! Deliberately misbehaving HTTP servers on 127.0.0.1:0, written on raw
//! `tokio::net::TcpListener` so every byte on the wire is under the test's
//! control. Only loopback addresses are ever bound or targeted.
//!
//! Use with `mod support; use support::misbehaving;`.

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A running server. Dropping it stops the accept loop and every connection
/// task (a hanging connection is closed when the test is done with it).
pub struct Server {
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicUsize>,
    /// Request heads read by the helpers (`read_head`) of this server.
    pub heads: Arc<Mutex<Vec<String>>>,
    handle: JoinHandle<()>,
}

impl Server {
    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// What a connection handler gets: the stream, the 0-based index of the
/// connection, and the shared list of request heads to record into.
pub struct Conn<S> {
    pub stream: S,
    pub index: usize,
    pub heads: Arc<Mutex<Vec<String>>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Reads the request head (up to and including the blank line) and
    /// records it. Returns `None` if the peer closed first.
    pub async fn read_head(&mut self) -> Option<String> {
        let head = read_head(&mut self.stream).await?;
        self.heads.lock().unwrap().push(head.clone());
        Some(head)
    }

    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Reads the head, then writes a complete response and closes.
    pub async fn answer(&mut self, status: &str, headers: &[(&str, &str)], body: &[u8]) {
        if self.read_head().await.is_none() {
            return;
        }
        let _ = self.write(&response(status, headers, body)).await;
        let _ = self.stream.shutdown().await;
    }
}

/// Starts a server on 127.0.0.1:0 that runs `handler` for every connection.
pub async fn serve<F, Fut>(handler: F) -> Server
where
    F: Fn(Conn<TcpStream>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (acc, hd) = (accepted.clone(), heads.clone());
    let handle = tokio::spawn(async move {
        // Owned here so aborting the accept loop aborts every connection.
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                r = listener.accept() => {
                    let Ok((stream, _)) = r else { continue };
                    let index = acc.fetch_add(1, Ordering::SeqCst);
                    conns.spawn(handler(Conn { stream, index, heads: hd.clone() }));
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    });
    Server {
        addr,
        accepted,
        heads,
        handle,
    }
}

/// A server that reads the request and answers with one fixed response.
pub async fn fixed(
    status: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
) -> Server {
    serve(move |mut c| async move { c.answer(status, headers, body).await }).await
}

/// One answer of a [`routes`] server: status line, headers, body.
pub type Route = (&'static str, Vec<(String, String)>, Vec<u8>);

/// A server that answers each request by its path (`/health?x=1`), one
/// request per connection. Every head is recorded.
pub async fn routes<F>(route: F) -> Server
where
    F: Fn(&str) -> Route + Send + Sync + 'static,
{
    let route = Arc::new(route);
    serve(move |mut c| {
        let route = route.clone();
        async move {
            let Some(head) = c.read_head().await else {
                return;
            };
            let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
            let (status, headers, body) = route(&path);
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let _ = c.write(&response(status, &headers, &body)).await;
            let _ = c.stream.shutdown().await;
        }
    })
    .await
}

/// A redirect to `location`.
pub fn redirect(status: &'static str, location: &str) -> Route {
    (
        status,
        vec![("Location".into(), location.into())],
        Vec::new(),
    )
}

/// A `200 OK` JSON answer.
pub fn json_ok(body: &str) -> Route {
    (
        "200 OK",
        vec![("Content-Type".into(), "application/json".into())],
        body.as_bytes().to_vec(),
    )
}

/// A complete HTTP/1.1 response with `Content-Length` and `Connection: close`.
/// `status` is the status line after the version, e.g. `"200 OK"`.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Reads until the blank line ending a request head (at most 64 KiB).
pub async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            buf.truncate(end + 4);
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = s.read(&mut byte).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// Counts requests in flight and remembers the highest count seen.
#[derive(Default)]
pub struct InFlight {
    now: AtomicUsize,
    pub max: AtomicUsize,
    pub total: AtomicUsize,
}

impl InFlight {
    pub fn enter(self: &Arc<Self>) -> InFlightGuard {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        self.total.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }
}

pub struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A TLS server on 127.0.0.1:0 with a fresh self-signed certificate for
/// `localhost` and `127.0.0.1`, answering every request with a healthy
/// JSON body. Handshake failures (a verifying client refusing the
/// certificate) are counted in `accepted` but otherwise ignored.
pub async fn tls_healthy() -> Server {
    use tokio_rustls::rustls;
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    serve(move |c| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(c.stream).await else {
                return;
            };
            let mut c = Conn {
                stream: tls,
                index: c.index,
                heads: c.heads,
            };
            c.answer(
                "200 OK",
                &[("Content-Type", "application/json")],
                br#"{"status":"healthy"}"#,
            )
            .await;
        }
    })
    .await
}

/// Sleeps "forever" from the point of view of a test (longer than any test).
pub async fn hang() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

/// A fault a [`switchable`] server plays until switched back to `Healthy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// `200 OK` with `{"status":"ok"}`.
    Healthy,
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and resets the connection.
    Reset,
    /// Headers at once, then the body one byte every 200 ms (announced as
    /// 200 bytes: 40 s in all).
    Trickle,
    /// Answers in something that is not HTTP.
    NotHttp,
    /// `200 OK` with a body that is not JSON.
    GarbageBody,
    /// `200 OK`, then 10 MB without a length, until the client hangs up.
    Huge,
}

/// The size of the [`Misbehaviour::Huge`] body.
pub const HUGE: usize = 10 * 1024 * 1024;

/// Which fault a [`switchable`] server plays, and what it saw.
#[derive(Clone)]
pub struct Switch {
    mode: Arc<Mutex<Misbehaviour>>,
    /// Per `Huge` answer, the body bytes sent before the client hung up.
    pub huge_sent: Arc<Mutex<Vec<usize>>>,
}

impl Switch {
    pub fn set(&self, m: Misbehaviour) {
        *self.mode.lock().unwrap() = m;
    }

    pub fn get(&self) -> Misbehaviour {
        *self.mode.lock().unwrap()
    }
}

/// A health endpoint that plays `Healthy` or a fault, switchable while it
/// runs. Each connection takes the mode current when its request arrives.
pub async fn switchable(initial: Misbehaviour) -> (Server, Switch) {
    let switch = Switch {
        mode: Arc::new(Mutex::new(initial)),
        huge_sent: Arc::new(Mutex::new(Vec::new())),
    };
    let s = switch.clone();
    let server = serve(move |mut c| {
        let s = s.clone();
        async move {
            if s.get() == Misbehaviour::Reset {
                // A real RST: no FIN, no answer.
                let _ = c.read_head().await;
                let _ = c.stream.set_zero_linger();
                return;
            }
            misbehave(c, &s).await
        }
    })
    .await;
    (server, switch)
}

/// Plays the switch's current mode on one connection (plain or TLS).
pub async fn misbehave<S: AsyncRead + AsyncWrite + Unpin>(mut c: Conn<S>, s: &Switch) {
    if c.read_head().await.is_none() {
        return;
    }
    match s.get() {
        Misbehaviour::Healthy => {
            let body = br#"{"status":"ok"}"#;
            let _ = c
                .write(&response(
                    "200 OK",
                    &[("Content-Type", "application/json")],
                    body,
                ))
                .await;
        }
        Misbehaviour::Hang => hang().await,
        // Closed without an answer (over TLS there is no zero linger;
        // plain connections are reset by `switchable` itself).
        Misbehaviour::Reset => return,
        Misbehaviour::Trickle => {
            let head =
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n";
            if c.write(head).await.is_err() {
                return;
            }
            for _ in 0..200 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if c.write(b" ").await.is_err() {
                    return;
                }
            }
        }
        Misbehaviour::NotHttp => {
            let _ = c
                .write(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage\r\n\r\n")
                .await;
        }
        Misbehaviour::GarbageBody => {
            let _ = c
                .write(&response(
                    "200 OK",
                    &[("Content-Type", "application/json")],
                    b"\x89PNG\r\n{\"status\": ok",
                ))
                .await;
        }
        Misbehaviour::Huge => {
            let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";
            if c.write(head).await.is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < HUGE {
                if c.stream.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            s.huge_sent.lock().unwrap().push(sent);
        }
    }
    let _ = c.stream.shutdown().await;
}

/// A test CA, and TLS server configs for `localhost` and `127.0.0.1`: one
/// with a leaf it signed, one with a self-signed leaf nobody trusts.
pub struct TestTls {
    /// The CA certificate, PEM: trust it to make `good` valid.
    pub ca_pem: String,
    pub good: Arc<tokio_rustls::rustls::ServerConfig>,
    pub untrusted: Arc<tokio_rustls::rustls::ServerConfig>,
}

pub fn test_tls() -> TestTls {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    use tokio_rustls::rustls;
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "opsboard test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(names.clone())
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let stray_key = KeyPair::generate().unwrap();
    let stray = CertificateParams::new(names)
        .unwrap()
        .self_signed(&stray_key)
        .unwrap();
    let config = |cert: &rcgen::Certificate, key: &KeyPair| {
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let c = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
        Arc::new(c)
    };
    TestTls {
        ca_pem: ca.pem(),
        good: config(&leaf, &leaf_key),
        untrusted: config(&stray, &stray_key),
    }
}

/// A TLS health endpoint presenting the untrusted certificate while
/// `bad` is set, the CA-signed one otherwise; it plays `switch` inside.
pub async fn tls_switchable(
    tls: &TestTls,
    bad: Arc<std::sync::atomic::AtomicBool>,
    switch: Switch,
) -> Server {
    let good = tokio_rustls::TlsAcceptor::from(tls.good.clone());
    let untrusted = tokio_rustls::TlsAcceptor::from(tls.untrusted.clone());
    serve(move |c| {
        let acceptor = if bad.load(Ordering::SeqCst) {
            untrusted.clone()
        } else {
            good.clone()
        };
        let switch = switch.clone();
        async move {
            let Ok(stream) = acceptor.accept(c.stream).await else {
                return;
            };
            let c = Conn {
                stream,
                index: c.index,
                heads: c.heads,
            };
            misbehave(c, &switch).await;
        }
    })
    .await
}
