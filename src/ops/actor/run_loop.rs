//! The actor's receive loop: commands from the board, finished jobs, plans
//! made off the actor, and the periodic rescan of backup directories, each
//! handled in turn.

use tokio::sync::mpsc;

use super::jobs::Done;
use super::planning::{DockerPlanned, KubePlanned};
use super::report::ToUi;
use super::{Actor, Command};
use crate::app::{Msg, OpsEvent};
use crate::ops::backup;

/// What the loop receives.
pub(super) struct Inbox {
    pub(super) commands: mpsc::UnboundedReceiver<Command>,
    pub(super) done: mpsc::UnboundedReceiver<Done>,
    pub(super) kube_planned: mpsc::UnboundedReceiver<KubePlanned>,
    pub(super) docker_planned: mpsc::UnboundedReceiver<DockerPlanned>,
    pub(super) exec_planned: mpsc::UnboundedReceiver<super::exec::ExecPlanned>,
    pub(super) node_planned: mpsc::UnboundedReceiver<super::node::NodePlanned>,
}

impl Actor {
    /// Runs until the board shuts it down or goes away.
    pub(super) async fn run(mut self, mut inbox: Inbox) {
        self.rescan().await;
        let mut rescan = tokio::time::interval(std::time::Duration::from_secs(60));
        rescan.tick().await;
        loop {
            tokio::select! {
                cmd = inbox.commands.recv() => match cmd {
                    Some(Command::Shutdown { grace, done }) => {
                        let interrupted = self.shutdown(&mut inbox.done, grace).await;
                        let _ = done.send(interrupted);
                        return;
                    }
                    Some(c) => self.handle(c).await,
                    None => break,
                },
                Some(done) = inbox.done.recv() => self.finish(done).await,
                Some(planned) = inbox.kube_planned.recv() => self.kube_planned(planned).await,
                Some(planned) = inbox.docker_planned.recv() => self.docker_planned(planned).await,
                Some(planned) = inbox.exec_planned.recv() => self.exec_planned(planned).await,
                Some(planned) = inbox.node_planned.recv() => self.node_planned(planned).await,
                _ = rescan.tick() => self.rescan().await,
            }
        }
        // The UI is gone: stop running jobs rather than orphan them.
        for c in self.cancels.values() {
            c.cancel();
        }
    }

    async fn handle(&mut self, c: Command) {
        // Plans nobody confirmed or declined (a closed UI) are forgotten
        // well after they expired.
        let keep = self.plan_ttl * 5;
        self.issued.retain(|_, i| i.at.elapsed() <= keep);
        match c {
            Command::Plan(req) => {
                let id = self.next_plan;
                self.next_plan += 1;
                self.plan(req, id).await;
            }
            Command::AutoRollback {
                workload,
                revision,
                evidence,
            } => self.auto_rollback(workload, revision, evidence).await,
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
            Command::Decline(p) => self.decline(&p).await,
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
            Command::DryRun(p) => self.dry_run(&p).await,
            Command::Reveal {
                request,
                object,
                variables,
            } => self.reveal(request, &object, &variables).await,
        }
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
