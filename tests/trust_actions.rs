//! The action layer's trust guarantees, driven through the real actor:
//! every target resolves to an environment (or an error), every
//! placeholder is checked and filled from bindings, stale plans are
//! refused, and quitting leaves an outcome for every confirmed job.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::ops_board;

use std::path::Path;
use std::time::Duration;

use ops_board::Board;
use opsboard::app::{Msg, OpsEvent};
use opsboard::model::{ActionRequest, Confirmation, DockerTarget, Matcher, Outcome, RunbookScope};
use opsboard::ops::Command;
use opsboard::ops::audit::AuditOutcome;

fn runbook(
    name: &str,
    service: Option<&str>,
    host: Option<&str>,
    scope: RunbookScope,
) -> ActionRequest {
    ActionRequest::Runbook {
        runbook: name.into(),
        service: service.map(str::to_string),
        host: host.map(str::to_string),
        scope,
    }
}

const ENVIRONMENTS: &str = r#"
[environments.prod]
protected = true
contexts = ["prod"]

[environments.frozen]
read_only = true

[environments.staging]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelled_service_is_an_error_not_an_unprotected_target() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"{ENVIRONMENTS}
[[services]]
name = "api"
environment = "prod"

[[runbooks]]
name = "ssh-to"
command = ["echo", "ssh", "{{service}}"]
"#
    );
    let mut b = Board::start(dir.path(), &text).await;
    let reason = b
        .plan(runbook(
            "ssh-to",
            Some("apii"),
            None,
            RunbookScope::default(),
        ))
        .await
        .unwrap_err();
    assert!(reason.contains("no service `apii` in config"), "{reason}");
    assert!(reason.contains("known: api"), "{reason}");
    // The same name as an option is refused too, even when the board saw
    // it (a Compose label can say anything).
    let seen = RunbookScope {
        docker_host: Some("local".into()),
        ..RunbookScope::default()
    };
    let reason = b
        .plan(runbook(
            "ssh-to",
            Some("-oProxyCommand=touch /tmp/x"),
            None,
            seen,
        ))
        .await
        .unwrap_err();
    assert!(
        reason.contains("refusing") && reason.contains("{service}"),
        "{reason}"
    );
    let p = b
        .planned(runbook(
            "ssh-to",
            Some("api"),
            None,
            RunbookScope::default(),
        ))
        .await;
    assert_eq!(p.confirmation, Confirmation::TypeName("api".into()));
    b.assert_no_job_events();
    let outcomes: Vec<AuditOutcome> = b.audit().await.iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, [AuditOutcome::Refused, AuditOutcome::Refused]);
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discovered_workload_in_a_protected_context_is_protected_for_runbooks() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"{ENVIRONMENTS}
[[runbooks]]
name = "where"
command = ["echo", "{{context}}", "{{namespace}}", "{{service}}"]
"#
    );
    let mut b = Board::start(dir.path(), &text).await;
    let scope = RunbookScope {
        context: Some("prod".into()),
        namespace: Some("shop".into()),
        ..RunbookScope::default()
    };
    let p = b.planned(runbook("where", Some("web"), None, scope)).await;
    assert_eq!(p.target.environment.as_deref(), Some("prod"));
    assert_eq!(p.confirmation, Confirmation::TypeName("web".into()));
    let refused = b.execute(&p, None).await.unwrap_err();
    assert!(
        refused.contains("protected environment `prod`"),
        "{refused}"
    );
    let p = b
        .planned(runbook(
            "where",
            Some("web"),
            None,
            RunbookScope {
                context: Some("prod".into()),
                namespace: Some("shop".into()),
                ..RunbookScope::default()
            },
        ))
        .await;
    let run = b.run(&p, Some("web")).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{run:?}");
    assert_eq!(run.output, ["prod shop web"]);
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bindings_fill_placeholders_and_the_stricter_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    // `api` says staging, but its workload lives in the protected `prod`
    // context: a laxer service environment cannot loosen that.
    let text = format!(
        r#"{ENVIRONMENTS}
[[services]]
name = "api"
environment = "staging"
kubernetes = "prod/shop/deployment/api"
[[services.runbooks]]
name = "pods"
command = ["echo", "--context={{context}}", "-n", "{{namespace}}"]

[[services]]
name = "cache"
container = "cache-1"
[[services.runbooks]]
name = "inspect"
command = ["echo", "{{container}}"]
"#
    );
    let mut b = Board::start(dir.path(), &text).await;
    let p = b
        .planned(runbook("pods", Some("api"), None, RunbookScope::default()))
        .await;
    assert_eq!(p.target.environment.as_deref(), Some("prod"));
    assert_eq!(p.confirmation, Confirmation::TypeName("api".into()));
    let run = b.run(&p, Some("api")).await;
    assert_eq!(run.output, ["--context=prod -n shop"], "{run:?}");

    let p = b
        .planned(runbook(
            "inspect",
            Some("cache"),
            None,
            RunbookScope::default(),
        ))
        .await;
    let run = b.run(&p, None).await;
    assert_eq!(run.output, ["cache-1"], "{run:?}");
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_docker_hosts_and_alertmanagers_carry_their_environment() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"{ENVIRONMENTS}
[[runbooks]]
name = "ping"
command = ["echo", "ping", "{{host}}"]

[[fleet]]
name = "edge"
url = "http://127.0.0.1:9/{{host}}/health"
environment = "prod"
hosts = ["rpi-{{001..003}}"]

[docker]
[[docker.hosts]]
name = "local"
environment = "frozen"

[[alertmanager]]
name = "am"
url = "http://127.0.0.1:9"
environment = "prod"
"#
    );
    let mut b = Board::start(dir.path(), &text).await;
    // `--host` of a fleet's device: the fleet's environment.
    let p = b
        .planned(runbook(
            "ping",
            None,
            Some("rpi-002"),
            RunbookScope::default(),
        ))
        .await;
    assert_eq!(p.target.environment.as_deref(), Some("prod"));
    assert_eq!(p.confirmation, Confirmation::TypeName("rpi-002".into()));
    // A host nobody configured or saw: no environment can be told.
    let reason = b
        .plan(runbook(
            "ping",
            None,
            Some("rpi-009"),
            RunbookScope::default(),
        ))
        .await
        .unwrap_err();
    assert!(reason.contains("is in no [[fleet]]"), "{reason}");
    // A container on a read-only Docker host: refused before the daemon is
    // asked anything.
    let reason = b
        .plan(ActionRequest::DockerRestart {
            target: DockerTarget::Container {
                host: "local".into(),
                id: "0123456789ab".into(),
                name: "web-1".into(),
            },
        })
        .await
        .unwrap_err();
    assert!(
        reason.contains("environment `frozen` is read-only"),
        "{reason}"
    );
    // A silence on a protected Alertmanager needs its name typed.
    let p = b
        .planned(ActionRequest::Silence {
            server: "am".into(),
            matchers: vec![Matcher::equal("alertname", "TargetDown")],
            duration: Duration::from_secs(3600),
            comment: "test".into(),
        })
        .await;
    assert_eq!(p.target.environment.as_deref(), Some("prod"));
    assert_eq!(p.confirmation, Confirmation::TypeName("am".into()));
    let refused = b.execute(&p, None).await.unwrap_err();
    assert!(
        refused.contains("protected environment `prod`"),
        "{refused}"
    );
    b.assert_audit_clean().await;
}

#[test]
fn an_unknown_environment_on_a_docker_host_fleet_or_alertmanager_is_a_config_error() {
    for (table, body) in [
        (
            "docker.hosts[0]",
            "[docker]\n[[docker.hosts]]\nname = \"local\"\nenvironment = \"prdo\"\n",
        ),
        (
            "alertmanager[0]",
            "[[alertmanager]]\nname = \"am\"\nurl = \"http://127.0.0.1:9\"\nenvironment = \"prdo\"\n",
        ),
        (
            "fleet[0]",
            "[[fleet]]\nname = \"edge\"\nurl = \"http://127.0.0.1:9/{host}\"\nhosts = [\"a\"]\nenvironment = \"prdo\"\n",
        ),
    ] {
        let text = format!("{ENVIRONMENTS}\n{body}");
        let e = opsboard::config::parse(Path::new("ops.toml"), &text)
            .err()
            .unwrap_or_else(|| panic!("{table}: accepted"))
            .to_string();
        assert!(e.contains(&format!("{table}.environment")), "{e}");
        assert!(e.contains("unknown environment `prdo`"), "{e}");
        assert!(e.contains("ops.toml:"), "names the file and line: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_older_than_its_lifetime_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let text = format!(
        r#"
[[runbooks]]
name = "touch"
command = ["touch", '{}']
"#,
        marker.display()
    );
    let mut b = Board::start_with_ttl(dir.path(), &text, Duration::from_millis(300)).await;
    let p = b
        .planned(runbook("touch", None, None, RunbookScope::default()))
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let reason = b.execute(&p, None).await.unwrap_err();
    assert!(reason.contains("plan again"), "{reason}");
    assert!(!marker.exists(), "a stale plan ran");
    let outcomes: Vec<AuditOutcome> = b.audit().await.iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, [AuditOutcome::Refused]);
    // A fresh plan runs.
    let p = b
        .planned(runbook("touch", None, None, RunbookScope::default()))
        .await;
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded);
    assert!(marker.exists());
    b.assert_audit_clean().await;
}

/// A runbook that ignores SIGTERM for a while, so stopping it takes time.
fn stubborn(dir: &Path) -> String {
    let started = dir.join("started");
    format!(
        r#"
[[runbooks]]
name = "slow"
command = ["sh", "-c", 'trap "" TERM; touch "$1"; sleep 30', "sh", '{}']
"#,
        started.display()
    )
}

async fn start_slow(b: &mut Board, dir: &Path) {
    let p = b
        .planned(runbook("slow", None, None, RunbookScope::default()))
        .await;
    b.execute(&p, None).await.unwrap();
    let started = dir.join("started");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !started.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(started.exists(), "the runbook started");
}

async fn shutdown(b: &Board, grace: Duration) -> usize {
    let (done, answer) = tokio::sync::oneshot::channel();
    b.ops.send(Command::Shutdown { grace, done });
    tokio::time::timeout(Duration::from_secs(30), answer)
        .await
        .expect("shutdown answered")
        .expect("actor alive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_records_an_outcome_for_every_confirmed_job() {
    // With time to stop, the job is cancelled and says so.
    let dir = tempfile::tempdir().unwrap();
    let mut b = Board::start(dir.path(), &stubborn(dir.path())).await;
    start_slow(&mut b, dir.path()).await;
    assert_eq!(shutdown(&b, Duration::from_secs(20)).await, 0);
    let log = b.log.read(None).unwrap();
    let outcomes: Vec<AuditOutcome> = log.iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, [AuditOutcome::Confirmed, AuditOutcome::Cancelled]);

    // Without time to stop, it is recorded as interrupted, never left open.
    let dir = tempfile::tempdir().unwrap();
    let mut b = Board::start(dir.path(), &stubborn(dir.path())).await;
    start_slow(&mut b, dir.path()).await;
    assert_eq!(shutdown(&b, Duration::ZERO).await, 1);
    let log = b.log.read(None).unwrap();
    let outcomes: Vec<AuditOutcome> = log.iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [AuditOutcome::Confirmed, AuditOutcome::Interrupted]
    );
    assert_eq!(log[0].job, log[1].job);
    assert!(
        log[1]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("interrupted")),
        "{:?}",
        log[1]
    );
    assert!(b.log.verify().unwrap().is_ok());
    while let Ok(m) = b.rx.try_recv() {
        assert!(!matches!(m, Msg::Ops(OpsEvent::AuditFailed(_))), "{m:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_gets_an_explicit_environment_and_bounded_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[[runbooks]]
name = "env"
command = ["env"]
env = { GIVEN = "yes" }

[[runbooks]]
name = "flood"
command = ["sh", "-c", 'head -c 3000000 /dev/zero | tr "\0" x; echo; echo after']
"#;
    let mut b = Board::start(dir.path(), text).await;
    // The test process has variables opsboard never hands on (cargo's,
    // nextest's): a runbook sees only the allowlist and its own `env`.
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    let p = b
        .planned(runbook("env", None, None, RunbookScope::default()))
        .await;
    let run = b.run(&p, None).await;
    let names: Vec<&str> = run
        .output
        .iter()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    assert!(names.contains(&"GIVEN"), "{names:?}");
    assert!(names.contains(&"PATH"), "{names:?}");
    assert!(!names.contains(&"CARGO_MANIFEST_DIR"), "{names:?}");
    for k in &names {
        assert!(
            opsboard::ops::child_env::PASSED_THROUGH.contains(k)
                || opsboard::ops::child_env::RUNBOOK_PASSED_THROUGH.contains(k)
                || *k == "GIVEN",
            "{k} reached a runbook"
        );
    }

    let p = b
        .planned(runbook("flood", None, None, RunbookScope::default()))
        .await;
    let run = b.run(&p, None).await;
    assert_eq!(run.result.outcome, Outcome::Succeeded, "{:?}", run.result);
    assert_eq!(run.output.len(), 2, "{:?}", run.output.len());
    assert!(run.output[0].len() < 5000, "{}", run.output[0].len());
    assert!(
        run.output[0].ends_with("… [2995904 bytes cut]"),
        "{}",
        &run.output[0][4090..]
    );
    assert_eq!(run.output[1], "after");
    b.assert_audit_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ui_that_stops_reading_never_stalls_the_action_layer() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = opsboard::config::parse(Path::new("t.toml"), "").unwrap();
    let locations = opsboard::assemble::Locations {
        audit_log: Some(dir.path().join("audit.jsonl")),
        backup_base: Some(dir.path().join("backups")),
    };
    let mut built = opsboard::assemble::build(&cfg, false, &locations).unwrap();
    built.audit = built
        .audit
        .map(|l| l.with_head_dir(dir.path().join("heads")));
    let log = built.audit.clone().unwrap();
    let ctx = opsboard::ops::OpsContext {
        catalog: built.catalog,
        policy: built.policy,
        audit: built.audit,
        kube: None,
        docker: None,
        image_history: None,
        handover: None,
    };
    // Room for one message, and nobody reads: a UI stuck drawing.
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let ops = opsboard::ops::spawn(ctx, tx);
    for i in 0..20 {
        ops.send(Command::Plan(ActionRequest::Backup {
            job: format!("no-such-job-{i}"),
        }));
    }
    // Every refusal is still decided and recorded.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut refused = 0;
    while std::time::Instant::now() < deadline {
        refused = log
            .read(None)
            .unwrap()
            .iter()
            .filter(|e| e.outcome == AuditOutcome::Refused)
            .count();
        if refused == 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(refused, 20, "the actor stalled behind the UI channel");
}
