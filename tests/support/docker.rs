//! The real Docker engine for tests: prerequisites (skip loudly, fail under
//! CI), small images built without a registry (`docker import` of a
//! busybox-static rootfs), Compose projects with unique names cleaned up
//! even when a test fails, and a unix/TCP proxy to the daemon socket that a
//! test can cut.

#![allow(dead_code)]

pub use super::{free_port, missing};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

pub const WEB1: &str = "opsboard-test/web:1";
pub const WEB2: &str = "opsboard-test/web:2";
/// The port the test images serve on inside the container.
pub const PORT: u16 = 8080;

/// The daemon socket the tests use: `DOCKER_HOST` when it is a unix
/// socket, else the default.
pub fn socket_path() -> PathBuf {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if h.starts_with("unix://") => PathBuf::from(h.trim_start_matches("unix://")),
        _ => PathBuf::from("/var/run/docker.sock"),
    }
}

pub fn socket_endpoint() -> String {
    format!("unix://{}", socket_path().display())
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"))
}

/// `docker ARGS`, which must succeed; its stdout.
pub fn docker(args: &[&str]) -> String {
    let out = run(Command::new("docker").args(args));
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `docker ARGS`, allowed to fail.
pub fn docker_try(args: &[&str]) -> Result<String, String> {
    let out = run(Command::new("docker").args(args));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

pub fn inspect(id: &str) -> serde_json::Value {
    let text = docker(&["inspect", id]);
    let v: serde_json::Value = serde_json::from_str(&text).expect("inspect JSON");
    v[0].clone()
}

/// Whether the binary at `path` is a static ELF (no `PT_INTERP`).
fn is_static_elf(path: &Path) -> bool {
    let Ok(b) = std::fs::read(path) else {
        return false;
    };
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(b[0x20..0x28].try_into().unwrap()) as usize;
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).all(|i| {
        let o = phoff + i * size;
        o + 4 <= b.len() && u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) != 3
    })
}

fn find_busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| is_static_elf(p))
}

/// A static busybox, installing Debian's `busybox-static` when missing.
fn busybox() -> Option<PathBuf> {
    if let Some(p) = find_busybox() {
        return Some(p);
    }
    eprintln!("no static busybox: installing busybox-static with apt-get");
    let _ = Command::new("apt-get")
        .args(["install", "-y", "-qq", "busybox-static"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status();
    if find_busybox().is_none() {
        let _ = Command::new("apt-get").args(["update", "-qq"]).status();
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-qq", "busybox-static"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status();
    }
    find_busybox()
}

/// Docker, docker-compose and a static busybox are here; `None` (after a
/// loud SKIPPED, or a panic under CI) when not.
pub fn prerequisites() -> Option<()> {
    if !socket_path().exists() {
        return missing(&format!(
            "no Docker daemon socket at {}",
            socket_path().display()
        ));
    }
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return missing(&format!(
                "the Docker daemon does not answer: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        Err(e) => return missing(&format!("the docker CLI: {e}")),
    }
    match Command::new("docker-compose").arg("version").output() {
        Ok(o) if o.status.success() => {}
        _ => return missing("docker-compose is not installed"),
    }
    if busybox().is_none() {
        return missing("a static busybox (Debian's busybox-static) to build test images from");
    }
    Some(())
}

/// `docker-compose version --short`.
pub fn compose_version() -> String {
    let out = run(Command::new("docker-compose").args(["version", "--short"]));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The separator the installed docker-compose puts in replica names.
pub fn compose_separator() -> char {
    static SEP: std::sync::OnceLock<char> = std::sync::OnceLock::new();
    *SEP.get_or_init(|| {
        if compose_version().starts_with("1.") {
            '_'
        } else {
            '-'
        }
    })
}

struct ImageState {
    users: usize,
    /// Held (shared) while this process uses the images.
    in_use: Option<std::fs::File>,
}

static IMAGES: Mutex<ImageState> = Mutex::new(ImageState {
    users: 0,
    in_use: None,
});

/// Holds the test images; the last holder (across processes: other test
/// runs share the tags) removes them.
pub struct Images {
    pub web1_id: String,
    pub web2_id: String,
}

fn lock_file(name: &str) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(std::env::temp_dir().join(name))
        .unwrap_or_else(|e| panic!("lock file {name}: {e}"))
}
fn build_image(tag: &str, body: &str) {
    let busybox = busybox().expect("static busybox");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    for d in ["bin", "www", "tmp", "data", "etc"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::copy(&busybox, root.join("bin/busybox")).unwrap();
    for applet in [
        "sh", "httpd", "wget", "sleep", "cat", "echo", "rm", "ls", "mkdir", "touch", "true",
        "timeout", "kill", "date", "seq", "stty", "hostname",
    ] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    std::fs::write(root.join("www/health"), body).unwrap();
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/:/bin/sh\n").unwrap();
    let tar = dir.path().join("root.tar");
    let st = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(st.success(), "tar failed");
    let health = format!(
        "HEALTHCHECK --interval=1s --timeout=1s --retries=2 CMD [\"/bin/wget\",\"-q\",\"-O-\",\"http://127.0.0.1:{PORT}/health\"]"
    );
    let cmd = format!("CMD [\"/bin/httpd\",\"-f\",\"-p\",\"{PORT}\",\"-h\",\"/www\"]");
    let expose = format!("EXPOSE {PORT}");
    docker(&[
        "import",
        "--change",
        &health,
        "--change",
        &cmd,
        "--change",
        &expose,
        "--change",
        "ENV PATH=/bin",
        tar.to_str().unwrap(),
        tag,
    ]);
}

fn image_id(tag: &str) -> String {
    docker(&["image", "inspect", "--format", "{{.Id}}", tag])
}

/// The test images `opsboard-test/web:1` and `:2` (whose `/health` says
/// `web:1` / `web:2`), built on first use. Other processes running these
/// tests at the same time share them: a shared lock says "in use", an
/// exclusive one guards building and removing.
pub fn images() -> Images {
    let mut st = IMAGES.lock().unwrap_or_else(|p| p.into_inner());
    if st.users == 0 {
        let f = lock_file("opsboard-test-images.in-use");
        f.lock_shared().expect("shared lock on the test images");
        st.in_use = Some(f);
    }
    st.users += 1;
    let build = lock_file("opsboard-test-images.build");
    build.lock().expect("build lock on the test images");
    if docker_try(&["image", "inspect", WEB1]).is_err()
        || docker_try(&["image", "inspect", WEB2]).is_err()
    {
        build_image(WEB1, "web:1");
        build_image(WEB2, "web:2");
    }
    let images = Images {
        web1_id: image_id(WEB1),
        web2_id: image_id(WEB2),
    };
    drop(build);
    images
}

impl Drop for Images {
    fn drop(&mut self) {
        let mut st = IMAGES.lock().unwrap_or_else(|p| p.into_inner());
        st.users -= 1;
        if st.users > 0 {
            return;
        }
        drop(st.in_use.take());
        // Removed only when no other process uses them.
        let f = lock_file("opsboard-test-images.in-use");
        if f.try_lock().is_ok() {
            let _ = docker_try(&["rmi", "-f", WEB1, WEB2]);
        }
    }
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A unique name: `opsboard-t-<pid>-<n>`.
pub fn unique_name() -> String {
    format!(
        "opsboard-t-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

/// A Compose project with a unique name in its own directory; dropping it
/// removes every container, network and volume it made (`down -v`, then
/// whatever still carries its label, e.g. replicas made by the tests).
pub struct Project {
    pub name: String,
    pub dir: tempfile::TempDir,
    pub file: PathBuf,
}

impl Project {
    /// `compose` may use `{project}` for the project's name.
    pub fn new(compose: &str) -> Project {
        let name = unique_name();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docker-compose.yml");
        std::fs::write(&file, compose.replace("{project}", &name)).unwrap();
        Project { name, dir, file }
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new("docker-compose");
        c.arg("-p")
            .arg(&self.name)
            .arg("-f")
            .arg(&self.file)
            .args(args)
            .current_dir(self.dir.path())
            .env("COMPOSE_INTERACTIVE_NO_CLI", "1");
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    /// `docker-compose ARGS`, which must succeed; its stdout.
    pub fn compose_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = run(&mut self.command(args, env));
        assert!(
            out.status.success(),
            "docker-compose {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn compose(&self, args: &[&str]) -> String {
        self.compose_env(args, &[])
    }

    /// `docker-compose ps -q SERVICE`: the ids the real CLI sees, sorted.
    pub fn ps_ids(&self, service: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .compose(&["ps", "-q", service])
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        ids.sort();
        ids
    }

    /// Containers carrying the project's label, by name → id.
    pub fn containers(&self) -> BTreeMap<String, String> {
        let out = docker(&[
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
            "--format",
            "{{.Names}} {{.ID}}",
        ]);
        out.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect()
    }

    /// A replica's name: `<project>_<service>_<n>` (Compose v1) or
    /// `<project>-<service>-<n>` (v2).
    pub fn replica(&self, service: &str, n: u32) -> String {
        let sep = compose_separator();
        format!("{}{sep}{service}{sep}{n}", self.name)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.name);
        // The containers first, with every volume they mount (anonymous
        // ones carried over by a recreate included), then `down -v` for
        // the networks and named volumes, then whatever is left.
        if let Ok(ids) = docker_try(&["ps", "-aq", "--filter", &label]) {
            remove_with_volumes(ids.lines().filter(|l| !l.is_empty()));
        }
        let _ = self
            .command(&["down", "-v", "--remove-orphans", "-t", "1"], &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        for (kind, list) in [
            ("container", vec!["ps", "-aq", "--filter", &label]),
            ("network", vec!["network", "ls", "-q", "--filter", &label]),
            ("volume", vec!["volume", "ls", "-q", "--filter", &label]),
        ] {
            let Ok(ids) = docker_try(&list) else { continue };
            for id in ids.lines().filter(|l| !l.is_empty()) {
                let _ = match kind {
                    "container" => docker_try(&["rm", "-f", "-v", id]),
                    "network" => docker_try(&["network", "rm", id]),
                    _ => docker_try(&["volume", "rm", "-f", id]),
                };
            }
        }
    }
}

/// Plain containers (not Compose) labelled for cleanup.
pub struct Labelled {
    pub label: String,
}

impl Labelled {
    pub fn new() -> Labelled {
        Labelled {
            label: format!("opsboard-test={}", unique_name()),
        }
    }
}

impl Drop for Labelled {
    fn drop(&mut self) {
        if let Ok(ids) = docker_try(&["ps", "-aq", "--filter", &format!("label={}", self.label)]) {
            remove_with_volumes(ids.lines().filter(|l| !l.is_empty()));
        }
    }
}

/// Removes the containers and every volume they mount (a volume carried
/// over by name in a recreate is not removed by `docker rm -v`).
fn remove_with_volumes<'a>(ids: impl Iterator<Item = &'a str>) {
    let mut volumes = Vec::new();
    for id in ids {
        if let Ok(names) = docker_try(&[
            "inspect",
            "--format",
            "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}} {{end}}{{end}}",
            id,
        ]) {
            volumes.extend(names.split_whitespace().map(String::from));
        }
        let _ = docker_try(&["rm", "-f", "-v", id]);
    }
    for v in volumes {
        let _ = docker_try(&["volume", "rm", "-f", &v]);
    }
}

/// A proxy in front of the daemon socket: a unix socket or a 127.0.0.1
/// TCP port whose connections are piped to the daemon. `stop` cuts every
/// connection and removes the socket file, as if the daemon went away.
pub struct Proxy {
    tasks: Arc<Mutex<JoinSet<()>>>,
    accept: Option<tokio::task::JoinHandle<()>>,
    pub path: Option<PathBuf>,
    pub port: Option<u16>,
    connections: Arc<AtomicUsize>,
}

impl Proxy {
    /// Listens on the unix socket `path`.
    pub fn unix(path: &Path) -> Proxy {
        let _ = std::fs::remove_file(path);
        let listener = tokio::net::UnixListener::bind(path).expect("bind proxy socket");
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (t, n) = (tasks.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                n.fetch_add(1, Ordering::SeqCst);
                t.lock().unwrap().spawn(async move {
                    if let Ok(mut daemon) = tokio::net::UnixStream::connect(socket_path()).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut daemon).await;
                    }
                });
            }
        });
        Proxy {
            tasks,
            accept: Some(accept),
            path: Some(path.to_path_buf()),
            port: None,
            connections,
        }
    }

    /// Listens on 127.0.0.1 (plain HTTP, like `tcp://` without TLS).
    pub async fn tcp() -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (t, n) = (tasks.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                n.fetch_add(1, Ordering::SeqCst);
                t.lock().unwrap().spawn(async move {
                    if let Ok(mut daemon) = tokio::net::UnixStream::connect(socket_path()).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut daemon).await;
                    }
                });
            }
        });
        Proxy {
            tasks,
            accept: Some(accept),
            path: None,
            port: Some(port),
            connections,
        }
    }

    /// Listens on 127.0.0.1 with TLS, requiring a client certificate, like
    /// a daemon started with `--tlsverify`. Writes a fresh `ca.pem`,
    /// `cert.pem` and `key.pem` (the client's) into `cert_dir`.
    pub async fn tls(cert_dir: &Path) -> Proxy {
        use tokio_rustls::rustls;
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "opsboard test CA");
        let ca = ca.self_signed(&ca_key).unwrap();
        let server_key = rcgen::KeyPair::generate().unwrap();
        let mut sp =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap();
        sp.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let server = sp.signed_by(&server_key, &ca, &ca_key).unwrap();
        let client_key = rcgen::KeyPair::generate().unwrap();
        let mut cp = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        cp.distinguished_name
            .push(rcgen::DnType::CommonName, "client");
        cp.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let client = cp.signed_by(&client_key, &ca, &ca_key).unwrap();
        std::fs::create_dir_all(cert_dir).unwrap();
        std::fs::write(cert_dir.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(cert_dir.join("cert.pem"), client.pem()).unwrap();
        std::fs::write(cert_dir.join("key.pem"), client_key.serialize_pem()).unwrap();

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![server.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (t, n) = (tasks.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let n = n.clone();
                t.lock().unwrap().spawn(async move {
                    let Ok(mut client) = acceptor.accept(client).await else {
                        return;
                    };
                    n.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut daemon) = tokio::net::UnixStream::connect(socket_path()).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut daemon).await;
                    }
                });
            }
        });
        Proxy {
            tasks,
            accept: Some(accept),
            path: None,
            port: Some(port),
            connections,
        }
    }

    pub fn endpoint(&self) -> String {
        match (&self.path, self.port) {
            (Some(p), _) => format!("unix://{}", p.display()),
            (None, Some(port)) => format!("tcp://127.0.0.1:{port}"),
            _ => unreachable!(),
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Stops listening, cuts every connection, removes the socket file.
    pub fn stop(&mut self) {
        if let Some(a) = self.accept.take() {
            a.abort();
        }
        self.tasks.lock().unwrap().abort_all();
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `f` every 100 ms until it returns `Some`, or `None` after `within`.
pub fn poll_until<T>(within: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
