//! The demo as end-to-end tests drive it: the binary in a pty at 80×24
//! once its simulated cluster is up, kubectl on that cluster (the demo
//! writes its kubeconfig beside its audit log), the audit log's entries,
//! and the confirmation a plan asks for.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::pty::{Pty, row};

/// How long the demo may take to be ready, and a job to finish.
pub const SLOW: Duration = Duration::from_secs(120);

/// kubectl against the demo's simulated cluster.
pub struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
}

fn demo_dir(board: &Pty) -> PathBuf {
    std::env::temp_dir().join(format!("opsboard-demo-{}", board.pid()))
}

impl Kubectl {
    /// `None` (skipped; a failure in CI) without kubectl.
    pub fn of_demo(board: &Pty) -> Option<Kubectl> {
        let Some(bin) = super::kube::on_path("kubectl") else {
            return super::missing("kubectl not found on PATH (set KUBECTL to override)");
        };
        Some(Kubectl {
            bin,
            kubeconfig: demo_dir(board).join("kubeconfig"),
        })
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new(&self.bin)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--request-timeout=20s")
            .args(args)
            .env_remove("KUBECONFIG")
            .output()
            .expect("run kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.run(&a)).expect("kubectl's JSON")
    }
}

/// The demo with `args` at 80×24 once its simulated cluster is up (the
/// doorbell row has its pods), and kubectl on that cluster; `None`
/// without kubectl.
pub fn start(args: &[&str]) -> Option<(Pty, Kubectl)> {
    let b = Pty::spawn(args, &[], 80, 24);
    b.wait_for(SLOW, |s| {
        row(s, "doorbell").is_some_and(|r| r.contains("2/2"))
    })
    .unwrap();
    let k = Kubectl::of_demo(&b)?;
    Some((b, k))
}

/// The demo's audit log entries.
pub fn audit(board: &Pty) -> Vec<serde_json::Value> {
    std::fs::read_to_string(demo_dir(board).join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Types the protected target's name when the plan asks for it, else `y`.
pub fn confirm(b: &mut Pty, plan: &str, name: &str) {
    if plan.contains("Protected: type") {
        b.confirm(name);
        b.send("\r");
    } else {
        b.confirm("y");
    }
}
