//! `kubectl rollout status`, exactly: the same checks in the same order and
//! the same words, for Deployments, StatefulSets and DaemonSets.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};

/// What `kubectl rollout status` would say now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not done; kubectl's waiting message.
    Waiting(String),
    Done(String),
    /// The rollout cannot finish (progress deadline exceeded, wrong strategy).
    Failed(String),
}

pub fn deployment(d: &Deployment) -> Status {
    let name = d.metadata.name.as_deref().unwrap_or("");
    let generation = d.metadata.generation.unwrap_or(0);
    let status = d.status.clone().unwrap_or_default();
    if generation > status.observed_generation.unwrap_or(0) {
        return Status::Waiting("Waiting for deployment spec update to be observed...".into());
    }
    let timed_out = status.conditions.iter().flatten().any(|c| {
        c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if timed_out {
        return Status::Failed(format!(
            "deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if let Some(spec) = d.spec.as_ref().and_then(|s| s.replicas)
        && updated < spec
    {
        return Status::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {spec} new replicas have been updated..."
        ));
    }
    if replicas > updated {
        return Status::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
            replicas - updated
        ));
    }
    if available < updated {
        return Status::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available..."
        ));
    }
    Status::Done(format!("deployment \"{name}\" successfully rolled out"))
}

pub fn statefulset(s: &StatefulSet) -> Status {
    let spec = s.spec.clone().unwrap_or_default();
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    if strategy
        .type_
        .as_deref()
        .is_some_and(|t| t != "RollingUpdate")
    {
        return Status::Failed(
            "rollout status is only available for RollingUpdate strategy type".into(),
        );
    }
    let status = s.status.clone().unwrap_or_default();
    let generation = s.metadata.generation.unwrap_or(0);
    let observed = status.observed_generation.unwrap_or(0);
    if observed == 0 || generation > observed {
        return Status::Waiting("Waiting for statefulset spec update to be observed...".into());
    }
    let ready = status.ready_replicas.unwrap_or(0);
    if let Some(r) = spec.replicas
        && ready < r
    {
        return Status::Waiting(format!("Waiting for {} pods to be ready...", r - ready));
    }
    if let (Some(r), Some(p)) = (
        spec.replicas,
        strategy.rolling_update.as_ref().and_then(|u| u.partition),
    ) {
        let updated = status.updated_replicas.unwrap_or(0);
        if updated < r - p {
            return Status::Waiting(format!(
                "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                r - p
            ));
        }
        return Status::Done(format!(
            "partitioned roll out complete: {updated} new pods have been updated..."
        ));
    }
    let update = status.update_revision.clone().unwrap_or_default();
    let current = status.current_revision.clone().unwrap_or_default();
    if update != current {
        return Status::Waiting(format!(
            "waiting for statefulset rolling update to complete {} pods at revision {update}...",
            status.updated_replicas.unwrap_or(0)
        ));
    }
    Status::Done(format!(
        "statefulset rolling update complete {} pods at revision {current}...",
        status.current_replicas.unwrap_or(0)
    ))
}

pub fn daemonset(d: &DaemonSet) -> Status {
    let name = d.metadata.name.as_deref().unwrap_or("");
    let strategy = d
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.clone())
        .unwrap_or_default();
    if strategy
        .type_
        .as_deref()
        .is_some_and(|t| t != "RollingUpdate")
    {
        return Status::Failed(
            "rollout status is only available for RollingUpdate strategy type".into(),
        );
    }
    let status = d.status.clone().unwrap_or_default();
    if d.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return Status::Waiting("Waiting for daemon set spec update to be observed...".into());
    }
    let desired = status.desired_number_scheduled;
    let updated = status.updated_number_scheduled.unwrap_or(0);
    if updated < desired {
        return Status::Waiting(format!(
            "Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated..."
        ));
    }
    let available = status.number_available.unwrap_or(0);
    if available < desired {
        return Status::Waiting(format!(
            "Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available..."
        ));
    }
    Status::Done(format!("daemon set \"{name}\" successfully rolled out"))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::{DeploymentCondition, DeploymentSpec, DeploymentStatus};

    use super::*;

    fn dep(
        gen_: i64,
        observed: i64,
        spec: i32,
        replicas: i32,
        updated: i32,
        available: i32,
    ) -> Deployment {
        let mut d = Deployment::default();
        d.metadata.name = Some("web".into());
        d.metadata.generation = Some(gen_);
        d.spec = Some(DeploymentSpec {
            replicas: Some(spec),
            ..Default::default()
        });
        d.status = Some(DeploymentStatus {
            observed_generation: Some(observed),
            replicas: Some(replicas),
            updated_replicas: Some(updated),
            available_replicas: Some(available),
            ..Default::default()
        });
        d
    }

    #[test]
    fn kubectl_messages_in_kubectl_order() {
        assert_eq!(
            deployment(&dep(2, 1, 3, 3, 3, 3)),
            Status::Waiting("Waiting for deployment spec update to be observed...".into())
        );
        assert_eq!(
            deployment(&dep(2, 2, 3, 4, 1, 3)),
            Status::Waiting("Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...".into())
        );
        assert_eq!(
            deployment(&dep(2, 2, 3, 4, 3, 3)),
            Status::Waiting("Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...".into())
        );
        assert_eq!(
            deployment(&dep(2, 2, 3, 3, 3, 2)),
            Status::Waiting("Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available...".into())
        );
        assert_eq!(
            deployment(&dep(2, 2, 3, 3, 3, 3)),
            Status::Done("deployment \"web\" successfully rolled out".into())
        );
        let mut stalled = dep(2, 2, 3, 4, 1, 3);
        if let Some(s) = stalled.status.as_mut() {
            s.conditions = Some(vec![DeploymentCondition {
                type_: "Progressing".into(),
                status: "False".into(),
                reason: Some("ProgressDeadlineExceeded".into()),
                ..Default::default()
            }]);
        }
        assert_eq!(
            deployment(&stalled),
            Status::Failed("deployment \"web\" exceeded its progress deadline".into())
        );
    }
}
