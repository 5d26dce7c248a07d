//! Planning: a request becomes a plan handed out to the board (or a
//! refusal). Catalog actions are planned on the actor; Kubernetes and
//! Docker plans read their backend off the actor and come back as
//! [`KubePlanned`] / [`DockerPlanned`]. A plan ends here too when it is
//! declined or only shown (`--dry-run`).

use std::time::Instant;

use super::gate::{Asking, Check};
use super::report::record;
use super::{Actor, Backend, Issued};
use crate::app::OpsEvent;
use crate::model::{ActionPlan, ActionRequest, Target, Verb, WorkloadRef};
use crate::ops::audit::AuditOutcome;
use crate::ops::{docker, kube, plan};

/// A Docker plan, made off the actor.
pub(super) struct DockerPlanned {
    id: u64,
    what: String,
    target: Target,
    verb: Verb,
    host: String,
    result: Result<docker::Planned, String>,
}

/// A Kubernetes plan, made off the actor (it talks to the API server).
pub(super) struct KubePlanned {
    id: u64,
    what: String,
    target: Target,
    verb: Verb,
    workload: WorkloadRef,
    result: Result<(ActionPlan, kube::change::Change), String>,
    /// Set when the board asked for this by itself.
    auto: Option<super::automatic::Auto>,
}

impl Actor {
    /// Plans `req` as plan `id`, by the backend it acts on.
    pub(super) async fn plan(&mut self, req: ActionRequest, id: u64) {
        if let ActionRequest::Exec { target, command } = req {
            self.plan_exec(target, command, id).await;
        } else if req.node().is_some() {
            self.plan_node(req, id).await;
        } else if req.is_docker() {
            self.plan_docker(req, id).await;
        } else if req.workload().is_some() {
            self.plan_kube(req, id, None).await;
        } else {
            self.plan_catalog(req, id).await;
        }
    }

    /// Hands a plan out: made safe to show (secrets masked, control
    /// characters removed) *before* it is kept, so the plan the operator
    /// confirms is exactly the one that runs.
    pub(super) async fn issue(&mut self, id: u64, plan: ActionPlan, backend: Backend) {
        let plan = plan.made_safe();
        self.issued.insert(
            id,
            Issued {
                plan: plan.clone(),
                at: Instant::now(),
                backend,
            },
        );
        self.emit(OpsEvent::Planned(plan)).await;
    }

    /// Plans a silence, a backup, a verification or a runbook from the
    /// catalog, on the actor.
    async fn plan_catalog(&mut self, req: ActionRequest, id: u64) {
        let what = req.summary();
        match plan::plan(&self.catalog, &self.policy, &req, id) {
            Ok(p) => {
                if self.gate(Asking::plan(&what, &p), &[Check::Idle]).await {
                    self.issue(id, p, Backend::Catalog).await;
                }
            }
            Err((target, reason)) => {
                let verb = match &req {
                    ActionRequest::Backup { .. } => Verb::Backup,
                    ActionRequest::Verify { .. } => Verb::Verify,
                    ActionRequest::Runbook { runbook, .. } => Verb::Runbook(runbook.clone()),
                    other => other.verb(),
                };
                let target = target.unwrap_or_else(|| Target {
                    key: what.clone(),
                    name: what.clone(),
                    service: None,
                    environment: None,
                });
                self.refuse(Asking::request(&what, &target, &verb), reason)
                    .await;
            }
        }
    }

    /// Plans a Kubernetes request: the policy first (no network for a
    /// refusal), then the API reads and dry run off the actor.
    pub(super) async fn plan_kube(
        &mut self,
        req: ActionRequest,
        id: u64,
        auto: Option<super::automatic::Auto>,
    ) {
        let Some(w) = req.workload().cloned() else {
            return;
        };
        let verb = req.verb();
        let what = req.summary();
        let target = match &req {
            ActionRequest::Switch { service, .. } => {
                let (bound, env) = self.catalog.blue_green_of(service, &self.policy);
                kube::switch::service_target(service, bound, env)
            }
            _ => {
                let environment = self.catalog.environment_of(&w, &self.policy);
                let mut t = kube::workload_target(&w, environment);
                t.service = self.catalog.service_of(&w);
                t
            }
        };
        let what = match &auto {
            Some(a) => format!("automatic {what} ({})", a.evidence),
            None => what,
        };
        let asking = || Asking::request(&what, &target, &verb);
        let allowed = if auto.is_some() {
            Check::Automatic
        } else {
            Check::Policy
        };
        if !self.gate(asking(), &[allowed, Check::Idle]).await {
            return;
        }
        let client = match self.kube.client(&w.context).await {
            Ok(c) => c,
            Err(e) => {
                self.refuse(asking(), e).await;
                return;
            }
        };
        let tx = self.planned_tx.clone();
        tokio::spawn(async move {
            use kube::plan as kp;
            let t = target.clone();
            let result = match &req {
                ActionRequest::Scale { replicas, .. } => {
                    kp::scale(&client, &w, *replicas, id, t).await
                }
                ActionRequest::Restart { .. } => kp::restart(&client, &w, id, t).await,
                ActionRequest::Rollback { to_revision, .. } => {
                    kube::rollback::rollback(&client, &w, *to_revision, id, t).await
                }
                ActionRequest::DeletePod { pod, .. } => {
                    kp::delete_pod(&client, &w, pod, id, t).await
                }
                ActionRequest::Switch {
                    service, key, slot, ..
                } => kube::switch::plan(&client, service, &w, key, slot, id, t).await,
                _ => Err("not a Kubernetes request".into()),
            };
            let _ = tx.send(KubePlanned {
                id,
                what,
                target,
                verb,
                workload: w,
                result,
                auto,
            });
        });
    }

    pub(super) async fn kube_planned(&mut self, k: KubePlanned) {
        let (mut plan, change) = match k.result {
            Ok(x) => x,
            Err(reason) => {
                self.refuse(Asking::request(&k.what, &k.target, &k.verb), reason)
                    .await;
                return;
            }
        };
        if let Some(auto) = &k.auto {
            self.auto_planned(plan, change, k.workload, auto).await;
            return;
        }
        let checks = [Check::DryRunAccepted, Check::Idle];
        if !self.gate(Asking::plan(&k.what, &plan), &checks).await {
            return;
        }
        plan.confirmation = self
            .policy
            .confirmation(&plan.target, plan.confirmation.clone());
        self.issue(k.id, plan, Backend::Kube(k.workload, change))
            .await;
    }

    /// Plans a Docker request: policy first, then the daemon reads off the
    /// actor.
    async fn plan_docker(&mut self, req: ActionRequest, id: u64) {
        let verb = req.verb();
        let what = req.summary();
        let (host, mut target) = match &req {
            ActionRequest::DockerRestart { target: t }
            | ActionRequest::DockerStop { target: t }
            | ActionRequest::DockerStart { target: t }
            | ActionRequest::DockerRollback { target: t } => {
                (t.host().to_string(), docker::docker_target(t))
            }
            ActionRequest::DockerScale { service, .. } => {
                (service.host.clone(), docker::compose_target(service))
            }
            _ => return,
        };
        let (service, environment) = self.catalog.docker_service_of(&req);
        target.service = service;
        // The bound service's environment or the host's, whichever is
        // stricter: a service cannot loosen its host's protection.
        let host_env = self.host_environment(&host);
        target.environment = self
            .policy
            .strictest(environment.into_iter().chain(host_env).collect());
        let asking = || Asking::request(&what, &target, &verb);
        if !self.gate(asking(), &[Check::Policy, Check::Idle]).await {
            return;
        }
        let client = match self.docker.client(&host) {
            Ok(c) => c,
            Err(e) => {
                self.refuse(asking(), e).await;
                return;
            }
        };
        let tx = self.docker_planned_tx.clone();
        let images = self.images.clone();
        tokio::spawn(async move {
            let history = images.lock().map(|h| h.clone()).ok();
            let result = match history {
                Some(h) => docker::plan(&client, &req, &h).await,
                None => Err("the image history is unavailable".into()),
            };
            let _ = tx.send(DockerPlanned {
                id,
                what,
                target,
                verb,
                host,
                result,
            });
        });
    }

    pub(super) async fn docker_planned(&mut self, d: DockerPlanned) {
        let (what, parameters, risk, change) = match d.result {
            Ok(x) => x,
            Err(reason) => {
                self.refuse(Asking::request(&d.what, &d.target, &d.verb), reason)
                    .await;
                return;
            }
        };
        let mut plan = ActionPlan {
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
        if !self
            .gate(Asking::plan(&d.what, &plan), &[Check::Idle])
            .await
        {
            return;
        }
        plan.confirmation = self
            .policy
            .confirmation(&plan.target, plan.confirmation.clone());
        self.issue(d.id, plan, Backend::Docker(d.host, change))
            .await;
    }

    /// The operator said no at the confirmation: the plan is used up.
    pub(super) async fn decline(&mut self, p: &ActionPlan) {
        if let Some(Issued { plan: issued, .. }) = self.issued.remove(&p.id) {
            let mut rec = record(
                &issued.target,
                &issued.verb,
                Some(&issued),
                AuditOutcome::Cancelled,
            );
            rec.message = Some("declined at confirmation".into());
            self.audit_or_report(rec).await;
        }
    }

    /// `--dry-run`: the plan was shown and not run.
    pub(super) async fn dry_run(&mut self, p: &ActionPlan) {
        if let Some(Issued { plan: issued, .. }) = self.issued.remove(&p.id) {
            let rec = record(
                &issued.target,
                &issued.verb,
                Some(&issued),
                AuditOutcome::DryRun,
            );
            self.audit_or_report(rec).await;
        }
    }
}
