//! One canary secret in every config key that accepts a reference, and a
//! health endpoint that reflects it back (with terminal escapes) in its
//! failing body. The real binary runs `check`, `snapshot` (and `snapshot
//! --markdown`), `do … --dry-run`, `do run` and the board in a pty; the
//! canary must appear nowhere: not in stdout or stderr, not on screen, not
//! in the log files, not in the audit log. No escape sequence from outside
//! reaches the terminal either.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{misbehaving, pty};

use std::path::Path;
use std::process::{Command, Stdio};

use pty::Pty;

const CANARY: &str = "c4n4ry-S3cret-7f1b9e";

/// What the failing endpoint says: its dependency check is named with an
/// OSC 52 (clipboard write) and a screen clear, and its reason quotes the
/// Authorization header it was sent.
async fn reflecting_server() -> misbehaving::Server {
    misbehaving::serve(|mut c| async move {
        let Some(head) = c.read_head().await else {
            return;
        };
        let auth = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("authorization: ")
                    .or_else(|| l.strip_prefix("Authorization: "))
            })
            .unwrap_or("none")
            .trim()
            .to_string();
        let body = format!(
            "{{\"status\":\"down\",\"checks\":{{\"db\\u001b]52;c;cHduZWQ=\\u0007\\u001b[2J\":{{\"status\":\"down\",\"error\":\"rejected {auth}\"}}}}}}"
        );
        let _ = c
            .write(&misbehaving::response(
                "503 Service Unavailable",
                &[("Content-Type", "application/json")],
                body.as_bytes(),
            ))
            .await;
    })
    .await
}

fn config(dir: &Path, health: &str) -> String {
    let secret_file = dir.join("canary-file");
    std::fs::write(&secret_file, format!("{CANARY}\n")).unwrap();
    format!(
        r#"
[audit]
path = '{audit}'

[backup]
dir = '{backups}'

[[services]]
name = "api"

[[services.health]]
url = "{health}"
bearer = "${{OPSBOARD_CANARY}}"
headers = {{ X-Api-Key = "file:{file}" }}

[[services.health]]
url = "{health}"
basic = {{ username = "ops", password = "${{OPSBOARD_CANARY}}" }}

[[services.backups]]
name = "orders"
kind = "postgres"
url = "${{DBURL}}"

[[services.backups]]
name = "cache"
kind = "redis"
address = "127.0.0.1:9"
password = "${{OPSBOARD_CANARY}}"

[[services.runbooks]]
name = "leak"
command = ["sh", "-c", 'echo "token=$TOKEN url=$DB"; printf "osc \033]52;c;cHduZWQ=\007 done\n"']
env = {{ TOKEN = "${{OPSBOARD_CANARY}}", DB = "${{DBURL}}" }}

[[prometheus]]
name = "main"
url = "http://127.0.0.1:9"
bearer = "${{OPSBOARD_CANARY}}"

[[alertmanager]]
name = "am"
url = "http://127.0.0.1:9"
basic = {{ username = "am", password = "file:{file}" }}

[kubernetes]
disabled = true

[docker]
disabled = true
"#,
        audit = dir.join("audit.jsonl").display(),
        backups = dir.join("backups").display(),
        file = secret_file.display(),
    )
}

fn env(dir: &Path) -> Vec<(String, String)> {
    let h = dir.display().to_string();
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), h.clone()),
        ("XDG_CONFIG_HOME".into(), format!("{h}/.config")),
        ("XDG_STATE_HOME".into(), format!("{h}/.local/state")),
        ("XDG_DATA_HOME".into(), format!("{h}/.local/share")),
        ("OPSBOARD_CANARY".into(), CANARY.into()),
        (
            "DBURL".into(),
            format!("postgresql://app@127.0.0.1:9/orders?password={CANARY}&sslpassword={CANARY}"),
        ),
        ("OPSBOARD_LOG".into(), "debug".into()),
    ]
}

/// Runs the binary; returns exit code and stdout+stderr.
fn run(dir: &Path, cfg: &Path, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsboard"));
    cmd.arg("--config")
        .arg(cfg)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env(dir))
        .stdin(Stdio::null());
    let out = cmd.output().expect("run opsboard");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(CANARY), "{what} shows the secret:\n{text}");
    assert!(
        !text.contains('\x1b') && !text.contains('\x07'),
        "{what} passes an escape sequence through:\n{text:?}"
    );
}

/// Every file below `dir` (logs, audit log, head records, backups).
fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn a_canary_secret_appears_nowhere() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(reflecting_server());
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().to_path_buf();
    let cfg = dir.join("opsboard.toml");
    std::fs::write(&cfg, config(&dir, &server.url("/health"))).unwrap();

    let (code, out) = run(&dir, &cfg, &["check"]);
    assert_eq!(code, 2, "the service is down:\n{out}");
    assert!(out.contains("api"), "{out}");
    assert_clean("check", &out);
    // The endpoint really was sent the secret (so the test can fail).
    assert!(
        server.heads().iter().any(|h| h.contains(CANARY)),
        "the probe did not send the bearer token"
    );

    let (_, out) = run(&dir, &cfg, &["check", "--json"]);
    assert_clean("check --json", &out);
    let (_, out) = run(
        &dir,
        &cfg,
        &["snapshot", "--width", "120", "--height", "30"],
    );
    assert_clean("snapshot", &out);
    let (code, out) = run(&dir, &cfg, &["do", "backup", "orders", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("plan: backup orders"), "{out}");
    assert_clean("do backup --dry-run", &out);
    let (code, out) = run(
        &dir,
        &cfg,
        &["do", "run", "leak", "--service", "api", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("token=***"), "{out}");
    assert!(out.contains("osc "), "{out}");
    assert_clean("do run", &out);
    let (_, out) = run(&dir, &cfg, &["config", "check"]);
    assert_clean("config check", &out);
    let (_, out) = run(&dir, &cfg, &["audit", "show"]);
    assert_clean("audit show", &out);
    // The incident summary: the failing check's name and reason, the
    // failing Prometheus and Alertmanager, the runbook in recent actions.
    let (code, out) = run(&dir, &cfg, &["snapshot", "--markdown", "--wait", "5s"]);
    assert_eq!(code, 2, "the service is down:\n{out}");
    assert!(out.contains("rejected") && out.contains("leak"), "{out}");
    assert_clean("snapshot --markdown", &out);

    // The board itself: the services pane, then the detail with the
    // failing check's name and reason.
    let pty_home = tempfile::tempdir().unwrap();
    let cfg_s = cfg.display().to_string();
    let vars = env(&dir);
    let vars: Vec<(&str, &str)> = vars
        .iter()
        .filter(|(k, _)| k != "HOME" && !k.starts_with("XDG_") && k != "PATH")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut p = Pty::spawn_in(pty_home, &["--config", &cfg_s], &vars, 100, 30);
    p.wait_for(pty::TIMEOUT, |s| s.contains("api") && s.contains("DOWN"))
        .unwrap();
    p.send("\r");
    let detail = p
        .wait_for(pty::TIMEOUT, |s| s.contains("rejected"))
        .unwrap();
    assert!(!detail.contains(CANARY), "{detail}");
    p.send(":");
    p.wait_for(pty::TIMEOUT, |s| s.contains("run leak"))
        .unwrap();
    p.send("leak\r");
    p.wait_for(pty::TIMEOUT, |s| s.contains("Confirm")).unwrap();
    p.confirm("\r");
    p.send("5");
    let screen = p
        .wait_for(pty::TIMEOUT, |s| s.contains("leak") && s.contains("✔"))
        .unwrap();
    assert!(!screen.contains(CANARY), "{screen}");
    p.send("q");
    p.wait_exit(pty::TIMEOUT).unwrap();
    let raw = p.raw();
    assert!(
        !String::from_utf8_lossy(&raw).contains(CANARY),
        "the canary was written to the terminal"
    );
    assert!(
        !raw.windows(4).any(|w| w == b"\x1b]52"),
        "an OSC 52 from outside reached the terminal"
    );

    // Nothing on disk holds it either: logs, audit log, head records.
    let mut files = Vec::new();
    all_files(&dir, &mut files);
    all_files(p.home(), &mut files);
    let mut read = 0;
    for f in files {
        if f.ends_with("canary-file") || f.ends_with("opsboard.toml") {
            continue;
        }
        let bytes = std::fs::read(&f).unwrap_or_default();
        read += 1;
        assert!(
            !String::from_utf8_lossy(&bytes).contains(CANARY),
            "{} holds the secret",
            f.display()
        );
    }
    assert!(read >= 3, "logs and the audit log were written");
    drop(server);
}
