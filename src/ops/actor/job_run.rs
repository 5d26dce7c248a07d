//! What a job does once started, off the actor: a catalog action (silence,
//! backup, verify, runbook) and its follow-up check, a Kubernetes change
//! and its rollout, or a Docker change; progress and output go straight to
//! the board.

use std::time::SystemTime;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::app::{Msg, OpsEvent};
use crate::model::{
    ActionPlan, FollowUpResult, JobId, JobResult, Outcome, Progress, Verb, WorkloadRef, fmt_bytes,
};
use crate::ops::catalog::Catalog;
use crate::ops::{backup, follow, runbook};

/// Carries out one plan and its follow-up.
pub(super) async fn run_job(
    catalog: &Catalog,
    plan: &ActionPlan,
    job: JobId,
    out: &mpsc::Sender<Msg>,
    cancel: CancellationToken,
) -> JobResult {
    let progress = progress_sink(out, job);
    let mut result = match &plan.verb {
        Verb::Scale { .. }
        | Verb::Restart
        | Verb::Rollback { .. }
        | Verb::DeletePod { .. }
        | Verb::Stop
        | Verb::Start
        | Verb::Switch { .. }
        | Verb::Cordon
        | Verb::Uncordon
        | Verb::Drain
        | Verb::Exec { .. } => {
            return failed("a plan without its change (not issued by this layer)".into());
        }
        Verb::Silence | Verb::ExpireSilence => crate::ops::silence::run(catalog, plan).await,
        Verb::Backup => run_backup(catalog, plan, &progress, cancel.clone()).await,
        Verb::Verify => run_verify(catalog, plan, &progress).await,
        Verb::Runbook(name) => {
            let Some(def) = catalog.runbook(name, plan.target.service.as_deref()) else {
                return failed(format!("runbook `{name}` is no longer configured"));
            };
            // The values come from the plan that was confirmed, nothing else.
            let param = |k: &str| plan.parameters.get(k).cloned();
            let values = runbook::Placeholders {
                service: plan.target.service.clone(),
                host: param("host"),
                namespace: param("namespace"),
                context: param("context"),
                container: param("container"),
            };
            let argv = match runbook::render_argv(def, &values) {
                Ok(a) => a,
                Err(e) => return failed(e),
            };
            let line = {
                let out = out.clone();
                move |l: String| {
                    let out = out.clone();
                    async move {
                        let _ = out
                            .send(Msg::Ops(OpsEvent::JobOutput { job, line: l }))
                            .await;
                    }
                    .boxed()
                }
            };
            let end = runbook::run(def, &argv, line, cancel.clone()).await;
            JobResult {
                outcome: end.outcome,
                message: end.message,
                follow_up: None,
                exit_code: end.exit_code,
            }
        }
    };
    if result.outcome == Outcome::Succeeded
        && let Some(f) = &plan.follow_up
    {
        progress(Progress {
            phase: Some(format!("checking: {f}")),
            ..Progress::default()
        });
        let probes = match f {
            crate::model::FollowUp::HealthUp { service, .. } => catalog
                .service(service)
                .map(|s| s.probes.clone())
                .unwrap_or_default(),
        };
        let checked: FollowUpResult = follow::check(f, &probes, &cancel).await;
        if !checked.passed {
            result.outcome = Outcome::Failed;
            result.message = format!("{}, but the follow-up check failed", result.message);
        }
        result.follow_up = Some(checked);
    }
    result
}

/// Applies a planned Kubernetes change, then follows the rollout.
pub(super) async fn run_kube_job(
    client: Result<kube::Client, String>,
    w: &WorkloadRef,
    change: &crate::ops::kube::change::Change,
    job: JobId,
    out: &mpsc::Sender<Msg>,
    cancel: CancellationToken,
) -> JobResult {
    let client = match client {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let progress = progress_sink(out, job);
    progress(Progress {
        phase: Some("sending the change".into()),
        ..Progress::default()
    });
    let done = match crate::ops::kube::run::apply(&client, w, change).await {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let _ = out
        .send(Msg::Ops(OpsEvent::JobOutput {
            job,
            line: done.clone(),
        }))
        .await;
    let (outcome, message) = crate::ops::kube::follow::follow(
        &client,
        w,
        change,
        &progress,
        &cancel,
        crate::ops::kube::follow::FOLLOW_TIMEOUT,
    )
    .await;
    let _ = out
        .send(Msg::Ops(OpsEvent::JobOutput {
            job,
            line: message.clone(),
        }))
        .await;
    JobResult {
        outcome,
        message: format!("{done}; {message}"),
        follow_up: None,
        exit_code: None,
    }
}

/// Applies a planned Docker change and follows it (healthy, or the last
/// health probe output).
pub(super) async fn run_docker_job(
    client: Result<bollard::Docker, String>,
    change: &crate::ops::docker::DockerChange,
    job: JobId,
    out: &mpsc::Sender<Msg>,
    cancel: CancellationToken,
) -> JobResult {
    let client = match client {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let progress = progress_sink(out, job);
    let output = {
        let out = out.clone();
        move |line: String| {
            let _ = out.try_send(Msg::Ops(OpsEvent::JobOutput { job, line }));
        }
    };
    let (outcome, message) =
        crate::ops::docker::run(&client, change, &progress, &output, &cancel).await;
    JobResult {
        outcome,
        message,
        follow_up: None,
        exit_code: None,
    }
}

/// Sends a job's progress to the board. Lossy on purpose: a full channel
/// drops an update, never blocks the job.
pub(super) fn progress_sink(
    out: &mpsc::Sender<Msg>,
    job: JobId,
) -> impl Fn(Progress) + Send + Sync + use<> {
    let out = out.clone();
    move |p: Progress| {
        let _ = out.try_send(Msg::Ops(OpsEvent::JobProgress { job, progress: p }));
    }
}

pub(super) fn failed(message: String) -> JobResult {
    JobResult {
        outcome: Outcome::Failed,
        message,
        follow_up: None,
        exit_code: None,
    }
}

async fn run_backup(
    catalog: &Catalog,
    plan: &ActionPlan,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: CancellationToken,
) -> JobResult {
    let Some(entry) = catalog.backup(&plan.target.name) else {
        return failed(format!(
            "backup job `{}` is no longer configured",
            plan.target.name
        ));
    };
    let spec = &entry.spec;
    let written = match backup::run(spec, progress, cancel).await {
        Ok(w) => w,
        Err(backup::BackupError::Cancelled) => {
            return JobResult {
                outcome: Outcome::Cancelled,
                message: "cancelled; the partial file was removed".into(),
                follow_up: None,
                exit_code: None,
            };
        }
        Err(e) => {
            return JobResult {
                outcome: Outcome::Failed,
                exit_code: e.exit_code(),
                message: e.to_string(),
                follow_up: None,
            };
        }
    };
    let name = written
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    progress(Progress {
        phase: Some("verifying".into()),
        bytes: Some(written.size),
        ..Progress::default()
    });
    let v = backup::verify(spec, &written.path, progress).await;
    let mut message = format!(
        "wrote {name} ({}, sha256 {}…) · {}",
        fmt_bytes(written.size),
        written.sha256.chars().take(12).collect::<String>(),
        v.summary()
    );
    if !v.ok {
        return JobResult {
            outcome: Outcome::Failed,
            message: format!("{message} · {}", verdict(&v)),
            follow_up: None,
            exit_code: None,
        };
    }
    let spec2 = spec.clone();
    let just_written = written.path.clone();
    match tokio::task::spawn_blocking(move || {
        backup::apply_retention_after(&spec2, &just_written, SystemTime::now())
    })
    .await
    {
        Ok(Ok(report)) => {
            if let Some(said) = report.summary() {
                message.push_str(&format!(" · {said}"));
            }
        }
        Ok(Err(e)) => message.push_str(&format!(" · retention failed: {e}")),
        Err(e) => message.push_str(&format!(" · retention failed: {e}")),
    }
    JobResult {
        outcome: Outcome::Succeeded,
        message,
        follow_up: None,
        exit_code: None,
    }
}

/// Why a verification is not ok: a check failed, or one could not run.
fn verdict(v: &backup::Verification) -> &'static str {
    if v.not_verified() {
        "NOT VERIFIED: the file was kept but does not count as a verified backup"
    } else {
        "VERIFICATION FAILED"
    }
}

async fn run_verify(
    catalog: &Catalog,
    plan: &ActionPlan,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> JobResult {
    let Some(entry) = catalog.backup(&plan.target.name) else {
        return failed(format!(
            "backup job `{}` is no longer configured",
            plan.target.name
        ));
    };
    let spec = entry.spec.clone();
    let files = match tokio::task::spawn_blocking({
        let spec = spec.clone();
        move || backup::scan(&spec)
    })
    .await
    {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return failed(e),
        Err(e) => return failed(e.to_string()),
    };
    let Some(newest) = files.first() else {
        return failed(format!("no backup files in {}", spec.dir.display()));
    };
    let v = backup::verify(&spec, &newest.path, progress).await;
    let name = newest
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let checks = v.summary();
    if v.ok {
        JobResult {
            outcome: Outcome::Succeeded,
            message: format!("{name}: {checks}"),
            follow_up: None,
            exit_code: None,
        }
    } else {
        failed(format!("{name}: {}: {checks}", verdict(&v)))
    }
}
