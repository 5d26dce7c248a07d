//! Exec (`x`) end to end: the board in a pty hands its terminal to a shell
//! in a real Docker container (exec attach) and in a pod of the simulated
//! API server (exec over WebSocket), takes it back as it was, and records
//! each session — start, end, exit code, duration — in the audit log.
//! Read-only mode refuses below the UI.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{docker as docker_support, pty};

use std::path::Path;
use std::time::Duration;

use docker_support::{Labelled, docker, images, prerequisites};
use pty::{Pty, TIMEOUT, row};

/// For the demo under a loaded CI machine: the first list and each step
/// of the session.
const SLOW: Duration = Duration::from_secs(40);

/// A running container of the test image, labelled for cleanup.
fn container(guard: &Labelled) -> String {
    let name = format!("exec-{}", docker_support::unique_name());
    docker(&[
        "run",
        "-d",
        "--label",
        &guard.label,
        "--name",
        &name,
        docker_support::WEB1,
    ]);
    name
}

fn board(name: &str, extra: &[&str]) -> Pty {
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        "[audit]\npath = \"{}\"\n[kubernetes]\ndisabled = true\n\n[[services]]\nname = \"shellbox\"\ncontainer = \"{name}\"\n",
        home.path().join("audit.jsonl").display(),
    );
    let cfg = pty::write_file(home.path(), "config.toml", &config);
    let cfg = cfg.display().to_string();
    let mut args = vec!["--config", cfg.as_str()];
    args.extend_from_slice(extra);
    let mut b = Pty::spawn_in(home, &args, &[], 100, 30);
    b.wait_for(Duration::from_secs(60), |s| {
        row(s, "shellbox").is_some_and(|r| r.contains("1/1"))
    })
    .unwrap();
    b.send("/shellbox\r");
    b
}

fn audit(home: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(home.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn a_shell_in_a_docker_container_hands_the_terminal_over_and_back() {
    if prerequisites().is_none() {
        return;
    }
    let _images = images();
    let guard = Labelled::new();
    let name = container(&guard);
    let mut b = board(&name, &[]);
    b.send("x");
    let plan = b.wait_for(TIMEOUT, |s| s.contains("Confirm")).unwrap();
    assert!(plan.contains("Opens a shell"), "{plan}");
    assert!(plan.contains(&format!("container {name}")), "{plan}");
    b.confirm("y");
    // The board leaves its screen: the banner, then busybox sh's prompt.
    b.wait_for(TIMEOUT, |s| {
        s.contains("opsboard ▸ shell in container") && s.contains("Ctrl-]")
    })
    .unwrap();
    b.send("echo $((6*7)) $TERM-$COLUMNS\r");
    b.wait_for(TIMEOUT, |s| s.contains("42 ")).unwrap();
    // The remote terminal has the window's size.
    b.send("stty size\r");
    b.wait_for(TIMEOUT, |s| s.lines().any(|l| l.trim() == "30 100"))
        .unwrap();
    b.send("exit 3\r");
    // Back on the board, exactly where it was: the service list.
    b.wait_for(TIMEOUT, |s| {
        row(s, "shellbox").is_some_and(|r| r.contains("1/1"))
    })
    .unwrap();
    b.send("5");
    let jobs = b
        .wait_for(TIMEOUT, |s| s.contains("exited with code 3"))
        .unwrap();
    assert!(jobs.contains("shell in"), "{jobs}");
    let lines = audit(b.home());
    let verbs: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["verb"].as_str().unwrap_or(""),
                l["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        verbs.contains(&("shell in", "confirmed")) && verbs.contains(&("shell in", "failed")),
        "{verbs:?}"
    );
    let end = lines.iter().rfind(|l| l["verb"] == "shell in").unwrap();
    assert!(end["duration_ms"].as_u64().is_some(), "{end}");
    assert!(
        end["message"]
            .as_str()
            .unwrap()
            .contains("exited with code 3"),
        "{end}"
    );
    // Ctrl-] leaves a session that would not end by itself.
    b.send("1");
    b.send("x");
    b.wait_for(TIMEOUT, |s| s.contains("Confirm")).unwrap();
    b.confirm("y");
    b.wait_for(TIMEOUT, |s| s.contains("opsboard ▸ shell in"))
        .unwrap();
    b.send("sleep 600\r");
    std::thread::sleep(Duration::from_millis(300));
    b.send("\x1d");
    b.wait_for(TIMEOUT, |s| row(s, "shellbox").is_some())
        .unwrap();
    b.send("5");
    b.wait_for(TIMEOUT, |s| s.contains("left with Ctrl-]"))
        .unwrap();
    // The board still answers keys after handing the terminal back twice.
    b.send("q");
    assert!(b.wait_exit(TIMEOUT).unwrap().success());
}

#[test]
fn read_only_refuses_a_shell_below_the_ui() {
    if prerequisites().is_none() {
        return;
    }
    let _images = images();
    let guard = Labelled::new();
    let name = container(&guard);
    let mut b = board(&name, &["--read-only"]);
    b.send("x");
    // The refusal on screen (not the header's READ-ONLY tag), and no
    // session: the board never left its screen.
    let home = b.home().to_path_buf();
    let screen = b
        .wait_for(TIMEOUT, |s| {
            s.contains("read-only mode") && audit(&home).iter().any(|l| l["outcome"] == "refused")
        })
        .unwrap();
    assert!(!screen.contains("opsboard ▸"), "{screen}");
    let lines = audit(b.home());
    assert!(
        lines
            .iter()
            .any(|l| l["verb"] == "shell in" && l["outcome"] == "refused"),
        "{lines:?}"
    );
    b.send("q");
    assert!(b.wait_exit(TIMEOUT).unwrap().success());
}

/// `x` on the demo's api (three pods): the picker lists each pod, the
/// plan names the pod, and the simulated API server's shell answers over
/// WebSocket; the board comes back on `exit` with the exit code recorded.
#[test]
fn a_shell_in_a_demo_pod_over_websocket() {
    let mut b = Pty::spawn(&["demo"], &[], 80, 24);
    b.wait_for(SLOW, |s| s.contains("3/3")).unwrap();
    b.send("/api\r");
    b.send("x");
    let picker = b
        .wait_for(SLOW, |s| s.matches("shell in pod api-").count() >= 3)
        .unwrap();
    assert!(picker.contains("Running"), "{picker}");
    b.send("\r");
    let plan = b.wait_for(SLOW, |s| s.contains("Confirm")).unwrap();
    assert!(plan.contains("Opens a shell"), "{plan}");
    // The dialog's first line: `shell in <pod>   risk: high …`.
    let pod = plan
        .lines()
        .find_map(|l| l.split("│shell in ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .expect("the plan names the pod")
        .to_string();
    assert!(pod.starts_with("api-"), "{plan}");
    if plan.contains("Protected: type") {
        b.confirm(&pod);
        b.send("\r");
    } else {
        b.confirm("y");
    }
    b.wait_for(SLOW, |s| s.contains("opsboard ▸ shell in container"))
        .unwrap();
    b.send("hostname\r");
    b.wait_for(SLOW, |s| s.lines().any(|l| l.trim() == pod))
        .unwrap();
    b.send("exit 4\r");
    // Back on the board (its HPA may have scaled api meanwhile).
    b.wait_for(SLOW, |s| row(s, "api").is_some() && !s.contains("/ #"))
        .unwrap();
    b.send("5");
    b.wait_for(SLOW, |s| s.contains("exited with code 4"))
        .unwrap();
    b.send("q");
    assert!(b.wait_exit(TIMEOUT).unwrap().success());
}
