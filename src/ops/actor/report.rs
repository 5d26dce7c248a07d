//! What the actor writes: its events to the board (in order, never
//! waiting on a busy UI) and its lines to the audit log (fsynced, off the
//! async threads).

use tokio::sync::mpsc;

use super::Actor;
use crate::app::{Msg, OpsEvent};
use crate::model::{ActionPlan, Target, Verb};
use crate::ops::audit::{AuditOutcome, AuditRecord};

/// What the actor hands its forwarder: events in order, and "tell me when
/// everything before this was delivered".
pub(super) enum ToUi {
    Msg(Box<Msg>),
    Delivered(tokio::sync::oneshot::Sender<()>),
}

/// Starts the task that forwards the actor's events to `out` in order;
/// returns the actor's end of it.
pub(super) fn forward_to_ui(out: mpsc::Sender<Msg>) -> mpsc::UnboundedSender<ToUi> {
    let (ui, mut ui_rx) = mpsc::unbounded_channel::<ToUi>();
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
    ui
}

/// The audit line of one step, without duration, message or job.
pub(super) fn record(
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
    pub(super) async fn emit(&self, e: OpsEvent) {
        self.to_ui(Msg::Ops(e));
    }

    /// Never waits: a busy UI must not stall the action layer (a cancel or
    /// a finishing job would wait behind it). The forwarder waits instead.
    pub(super) fn to_ui(&self, m: Msg) {
        let _ = self.ui.send(ToUi::Msg(Box::new(m)));
    }

    /// Appends to the audit log (fsynced) off the async threads.
    pub(super) async fn audit(&self, rec: AuditRecord) -> Result<(), String> {
        let Some(log) = self.audit.clone() else {
            return Err("no audit log location (no home directory and no [audit] path)".into());
        };
        match tokio::task::spawn_blocking(move || log.append(&rec)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("audit writer failed: {e}")),
        }
    }

    /// Appends `rec`; a failure is reported to the board as `AuditFailed`.
    pub(super) async fn audit_or_report(&self, rec: AuditRecord) {
        if let Err(e) = self.audit(rec).await {
            self.emit(OpsEvent::AuditFailed(e)).await;
        }
    }
}
