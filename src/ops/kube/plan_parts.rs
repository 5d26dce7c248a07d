//! The parts every Kubernetes plan is built from: its base (target, verb,
//! workload parameters), the dry-run request and its result in words, the
//! lines that say which object the plan runs on, and images in short.

use std::collections::BTreeMap;

use kube::api::PatchParams;

use super::api_error;
use super::change::Precondition;
use crate::model::{ActionPlan, Confirmation, DryRun, Risk, Target, Verb, WorkloadRef};

pub(super) fn short_images(v: &[String]) -> String {
    v.iter()
        .map(|i| crate::model::kube::short_image(i).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn dry() -> PatchParams {
    PatchParams {
        dry_run: true,
        field_manager: Some("opsboard".into()),
        ..Default::default()
    }
}

pub(super) fn dry_run_result(r: Result<(), kube::Error>, ok: &str) -> DryRun {
    match r {
        Ok(()) => DryRun {
            ok: true,
            text: ok.into(),
        },
        Err(e) => DryRun {
            ok: false,
            text: api_error(&e),
        },
    }
}

pub(super) fn base(id: u64, target: Target, verb: Verb, w: &WorkloadRef) -> ActionPlan {
    let mut parameters = BTreeMap::new();
    parameters.insert("context".into(), w.context.clone());
    parameters.insert("namespace".into(), w.namespace.clone());
    parameters.insert("workload".into(), w.short());
    ActionPlan {
        id,
        target,
        verb,
        parameters,
        what_will_happen: vec![],
        risk: Risk::Medium,
        confirmation: Confirmation::YesNo,
        dry_run: None,
        follow_up: None,
        cancellable: true,
    }
}

/// Says in the plan (and so in the audit log) which object it runs on.
pub(super) fn guarded(plan: &mut ActionPlan, p: &Precondition, unchanged: &str) {
    plan.what_will_happen.push(p.promise(unchanged));
    plan.parameters.insert("uid".into(), p.uid.clone());
    plan.parameters
        .insert("resourceVersion".into(), p.resource_version.clone());
}
