//! Jobs on the actor's side: a confirmed plan checked again at the gate
//! and started, its result recorded and reported when it finishes, and
//! every running job stopped and accounted for when the board quits.

use std::time::{Instant, SystemTime};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::exec::{ExecClient, run_exec_job};
use super::gate::{Asking, Check};
use super::job_run::{run_docker_job, run_job, run_kube_job};
use super::report::record;
use super::{Actor, Backend, Issued};
use crate::app::{Msg, OpsEvent};
use crate::model::{ActionPlan, ExecTarget, JobId, JobResult, Outcome, Verb};
use crate::ops::audit::AuditOutcome;
use crate::ops::backup;

/// An issued plan's backend with its client, ready to run off the actor.
enum Ready {
    Catalog,
    Kube(
        Result<kube::Client, String>,
        crate::model::WorkloadRef,
        crate::ops::kube::change::Change,
    ),
    Docker(
        Result<bollard::Docker, String>,
        crate::ops::docker::DockerChange,
    ),
    Exec(
        ExecClient,
        ExecTarget,
        Vec<String>,
        Option<crate::ops::exec::Handover>,
    ),
    Node(
        Result<kube::Client, String>,
        crate::ops::kube::node::NodeChange,
    ),
}

/// A job that ended, as its task reports it to the actor.
pub(super) struct Done {
    job: JobId,
    plan: Box<ActionPlan>,
    started: Instant,
    result: JobResult,
}

impl Actor {
    /// Runs a confirmed plan, after checking everything again: the plan
    /// must be one this layer issued, the policy must still allow it, a
    /// protected target's name must have been typed, the target must be
    /// idle, and the "confirmed" line must be in the audit log.
    pub(super) async fn execute(&mut self, asked: Box<ActionPlan>, typed: Option<String>) {
        let what = asked.summary();
        let Some(Issued { plan, at, backend }) = self.take_issued(&asked).await else {
            return;
        };
        let checks = [
            Check::Fresh(at),
            Check::Policy,
            Check::Typed(typed.as_deref()),
            Check::Idle,
        ];
        if !self.gate(Asking::plan(&what, &plan), &checks).await {
            return;
        }
        self.start(plan, backend).await;
    }

    /// Starts a plan that passed the gate: the "confirmed" line first,
    /// then the job off the actor.
    pub(super) async fn start(&mut self, plan: ActionPlan, backend: Backend) {
        let what = plan.summary();
        let job = JobId(self.next_job);
        self.next_job += 1;
        let mut rec = record(
            &plan.target,
            &plan.verb,
            Some(&plan),
            AuditOutcome::Confirmed,
        );
        rec.job = Some(job.0);
        if let Err(e) = self.audit(rec).await {
            let reason = format!("not run: cannot write the audit log: {e}");
            self.refuse_unrecorded(&what, reason).await;
            return;
        }
        self.busy.insert(plan.target.key.clone(), job);
        self.running.insert(job, plan.clone());
        let cancel = CancellationToken::new();
        self.cancels.insert(job, cancel.clone());
        let at = SystemTime::now();
        self.emit(OpsEvent::JobStarted {
            job,
            plan: plan.clone(),
            at,
        })
        .await;
        let started = Instant::now();
        let catalog = self.catalog.clone();
        let out = self.out.clone();
        let done = self.done_tx.clone();
        // Clients are connected on first use, on the actor.
        let ready = match backend {
            Backend::Catalog => Ready::Catalog,
            Backend::Kube(w, change) => Ready::Kube(self.kube.client(&w.context).await, w, change),
            Backend::Docker(host, change) => Ready::Docker(self.docker.client(&host), change),
            Backend::Node(change) => {
                Ready::Node(self.kube.client(&change.node.context).await, change)
            }
            Backend::Exec(target, command) => {
                let client = match &target {
                    ExecTarget::Pod { context, .. } => {
                        ExecClient::Kube(self.kube.session_client(context).await)
                    }
                    ExecTarget::Docker { host, .. } => ExecClient::Docker(self.docker.client(host)),
                };
                Ready::Exec(client, target, command, self.handover.clone())
            }
        };
        tokio::spawn(async move {
            let result = match ready {
                Ready::Kube(client, w, change) => {
                    run_kube_job(client, &w, &change, job, &out, cancel).await
                }
                Ready::Docker(client, change) => {
                    run_docker_job(client, &change, job, &out, cancel).await
                }
                Ready::Exec(client, target, command, handover) => {
                    run_exec_job(client, &target, command, job, &out, handover).await
                }
                Ready::Node(client, change) => {
                    super::node::run_node_job(client, &change, job, &out, cancel).await
                }
                Ready::Catalog => run_job(&catalog, &plan, job, &out, cancel).await,
            };
            let _ = done.send(Done {
                job,
                plan: Box::new(plan),
                started,
                result,
            });
        });
    }

    /// Stops every running job: cancels it, waits up to `grace` for it to
    /// wind down (a Docker roll back finishes the container it is on), and
    /// records an `interrupted` outcome for any that did not, so every
    /// `confirmed` line has an outcome.
    pub(super) async fn shutdown(
        &mut self,
        done_rx: &mut mpsc::UnboundedReceiver<Done>,
        grace: std::time::Duration,
    ) -> usize {
        for c in self.cancels.values() {
            c.cancel();
        }
        let deadline = tokio::time::Instant::now() + grace;
        while !self.cancels.is_empty() && !grace.is_zero() {
            match tokio::time::timeout_at(deadline, done_rx.recv()).await {
                Ok(Some(d)) => self.finish(d).await,
                Ok(None) | Err(_) => break,
            }
        }
        let left: Vec<(String, JobId)> = self.busy.drain().collect();
        for (key, job) in &left {
            let Some(plan) = self.running.remove(job) else {
                continue;
            };
            let mut rec = record(
                &plan.target,
                &plan.verb,
                Some(&plan),
                AuditOutcome::Interrupted,
            );
            rec.job = Some(job.0);
            rec.message = Some(format!(
                "interrupted: opsboard quit while the job was running on {key}; its state is unknown"
            ));
            if let Err(e) = self.audit(rec).await {
                tracing::error!("audit log: {e}");
            }
        }
        left.len()
    }

    /// Records the result, then reports it: the audit line is on disk
    /// before the operator sees "done".
    pub(super) async fn finish(&mut self, d: Done) {
        self.busy.remove(&d.plan.target.key);
        self.running.remove(&d.job);
        self.cancels.remove(&d.job);
        let outcome = match d.result.outcome {
            Outcome::Succeeded => AuditOutcome::Succeeded,
            Outcome::Failed => AuditOutcome::Failed,
            Outcome::Cancelled => AuditOutcome::Cancelled,
        };
        let mut rec = record(&d.plan.target, &d.plan.verb, Some(&d.plan), outcome);
        rec.job = Some(d.job.0);
        rec.duration_ms = Some(d.started.elapsed().as_millis() as u64);
        let mut message = d.result.message.clone();
        if let Some(f) = &d.result.follow_up {
            message.push_str(&format!(
                "; follow-up {}: {}",
                if f.passed { "passed" } else { "FAILED" },
                f.detail
            ));
        }
        rec.message = Some(message);
        self.audit_or_report(rec).await;
        if matches!(d.plan.verb, Verb::Backup | Verb::Verify)
            && let Some(entry) = self.catalog.backup(&d.plan.target.name)
        {
            let spec = entry.spec.clone();
            let files = tokio::task::spawn_blocking(move || backup::scan(&spec))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            self.to_ui(Msg::BackupsScanned {
                job: d.plan.target.name.clone(),
                files,
            });
        }
        self.emit(OpsEvent::JobFinished {
            job: d.job,
            at: SystemTime::now(),
            result: d.result,
        })
        .await;
    }
}
