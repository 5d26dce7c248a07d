//! `opsboard snapshot --markdown` through the real binary: the demo world's
//! failing services and firing alerts; a config of loopback servers that
//! misbehave (one up, one 500, one garbage, one that never answers, a
//! Prometheus that fails, an Alertmanager that never answers, a Docker host
//! and a Kubernetes context that cannot be reached) with an audit log of a
//! few entries — the table rows, the alerts, the audit section (verified,
//! then tampered with), what did not answer within the wait, and the exit
//! code; a real Docker engine with a healthy and an unhealthy Compose
//! service (without a daemon: SKIPPED, a failure under CI=true). `HOME`
//! and the XDG dirs are a temp dir.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use opsboard::ops::audit::{AuditLog, AuditOutcome, AuditRecord};
use support::misbehaving::{self, hang};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.took, self.stdout, self.stderr
        )
    }
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn config(&self) -> PathBuf {
        self.path().join("opsboard.toml")
    }

    fn kubeconfig(&self) -> PathBuf {
        self.path().join("kubeconfig")
    }

    fn audit_path(&self) -> PathBuf {
        self.path().join("audit.jsonl")
    }

    /// The log as the binary sees it (head records in the home's state dir).
    fn log(&self) -> AuditLog {
        AuditLog::new(self.audit_path())
            .with_head_dir(self.path().join(".local/state/opsboard/audit-heads"))
    }

    async fn run(&self, args: &[&str]) -> Out {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_opsboard"));
        cmd.args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .env("XDG_DATA_HOME", self.path().join(".local/share"))
            .env("XDG_STATE_HOME", self.path().join(".local/state"))
            .env("XDG_CACHE_HOME", self.path().join(".cache"))
            .env_remove("OPSBOARD_CONFIG")
            .env_remove("OPSBOARD_LOG")
            .env_remove("KUBECONFIG")
            .env_remove("DOCKER_HOST")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let started = Instant::now();
        let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
            .await
            .expect("opsboard finishes")
            .expect("the opsboard binary runs");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took: started.elapsed(),
        }
    }
}

/// The text under `## title…` up to the next section.
fn section<'a>(md: &'a str, title: &str) -> &'a str {
    let start = md
        .find(&format!("\n## {title}"))
        .unwrap_or_else(|| panic!("no section {title} in\n{md}"));
    let rest = &md[start + 1..];
    let body = &rest[rest.find('\n').unwrap() + 1..];
    match body.find("\n## ") {
        Some(end) => &body[..end],
        None => body,
    }
}

/// The body rows of the first table in `text`, each split on unescaped `|`
/// into its trimmed cells.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let mut cells = vec![String::new()];
            let mut chars = l.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        cells.last_mut().unwrap().push(c);
                        cells.last_mut().unwrap().extend(chars.next());
                    }
                    '|' => cells.push(String::new()),
                    _ => cells.last_mut().unwrap().push(c),
                }
            }
            cells
                .iter()
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()[1..cells.len() - 1]
                .to_vec()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_world_shows_its_failing_services_and_firing_alerts() {
    let home = Home::new();
    let out = home.run(&["snapshot", "--demo", "--markdown"]).await;
    let md = &out.stdout;
    assert_eq!(out.code, 2, "a service is down in the demo: {out:?}");
    assert!(
        md.starts_with("# opsboard snapshot · ")
            && md.lines().next().unwrap().contains("demo world"),
        "{out:?}"
    );
    let title = md.lines().next().unwrap();
    assert!(
        title.contains("services failing") && title.contains("alerts firing"),
        "{title}"
    );
    let failing = rows(section(md, "Failing services"));
    let ml = failing
        .iter()
        .find(|r| r[1] == "ml-service")
        .unwrap_or_else(|| panic!("ml-service is failing: {out:?}"));
    assert_eq!(ml[2], "production");
    assert!(
        ml[3].contains("CrashLoopBackOff") && ml[3].contains("restarts"),
        "the crash loop and its restarts: {ml:?}"
    );
    assert!(failing.iter().any(|r| r[1] == "worker"), "{out:?}");
    let alerts = rows(section(md, "Firing alerts"));
    assert!(
        alerts.iter().any(|r| r[0] == "critical"
            && r[1] == "firing"
            && r[2] == "RestartLoop"
            && r[3] == "ml-service"),
        "{out:?}"
    );
    assert!(alerts.iter().any(|r| r[2] == "ServiceDown"), "{out:?}");
    assert!(md.contains("\n**Healthy ("), "{out:?}");
    // The release four minutes before the demo started: named under the
    // alerts, and first in api's part of what changed.
    assert!(
        md.contains("after api rolled out 1.4.3 (rev 4) — u rolls back to 1.4.2"),
        "{out:?}"
    );
    let changed = rows(section(md, "What changed"));
    let api = changed
        .iter()
        .find(|r| r[1] == "api")
        .unwrap_or_else(|| panic!("api's rollout is in What changed: {out:?}"));
    assert_eq!(api[2], "rollout");
    assert!(api[3].starts_with("rev 4 api:1.4.3"), "{api:?}");
    assert_eq!(api[4], "kubectl-set");
    assert!(section(md, "Recent actions").contains("none"), "{out:?}");
    assert!(
        section(md, "Sources").contains("sources answered within 8s"),
        "{out:?}"
    );
}

/// `{"status":"ok"}`.
async fn healthy() -> misbehaving::Server {
    misbehaving::fixed(
        "200 OK",
        &[("Content-Type", "application/json")],
        br#"{"status":"ok"}"#,
    )
    .await
}

fn write_config(home: &Home, servers: &[(&str, String)], prometheus: &str, alertmanager: &str) {
    let mut text = format!(
        "[audit]\npath = '{}'\n\
         [[docker.hosts]]\nname = \"nowhere\"\nendpoint = \"unix://{}\"\n\
         [kubernetes]\nkubeconfig = '{}'\ncontexts = [\"prod\"]\n\
         [environments.prod]\nprotected = true\n\
         [[prometheus]]\nname = \"main\"\nurl = \"{prometheus}\"\n\
         [[alertmanager]]\nname = \"am\"\nurl = \"{alertmanager}\"\ntimeout = \"60s\"\n",
        home.audit_path().display(),
        home.path().join("no-docker.sock").display(),
        home.kubeconfig().display(),
    );
    std::fs::write(home.kubeconfig(), "this: [is not a kubeconfig").unwrap();
    for (name, url) in servers {
        text.push_str(&format!(
            "[[services]]\nname = \"{name}\"\nenvironment = \"prod\"\n\
             [[services.health]]\nurl = \"{url}\"\ntimeout = \"30s\"\n"
        ));
    }
    std::fs::write(home.config(), text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_servers_an_audit_log_and_a_source_that_never_answers() {
    let up = healthy().await;
    let error = misbehaving::fixed(
        "500 Internal Server Error",
        &[("Content-Type", "application/json")],
        br#"{"status":"down","checks":{"database":"down"}}"#,
    )
    .await;
    // Not HTTP at all, with a terminal escape and Markdown in it.
    let garbage = misbehaving::serve(|mut c| async move {
        let _ = c.read_head().await;
        let _ = c.write(b"\x1b[2J| `evil` # garbage\r\n\r\n").await;
    })
    .await;
    let silent = misbehaving::serve(|mut c| async move {
        let _ = c.read_head().await;
        hang().await;
    })
    .await;
    let prometheus = misbehaving::fixed("503 Service Unavailable", &[], b"overloaded").await;
    let home = Home::new();
    write_config(
        &home,
        &[
            ("api", up.url("/health")),
            ("billing", error.url("/health")),
            ("ledger", garbage.url("/health")),
            ("slow", silent.url("/health")),
        ],
        &prometheus.url("/"),
        &silent.url("/"),
    );
    let log = home.log();
    let record = |target: &str, verb: &str, outcome, message: Option<&str>, job| AuditRecord {
        target: target.into(),
        verb: verb.into(),
        parameters: Default::default(),
        outcome,
        duration_ms: Some(1500),
        message: message.map(String::from),
        job,
    };
    log.append(&record(
        "deployment/billing",
        "restart",
        AuditOutcome::Succeeded,
        None,
        Some(1),
    ))
    .unwrap();
    log.append(&record(
        "backup/ledger-db",
        "backup",
        AuditOutcome::Failed,
        Some("pg_dump: connection | refused"),
        Some(2),
    ))
    .unwrap();

    let config = home.config().display().to_string();
    let args = [
        "--config",
        config.as_str(),
        "snapshot",
        "--markdown",
        "--wait",
        "3s",
    ];
    let out = home.run(&args).await;
    let md = &out.stdout;
    assert_eq!(out.code, 2, "services are down: {out:?}");
    assert!(
        out.took < Duration::from_secs(20),
        "bounded by --wait: {out:?}"
    );
    assert!(
        !md.contains('\x1b'),
        "no escape from a body reaches the output: {out:?}"
    );
    let title = md.lines().next().unwrap_or_else(|| panic!("{out:?}"));
    assert!(
        title.contains(&format!("config {config}"))
            && title.ends_with("**3 services failing, 2 alerts firing**"),
        "{out:?}"
    );

    let failing = rows(section(md, "Failing services (3)"));
    let names: Vec<&str> = failing.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(names, ["billing", "ledger", "slow"], "worst first: {out:?}");
    assert_eq!(failing[0][0], "✖ DOWN");
    assert_eq!(failing[0][2], "prod");
    assert!(
        failing[0][3].contains("HTTP 500") && failing[0][3].contains("database down"),
        "{:?}",
        failing[0]
    );
    assert_eq!(failing[1][0], "✖ DOWN");
    assert_eq!(failing[2][0], "? UNKN");
    assert!(
        failing[2][3].contains("not answered: health probe of slow")
            && failing[2][3].contains("no answer within 3s"),
        "{:?}",
        failing[2]
    );
    assert!(md.contains("\n**Healthy (1):** api\n"), "{out:?}");

    let alerts = rows(section(md, "Firing alerts (2)"));
    let down: Vec<&str> = alerts
        .iter()
        .filter(|r| r[2] == "ServiceDown")
        .map(|r| r[3].as_str())
        .collect();
    assert_eq!(down, ["billing", "ledger"], "{out:?}");

    let actions = section(md, "Recent actions");
    let entries = rows(actions);
    assert_eq!(entries.len(), 2, "{actions}");
    assert_eq!(entries[0][2], "backup");
    assert_eq!(entries[0][3], "backup/ledger-db");
    assert_eq!(entries[0][4], "failed");
    assert_eq!(entries[0][5], "#2");
    assert_eq!(entries[0][6], r"pg_dump: connection \| refused");
    assert_eq!(entries[1][2], "restart");
    assert_eq!(entries[1][4], "succeeded");
    assert!(entries[1][1].contains('@'), "user@host: {:?}", entries[1]);
    assert!(
        actions.contains(": chain verified (3 lines, head `"),
        "{actions}"
    );

    let sources = section(md, "Sources");
    assert!(
        sources.contains("- not answered: Alertmanager am (no answer within 3s)"),
        "{sources}"
    );
    assert!(
        sources.contains("- not answered: health probe of slow"),
        "{sources}"
    );
    assert!(
        sources.contains("- failing: Prometheus main: HTTP 503"),
        "{sources}"
    );
    assert!(
        sources.contains("- failing: Docker nowhere: socket not found (daemon not running?)"),
        "{sources}"
    );
    assert!(sources.contains("- failing: k8s prod: "), "{sources}");
    assert!(
        sources.contains("6 of 8 sources answered within 3s."),
        "{sources}"
    );

    // Someone edits a line: the summary says the chain is broken.
    let text = std::fs::read_to_string(home.audit_path()).unwrap();
    std::fs::write(
        home.audit_path(),
        text.replace("\"failed\"", "\"succeeded\""),
    )
    .unwrap();
    let out = home.run(&args).await;
    let actions = section(&out.stdout, "Recent actions");
    assert!(
        actions.contains("**Audit log chain BROKEN**") && actions.contains("modified"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_takes_no_screen_size_and_wait_needs_markdown() {
    let home = Home::new();
    let out = home
        .run(&["snapshot", "--markdown", "--width", "80", "--demo"])
        .await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--width"), "{out:?}");
    let out = home.run(&["snapshot", "--wait", "3s", "--demo"]).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--markdown"), "{out:?}");
    let out = home
        .run(&["snapshot", "--markdown", "--wait", "0s", "--demo"])
        .await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("zero"), "{out:?}");
}

/// `docker inspect`'s health status of the one container of `service`.
fn health_of(p: &support::docker::Project, service: &str) -> Option<String> {
    let id = p.ps_ids(service).into_iter().next()?;
    let v = support::docker::inspect(&id);
    v.pointer("/State/Health/Status")?
        .as_str()
        .map(String::from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_docker_host_with_a_healthy_and_an_unhealthy_compose_service() {
    use support::docker;
    if docker::prerequisites().is_none() {
        return;
    }
    let _images = docker::images();
    let p = docker::Project::new(
        r#"
version: "2.4"
services:
  web:
    image: opsboard-test/web:1
    init: true
  sick:
    image: opsboard-test/web:1
    init: true
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/nope"]
      interval: 1s
      timeout: 1s
      retries: 2
"#,
    );
    p.compose(&["up", "-d"]);
    let settled = docker::poll_until(Duration::from_secs(60), || {
        (health_of(&p, "web").as_deref() == Some("healthy")
            && health_of(&p, "sick").as_deref() == Some("unhealthy"))
        .then_some(())
    });
    assert!(settled.is_some(), "web healthy and sick unhealthy");
    let home = Home::new();
    std::fs::write(
        home.config(),
        format!(
            "[audit]\npath = '{}'\n[kubernetes]\ndisabled = true\n\
             [[docker.hosts]]\nname = \"local\"\nendpoint = \"{}\"\n\
             [[services]]\nname = \"shop-web\"\ncompose = \"{project}/web\"\n\
             [[services]]\nname = \"shop-sick\"\ncompose = \"{project}/sick\"\n",
            home.audit_path().display(),
            docker::socket_endpoint(),
            project = p.name,
        ),
    )
    .unwrap();
    let config = home.config().display().to_string();
    let out = home
        .run(&[
            "--config",
            &config,
            "snapshot",
            "--markdown",
            "--wait",
            "10s",
        ])
        .await;
    let md = &out.stdout;
    // Other tests' projects may be on the same daemon: only ours are checked.
    assert_eq!(out.code, 2, "shop-sick is down: {out:?}");
    let failing = rows(section(md, "Failing services"));
    let sick = failing
        .iter()
        .find(|r| r[1] == "shop-sick")
        .unwrap_or_else(|| panic!("shop-sick is failing: {out:?}"));
    assert_eq!(sick[0], "✖ DOWN");
    assert!(
        sick[3].contains("0/1 healthy") && sick[3].contains("unhealthy"),
        "{sick:?}"
    );
    assert!(!failing.iter().any(|r| r[1] == "shop-web"), "{out:?}");
    let healthy = md.lines().find(|l| l.starts_with("**Healthy")).unwrap();
    assert!(healthy.contains("shop-web"), "{healthy}");
    assert!(!section(md, "Sources").contains("Docker local"), "{out:?}");
}
