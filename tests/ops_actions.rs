//! The action layer end to end: the real actor (`ops::spawn`) with a real
//! audit log in a temp dir, real child processes for runbooks, a real
//! loopback HTTP server for follow-ups and a real `files` backup of a small
//! temp tree. Every test ends by verifying the audit chain and checking
//! that no secret value reached the log.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{misbehaving, ops_board};

use ops_board::{Board, TOKEN_VALUE, WAIT};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use opsboard::app::{Msg, OpsEvent};
use opsboard::assemble::{self, Locations};
use opsboard::config;
use opsboard::model::{
    ActionPlan, ActionRequest, Confirmation, JobId, Outcome, Risk, Target, Verb,
};
use opsboard::ops::audit::{AuditEntry, AuditOutcome};
use opsboard::ops::{self, Command};
use tokio::sync::{mpsc, oneshot};

/// A path as a TOML literal string (temp paths contain no `'`).
fn q(p: &Path) -> String {
    let s = p.display().to_string();
    assert!(!s.contains('\''), "{s}");
    format!("'{s}'")
}

/// `env` for a runbook: a secret from a file and one from the environment.
fn secret_env(dir: &Path) -> String {
    let token = dir.join("token");
    if !token.exists() {
        std::fs::write(&token, format!("{TOKEN_VALUE}\n")).unwrap();
    }
    format!(
        "env = {{ TOKEN = {}, SEARCH = \"${{PATH}}\" }}",
        q(Path::new(&format!("file:{}", token.display())))
    )
}

/// A small tree to back up.
fn source_tree(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("hello.txt"), "hello, backup\n").unwrap();
    std::fs::write(src.join("sub/data.bin"), vec![7u8; 50_000]).unwrap();
    src
}

/// A runbook that blocks until `gate` exists (bounded at ~30 s), so a test
/// decides when it ends instead of guessing with sleeps.
fn gate_command(gate: &Path) -> String {
    format!(
        r#"["sh", "-c", 'echo holding; i=0; while [ ! -e "$1" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo released', "sh", {}]"#,
        q(gate)
    )
}

fn outcomes(entries: &[AuditEntry]) -> Vec<AuditOutcome> {
    entries.iter().map(|e| e.outcome).collect()
}

fn backup(job: &str) -> ActionRequest {
    ActionRequest::Backup { job: job.into() }
}

fn runbook(name: &str, service: &str) -> ActionRequest {
    ActionRequest::Runbook {
        runbook: name.into(),
        service: Some(service.into()),
        host: None,
        scope: Default::default(),
    }
}

/// A runbook against one instance, as the Fleet pane asks for it (a
/// device of fleet `edge`).
fn on_host(name: &str, host: &str, service: Option<&str>) -> ActionRequest {
    ActionRequest::Runbook {
        runbook: name.into(),
        service: service.map(str::to_string),
        host: Some(host.into()),
        scope: opsboard::model::RunbookScope {
            fleet: Some("edge".into()),
            ..Default::default()
        },
    }
}

/// Regular files under `dir`, recursively (none if it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Whether a process is still alive (a zombie is dead, just not reaped).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
        Err(_) => false,
    }
}

async fn read_pid(path: &Path) -> u32 {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(s) = std::fs::read_to_string(path)
            && let Ok(pid) = s.trim().parse()
        {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_every_plan_audits_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_tree(dir.path());
    let text = format!(
        r#"
read_only = true

[[services]]
name = "api"

[[services.backups]]
name = "docs"
kind = "files"
path = {src}

[[services.runbooks]]
name = "touch"
command = ["touch", {marker}]

[[alertmanager]]
name = "am"
url = "http://127.0.0.1:9"
"#,
        src = q(&src),
        marker = q(&dir.path().join("marker")),
    );
    let mut b = Board::start(dir.path(), &text).await;

    let reason = b.plan(backup("docs")).await.unwrap_err();
    assert!(reason.contains("read-only"), "{reason}");
    let entries = b.audit().await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].outcome, AuditOutcome::Refused);
    assert_eq!(entries[0].target, "backup/docs");
    assert_eq!(entries[0].verb, "backup");
    assert!(
        entries[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("read-only")),
        "{:?}",
        entries[0].message
    );

    let reason = b.plan(runbook("touch", "api")).await.unwrap_err();
    assert!(reason.contains("read-only"), "{reason}");
    let entries = b.audit().await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].outcome, AuditOutcome::Refused);
    assert_eq!(entries[1].target, "service/api");
    assert_eq!(entries[1].verb, "run touch");

    // Silencing writes to Alertmanager: refused like any other action.
    let silence = ActionRequest::Silence {
        server: "am".into(),
        matchers: vec![opsboard::model::Matcher::equal("alertname", "Down")],
        duration: std::time::Duration::from_secs(3600),
        comment: "test".into(),
    };
    let reason = b.plan(silence).await.unwrap_err();
    assert!(reason.contains("read-only"), "{reason}");
    let entries = b.audit().await;
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[2].outcome, AuditOutcome::Refused);
    assert_eq!(entries[2].target, "alertmanager/am");
    assert_eq!(entries[2].verb, "silence");

    b.assert_no_job_events();
    assert!(
        files_under(&b.backups).is_empty(),
        "{:?}",
        files_under(&b.backups)
    );
    assert!(!dir.path().join("marker").exists());
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_environment_refuses_only_its_own_targets() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_tree(dir.path());
    let text = format!(
        r#"
[environments.frozen]
read_only = true
[environments.staging]

[[services]]
name = "legacy"
environment = "frozen"
[[services.backups]]
name = "legacy-files"
kind = "files"
path = {src}
[[services.runbooks]]
name = "hello"
command = ["echo", "hello"]

[[services]]
name = "api"
environment = "staging"
[[services.backups]]
name = "api-files"
kind = "files"
path = {src}
[[services.runbooks]]
name = "hello"
command = ["echo", "hello"]
"#,
        src = q(&src),
    );
    let mut b = Board::start(dir.path(), &text).await;

    let reason = b.plan(backup("legacy-files")).await.unwrap_err();
    assert!(reason.contains("`frozen` is read-only"), "{reason}");
    let reason = b.plan(runbook("hello", "legacy")).await.unwrap_err();
    assert!(reason.contains("`frozen` is read-only"), "{reason}");

    let p = b.planned(backup("api-files")).await;
    assert_eq!(p.target.environment.as_deref(), Some("staging"));
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    let p = b.planned(runbook("hello", "api")).await;
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, ["hello"]);

    let entries = b.audit().await;
    let got: Vec<(&str, &str, AuditOutcome)> = entries
        .iter()
        .map(|e| (e.target.as_str(), e.verb.as_str(), e.outcome))
        .collect();
    assert_eq!(
        got,
        [
            ("backup/legacy-files", "backup", AuditOutcome::Refused),
            ("service/legacy", "run hello", AuditOutcome::Refused),
            ("backup/api-files", "backup", AuditOutcome::Confirmed),
            ("backup/api-files", "backup", AuditOutcome::Succeeded),
            ("service/api", "run hello", AuditOutcome::Confirmed),
            ("service/api", "run hello", AuditOutcome::Succeeded),
        ]
    );
    assert!(files_under(&b.backups.join("legacy-files")).is_empty());
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_plans_the_layer_issued_run_unaltered_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("ran");
    let text = format!(
        r#"
[[services]]
name = "api"
[[services.runbooks]]
name = "mark"
command = ["sh", "-c", 'echo ran >> "$1"', "sh", {ran}]
{env}
"#,
        ran = q(&ran),
        env = secret_env(dir.path()),
    );
    let mut b = Board::start(dir.path(), &text).await;

    // A plan the actor never issued, however plausible.
    let forged = ActionPlan {
        id: 4242,
        target: Target {
            key: "service/api".into(),
            name: "api".into(),
            service: Some("api".into()),
            environment: None,
        },
        verb: Verb::Runbook("mark".into()),
        parameters: Default::default(),
        what_will_happen: vec!["nothing to see".into()],
        risk: Risk::Low,
        confirmation: Confirmation::None,
        dry_run: None,
        follow_up: None,
        cancellable: true,
    };
    let reason = b.execute(&forged, None).await.unwrap_err();
    assert!(reason.contains("not issued"), "{reason}");

    // An issued plan with its parameters changed.
    let issued = b.planned(runbook("mark", "api")).await;
    assert_eq!(
        issued.parameters["env.TOKEN"],
        format!("file:{}", dir.path().join("token").display())
    );
    assert_eq!(issued.parameters["env.SEARCH"], "${PATH}");
    let mut altered = issued.clone();
    altered
        .parameters
        .insert("argv".into(), "rm -rf /nonexistent".into());
    let reason = b.execute(&altered, None).await.unwrap_err();
    assert!(reason.contains("not issued"), "{reason}");
    // Or its target.
    let issued = b.planned(runbook("mark", "api")).await;
    let mut retargeted = issued.clone();
    retargeted.target.key = "service/other".into();
    let reason = b.execute(&retargeted, None).await.unwrap_err();
    assert!(reason.contains("not issued"), "{reason}");
    assert!(!ran.exists(), "nothing may have run yet");

    // The real thing runs once; the same plan again is refused.
    let p = b.planned(runbook("mark", "api")).await;
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    let reason = b.execute(&p, None).await.unwrap_err();
    assert!(reason.contains("already used"), "{reason}");
    b.flush().await;
    assert_eq!(std::fs::read_to_string(&ran).unwrap(), "ran\n");

    let entries = b.audit().await;
    assert_eq!(
        outcomes(&entries),
        [
            AuditOutcome::Refused,
            AuditOutcome::Refused,
            AuditOutcome::Refused,
            AuditOutcome::Confirmed,
            AuditOutcome::Succeeded,
            AuditOutcome::Refused,
        ]
    );
    assert!(entries.iter().all(|e| e.verb == "run mark"), "{entries:#?}");
    assert_eq!(entries[0].target, "service/api");
    assert_eq!(entries[3].job, Some(run.job.0));
    assert_eq!(entries[4].job, Some(run.job.0));
    // The audit shows secret references, never their values.
    assert_eq!(entries[3].parameters["env.SEARCH"], "${PATH}");
    assert!(entries[3].parameters["env.TOKEN"].starts_with("file:"));
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_target_runs_only_with_its_name_typed() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_tree(dir.path());
    let text = format!(
        r#"
[environments.prod]
protected = true

[[services]]
name = "db"
environment = "prod"
[[services.backups]]
name = "db-files"
kind = "files"
path = {src}
[[services.runbooks]]
name = "quiet"
command = ["true"]
confirm = false
"#,
        src = q(&src),
    );
    let mut b = Board::start(dir.path(), &text).await;

    // Protection overrides `confirm = false`.
    let p = b.planned(runbook("quiet", "db")).await;
    assert_eq!(p.confirmation, Confirmation::TypeName("db".into()));
    b.ops.send(Command::Decline(Box::new(p)));

    let p = b.planned(backup("db-files")).await;
    assert_eq!(p.confirmation, Confirmation::TypeName("db-files".into()));
    let reason = b.execute(&p, None).await.unwrap_err();
    assert!(reason.contains("protected"), "{reason}");
    assert!(reason.contains("--confirm db-files"), "{reason}");

    let p = b.planned(backup("db-files")).await;
    let reason = b.execute(&p, Some("DB-FILES")).await.unwrap_err();
    assert!(reason.contains("protected"), "{reason}");
    b.assert_no_job_events();
    assert!(files_under(&b.backups).is_empty());

    let p = b.planned(backup("db-files")).await;
    let run = b.run(&p, Some("db-files")).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");

    let entries = b.audit().await;
    assert_eq!(
        outcomes(&entries),
        [
            AuditOutcome::Cancelled,
            AuditOutcome::Refused,
            AuditOutcome::Refused,
            AuditOutcome::Confirmed,
            AuditOutcome::Succeeded,
        ]
    );
    for e in &entries[1..] {
        assert_eq!(
            (e.target.as_str(), e.verb.as_str()),
            ("backup/db-files", "backup")
        );
    }
    assert!(entries[1].message.as_deref().unwrap().contains("protected"));
    let (confirmed, succeeded) = (&entries[3], &entries[4]);
    assert_eq!(confirmed.job, Some(run.job.0));
    assert_eq!(succeeded.job, Some(run.job.0));
    assert!(succeeded.duration_ms.is_some(), "{succeeded:?}");
    assert!(confirmed.duration_ms.is_none(), "{confirmed:?}");
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declining_is_audited_as_cancelled_and_burns_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("marker");
    let text = format!(
        r#"
[[runbooks]]
name = "touch"
command = ["touch", {marker}]
{env}
"#,
        marker = q(&marker),
        env = secret_env(dir.path()),
    );
    let mut b = Board::start(dir.path(), &text).await;
    let p = b
        .planned(ActionRequest::Runbook {
            runbook: "touch".into(),
            service: None,
            host: None,
            scope: Default::default(),
        })
        .await;
    assert_eq!(p.target.key, "runbook/touch");
    b.ops.send(Command::Decline(Box::new(p.clone())));
    let entries = b.audit().await;
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].outcome, AuditOutcome::Cancelled);
    assert_eq!(entries[0].target, "runbook/touch");
    assert_eq!(entries[0].verb, "run touch");
    assert_eq!(
        entries[0].message.as_deref(),
        Some("declined at confirmation")
    );

    let reason = b.execute(&p, None).await.unwrap_err();
    assert!(reason.contains("not issued"), "{reason}");
    b.assert_no_job_events();
    assert!(!marker.exists());
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_job_in_flight_per_target() {
    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("gate");
    let text = format!(
        r#"
[[services]]
name = "api"
[[services.runbooks]]
name = "hold"
command = {hold}
[[services.runbooks]]
name = "other"
command = ["echo", "other"]

[[services]]
name = "web"
[[services.runbooks]]
name = "quick"
command = ["echo", "quick"]

[[runbooks]]
name = "everywhere"
command = ["echo", "{{service}}"]
"#,
        hold = gate_command(&gate),
    );
    let mut b = Board::start(dir.path(), &text).await;

    // Planned before anything runs on api, executed while something does.
    let early = b.planned(runbook("other", "api")).await;
    let hold = b.planned(runbook("hold", "api")).await;
    let job = b.execute(&hold, None).await.unwrap();

    for req in [
        runbook("other", "api"),
        runbook("hold", "api"),
        runbook("everywhere", "api"),
    ] {
        let reason = b.plan(req.clone()).await.unwrap_err();
        assert!(reason.contains("busy"), "{req:?}: {reason}");
        assert!(reason.contains(&job.to_string()), "{reason}");
    }
    let reason = b.execute(&early, None).await.unwrap_err();
    assert!(reason.contains("busy"), "{reason}");

    // Another service is not blocked.
    let quick = b.planned(runbook("quick", "web")).await;
    let run = b.run(&quick, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, ["quick"]);
    let p = b.planned(runbook("everywhere", "web")).await;
    let run = b.run(&p, None).await;
    assert_eq!(run.output, ["web"]);

    // Still busy: the first job has not finished.
    assert!(b.plan(runbook("other", "api")).await.is_err());

    std::fs::write(&gate, "").unwrap();
    let run = b.finish(job).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, ["holding", "released"]);

    let p = b.planned(runbook("other", "api")).await;
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, ["other"]);

    let entries = b.audit().await;
    let busy: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.outcome == AuditOutcome::Refused)
        .collect();
    assert_eq!(busy.len(), 5, "{entries:#?}");
    for e in &busy {
        assert_eq!(e.target, "service/api");
        assert!(e.message.as_deref().unwrap().contains("busy"), "{e:?}");
    }
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runbook_output_is_streamed_and_a_failing_status_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[[services]]
name = "api"
[[services.runbooks]]
name = "noisy"
command = ["sh", "-c", 'echo out1; echo err1 >&2; echo out2; echo err2 >&2; test "$TOKEN" = "$(cat "$1")" && echo token-delivered; exit 3', "sh", {token}]
{env}
"#,
        env = secret_env(dir.path()),
        token = q(&dir.path().join("token")),
    );
    let mut b = Board::start(dir.path(), &text).await;
    let p = b.planned(runbook("noisy", "api")).await;
    let run = b.run(&p, None).await;

    let stdout: Vec<&str> = run
        .output
        .iter()
        .filter(|l| !l.starts_with("[stderr] "))
        .map(String::as_str)
        .collect();
    let stderr: Vec<&str> = run
        .output
        .iter()
        .filter(|l| l.starts_with("[stderr] "))
        .map(String::as_str)
        .collect();
    assert_eq!(stdout, ["out1", "out2", "token-delivered"], "{run:?}");
    assert_eq!(stderr, ["[stderr] err1", "[stderr] err2"], "{run:?}");
    assert_eq!(run.result.outcome, Outcome::Failed);
    assert_eq!(run.result.exit_code, Some(3));
    assert!(run.result.message.contains("status 3"), "{run:?}");

    let entries = b.audit().await;
    assert_eq!(
        outcomes(&entries),
        [AuditOutcome::Confirmed, AuditOutcome::Failed]
    );
    assert!(
        entries[1].message.as_deref().unwrap().contains("status 3"),
        "{entries:#?}"
    );
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placeholder_is_one_argument_whatever_the_service_is_called() {
    let dir = tempfile::tempdir().unwrap();
    // Shell syntax in a service name: if anything ever ran it through a
    // shell, the canary would appear (safer than a real `rm -rf /`).
    let canary = dir.path().join("pwned");
    let name = format!(
        "x; rm -rf /nonexistent-opsboard; touch {c}; $(touch {c}) `touch {c}` #",
        c = canary.display()
    );
    let text = format!(
        r#"
[[services]]
name = {name}
[[services.runbooks]]
name = "say"
command = ["sh", "-c", 'printf "%s\n" "$1"', "sh", "{{service}}"]
"#,
        name = q(Path::new(&name)),
    );
    let mut b = Board::start(dir.path(), &text).await;
    let p = b.planned(runbook("say", &name)).await;
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, [name.as_str()]);
    assert!(!canary.exists());
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_runbook_runs_against_the_selected_instance() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[[runbooks]]
name = "ping"
command = ["echo", "ping", "{{host}}"]
{env}
"#,
        env = secret_env(dir.path()),
    );
    let mut b = Board::start(dir.path(), &text).await;

    let p = b.planned(on_host("ping", "rpi-007", None)).await;
    assert_eq!(p.target.key, "host/rpi-007");
    assert_eq!(p.target.name, "rpi-007");
    assert_eq!(p.target.service, None);
    assert_eq!(p.parameters["argv"], "echo ping rpi-007");
    assert_eq!(p.parameters["host"], "rpi-007");
    assert!(
        p.what_will_happen
            .iter()
            .any(|s| s.contains("against host rpi-007")),
        "{:?}",
        p.what_will_happen
    );
    assert_eq!(p.summary(), "run ping on host rpi-007");
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, ["ping rpi-007"]);

    // Without an instance there is nothing to fill {host} with.
    let reason = b
        .plan(ActionRequest::Runbook {
            runbook: "ping".into(),
            service: None,
            host: None,
            scope: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        reason,
        "runbook `ping` uses {host}: select an instance in the Fleet pane (or pass --host)"
    );

    let entries = b.audit().await;
    assert_eq!(
        outcomes(&entries),
        [
            AuditOutcome::Confirmed,
            AuditOutcome::Succeeded,
            AuditOutcome::Refused
        ]
    );
    for e in &entries[..2] {
        assert_eq!(e.target, "host/rpi-007", "{e:?}");
        assert_eq!(e.verb, "run ping");
        assert_eq!(e.parameters["host"], "rpi-007", "{e:?}");
        assert_eq!(e.parameters["argv"], "echo ping rpi-007", "{e:?}");
    }
    assert_eq!(entries[2].target, "runbook/ping");
    assert!(
        entries[2]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("select an instance")),
        "{:?}",
        entries[2]
    );
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_is_one_argument_and_never_an_option() {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("pwned");
    let host = format!(
        "a; rm -rf /nonexistent-opsboard; touch {c}; $(touch {c}) `touch {c}` #",
        c = canary.display()
    );
    let text = r#"
[[runbooks]]
name = "say"
command = ["sh", "-c", 'printf "%s|%s\n" "$#" "$1"', "sh", "{host}"]
"#;
    let mut b = Board::start(dir.path(), text).await;
    let p = b.planned(on_host("say", &host, None)).await;
    assert_eq!(p.target.key, format!("host/{host}"));
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, [format!("1|{host}")]);
    assert!(!canary.exists());

    // `ssh {host}` with this would run a command: refused at planning.
    let reason = b
        .plan(on_host("say", "-oProxyCommand=touch /tmp/x", None))
        .await
        .unwrap_err();
    assert!(
        reason.contains("refusing") && reason.contains("{host}"),
        "{reason}"
    );
    b.assert_no_job_events();
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_runbook_keeps_its_service_and_the_environment_rules() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[environments.prod]
protected = true

[[services]]
name = "api"
environment = "prod"
[[services.runbooks]]
name = "ping"
command = ["echo", "{service}", "{host}"]
"#;
    let mut b = Board::start(dir.path(), text).await;
    let p = b.planned(on_host("ping", "rpi-007", Some("api"))).await;
    assert_eq!(p.target.key, "host/rpi-007");
    assert_eq!(p.target.name, "rpi-007");
    assert_eq!(p.target.service.as_deref(), Some("api"));
    assert_eq!(p.target.environment.as_deref(), Some("prod"));
    assert_eq!(p.confirmation, Confirmation::TypeName("rpi-007".into()));
    assert_eq!(p.summary(), "run ping on host rpi-007 (service api)");
    assert_eq!(p.parameters["argv"], "echo api rpi-007");

    let reason = b.execute(&p, Some("api")).await.unwrap_err();
    assert!(reason.contains("protected"), "{reason}");
    b.assert_no_job_events();
    let entries = b.audit().await;
    assert_eq!(outcomes(&entries), [AuditOutcome::Refused]);
    assert_eq!(entries[0].target, "host/rpi-007");
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_runbooks_are_one_in_flight_per_host() {
    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("gate");
    let text = format!(
        r#"
[[runbooks]]
name = "hold"
command = {hold}

[[runbooks]]
name = "ping"
command = ["echo", "ping", "{{host}}"]
"#,
        hold = gate_command(&gate),
    );
    let mut b = Board::start(dir.path(), &text).await;
    let hold = b.planned(on_host("hold", "rpi-001", None)).await;
    let job = b.execute(&hold, None).await.unwrap();

    let reason = b.plan(on_host("ping", "rpi-001", None)).await.unwrap_err();
    assert!(reason.contains("host/rpi-001 is busy"), "{reason}");
    assert!(reason.contains(&job.to_string()), "{reason}");

    // Another host runs while the first is busy.
    let p = b.planned(on_host("ping", "rpi-002", None)).await;
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, ["ping rpi-002"]);

    std::fs::write(&gate, "").unwrap();
    let run = b.finish(job).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    let p = b.planned(on_host("ping", "rpi-001", None)).await;
    let run = b.run(&p, None).await;
    assert_eq!(run.output, ["ping rpi-001"]);

    let entries = b.audit().await;
    let refused: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.outcome == AuditOutcome::Refused)
        .collect();
    assert_eq!(refused.len(), 1, "{entries:#?}");
    assert_eq!(refused[0].target, "host/rpi-001");
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_a_dangerous_host_runbook() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("marker");
    let text = format!(
        r#"
read_only = true

[[runbooks]]
name = "wipe"
command = ["sh", "-c", 'echo "$1" > "$2"', "sh", "{{host}}", {marker}]
dangerous = true
"#,
        marker = q(&marker),
    );
    let mut b = Board::start(dir.path(), &text).await;
    let reason = b.plan(on_host("wipe", "rpi-007", None)).await.unwrap_err();
    assert!(reason.contains("read-only"), "{reason}");
    let entries = b.audit().await;
    assert_eq!(outcomes(&entries), [AuditOutcome::Refused]);
    assert_eq!(entries[0].target, "host/rpi-007");
    assert_eq!(entries[0].verb, "run wipe");
    b.assert_no_job_events();
    assert!(!marker.exists());
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_past_its_timeout_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[[services]]
name = "api"
[[services.runbooks]]
name = "slow"
command = ["sleep", "30"]
timeout = "1s"
"#;
    let mut b = Board::start(dir.path(), text).await;
    let p = b.planned(runbook("slow", "api")).await;
    let started = Instant::now();
    let run = b.run(&p, None).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(run.result.outcome, Outcome::Failed, "{run:?}");
    assert!(run.result.message.contains("timed out after 1s"), "{run:?}");
    assert_eq!(run.result.exit_code, None);
    let entries = b.audit().await;
    assert_eq!(
        outcomes(&entries),
        [AuditOutcome::Confirmed, AuditOutcome::Failed]
    );
    assert!(entries[1].message.as_deref().unwrap().contains("timed out"));
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let shell_pid = dir.path().join("shell.pid");
    let sleep_pid = dir.path().join("sleep.pid");
    let text = format!(
        r#"
[[services]]
name = "api"
[[services.runbooks]]
name = "linger"
command = ["sh", "-c", 'echo $$ > "$1"; sleep 30 & echo $! > "$2"; wait', "sh", {a}, {b}]
"#,
        a = q(&shell_pid),
        b = q(&sleep_pid),
    );
    let mut b = Board::start(dir.path(), &text).await;

    // Cancelling what is not running is refused.
    b.ops.send(Command::Cancel(JobId(999)));
    let m = b
        .next("refusal to cancel", |m| {
            matches!(m, Msg::Ops(OpsEvent::Refused { .. }))
        })
        .await;
    assert!(
        matches!(&m, Msg::Ops(OpsEvent::Refused { reason, .. }) if reason.contains("not running")),
        "{m:?}"
    );

    let p = b.planned(runbook("linger", "api")).await;
    assert!(p.cancellable);
    let job = b.execute(&p, None).await.unwrap();
    let shell = read_pid(&shell_pid).await;
    let sleep = read_pid(&sleep_pid).await;
    assert!(alive(shell) && alive(sleep));

    let started = Instant::now();
    b.ops.send(Command::Cancel(job));
    let run = b.finish(job).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(run.result.outcome, Outcome::Cancelled, "{run:?}");

    let deadline = Instant::now() + Duration::from_secs(10);
    while (alive(shell) || alive(sleep)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive(shell), "the runbook's shell {shell} survived cancel");
    assert!(
        !alive(sleep),
        "the runbook's background child {sleep} survived cancel"
    );

    let entries = b.audit().await;
    assert_eq!(
        outcomes(&entries),
        [AuditOutcome::Confirmed, AuditOutcome::Cancelled]
    );
    assert_eq!(entries[1].job, Some(job.0));
    // The target is free again.
    b.planned(runbook("linger", "api")).await;
    b.assert_audit_clean().await;
}

fn follow_up_config(dir: &Path, url: &str) -> String {
    format!(
        r#"
[[services]]
name = "api"
[[services.health]]
url = "{url}"
timeout = "2s"
[[services.runbooks]]
name = "restart"
command = ["echo", "restarted"]
verify_health_within = "5s"
{env}
"#,
        env = secret_env(dir),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_passes_when_health_is_up() {
    let server = misbehaving::fixed(
        "200 OK",
        &[("Content-Type", "application/json")],
        br#"{"status":"ok"}"#,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let text = follow_up_config(dir.path(), &server.url("/health"));
    let mut b = Board::start(dir.path(), &text).await;
    let p = b.planned(runbook("restart", "api")).await;
    assert!(p.follow_up.is_some(), "{p:?}");
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, ["restarted"]);
    let f = run.result.follow_up.as_ref().expect("a follow-up result");
    assert!(f.passed, "{f:?}");
    assert!(server.accepted() >= 1, "the follow-up probed the server");

    let entries = b.audit().await;
    assert_eq!(
        outcomes(&entries),
        [AuditOutcome::Confirmed, AuditOutcome::Succeeded]
    );
    let msg = entries[1].message.as_deref().unwrap();
    assert!(msg.contains("follow-up passed"), "{msg}");
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_fails_when_health_stays_down() {
    let server = misbehaving::fixed(
        "503 Service Unavailable",
        &[("Content-Type", "application/json")],
        br#"{"status":"down"}"#,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let text = follow_up_config(dir.path(), &server.url("/health"));
    let mut b = Board::start(dir.path(), &text).await;
    let p = b.planned(runbook("restart", "api")).await;
    let started = Instant::now();
    let run = b.run(&p, None).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(run.result.outcome, Outcome::Failed, "{run:?}");
    assert_eq!(run.result.exit_code, Some(0), "the command itself worked");
    let f = run.result.follow_up.as_ref().expect("a follow-up result");
    assert!(!f.passed, "{f:?}");
    assert!(f.detail.contains("HTTP 503"), "{f:?}");
    assert!(server.accepted() >= 2, "the follow-up retried");

    let entries = b.audit().await;
    assert_eq!(
        outcomes(&entries),
        [AuditOutcome::Confirmed, AuditOutcome::Failed]
    );
    let msg = entries[1].message.as_deref().unwrap();
    assert!(msg.contains("follow-up FAILED"), "{msg}");
    assert!(msg.contains("HTTP 503"), "{msg}");
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_files_backup_runs_end_to_end_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_tree(dir.path());
    let text = format!(
        r#"
[[services]]
name = "api"
[[services.backups]]
name = "docs"
kind = "files"
path = {src}
"#,
        src = q(&src),
    );
    let mut b = Board::start(dir.path(), &text).await;
    let p = b.planned(backup("docs")).await;
    assert_eq!(p.target.key, "backup/docs");
    assert_eq!(p.confirmation, Confirmation::YesNo);
    assert_eq!(p.parameters["kind"], "files");
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert!(
        run.progress.iter().any(|p| p.bytes.is_some_and(|n| n > 0)),
        "{:?}",
        run.progress
    );

    // The job's directory is re-read when the job ends (today just before
    // `JobFinished`; either order is fine).
    let files = match run.scans.iter().rev().find(|(j, _)| j == "docs") {
        Some((_, files)) => files.clone(),
        None => match b
            .next(
                "a scan of docs",
                |m| matches!(m, Msg::BackupsScanned { job, .. } if job == "docs"),
            )
            .await
        {
            Msg::BackupsScanned { files, .. } => files,
            _ => unreachable!(),
        },
    };
    let files = files.as_ref().unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].verified, Some(true), "{files:?}");
    let name = files[0].path.file_name().unwrap().to_string_lossy();
    assert!(
        name.starts_with("docs_") && name.ends_with(".tar.gz"),
        "{name}"
    );
    assert!(run.result.message.contains(name.as_ref()), "{run:?}");
    assert_eq!(files[0].path.parent().unwrap(), b.backups.join("docs"));

    // It is a real archive of the tree.
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(&files[0].path).unwrap());
    let mut names: Vec<String> = tar::Archive::new(gz)
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["hello.txt", "sub", "sub/data.bin"]);

    let p = b.planned(backup("docs")).await;
    assert_eq!(p.verb, Verb::Backup);
    b.ops.send(Command::Decline(Box::new(p)));
    let v = b
        .planned(ActionRequest::Verify { job: "docs".into() })
        .await;
    assert_eq!(v.verb, Verb::Verify);
    let run = b.run(&v, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert!(run.result.message.contains(name.as_ref()), "{run:?}");
    assert!(run.result.message.contains("checksum"), "{run:?}");

    let entries = b.audit().await;
    let got: Vec<(&str, AuditOutcome)> = entries
        .iter()
        .map(|e| (e.verb.as_str(), e.outcome))
        .collect();
    assert_eq!(
        got,
        [
            ("backup", AuditOutcome::Confirmed),
            ("backup", AuditOutcome::Succeeded),
            ("backup", AuditOutcome::Cancelled),
            ("verify", AuditOutcome::Confirmed),
            ("verify", AuditOutcome::Succeeded),
        ]
    );
    assert!(
        entries[1]
            .message
            .as_deref()
            .unwrap()
            .contains(name.as_ref())
    );
    assert!(entries.iter().all(|e| e.target == "backup/docs"));
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_runs_without_an_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("marker");
    let text = format!(
        r#"
[[runbooks]]
name = "touch"
command = ["touch", {marker}]
"#,
        marker = q(&marker),
    );
    let cfg = config::parse(Path::new("test.toml"), &text).unwrap();
    let built = assemble::build(&cfg, false, &Locations::default()).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let ops = ops::spawn(
        ops::OpsContext {
            catalog: built.catalog,
            policy: built.policy,
            audit: None,
            kube: None,
            docker: None,
            image_history: None,
            handover: None,
        },
        tx,
    );
    ops.send(Command::Plan(ActionRequest::Runbook {
        runbook: "touch".into(),
        service: None,
        host: None,
        scope: Default::default(),
    }));
    let plan = loop {
        match tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            Msg::Ops(OpsEvent::Planned(p)) => break p,
            Msg::BackupsScanned { .. } => {}
            m => panic!("unexpected {m:?}"),
        }
    };
    ops.send(Command::Execute {
        plan: Box::new(plan),
        typed: None,
    });
    match tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap()
    {
        Msg::Ops(OpsEvent::Refused { reason, .. }) => {
            assert!(reason.contains("cannot write the audit log"), "{reason}")
        }
        m => panic!("expected a refusal, got {m:?}"),
    }
    let (done, flushed) = oneshot::channel();
    ops.send(Command::Flush(done));
    flushed.await.unwrap();
    assert!(rx.try_recv().is_err(), "nothing else happens");
    assert!(!marker.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_is_audited_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_tree(dir.path());
    let marker = dir.path().join("marker");
    let text = format!(
        r#"
[[services]]
name = "api"
[[services.backups]]
name = "docs"
kind = "files"
path = {src}
[[services.runbooks]]
name = "touch"
command = ["touch", {marker}]
{env}
"#,
        src = q(&src),
        marker = q(&marker),
        env = secret_env(dir.path()),
    );
    let mut b = Board::start(dir.path(), &text).await;
    let p = b.planned(backup("docs")).await;
    b.ops.send(Command::DryRun(Box::new(p.clone())));
    let r = b.planned(runbook("touch", "api")).await;
    b.ops.send(Command::DryRun(Box::new(r.clone())));

    let entries = b.audit().await;
    let got: Vec<(&str, &str, AuditOutcome)> = entries
        .iter()
        .map(|e| (e.target.as_str(), e.verb.as_str(), e.outcome))
        .collect();
    assert_eq!(
        got,
        [
            ("backup/docs", "backup", AuditOutcome::DryRun),
            ("service/api", "run touch", AuditOutcome::DryRun),
        ]
    );
    assert_eq!(entries[1].parameters["env.SEARCH"], "${PATH}");
    // A dry-run plan is used up.
    assert!(b.execute(&r, None).await.is_err());
    b.assert_no_job_events();
    assert!(!marker.exists());
    assert!(files_under(&b.backups).is_empty());
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_that_is_not_utf8_does_not_cut_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[[services]]
name = "api"
[[services.runbooks]]
name = "latin1"
command = ["sh", "-c", 'printf "caf\351\n"; echo after; i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; echo end']
timeout = "20s"
"#;
    let mut b = Board::start(dir.path(), text).await;
    let p = b.planned(runbook("latin1", "api")).await;
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{:?}", run.result);
    assert_eq!(run.result.exit_code, Some(0));
    assert_eq!(run.output.len(), 2003, "{:?}", run.output.first());
    assert_eq!(run.output[0], "caf\u{FFFD}");
    assert_eq!(run.output[1], "after");
    assert_eq!(run.output.last().map(String::as_str), Some("end"));
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_exits_is_done_even_if_a_child_keeps_its_output_open() {
    let dir = tempfile::tempdir().unwrap();
    let bg = dir.path().join("bg.pid");
    let text = format!(
        r#"
[[services]]
name = "api"
[[services.runbooks]]
name = "start-daemon"
command = ["sh", "-c", 'sleep 30 & echo $! > "$1"; echo started', "sh", {bg}]
timeout = "3s"
"#,
        bg = q(&bg),
    );
    let mut b = Board::start(dir.path(), &text).await;
    let p = b.planned(runbook("start-daemon", "api")).await;
    let run = b.run(&p, None).await;
    // Clean up the background sleep whatever happened (by its pid only).
    if let Ok(pid) = std::fs::read_to_string(&bg)
        && let Ok(pid) = pid.trim().parse::<i32>()
        && alive(pid as u32)
    {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    assert_eq!(run.output, ["started"]);
    assert_eq!(
        (run.result.outcome, run.result.exit_code),
        (Outcome::Succeeded, Some(0)),
        "{:?}",
        run.result
    );
    b.assert_audit_clean().await;
}
