//! A simulated Kubernetes cluster per test and the real `kubectl` run
//! against it (own kubeconfig and discovery cache in a temp dir).
//!
//! Use with `mod support; use support::kube;`.
//!
//! A missing `kubectl` makes [`Kubectl::find`] return `None` after a loud
//! `SKIPPED:` line, or panic when `CI=true`.

#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use opsboard::app::Msg;
use opsboard::clients::kube::{KubeSettings, connect};
use opsboard::model::ClusterSnapshot;
use opsboard::sim::kube::{SimCluster, World};
use opsboard::sources::kube::KubeSource;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// Simulated seconds per wall second in tests.
pub const TIME_SCALE: f64 = 20.0;

/// Fails under CI, skips loudly elsewhere.
pub fn missing<T>(what: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing in CI: {what}");
    }
    eprintln!("\n**********\nSKIPPED: {what}\n**********\n");
    None
}

pub fn on_path(name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBECTL").map(PathBuf::from)
        && p.is_file()
    {
        return Some(p);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `args` with `--request-timeout=20s` unless given, before a `--` (what
/// follows it is the command of `kubectl exec`).
fn with_timeout<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all: Vec<&str> = args.to_vec();
    if !args.iter().any(|a| a.starts_with("--request-timeout")) {
        let at = args.iter().position(|a| *a == "--").unwrap_or(args.len());
        all.insert(at, "--request-timeout=20s");
    }
    all
}

/// Output of one kubectl run.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

pub struct Kubectl {
    pub bin: PathBuf,
    pub kubeconfig: PathBuf,
    cache: PathBuf,
    _dir: tempfile::TempDir,
}

impl Kubectl {
    /// kubectl configured for `sim`, or `None` (skipped) without kubectl.
    pub fn find(sim: &SimCluster) -> Option<Kubectl> {
        let Some(bin) = on_path("kubectl") else {
            return missing("kubectl not found on PATH (set KUBECTL to override)");
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig");
        sim.write_kubeconfig(&kubeconfig, "sim")
            .expect("write kubeconfig");
        Some(Kubectl {
            bin,
            kubeconfig,
            cache: dir.path().join("cache"),
            _dir: dir,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(args)
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        c
    }

    /// Runs kubectl (with `--request-timeout=20s` unless given) and waits.
    pub async fn run(&self, args: &[&str]) -> Out {
        let all = with_timeout(args);
        let out = tokio::time::timeout(Duration::from_secs(90), self.command(&all).output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} did not finish in 90s"))
            .expect("run kubectl");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs kubectl with `input` on its stdin (closed after it).
    pub async fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Out {
        use tokio::io::AsyncWriteExt;
        let all = with_timeout(args);
        let mut child = self
            .command(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubectl");
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(input).await.expect("write kubectl's stdin");
        drop(stdin);
        let out = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} did not finish in 90s"))
            .expect("run kubectl");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs kubectl and asserts success; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.ok(),
            "kubectl {args:?} failed ({}):\n{}\n{}",
            out.code,
            out.stdout,
            out.stderr
        );
        out.stdout
    }

    /// kubectl's stdout parsed as JSON.
    pub async fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args).await;
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("kubectl {args:?}: not JSON ({e}):\n{out}"))
    }

    /// Starts a long-running kubectl (e.g. `get --watch`) with piped stdout.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubectl")
    }

    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }
}

/// The stdout of a long-running kubectl, line by line.
pub struct Lines {
    reader: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    pub seen: Vec<String>,
}

impl Lines {
    pub fn of(child: &mut Child) -> Lines {
        Lines {
            reader: BufReader::new(child.stdout.take().expect("piped stdout")).lines(),
            seen: Vec::new(),
        }
    }

    /// Reads until `stop` holds for all lines so far (true) or `deadline`
    /// passes (false).
    pub async fn until(&mut self, deadline: Duration, stop: impl Fn(&[String]) -> bool) -> bool {
        let end = tokio::time::Instant::now() + deadline;
        while !stop(&self.seen) {
            match tokio::time::timeout_at(end, self.reader.next_line()).await {
                Ok(Ok(Some(l))) => self.seen.push(l),
                _ => return false,
            }
        }
        true
    }
}

/// Starts a fresh simulated cluster with the test time scale.
pub async fn start(world: World) -> SimCluster {
    let sim = SimCluster::start(world)
        .await
        .expect("start simulated cluster");
    sim.set_time_scale(TIME_SCALE);
    sim
}

/// Polls `check` until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How long a test waits for the source to show a state.
pub const SNAPSHOT_WAIT: Duration = Duration::from_secs(45);

/// Starts opsboard's Kubernetes source and returns its messages.
pub async fn watch(settings: &KubeSettings) -> (KubeSource, mpsc::Receiver<Msg>) {
    let (tx, rx) = mpsc::channel(1024);
    (KubeSource::spawn(connect(settings).await, vec![], tx), rx)
}

/// Waits (up to [`SNAPSHOT_WAIT`]) for a snapshot that satisfies `pred`.
pub async fn snapshot_where(
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    pred: impl Fn(&ClusterSnapshot) -> bool,
) -> ClusterSnapshot {
    let deadline = tokio::time::Instant::now() + SNAPSHOT_WAIT;
    let mut last = None;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Msg::Kube(s))) => {
                if pred(&s) {
                    return *s;
                }
                last = Some(s);
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("source stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}; last snapshot: {last:#?}"),
        }
    }
}
