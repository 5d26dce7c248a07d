//! Node actions on the actor's side: cordon, uncordon and drain planned
//! off the actor (they read the node and its pods), issued like every
//! plan, and run as a job: the cordon patch, then for a drain every pod
//! evicted and followed until the node is empty.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::gate::{Asking, Check};
use super::job_run::{failed, progress_sink};
use super::{Actor, Backend};
use crate::app::{Msg, OpsEvent};
use crate::model::{ActionPlan, ActionRequest, JobId, JobResult, Outcome, Target, Verb};
use crate::ops::kube::node::{self, NodeChange, NodeOp};

/// A node plan, made off the actor.
pub(super) struct NodePlanned {
    id: u64,
    what: String,
    target: Target,
    verb: Verb,
    result: Result<(ActionPlan, NodeChange), String>,
}

impl Actor {
    /// Plans a cordon, uncordon or drain: the policy first (no network for
    /// a refusal), then the node and its pods read off the actor.
    pub(super) async fn plan_node(&mut self, req: ActionRequest, id: u64) {
        let Some(n) = req.node().cloned() else { return };
        let op = match req {
            ActionRequest::Cordon { .. } => NodeOp::Cordon,
            ActionRequest::Uncordon { .. } => NodeOp::Uncordon,
            _ => NodeOp::Drain,
        };
        let verb = req.verb();
        let what = req.summary();
        let env = self.catalog.environment_of_context(&n.context);
        let target = node::node_target(&n, self.policy.strictest(env.into_iter().collect()));
        let asking = || Asking::request(&what, &target, &verb);
        if !self.gate(asking(), &[Check::Policy, Check::Idle]).await {
            return;
        }
        let client = match self.kube.client(&n.context).await {
            Ok(c) => c,
            Err(e) => {
                self.refuse(asking(), e).await;
                return;
            }
        };
        let tx = self.node_planned_tx.clone();
        tokio::spawn(async move {
            let result = node::plan(&client, &n, op, id, target.clone()).await;
            let _ = tx.send(NodePlanned {
                id,
                what,
                target,
                verb,
                result,
            });
        });
    }

    pub(super) async fn node_planned(&mut self, p: NodePlanned) {
        let (mut plan, change) = match p.result {
            Ok(x) => x,
            Err(reason) => {
                self.refuse(Asking::request(&p.what, &p.target, &p.verb), reason)
                    .await;
                return;
            }
        };
        let checks = [Check::DryRunAccepted, Check::Idle];
        if !self.gate(Asking::plan(&p.what, &plan), &checks).await {
            return;
        }
        plan.confirmation = self
            .policy
            .confirmation(&plan.target, plan.confirmation.clone());
        self.issue(p.id, plan, Backend::Node(change)).await;
    }
}

/// The job: the cordon patch (unless a drain finds the node cordoned
/// already), then a drain's evictions, followed.
pub(super) async fn run_node_job(
    client: Result<kube::Client, String>,
    change: &NodeChange,
    job: JobId,
    out: &mpsc::Sender<Msg>,
    cancel: CancellationToken,
) -> JobResult {
    let client = match client {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let say = {
        let out = out.clone();
        move |line: String| {
            let _ = out.try_send(Msg::Ops(OpsEvent::JobOutput { job, line }));
        }
    };
    let cordoned = change
        .target
        .depends_on
        .iter()
        .any(|(f, v)| *f == "/spec/unschedulable" && v == &serde_json::Value::Bool(true));
    let mut done = Vec::new();
    if !(change.op == NodeOp::Drain && cordoned) {
        match node::set_cordon(&client, change).await {
            Ok(d) => {
                say(d.clone());
                done.push(d);
            }
            Err(e) => return failed(e),
        }
    }
    if change.op != NodeOp::Drain {
        return JobResult {
            outcome: Outcome::Succeeded,
            message: done.join("; "),
            follow_up: None,
            exit_code: None,
        };
    }
    let progress = progress_sink(out, job);
    let (outcome, message) =
        crate::ops::kube::drain::evict_all(&client, &change.node.name, &progress, &say, &cancel)
            .await;
    say(message.clone());
    done.push(message);
    JobResult {
        outcome,
        message: done.join("; "),
        follow_up: None,
        exit_code: None,
    }
}
