//! Real Prometheus, Alertmanager and node_exporter for tests (Debian's
//! `prometheus`, `prometheus-alertmanager`, `prometheus-node-exporter`), each
//! on a free loopback port with its own temp dir, killed when the guard is
//! dropped; and `amtool` to look at an Alertmanager from the outside.
//!
//! Use with `mod support; use support::prom;`.
//!
//! A missing binary makes a helper return `None` after printing a loud
//! `SKIPPED:` line, or panic when `CI=true`.

#![allow(dead_code)]

pub use super::{free_port, missing};
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::prom_proc as proc;
#[allow(unused_imports)]
pub use proc::http_get;
use proc::{Proc, Ready, log_tail, spawn_ready};

/// `name` on PATH.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// A loopback port nothing listens on (bound, then released).
pub fn dead_port() -> u16 {
    free_port()
}

// --- node_exporter -----------------------------------------------------------

/// `prometheus-node-exporter` on 127.0.0.1.
///
/// Collectors that fail without systemd, or whose series come and go while
/// other tests start containers (network interfaces, mounts, ARP), are off:
/// the tests compare two scrapes taken a moment apart.
pub struct NodeExporter {
    proc: Proc,
}

pub const NODE_EXPORTER_FLAGS: &[&str] = &[
    "--no-collector.systemd",
    "--no-collector.netdev",
    "--no-collector.netclass",
    "--no-collector.arp",
    "--no-collector.filesystem",
    "--no-collector.diskstats",
    "--no-collector.udp_queues",
    "--no-collector.conntrack",
    "--no-collector.textfile",
    "--no-collector.hwmon",
    "--no-collector.thermal_zone",
];

impl NodeExporter {
    pub fn start() -> Option<NodeExporter> {
        let Some(bin) = find_binary("prometheus-node-exporter") else {
            return missing(
                "prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)",
            );
        };
        let args = |port: u16, _: &Path| {
            let mut a = vec![format!("--web.listen-address=127.0.0.1:{port}")];
            a.extend(NODE_EXPORTER_FLAGS.iter().map(|s| s.to_string()));
            a
        };
        let dir = tempfile::tempdir().unwrap();
        let proc = spawn_ready(
            "node_exporter",
            &bin,
            dir,
            &args,
            Ready::Http("/metrics"),
            Duration::from_secs(20),
        );
        Some(NodeExporter { proc })
    }

    pub fn port(&self) -> u16 {
        self.proc.port
    }

    /// `127.0.0.1:PORT`, as a scrape target.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.proc.port)
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.proc.port)
    }

    pub fn log(&self) -> String {
        log_tail(&self.proc.log)
    }
}

// --- prometheus --------------------------------------------------------------

/// A `prometheus` server on 127.0.0.1 with its TSDB in a temp dir.
pub struct Prometheus {
    proc: Proc,
    /// `http://127.0.0.1:PORT/` or `https://…/prefix/`.
    url: String,
}

/// How to start a [`Prometheus`] beyond its config.
#[derive(Default)]
pub struct PromOptions<'a> {
    /// Written as `rules.yml`; refer to it as `rules.yml` in `rule_files`.
    pub rules_yaml: Option<&'a str>,
    /// Written as `web.yml` and passed as `--web.config.file` (TLS, basic
    /// auth); files it names go in `extra_files`.
    pub web_yaml: Option<&'a str>,
    pub extra_files: Vec<(&'a str, Vec<u8>)>,
    /// `--web.route-prefix`, e.g. `/prom`.
    pub route_prefix: Option<&'a str>,
}

impl Prometheus {
    /// `config_yaml` is written as `prometheus.yml`; `rules_yaml`, when
    /// given, as `rules.yml` beside it. Returns once `/-/ready` answers 200.
    ///
    /// Ready does not mean scraping: static targets reach the scrape
    /// manager after its ~5 s update throttle, so the first samples arrive
    /// 5–6 s after start. Poll.
    pub fn start(config_yaml: &str, rules_yaml: Option<&str>) -> Option<Prometheus> {
        Prometheus::start_with(
            config_yaml,
            PromOptions {
                rules_yaml,
                ..PromOptions::default()
            },
        )
    }

    /// With a web config (TLS, auth) or a route prefix, readiness is only
    /// "the port accepts connections": `/-/ready` may still answer 503 for
    /// a moment, so poll with the client under test.
    pub fn start_with(config_yaml: &str, opts: PromOptions<'_>) -> Option<Prometheus> {
        let Some(bin) = find_binary("prometheus") else {
            return missing("prometheus is not installed (apt-get install prometheus)");
        };
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("prometheus.yml"), config_yaml).unwrap();
        if let Some(rules) = opts.rules_yaml {
            fs::write(dir.path().join("rules.yml"), rules).unwrap();
        }
        if let Some(web) = opts.web_yaml {
            fs::write(dir.path().join("web.yml"), web).unwrap();
        }
        for (name, content) in &opts.extra_files {
            fs::write(dir.path().join(name), content).unwrap();
        }
        let args = |port: u16, dir: &Path| {
            let mut a = vec![
                format!("--config.file={}", dir.join("prometheus.yml").display()),
                format!("--storage.tsdb.path={}", dir.join("data").display()),
                format!("--web.listen-address=127.0.0.1:{port}"),
                "--web.enable-lifecycle".to_string(),
                // Resend firing alerts every second, not every minute: the
                // first send can happen before the Alertmanager is known.
                "--rules.alert.resend-delay=1s".to_string(),
                "--log.level=warn".to_string(),
            ];
            if opts.web_yaml.is_some() {
                a.push(format!(
                    "--web.config.file={}",
                    dir.join("web.yml").display()
                ));
            }
            if let Some(prefix) = opts.route_prefix {
                a.push(format!("--web.route-prefix={prefix}"));
            }
            a
        };
        let plain = opts.web_yaml.is_none() && opts.route_prefix.is_none();
        let ready = if plain {
            Ready::Http("/-/ready")
        } else {
            Ready::Listening
        };
        let proc = spawn_ready(
            "prometheus",
            &bin,
            dir,
            &args,
            ready,
            Duration::from_secs(60),
        );
        let tls = opts
            .web_yaml
            .is_some_and(|w| w.contains("tls_server_config"));
        let prefix = opts.route_prefix.unwrap_or("").trim_matches('/');
        let url = format!(
            "{}://127.0.0.1:{}/{}{}",
            if tls { "https" } else { "http" },
            proc.port,
            prefix,
            if prefix.is_empty() { "" } else { "/" }
        );
        Some(Prometheus { proc, url })
    }

    pub fn port(&self) -> u16 {
        self.proc.port
    }

    /// `http://127.0.0.1:PORT/` (with the scheme and prefix it serves).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn log(&self) -> String {
        log_tail(&self.proc.log)
    }

    /// Kills it (as a crash would); [`Self::start_again`] brings it back.
    /// Blocking.
    pub fn stop(&mut self) {
        self.proc.stop();
    }

    /// Starts it again on the same port with the same data, and waits
    /// until it is ready (up to a minute). Blocking.
    pub fn start_again(&mut self) {
        self.proc.start_again(Duration::from_secs(60));
    }
}

/// A Prometheus config scraping every `job → targets` pair every second,
/// evaluating `rules.yml` (when `rules`) every second, and sending alerts
/// to `alertmanager` (`127.0.0.1:PORT`) when given.
pub fn prometheus_config(
    jobs: &[(&str, Vec<String>)],
    rules: bool,
    alertmanager: Option<u16>,
) -> String {
    let mut y = String::from(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n",
    );
    if rules {
        y.push_str("rule_files: [rules.yml]\n");
    }
    if let Some(port) = alertmanager {
        y.push_str(&format!(
            "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{port}']\n"
        ));
    }
    y.push_str("scrape_configs:\n");
    for (job, targets) in jobs {
        let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        y.push_str(&format!(
            "  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n",
            list.join(", ")
        ));
    }
    y
}

// --- alertmanager ------------------------------------------------------------

/// A `prometheus-alertmanager` on 127.0.0.1, gossip off, one receiver that
/// sends nowhere.
pub struct Alertmanager {
    proc: Proc,
}

pub const ALERTMANAGER_RECEIVER: &str = "blackhole";

impl Alertmanager {
    pub fn start() -> Option<Alertmanager> {
        let Some(bin) = find_binary("prometheus-alertmanager") else {
            return missing(
                "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)",
            );
        };
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("alertmanager.yml"),
            format!(
                "route:\n  receiver: {ALERTMANAGER_RECEIVER}\n  group_wait: 1s\n  group_interval: 1s\n\
                 receivers:\n  - name: {ALERTMANAGER_RECEIVER}\n"
            ),
        )
        .unwrap();
        let args = |port: u16, dir: &Path| {
            vec![
                format!("--config.file={}", dir.join("alertmanager.yml").display()),
                format!("--storage.path={}", dir.join("data").display()),
                format!("--web.listen-address=127.0.0.1:{port}"),
                // Empty: no gossip port to collide on.
                "--cluster.listen-address=".to_string(),
                "--log.level=warn".to_string(),
            ]
        };
        let proc = spawn_ready(
            "alertmanager",
            &bin,
            dir,
            &args,
            Ready::Http("/-/ready"),
            Duration::from_secs(30),
        );
        Some(Alertmanager { proc })
    }

    pub fn port(&self) -> u16 {
        self.proc.port
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.proc.port)
    }

    pub fn log(&self) -> String {
        log_tail(&self.proc.log)
    }

    /// Kills it (as a crash would); [`Self::start_again`] brings it back.
    /// Blocking.
    pub fn stop(&mut self) {
        self.proc.stop();
    }

    /// Starts it again on the same port with the same data, and waits
    /// until it is ready (up to 30 s). Blocking.
    pub fn start_again(&mut self) {
        self.proc.start_again(Duration::from_secs(30));
    }
}

/// `amtool`, when installed (Debian ships it in `prometheus-alertmanager`).
pub struct Amtool {
    bin: PathBuf,
}

impl Amtool {
    /// `None` (after SKIPPED) when amtool is not on PATH.
    pub fn find() -> Option<Amtool> {
        match find_binary("amtool") {
            Some(bin) => Some(Amtool { bin }),
            None => missing("amtool is not installed (apt-get install prometheus-alertmanager)"),
        }
    }

    /// `amtool silence query -o json` (with `--expired` when asked): the
    /// silences as JSON.
    pub fn silences(&self, alertmanager_url: &str, expired: bool) -> serde_json::Value {
        let mut cmd = Command::new(&self.bin);
        cmd.arg(format!("--alertmanager.url={alertmanager_url}"))
            .args(["silence", "query", "-o", "json"])
            // A config in the home dir must not change what we ask.
            .env("HOME", std::env::temp_dir())
            .stdin(Stdio::null());
        if expired {
            cmd.arg("--expired");
        }
        let out = cmd.output().expect("run amtool");
        assert!(
            out.status.success(),
            "amtool failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "amtool printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }
}

// --- polling -----------------------------------------------------------------

/// Calls `f` every 250 ms until it returns `Ok`, for at most `within`;
/// panics with `what` and the last `Err` otherwise.
pub async fn eventually<T, Fut>(what: &str, within: Duration, mut f: impl FnMut() -> Fut) -> T
where
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + within;
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if Instant::now() >= deadline => {
                panic!("{what}: not so after {within:?}; last: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}
