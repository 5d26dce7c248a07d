//! Rollbacks the board runs by itself (`rollback_on.mode = "act"`): the
//! same planning, dry run, executor and follow-up as `u`, without the
//! confirmation — so everything else is checked here: at most once per
//! workload revision, never in read-only mode, in a protected environment
//! only when it allows automatic rollback, only while the regressed
//! revision is still the one running. Audited as automatic, with the
//! evidence and the revision.

use super::gate::{Asking, Check};
use super::{Actor, Backend};
use crate::model::{ActionPlan, ActionRequest, WorkloadRef};
use crate::ops::kube::change::Change;

/// What the board saw when it asked.
#[derive(Debug, Clone)]
pub(super) struct Auto {
    /// The regressed revision.
    pub(super) revision: i64,
    /// The metric values and checks, in words.
    pub(super) evidence: String,
}

impl Actor {
    pub(super) async fn auto_rollback(&mut self, w: WorkloadRef, revision: i64, evidence: String) {
        if !self.automatic.insert((w.clone(), revision)) {
            return;
        }
        let id = self.next_plan;
        self.next_plan += 1;
        let req = ActionRequest::Rollback {
            workload: w,
            to_revision: None,
        };
        self.plan_kube(req, id, Some(Auto { revision, evidence }))
            .await;
    }

    /// The plan of an automatic rollback, made: checked and started.
    pub(super) async fn auto_planned(
        &mut self,
        mut plan: ActionPlan,
        change: Change,
        w: WorkloadRef,
        auto: &Auto,
    ) {
        plan.parameters.insert("automatic".into(), "yes".into());
        plan.parameters
            .insert("regressed_revision".into(), auto.revision.to_string());
        plan.parameters
            .insert("evidence".into(), auto.evidence.clone());
        let plan = plan.made_safe();
        let what = format!("automatic {}", plan.summary());
        let from = plan.parameters.get("from_revision").cloned();
        if from.as_deref() != Some(auto.revision.to_string().as_str()) {
            let now = from.unwrap_or_else(|| "unknown".into());
            self.refuse(
                Asking::plan(&what, &plan),
                format!(
                    "revision {} regressed, but revision {now} is the one running now: nothing rolled back",
                    auto.revision
                ),
            )
            .await;
            return;
        }
        let checks = [Check::Automatic, Check::DryRunAccepted, Check::Idle];
        if !self.gate(Asking::plan(&what, &plan), &checks).await {
            return;
        }
        self.start(plan, Backend::Kube(w, change)).await;
    }
}
