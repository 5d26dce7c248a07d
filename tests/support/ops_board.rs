//! The action layer as tests drive it: the real actor (`ops::spawn`) with
//! a real audit log in a temp dir, and helpers that wait for its events.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use opsboard::app::{Msg, OpsEvent};
use opsboard::assemble::{self, Locations};
use opsboard::config;
use opsboard::model::{ActionPlan, ActionRequest, BackupFile, JobId, JobResult, Outcome, Progress};
use opsboard::ops::audit::{AuditEntry, AuditLog};
use opsboard::ops::{self, Command};
use tokio::sync::{mpsc, oneshot};

/// Upper bound for anything the actor is asked to do; generous on purpose.
pub const WAIT: Duration = Duration::from_secs(20);

/// The value behind the `file:` secret reference every runbook gets as
/// `TOKEN`. It must never appear in the audit log.
pub const TOKEN_VALUE: &str = "tok-5e1f0c9a-opsboard-secret-value";

/// Everything a run reported, in arrival order.
#[derive(Debug)]
pub struct Run {
    pub job: JobId,
    pub output: Vec<String>,
    pub progress: Vec<Progress>,
    pub scans: Vec<(String, Result<Vec<BackupFile>, String>)>,
    pub result: JobResult,
}

/// The actor, its event channel and its audit log.
pub struct Board {
    pub ops: ops::Ops,
    pub rx: mpsc::Receiver<Msg>,
    /// Received but not yet consumed by a matching wait.
    pub pending: VecDeque<Msg>,
    pub log: AuditLog,
    pub backups: PathBuf,
}

impl Board {
    /// Parses `text`, builds the board like `main` does (audit log and
    /// backups inside `dir`), spawns the actor and waits until its initial
    /// backup scan has been reported (and discards it).
    pub async fn start(dir: &Path, text: &str) -> Board {
        Board::start_with_ttl(dir, text, ops::actor::PLAN_TTL).await
    }

    /// [`Board::start`] with plans that expire after `ttl`.
    pub async fn start_with_ttl(dir: &Path, text: &str, ttl: Duration) -> Board {
        let cfg = config::parse(Path::new("test.toml"), text)
            .unwrap_or_else(|e| panic!("config does not parse: {e}\n{text}"));
        let locations = Locations {
            audit_log: Some(dir.join("audit.jsonl")),
            backup_base: Some(dir.join("backups")),
        };
        let mut built = assemble::build(&cfg, false, &locations).unwrap();
        // Head records go beside the log, not into the tester's home.
        built.audit = built.audit.map(|l| l.with_head_dir(dir.join("heads")));
        let log = built.audit.clone().expect("an audit location");
        assert_eq!(log.path(), dir.join("audit.jsonl"));
        let ctx = ops::OpsContext {
            catalog: built.catalog,
            policy: built.policy,
            audit: built.audit,
            kube: None,
            docker: None,
            image_history: None,
            handover: None,
        };
        let (tx, rx) = mpsc::channel(1024);
        let ops = ops::actor::spawn_with_ttl(ctx, tx, ttl);
        let mut b = Board {
            ops,
            rx,
            pending: VecDeque::new(),
            log,
            backups: dir.join("backups"),
        };
        b.flush().await;
        while let Ok(m) = b.rx.try_recv() {
            assert!(
                matches!(m, Msg::BackupsScanned { .. }),
                "unexpected before any command: {m:?}"
            );
        }
        b
    }

    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        self.ops.send(Command::Flush(tx));
        tokio::time::timeout(WAIT, rx)
            .await
            .expect("flush answered in time")
            .expect("actor alive");
    }

    /// The first message (pending ones first) for which `pick` is true;
    /// others stay pending, in order.
    pub async fn next(&mut self, what: &str, pick: impl Fn(&Msg) -> bool) -> Msg {
        if let Some(i) = self.pending.iter().position(&pick) {
            return self.pending.remove(i).unwrap();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(m)) if pick(&m) => return m,
                Ok(Some(m)) => self.pending.push_back(m),
                Ok(None) => panic!("actor gone while waiting for {what}"),
                Err(_) => panic!("no {what} within {WAIT:?}; unconsumed: {:#?}", self.pending),
            }
        }
    }

    /// Plans `req`: the plan, or the refusal's reason.
    pub async fn plan(&mut self, req: ActionRequest) -> Result<ActionPlan, String> {
        self.ops.send(Command::Plan(req.clone()));
        let m = self
            .next(&format!("answer to plan {req:?}"), |m| {
                matches!(m, Msg::Ops(OpsEvent::Planned(_) | OpsEvent::Refused { .. }))
            })
            .await;
        match m {
            Msg::Ops(OpsEvent::Planned(p)) => Ok(p),
            Msg::Ops(OpsEvent::Refused { reason, .. }) => Err(reason),
            _ => unreachable!(),
        }
    }

    pub async fn planned(&mut self, req: ActionRequest) -> ActionPlan {
        let what = format!("{req:?}");
        self.plan(req)
            .await
            .unwrap_or_else(|r| panic!("{what} refused: {r}"))
    }

    /// Executes `plan`: the job it started, or the refusal's reason.
    pub async fn execute(
        &mut self,
        plan: &ActionPlan,
        typed: Option<&str>,
    ) -> Result<JobId, String> {
        self.ops.send(Command::Execute {
            plan: Box::new(plan.clone()),
            typed: typed.map(str::to_string),
        });
        let m = self
            .next(&format!("answer to execute {}", plan.summary()), |m| {
                matches!(
                    m,
                    Msg::Ops(OpsEvent::JobStarted { .. } | OpsEvent::Refused { .. })
                )
            })
            .await;
        match m {
            Msg::Ops(OpsEvent::JobStarted { job, plan: p, .. }) => {
                assert_eq!(p, *plan, "the job runs the plan as issued");
                Ok(job)
            }
            Msg::Ops(OpsEvent::Refused { reason, .. }) => Err(reason),
            _ => unreachable!(),
        }
    }

    /// Everything `job` reports until it finishes (and the backup scans
    /// reported meanwhile).
    pub async fn finish(&mut self, job: JobId) -> Run {
        let mut run = Run {
            job,
            output: Vec::new(),
            progress: Vec::new(),
            scans: Vec::new(),
            result: JobResult {
                outcome: Outcome::Cancelled,
                message: String::new(),
                follow_up: None,
                exit_code: None,
            },
        };
        loop {
            let m = self
                .next(&format!("events of job {job}"), |m| match m {
                    Msg::Ops(
                        OpsEvent::JobOutput { job: j, .. }
                        | OpsEvent::JobProgress { job: j, .. }
                        | OpsEvent::JobFinished { job: j, .. },
                    ) => *j == job,
                    Msg::BackupsScanned { .. } => true,
                    _ => false,
                })
                .await;
            match m {
                Msg::Ops(OpsEvent::JobOutput { line, .. }) => run.output.push(line),
                Msg::Ops(OpsEvent::JobProgress { progress, .. }) => run.progress.push(progress),
                Msg::BackupsScanned { job, files } => run.scans.push((job, files)),
                Msg::Ops(OpsEvent::JobFinished { result, .. }) => {
                    run.result = result;
                    return run;
                }
                _ => unreachable!(),
            }
        }
    }

    pub async fn run(&mut self, plan: &ActionPlan, typed: Option<&str>) -> Run {
        let job = self
            .execute(plan, typed)
            .await
            .unwrap_or_else(|r| panic!("{} refused: {r}", plan.summary()));
        self.finish(job).await
    }

    /// Nothing started a job or produced output that nobody waited for.
    pub fn assert_no_job_events(&mut self) {
        while let Ok(m) = self.rx.try_recv() {
            self.pending.push_back(m);
        }
        let jobs: Vec<&Msg> = self
            .pending
            .iter()
            .filter(|m| {
                matches!(
                    m,
                    Msg::Ops(
                        OpsEvent::JobStarted { .. }
                            | OpsEvent::JobOutput { .. }
                            | OpsEvent::JobProgress { .. }
                            | OpsEvent::JobFinished { .. }
                    )
                )
            })
            .collect();
        assert!(jobs.is_empty(), "no job should have run: {jobs:#?}");
    }

    /// The audit log as written, after everything sent so far was handled.
    pub async fn audit(&self) -> Vec<AuditEntry> {
        self.flush().await;
        self.log.read(None).unwrap()
    }

    /// The chain verifies and no secret value is in the file.
    pub async fn assert_audit_clean(&self) {
        self.flush().await;
        let report = self.log.verify().unwrap();
        assert!(report.is_ok(), "audit log must verify: {report:?}");
        let raw = std::fs::read_to_string(self.log.path()).unwrap();
        assert!(
            !raw.contains(TOKEN_VALUE),
            "a secret value reached the audit log:\n{raw}"
        );
        let path = std::env::var("PATH").unwrap_or_default();
        assert!(
            path.len() < 4 || !raw.contains(&path),
            "the value of $PATH reached the audit log:\n{raw}"
        );
        for m in &self.pending {
            if let Msg::Ops(OpsEvent::AuditFailed(e)) = m {
                panic!("audit write failed: {e}");
            }
        }
    }
}
