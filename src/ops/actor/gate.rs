//! The one gate every request passes: the checks that may stop it (the
//! plan was issued here and is still fresh, the policy allows the target,
//! a protected target's name was typed, the target is idle, the dry run
//! was accepted) and the refusal itself — audited, then reported.

use std::time::Instant;

use super::report::record;
use super::{Actor, Issued};
use crate::app::OpsEvent;
use crate::model::{ActionPlan, Target, Verb};
use crate::ops::audit::AuditOutcome;

/// Who is asking: what a refusal names, and what its audit line records.
pub(super) struct Asking<'a> {
    what: &'a str,
    target: &'a Target,
    verb: &'a Verb,
    /// The plan, once there is one: its parameters go into the audit line.
    plan: Option<&'a ActionPlan>,
}

impl<'a> Asking<'a> {
    /// A request that has no plan (yet).
    pub(super) fn request(what: &'a str, target: &'a Target, verb: &'a Verb) -> Self {
        Asking {
            what,
            target,
            verb,
            plan: None,
        }
    }

    /// A plan: its target and verb, its parameters audited.
    pub(super) fn plan(what: &'a str, plan: &'a ActionPlan) -> Self {
        Asking {
            what,
            target: &plan.target,
            verb: &plan.verb,
            plan: Some(plan),
        }
    }
}

/// One condition a request must meet to go on.
pub(super) enum Check<'a> {
    /// The plan was issued at this instant and is not older than the
    /// actor's plan lifetime.
    Fresh(Instant),
    /// The policy allows acting on the target (read-only mode, …).
    Policy,
    /// The policy allows the board to act on the target by itself (an
    /// automatic rollback): as `Policy`, and a protected environment must
    /// allow it.
    Automatic,
    /// A protected target's name was typed at the confirmation.
    Typed(Option<&'a str>),
    /// No job is running on the target.
    Idle,
    /// The API server accepted the plan's dry run, if it made one.
    DryRunAccepted,
}

impl Actor {
    /// The gate: `true` when every check passes, in the order given;
    /// otherwise the request is refused for the first that fails.
    pub(super) async fn gate(&self, asking: Asking<'_>, checks: &[Check<'_>]) -> bool {
        for check in checks {
            if let Err(reason) = self.check(&asking, check) {
                self.refuse(asking, reason).await;
                return false;
            }
        }
        true
    }

    fn check(&self, asking: &Asking<'_>, check: &Check<'_>) -> Result<(), String> {
        let target = asking.target;
        match check {
            Check::Fresh(at) if at.elapsed() > self.plan_ttl => Err(format!(
                "the plan is older than {}: what it describes may have changed — plan again",
                humantime::format_duration(self.plan_ttl)
            )),
            Check::Fresh(_) => Ok(()),
            Check::Policy => self.policy.allows(target),
            Check::Automatic => self.policy.allows_automatic(target),
            Check::Typed(typed) => self.policy.check_typed(target, *typed),
            Check::Idle => match self.busy.get(&target.key) {
                Some(job) => Err(format!(
                    "{target} is busy: job {job} is still running on it"
                )),
                None => Ok(()),
            },
            Check::DryRunAccepted => {
                match asking
                    .plan
                    .and_then(|p| p.dry_run.as_ref())
                    .filter(|d| !d.ok)
                {
                    Some(d) => Err(format!("the API server rejected a dry run: {}", d.text)),
                    None => Ok(()),
                }
            }
        }
    }

    /// Takes the issued plan `asked` claims to be: only the plan as issued
    /// runs, whatever the caller holds. Refuses when there is none.
    pub(super) async fn take_issued(&mut self, asked: &ActionPlan) -> Option<Issued> {
        let issued = self.issued.remove(&asked.id).filter(|i| i.plan == *asked);
        if issued.is_none() {
            let what = asked.summary();
            self.refuse(
                Asking::plan(&what, asked),
                "this plan was not issued by the action layer, or was already used".into(),
            )
            .await;
        }
        issued
    }

    /// Refuses a request: the audit line (with the reason) first, then the
    /// event.
    pub(super) async fn refuse(&self, asking: Asking<'_>, reason: String) {
        let mut rec = record(
            asking.target,
            asking.verb,
            asking.plan,
            AuditOutcome::Refused,
        );
        rec.message = Some(reason.clone());
        self.audit_or_report(rec).await;
        self.refuse_unrecorded(asking.what, reason).await;
    }

    /// Refuses with no audit line: only when the audit log itself failed.
    pub(super) async fn refuse_unrecorded(&self, what: &str, reason: String) {
        tracing::info!(%what, %reason, "action refused");
        self.emit(OpsEvent::Refused {
            what: what.to_string(),
            reason,
        })
        .await;
    }
}
