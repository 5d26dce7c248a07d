//! Node maintenance with kubectl's semantics: `cordon` and `uncordon`
//! (`spec.unschedulable`, a merge patch guarded by the node's uid and
//! resourceVersion, dry-run first) and `drain --ignore-daemonsets`
//! (cordon, then [`super::drain`]: every pod but DaemonSet and mirror
//! pods evicted through the Eviction API, so PodDisruptionBudgets hold,
//! followed until the node is empty or the time is up).

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

use super::api_error;
use super::change::Precondition;
use super::drain::{Classified, classify, disruption_budgets, pods_on};
use super::plan_parts::{dry, dry_run_result};
use crate::model::{ActionPlan, Confirmation, NodeRef, Risk, Target, Verb};

/// What a node action sends, and the node it was planned against.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeChange {
    pub node: NodeRef,
    pub op: NodeOp,
    pub target: Precondition,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeOp {
    Cordon,
    Uncordon,
    Drain,
}

/// The board's target for a node: busy while an action runs on it.
pub fn node_target(n: &NodeRef, environment: Option<String>) -> Target {
    Target {
        key: format!("k8s/{n}"),
        name: n.name.clone(),
        service: None,
        environment,
    }
}

fn unschedulable(n: &Node) -> bool {
    n.spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false)
}

/// kubectl's patch: `true` to cordon; `null` (the field dropped) to
/// uncordon.
fn cordon_patch(on: bool, uid: &str, resource_version: Option<&str>) -> Value {
    let mut meta = json!({"uid": uid});
    if let Some(rv) = resource_version {
        meta["resourceVersion"] = json!(rv);
    }
    let value = if on { json!(true) } else { Value::Null };
    json!({"metadata": meta, "spec": {"unschedulable": value}})
}

/// Plans `op` on node `n`.
pub async fn plan(
    client: &kube::Client,
    n: &NodeRef,
    op: NodeOp,
    id: u64,
    target: Target,
) -> Result<(ActionPlan, NodeChange), String> {
    let nodes = Api::<Node>::all(client.clone());
    let node = nodes.get(&n.name).await.map_err(|e| api_error(&e))?;
    let object = format!("node/{}", n.name);
    let precondition = Precondition::of(object.clone(), &node, &["/spec/unschedulable"])?;
    let cordoned = unschedulable(&node);
    let verb = match op {
        NodeOp::Cordon => Verb::Cordon,
        NodeOp::Uncordon => Verb::Uncordon,
        NodeOp::Drain => Verb::Drain,
    };
    let mut plan = ActionPlan {
        id,
        target,
        verb,
        parameters: [
            ("context".to_string(), n.context.clone()),
            ("node".to_string(), n.name.clone()),
            ("uid".to_string(), precondition.uid.clone()),
            (
                "resourceVersion".to_string(),
                precondition.resource_version.clone(),
            ),
        ]
        .into(),
        what_will_happen: vec![],
        risk: Risk::Medium,
        confirmation: Confirmation::YesNo,
        dry_run: None,
        follow_up: None,
        cancellable: true,
    };
    match op {
        NodeOp::Cordon if cordoned => return Err(format!("{object} is already cordoned")),
        NodeOp::Uncordon if !cordoned => {
            return Err(format!("{object} is not cordoned: new pods may be scheduled on it"));
        }
        NodeOp::Cordon => plan.what_will_happen.push(format!(
            "mark {object} unschedulable (as `kubectl cordon`): its pods keep running, no new pod is scheduled on it"
        )),
        NodeOp::Uncordon => plan.what_will_happen.push(format!(
            "mark {object} schedulable again (as `kubectl uncordon`)"
        )),
        NodeOp::Drain => {
            plan.risk = Risk::High;
            describe_drain(client, n, cordoned, &mut plan).await?;
        }
    }
    let want_on = op != NodeOp::Uncordon;
    if want_on != cordoned {
        let patch = cordon_patch(want_on, &precondition.uid, None);
        let r = nodes
            .patch(&n.name, &dry(), &Patch::Merge(&patch))
            .await
            .map(|_| ());
        plan.dry_run = Some(dry_run_result(r, "server accepts the patch"));
    }
    plan.what_will_happen
        .push(precondition.promise("its schedulable flag is unchanged"));
    Ok((
        plan,
        NodeChange {
            node: n.clone(),
            op,
            target: precondition,
        },
    ))
}

/// The drain's plan: which pods go, which stay and why, and the
/// PodDisruptionBudgets that decide how fast.
async fn describe_drain(
    client: &kube::Client,
    n: &NodeRef,
    cordoned: bool,
    plan: &mut ActionPlan,
) -> Result<(), String> {
    let pods = pods_on(client, &n.name).await?;
    let Classified {
        evict,
        skipped,
        refused,
    } = classify(&pods);
    if let Some(why) = refused.first() {
        return Err(format!(
            "cannot drain node/{}: {why} (kubectl drain refuses it without --force)",
            n.name
        ));
    }
    let names = |v: &[(String, String)]| {
        v.iter()
            .map(|(ns, name)| format!("{ns}/{name}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !cordoned {
        plan.what_will_happen
            .push(format!("cordon node/{} (no new pods on it), then", n.name));
    }
    let keys: Vec<(String, String)> = evict
        .iter()
        .map(|p| (p.namespace.clone(), p.name.clone()))
        .collect();
    plan.what_will_happen.push(if keys.is_empty() {
        "evict nothing: no pod to move".into()
    } else {
        format!(
            "evict {} pod(s) through the Eviction API (as `kubectl drain --ignore-daemonsets`): {}",
            keys.len(),
            names(&keys)
        )
    });
    if !skipped.is_empty() {
        plan.what_will_happen.push(format!(
            "leave {} pod(s): {}",
            skipped.len(),
            skipped
                .iter()
                .map(|(p, why)| format!("{}/{} ({why})", p.namespace, p.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for line in disruption_budgets(client, &evict).await {
        plan.what_will_happen.push(line);
    }
    plan.what_will_happen.push(
        "follow until those pods are gone from the node (retrying every 5 s while a budget allows no disruption; 5 min at most); the node stays cordoned".into(),
    );
    plan.parameters
        .insert("pods".into(), keys.len().to_string());
    Ok(())
}

/// Sets the node's schedulable flag as planned: conditional on the uid
/// and resourceVersion read; a conflict from status churn (the kubelet
/// writes often) is sent again while the flag is still as planned.
pub async fn set_cordon(client: &kube::Client, change: &NodeChange) -> Result<String, String> {
    let on = change.op != NodeOp::Uncordon;
    let nodes = Api::<Node>::all(client.clone());
    let name = &change.node.name;
    let params = PatchParams {
        field_manager: Some("kubectl-cordon".into()),
        ..Default::default()
    };
    let target = &change.target;
    let mut rv = target.resource_version.clone();
    for _ in 0..5 {
        let patch = cordon_patch(on, &target.uid, Some(&rv));
        let err = match nodes.patch(name, &params, &Patch::Merge(&patch)).await {
            Ok(_) => {
                return Ok(format!(
                    "node/{name} {}",
                    if on { "cordoned" } else { "uncordoned" }
                ));
            }
            Err(e) => e,
        };
        let conflict = matches!(&err, kube::Error::Api(s) if s.code == 409);
        let now = nodes
            .get_opt(name)
            .await
            .map_err(|e| api_error(&e))?
            .and_then(|n| serde_json::to_value(n).ok());
        if let Some(why) = target.what_changed(now.as_ref()) {
            return Err(target.refusal(&why, &api_error(&err)));
        }
        match now
            .as_ref()
            .and_then(|n| n.pointer("/metadata/resourceVersion"))
            .and_then(Value::as_str)
        {
            Some(fresh) if conflict => rv = fresh.to_string(),
            _ => return Err(api_error(&err)),
        }
    }
    Err(format!(
        "node/{name} kept changing while it was patched: plan again"
    ))
}
