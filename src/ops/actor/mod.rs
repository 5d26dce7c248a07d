//! The action layer's single owner, an actor: plans requests, enforces the
//! policy and "one in flight per target", runs jobs, follows them up, and
//! writes every step to the audit log before reporting it. This file holds
//! its public handle ([`Ops`], [`Command`], [`spawn`]) and its state; the
//! receive loop is in `run_loop`, every refusal goes through `gate`,
//! planning is in `planning`, running jobs in `jobs` and `job_run`.

mod automatic;
mod exec;
mod gate;
mod job_run;
mod jobs;
mod node;
mod planning;
mod report;
mod reveal;
mod run_loop;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::audit::AuditLog;
use super::catalog::Catalog;
use super::policy::Policy;
use crate::app::Msg;
use crate::model::{ActionPlan, ActionRequest, JobId, WorkloadRef};

use exec::ExecPlanned;
use jobs::Done;
use planning::{DockerPlanned, KubePlanned};
use report::ToUi;

/// How long a plan stays valid. What it describes (replica counts, the
/// revision to roll back to, the image history) is read when it is made;
/// an operator who comes back later must see it again.
pub const PLAN_TTL: std::time::Duration = std::time::Duration::from_secs(120);

/// Requests to the action layer.
#[derive(Debug)]
pub enum Command {
    Plan(ActionRequest),
    /// Roll back `workload`'s regressed `revision` without asking
    /// (`rollback_on.mode = "act"`): at most once per revision, never in
    /// read-only mode, in a protected environment only when it allows
    /// automatic rollback; audited as automatic with the evidence.
    AutoRollback {
        workload: WorkloadRef,
        revision: i64,
        evidence: String,
    },
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
    /// Record that the operator revealed masked values of an object's
    /// document (reading is allowed in read-only mode, and always
    /// audited), then tell the board it may show them.
    Reveal {
        request: u64,
        object: crate::model::document::ObjectRef,
        variables: Vec<String>,
    },
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
    /// Where exec sessions are handed to the terminal (`None` without
    /// one: `opsboard do` refuses exec).
    pub handover: Option<super::exec::Handover>,
}

/// A plan handed out and not yet used, with what running it sends.
struct Issued {
    plan: ActionPlan,
    /// When it was handed out: a plan older than [`PLAN_TTL`] is refused.
    at: Instant,
    backend: Backend,
}

/// What running an issued plan does, beyond the catalog's actions.
enum Backend {
    /// A silence, backup, verification or runbook: from the catalog.
    Catalog,
    Kube(WorkloadRef, super::kube::change::Change),
    /// On a Docker host.
    Docker(String, super::docker::DockerChange),
    /// A session in a container: the command to run.
    Exec(crate::model::ExecTarget, Vec<String>),
    /// A node's cordon, uncordon or drain.
    Node(super::kube::node::NodeChange),
}

/// The actor's state: what it was given, the plans it handed out, the jobs
/// it runs, and the channels its off-actor work reports back on.
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
    exec_planned_tx: mpsc::UnboundedSender<ExecPlanned>,
    node_planned_tx: mpsc::UnboundedSender<node::NodePlanned>,
    handover: Option<super::exec::Handover>,
    /// How long an issued plan may wait for its confirmation.
    plan_ttl: std::time::Duration,
    /// Target key → the job running on it.
    busy: HashMap<String, JobId>,
    /// Running jobs' plans, for the outcome recorded when the board quits.
    running: HashMap<JobId, ActionPlan>,
    cancels: HashMap<JobId, CancellationToken>,
    next_plan: u64,
    next_job: u64,
    /// `(workload, revision)` already rolled back (or refused) by itself.
    automatic: std::collections::HashSet<(WorkloadRef, i64)>,
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
    let (tx, rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel::<Done>();
    let (planned_tx, planned_rx) = mpsc::unbounded_channel::<KubePlanned>();
    let (docker_planned_tx, docker_planned_rx) = mpsc::unbounded_channel::<DockerPlanned>();
    let (exec_planned_tx, exec_planned_rx) = mpsc::unbounded_channel::<ExecPlanned>();
    let (node_planned_tx, node_planned_rx) = mpsc::unbounded_channel::<node::NodePlanned>();
    let images = ctx
        .image_history
        .clone()
        .map(super::docker::ImageHistory::open)
        // No state dir: remember images for this run only, never in a
        // shared temp dir where anyone can plant the file.
        .unwrap_or_else(super::docker::ImageHistory::in_memory);
    let ui = report::forward_to_ui(out.clone());
    let actor = Actor {
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
        exec_planned_tx,
        node_planned_tx,
        handover: ctx.handover,
        plan_ttl,
        busy: HashMap::new(),
        running: HashMap::new(),
        cancels: HashMap::new(),
        next_plan: 1,
        next_job: 1,
        automatic: Default::default(),
        done_tx,
    };
    tokio::spawn(actor.run(run_loop::Inbox {
        commands: rx,
        done: done_rx,
        kube_planned: planned_rx,
        docker_planned: docker_planned_rx,
        exec_planned: exec_planned_rx,
        node_planned: node_planned_rx,
    }));
    Ops { tx }
}
