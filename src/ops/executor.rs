//! The action layer's single owner: plans requests, enforces the policy
//! and "one in flight per target", runs jobs, follows them up, and writes
//! every step to the audit log before reporting it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::audit::{AuditLog, AuditOutcome, AuditRecord};
use super::catalog::Catalog;
use super::policy::Policy;
use super::{backup, follow, plan, runbook};
use crate::app::{Msg, OpsEvent};
use crate::model::{
    ActionPlan, ActionRequest, FollowUpResult, JobId, JobResult, Outcome, Progress, Target, Verb,
    WorkloadRef, fmt_bytes,
};

/// How long a plan stays valid. What it describes (replica counts, the
/// revision to roll back to, the image history) is read when it is made;
/// an operator who comes back later must see it again.
pub const PLAN_TTL: std::time::Duration = std::time::Duration::from_secs(120);

/// Requests to the action layer.
#[derive(Debug)]
pub enum Command {
    Plan(ActionRequest),
    Execute {
        plan: Box<ActionPlan>,
        typed: Option<String>,
    },
    Decline(Box<ActionPlan>),
    Cancel(JobId),
    /// Re-read every backup job's directory.
    Rescan,
    /// `--dry-run`: record that the plan was shown and not run.
    DryRun(Box<ActionPlan>),
    /// A Docker host's containers as the source saw them: image changes go
    /// into the image history that roll back uses.
    ObserveDocker(Box<crate::model::DockerSnapshot>),
    /// Answers once every earlier command is handled (and audited).
    Flush(tokio::sync::oneshot::Sender<()>),
    /// The board is quitting: cancel every running job, give each `grace`
    /// to stop and record its outcome, record the rest as interrupted,
    /// then answer with how many had to be interrupted.
    Shutdown {
        grace: std::time::Duration,
        done: tokio::sync::oneshot::Sender<usize>,
    },
}

/// Handle to the action layer.
#[derive(Clone)]
pub struct Ops {
    tx: mpsc::UnboundedSender<Command>,
}

impl Ops {
    pub fn send(&self, c: Command) {
        // The actor lives as long as the runtime; a closed channel means we
        // are shutting down and there is nothing left to do.
        let _ = self.tx.send(c);
    }
}

/// What the action layer needs.
pub struct OpsContext {
    pub catalog: Catalog,
    pub policy: Policy,
    /// `None` only when no audit location exists; then every action is
    /// refused rather than run unrecorded.
    pub audit: Option<AuditLog>,
    /// Clusters actions may act on.
    pub kube: Option<crate::clients::kube::KubeSettings>,
    /// Docker hosts actions may act on (`None`: Docker disabled).
    pub docker: Option<Vec<crate::clients::docker::HostSpec>>,
    /// Where the record of observed images lives (for roll back).
    pub image_history: Option<std::path::PathBuf>,
}

/// What the actor hands its forwarder: events in order, and "tell me when
/// everything before this was delivered".
enum ToUi {
    Msg(Box<Msg>),
    Delivered(tokio::sync::oneshot::Sender<()>),
}

struct Done {
    job: JobId,
    plan: Box<ActionPlan>,
    started: Instant,
    result: JobResult,
}

/// A plan handed out and not yet used, with what running it sends.
struct Issued {
    plan: ActionPlan,
    /// When it was handed out: a plan older than [`PLAN_TTL`] is refused.
    at: Instant,
    kube: Option<(WorkloadRef, super::kube::plan::Change)>,
    docker: Option<(String, super::docker::DockerChange)>,
}

/// A Docker plan, made off the actor.
struct DockerPlanned {
    id: u64,
    what: String,
    target: Target,
    verb: Verb,
    host: String,
    result: Result<super::docker::plan::Planned, String>,
}

/// A Kubernetes plan, made off the actor (it talks to the API server).
struct KubePlanned {
    id: u64,
    what: String,
    target: Target,
    verb: Verb,
    workload: WorkloadRef,
    result: Result<(ActionPlan, super::kube::plan::Change), String>,
}

struct Actor {
    catalog: Arc<Catalog>,
    policy: Policy,
    audit: Option<Arc<AuditLog>>,
    out: mpsc::Sender<Msg>,
    /// The actor's own events, forwarded to `out` in order by a task of
    /// their own.
    ui: mpsc::UnboundedSender<ToUi>,
    /// Plans handed out and not yet executed or declined: only these run.
    issued: HashMap<u64, Issued>,
    kube: super::kube::KubeClients,
    planned_tx: mpsc::UnboundedSender<KubePlanned>,
    docker: super::docker::DockerClients,
    images: Arc<std::sync::Mutex<super::docker::ImageHistory>>,
    docker_planned_tx: mpsc::UnboundedSender<DockerPlanned>,
    /// How long an issued plan may wait for its confirmation.
    plan_ttl: std::time::Duration,
    /// Target key → the job running on it.
    busy: HashMap<String, JobId>,
    /// Running jobs' plans, for the outcome recorded when the board quits.
    running: HashMap<JobId, ActionPlan>,
    cancels: HashMap<JobId, CancellationToken>,
    next_plan: u64,
    next_job: u64,
    done_tx: mpsc::UnboundedSender<Done>,
}

/// Starts the action layer; events come back on `out` as `Msg::Ops`.
pub fn spawn(ctx: OpsContext, out: mpsc::Sender<Msg>) -> Ops {
    spawn_with_ttl(ctx, out, PLAN_TTL)
}

/// [`spawn`] with another plan lifetime (tests of expiry).
pub fn spawn_with_ttl(
    ctx: OpsContext,
    out: mpsc::Sender<Msg>,
    plan_ttl: std::time::Duration,
) -> Ops {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let (planned_tx, mut planned_rx) = mpsc::unbounded_channel::<KubePlanned>();
    let (docker_planned_tx, mut docker_planned_rx) = mpsc::unbounded_channel::<DockerPlanned>();
    let images = ctx
        .image_history
        .clone()
        .map(super::docker::ImageHistory::open)
        // No state dir: remember images for this run only, never in a
        // shared temp dir where anyone can plant the file.
        .unwrap_or_else(super::docker::ImageHistory::in_memory);
    let (ui, mut ui_rx) = mpsc::unbounded_channel::<ToUi>();
    {
        let out = out.clone();
        tokio::spawn(async move {
            while let Some(m) = ui_rx.recv().await {
                match m {
                    ToUi::Msg(m) => {
                        if out.send(*m).await.is_err() {
                            return;
                        }
                    }
                    ToUi::Delivered(done) => {
                        let _ = done.send(());
                    }
                }
            }
        });
    }
    let mut actor = Actor {
        ui,
        catalog: Arc::new(ctx.catalog),
        policy: ctx.policy,
        audit: ctx.audit.map(Arc::new),
        out,
        issued: HashMap::new(),
        kube: super::kube::KubeClients::new(ctx.kube),
        planned_tx,
        docker: super::docker::DockerClients::new(ctx.docker),
        images: Arc::new(std::sync::Mutex::new(images)),
        docker_planned_tx,
        plan_ttl,
        busy: HashMap::new(),
        running: HashMap::new(),
        cancels: HashMap::new(),
        next_plan: 1,
        next_job: 1,
        done_tx,
    };
    tokio::spawn(async move {
        actor.rescan().await;
        let mut rescan = tokio::time::interval(std::time::Duration::from_secs(60));
        rescan.tick().await;
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(Command::Shutdown { grace, done }) => {
                        let interrupted = actor.shutdown(&mut done_rx, grace).await;
                        let _ = done.send(interrupted);
                        return;
                    }
                    Some(c) => actor.handle(c).await,
                    None => break,
                },
                Some(done) = done_rx.recv() => actor.finish(done).await,
                Some(planned) = planned_rx.recv() => actor.kube_planned(planned).await,
                Some(planned) = docker_planned_rx.recv() => actor.docker_planned(planned).await,
                _ = rescan.tick() => actor.rescan().await,
            }
        }
        // The UI is gone: stop running jobs rather than orphan them.
        for c in actor.cancels.values() {
            c.cancel();
        }
    });
    Ops { tx }
}

fn record(
    target: &Target,
    verb: &Verb,
    plan: Option<&ActionPlan>,
    outcome: AuditOutcome,
) -> AuditRecord {
    AuditRecord {
        target: target.key.clone(),
        verb: verb.word(),
        parameters: plan.map(|p| p.parameters.clone()).unwrap_or_default(),
        outcome,
        duration_ms: None,
        message: None,
        job: None,
    }
}

impl Actor {
    async fn emit(&self, e: OpsEvent) {
        self.to_ui(Msg::Ops(e));
    }

    /// Never waits: a busy UI must not stall the action layer (a cancel or
    /// a finishing job would wait behind it). The forwarder waits instead.
    fn to_ui(&self, m: Msg) {
        let _ = self.ui.send(ToUi::Msg(Box::new(m)));
    }

    /// Appends to the audit log (fsynced) off the async threads.
    async fn audit(&self, rec: AuditRecord) -> Result<(), String> {
        let Some(log) = self.audit.clone() else {
            return Err("no audit log location (no home directory and no [audit] path)".into());
        };
        match tokio::task::spawn_blocking(move || log.append(&rec)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("audit writer failed: {e}")),
        }
    }

    /// Refuses `plan` (audited with its parameters) for `reason`.
    async fn refuse_plan(&self, what: String, plan: &ActionPlan, reason: String) {
        self.refuse(
            what,
            Some(&plan.target),
            Some(&plan.verb),
            Some(plan),
            reason,
        )
        .await;
    }

    /// Hands a plan out: made safe to show (secrets masked, control
    /// characters removed) *before* it is kept, so the plan the operator
    /// confirms is exactly the one that runs.
    async fn issue(
        &mut self,
        id: u64,
        plan: ActionPlan,
        kube: Option<(WorkloadRef, super::kube::plan::Change)>,
        docker: Option<(String, super::docker::DockerChange)>,
    ) {
        let plan = plan.made_safe();
        self.issued.insert(
            id,
            Issued {
                plan: plan.clone(),
                at: Instant::now(),
                kube,
                docker,
            },
        );
        self.emit(OpsEvent::Planned(plan)).await;
    }

    async fn refuse(
        &self,
        what: String,
        target: Option<&Target>,
        verb: Option<&Verb>,
        plan: Option<&ActionPlan>,
        reason: String,
    ) {
        if let (Some(t), Some(v)) = (target, verb) {
            let mut rec = record(t, v, plan, AuditOutcome::Refused);
            rec.message = Some(reason.clone());
            if let Err(e) = self.audit(rec).await {
                self.emit(OpsEvent::AuditFailed(e)).await;
            }
        }
        tracing::info!(%what, %reason, "action refused");
        self.emit(OpsEvent::Refused { what, reason }).await;
    }

    async fn handle(&mut self, c: Command) {
        // Plans nobody confirmed or declined (a closed UI) are forgotten
        // well after they expired.
        let keep = self.plan_ttl * 5;
        self.issued.retain(|_, i| i.at.elapsed() <= keep);
        match c {
            Command::Plan(req) if req.is_docker() => {
                let id = self.next_plan;
                self.next_plan += 1;
                self.plan_docker(req, id).await;
            }
            Command::ObserveDocker(snap) => {
                let images = self.images.clone();
                // File IO off the async threads; order does not matter much.
                tokio::task::spawn_blocking(move || {
                    if let Ok(mut h) = images.lock()
                        && let Err(e) = h.observe(&snap)
                    {
                        tracing::warn!("image history: {e}");
                    }
                });
            }
            Command::Plan(req) if req.workload().is_some() => {
                let id = self.next_plan;
                self.next_plan += 1;
                self.plan_kube(req, id).await;
            }
            Command::Plan(req) => {
                let id = self.next_plan;
                self.next_plan += 1;
                match plan::plan(&self.catalog, &self.policy, &req, id) {
                    Ok(p) => {
                        if let Some(job) = self.busy.get(&p.target.key) {
                            let reason =
                                format!("{} is busy: job {job} is still running on it", p.target);
                            self.refuse(
                                req.summary(),
                                Some(&p.target),
                                Some(&p.verb),
                                Some(&p),
                                reason,
                            )
                            .await;
                            return;
                        }
                        self.issue(id, p, None, None).await;
                    }
                    Err((target, reason)) => {
                        let verb = match &req {
                            ActionRequest::Backup { .. } => Verb::Backup,
                            ActionRequest::Verify { .. } => Verb::Verify,
                            ActionRequest::Runbook { runbook, .. } => {
                                Verb::Runbook(runbook.clone())
                            }
                            other => other.verb(),
                        };
                        let target = target.unwrap_or_else(|| Target {
                            key: req.summary(),
                            name: req.summary(),
                            service: None,
                            environment: None,
                        });
                        self.refuse(req.summary(), Some(&target), Some(&verb), None, reason)
                            .await;
                    }
                }
            }
            Command::Decline(p) => {
                if let Some(Issued { plan: issued, .. }) = self.issued.remove(&p.id) {
                    let mut rec = record(
                        &issued.target,
                        &issued.verb,
                        Some(&issued),
                        AuditOutcome::Cancelled,
                    );
                    rec.message = Some("declined at confirmation".into());
                    if let Err(e) = self.audit(rec).await {
                        self.emit(OpsEvent::AuditFailed(e)).await;
                    }
                }
            }
            Command::Execute { plan, typed } => self.execute(plan, typed).await,
            Command::Cancel(job) => match self.cancels.get(&job) {
                Some(c) => c.cancel(),
                None => {
                    self.emit(OpsEvent::Refused {
                        what: format!("cancel {job}"),
                        reason: "not running".into(),
                    })
                    .await
                }
            },
            Command::Rescan => self.rescan().await,
            // Answered once every event before it has reached the UI.
            Command::Flush(done) => {
                let _ = self.ui.send(ToUi::Delivered(done));
            }
            // Handled by the loop, which owns the finished-jobs channel.
            Command::Shutdown { done, .. } => {
                let _ = done.send(0);
            }
            Command::DryRun(p) => {
                if let Some(Issued { plan: issued, .. }) = self.issued.remove(&p.id) {
                    let rec = record(
                        &issued.target,
                        &issued.verb,
                        Some(&issued),
                        AuditOutcome::DryRun,
                    );
                    if let Err(e) = self.audit(rec).await {
                        self.emit(OpsEvent::AuditFailed(e)).await;
                    }
                }
            }
        }
    }

    /// Runs a confirmed plan, after checking everything again: the plan
    /// must be one this layer issued, the policy must still allow it, a
    /// protected target's name must have been typed, the target must be
    /// idle, and the "confirmed" line must be in the audit log.
    async fn execute(&mut self, asked: Box<ActionPlan>, typed: Option<String>) {
        let what = asked.summary();
        // Only the plan as issued runs, whatever the caller holds.
        let Some(Issued {
            plan,
            at,
            kube,
            docker,
        }) = self.issued.remove(&asked.id).filter(|i| i.plan == *asked)
        else {
            self.refuse(
                what,
                Some(&asked.target),
                Some(&asked.verb),
                Some(&asked),
                "this plan was not issued by the action layer, or was already used".into(),
            )
            .await;
            return;
        };
        if at.elapsed() > self.plan_ttl {
            let reason = format!(
                "the plan is older than {}: what it describes may have changed — plan again",
                humantime::format_duration(self.plan_ttl)
            );
            self.refuse_plan(what, &plan, reason).await;
            return;
        }
        if let Err(reason) = self.policy.allows(&plan.target) {
            self.refuse_plan(what, &plan, reason).await;
            return;
        }
        if let Err(reason) = self.policy.check_typed(&plan.target, typed.as_deref()) {
            self.refuse_plan(what, &plan, reason).await;
            return;
        }
        if let Some(job) = self.busy.get(&plan.target.key) {
            let reason = format!("{} is busy: job {job} is still running on it", plan.target);
            self.refuse_plan(what, &plan, reason).await;
            return;
        }
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
            self.refuse(
                what,
                None,
                None,
                None,
                format!("not run: cannot write the audit log: {e}"),
            )
            .await;
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
        // A Kubernetes job needs its cluster's client (connected on first use).
        let kube = match kube {
            Some((w, change)) => Some((self.kube.client(&w.context).await, w, change)),
            None => None,
        };
        let docker = docker.map(|(host, change)| (self.docker.client(&host), change));
        tokio::spawn(async move {
            let result = match (kube, docker) {
                (Some((client, w, change)), _) => {
                    run_kube_job(client, &w, &change, job, &out, cancel).await
                }
                (None, Some((client, change))) => {
                    run_docker_job(client, &change, job, &out, cancel).await
                }
                (None, None) => run_job(&catalog, &plan, job, &out, cancel).await,
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
    async fn shutdown(
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
    async fn finish(&mut self, d: Done) {
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
        if let Err(e) = self.audit(rec).await {
            self.emit(OpsEvent::AuditFailed(e)).await;
        }
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

    /// Plans a Kubernetes request: the policy first (no network for a
    /// refusal), then the API reads and dry run off the actor.
    async fn plan_kube(&mut self, req: ActionRequest, id: u64) {
        let Some(w) = req.workload().cloned() else {
            return;
        };
        let verb = req.verb();
        let environment = self.catalog.environment_of(&w, &self.policy);
        let mut target = super::kube::workload_target(&w, environment);
        target.service = self.catalog.service_of(&w);
        if let Err(reason) = self.policy.allows(&target) {
            self.refuse(req.summary(), Some(&target), Some(&verb), None, reason)
                .await;
            return;
        }
        if let Some(job) = self.busy.get(&target.key) {
            let reason = format!("{target} is busy: job {job} is still running on it");
            self.refuse(req.summary(), Some(&target), Some(&verb), None, reason)
                .await;
            return;
        }
        let client = match self.kube.client(&w.context).await {
            Ok(c) => c,
            Err(e) => {
                self.refuse(req.summary(), Some(&target), Some(&verb), None, e)
                    .await;
                return;
            }
        };
        let tx = self.planned_tx.clone();
        tokio::spawn(async move {
            use super::kube::plan as kp;
            let t = target.clone();
            let result = match &req {
                ActionRequest::Scale { replicas, .. } => {
                    kp::scale(&client, &w, *replicas, id, t).await
                }
                ActionRequest::Restart { .. } => kp::restart(&client, &w, id, t).await,
                ActionRequest::Rollback { to_revision, .. } => {
                    kp::rollback(&client, &w, *to_revision, id, t).await
                }
                ActionRequest::DeletePod { pod, .. } => {
                    kp::delete_pod(&client, &w, pod, id, t).await
                }
                _ => Err("not a Kubernetes request".into()),
            };
            let _ = tx.send(KubePlanned {
                id,
                what: req.summary(),
                target,
                verb,
                workload: w,
                result,
            });
        });
    }

    async fn kube_planned(&mut self, k: KubePlanned) {
        let (mut plan, change) = match k.result {
            Ok(x) => x,
            Err(reason) => {
                self.refuse(k.what, Some(&k.target), Some(&k.verb), None, reason)
                    .await;
                return;
            }
        };
        if let Some(d) = plan.dry_run.as_ref().filter(|d| !d.ok) {
            let reason = format!("the API server rejected a dry run: {}", d.text);
            self.refuse_plan(k.what, &plan, reason).await;
            return;
        }
        if let Some(job) = self.busy.get(&plan.target.key) {
            let reason = format!("{} is busy: job {job} is still running on it", plan.target);
            self.refuse_plan(k.what, &plan, reason).await;
            return;
        }
        plan.confirmation = self
            .policy
            .confirmation(&plan.target, plan.confirmation.clone());
        self.issue(k.id, plan, Some((k.workload, change)), None)
            .await;
    }

    /// Plans a Docker request: policy first, then the daemon reads off the
    /// actor.
    async fn plan_docker(&mut self, req: ActionRequest, id: u64) {
        let verb = req.verb();
        let (host, mut target) = match &req {
            ActionRequest::DockerRestart { target: t }
            | ActionRequest::DockerStop { target: t }
            | ActionRequest::DockerStart { target: t }
            | ActionRequest::DockerRollback { target: t } => {
                (t.host().to_string(), super::docker::docker_target(t))
            }
            ActionRequest::DockerScale { service, .. } => {
                (service.host.clone(), super::docker::compose_target(service))
            }
            _ => return,
        };
        let (service, environment) = self.catalog.docker_service_of(&req);
        target.service = service;
        // The bound service's environment or the host's, whichever is
        // stricter: a service cannot loosen its host's protection.
        let host_env = self
            .catalog
            .docker_host_environments
            .iter()
            .find(|(h, _)| *h == host)
            .map(|(_, e)| e.clone());
        target.environment = self
            .policy
            .strictest(environment.into_iter().chain(host_env).collect());
        if let Err(reason) = self.policy.allows(&target) {
            self.refuse(req.summary(), Some(&target), Some(&verb), None, reason)
                .await;
            return;
        }
        if let Some(job) = self.busy.get(&target.key) {
            let reason = format!("{target} is busy: job {job} is still running on it");
            self.refuse(req.summary(), Some(&target), Some(&verb), None, reason)
                .await;
            return;
        }
        let client = match self.docker.client(&host) {
            Ok(c) => c,
            Err(e) => {
                self.refuse(req.summary(), Some(&target), Some(&verb), None, e)
                    .await;
                return;
            }
        };
        let tx = self.docker_planned_tx.clone();
        let images = self.images.clone();
        tokio::spawn(async move {
            let history = images.lock().map(|h| h.clone()).ok();
            let result = match history {
                Some(h) => super::docker::plan(&client, &req, &h).await,
                None => Err("the image history is unavailable".into()),
            };
            let _ = tx.send(DockerPlanned {
                id,
                what: req.summary(),
                target,
                verb,
                host,
                result,
            });
        });
    }

    async fn docker_planned(&mut self, d: DockerPlanned) {
        let (what, parameters, risk, change) = match d.result {
            Ok(x) => x,
            Err(reason) => {
                self.refuse(d.what, Some(&d.target), Some(&d.verb), None, reason)
                    .await;
                return;
            }
        };
        let plan = ActionPlan {
            id: d.id,
            target: d.target,
            verb: d.verb,
            parameters,
            what_will_happen: what,
            risk,
            confirmation: crate::model::Confirmation::YesNo,
            dry_run: None,
            follow_up: None,
            cancellable: true,
        };
        if let Some(job) = self.busy.get(&plan.target.key) {
            let reason = format!("{} is busy: job {job} is still running on it", plan.target);
            self.refuse_plan(d.what, &plan, reason).await;
            return;
        }
        let mut plan = plan;
        plan.confirmation = self
            .policy
            .confirmation(&plan.target, plan.confirmation.clone());
        self.issue(d.id, plan, None, Some((d.host, change))).await;
    }

    async fn rescan(&self) {
        for b in &self.catalog.backups {
            let spec = b.spec.clone();
            let files = tokio::task::spawn_blocking(move || backup::scan(&spec))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            self.to_ui(Msg::BackupsScanned {
                job: b.spec.name.clone(),
                files,
            });
        }
    }
}

/// Carries out one plan and its follow-up.
async fn run_job(
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
        | Verb::Start => {
            return failed("a plan without its change (not issued by this layer)".into());
        }
        Verb::Silence | Verb::ExpireSilence => super::silence::run(catalog, plan).await,
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
async fn run_kube_job(
    client: Result<kube::Client, String>,
    w: &WorkloadRef,
    change: &super::kube::plan::Change,
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
    let done = match super::kube::run::apply(&client, w, change).await {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let _ = out
        .send(Msg::Ops(OpsEvent::JobOutput {
            job,
            line: done.clone(),
        }))
        .await;
    let (outcome, message) = super::kube::run::follow(
        &client,
        w,
        change,
        &progress,
        &cancel,
        super::kube::run::FOLLOW_TIMEOUT,
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
async fn run_docker_job(
    client: Result<bollard::Docker, String>,
    change: &super::docker::DockerChange,
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
    let (outcome, message) = super::docker::run(&client, change, &progress, &output, &cancel).await;
    JobResult {
        outcome,
        message,
        follow_up: None,
        exit_code: None,
    }
}

/// Sends a job's progress to the board. Lossy on purpose: a full channel
/// drops an update, never blocks the job.
fn progress_sink(out: &mpsc::Sender<Msg>, job: JobId) -> impl Fn(Progress) + Send + Sync + use<> {
    let out = out.clone();
    move |p: Progress| {
        let _ = out.try_send(Msg::Ops(OpsEvent::JobProgress { job, progress: p }));
    }
}

fn failed(message: String) -> JobResult {
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
