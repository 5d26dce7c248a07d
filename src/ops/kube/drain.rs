//! `kubectl drain --ignore-daemonsets`, after the cordon: the node's pods
//! sorted into those to evict, those left (DaemonSet pods, mirror pods,
//! finished pods) and those that refuse the drain (a pod no controller
//! would bring back); the PodDisruptionBudgets over them; then every pod
//! evicted through the Eviction API — a 429 from a budget is retried
//! every 5 s, as kubectl does — and followed until each is gone.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, EvictParams, ListParams};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::api_error;
use crate::model::{Outcome, Progress};

/// How long a drain may take before it stops (the node stays cordoned).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(300);
/// kubectl's wait between evictions a budget refused.
const RETRY: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(500);

/// One pod to evict, by uid (a pod of the same name later is another).
#[derive(Debug, Clone, PartialEq)]
pub struct Evictee {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
}

/// The node's pods, sorted.
pub struct Classified {
    pub evict: Vec<Evictee>,
    /// Left on the node, with why.
    pub skipped: Vec<(Evictee, &'static str)>,
    /// Reasons the drain cannot go on.
    pub refused: Vec<String>,
}

/// Every pod scheduled on `node`, as `kubectl drain` lists them.
pub async fn pods_on(client: &kube::Client, node: &str) -> Result<Vec<Pod>, String> {
    let lp = ListParams::default().fields(&format!("spec.nodeName={node}"));
    Api::<Pod>::all(client.clone())
        .list(&lp)
        .await
        .map(|l| l.items)
        .map_err(|e| api_error(&e))
}

fn evictee(p: &Pod) -> Evictee {
    Evictee {
        namespace: p.metadata.namespace.clone().unwrap_or_default(),
        name: p.metadata.name.clone().unwrap_or_default(),
        uid: p.metadata.uid.clone().unwrap_or_default(),
        labels: p.metadata.labels.clone().unwrap_or_default(),
    }
}

/// kubectl drain's filters with `--ignore-daemonsets`: DaemonSet pods and
/// mirror (static) pods stay; finished pods are evicted like the rest; a
/// pod no controller owns refuses the drain (it would be gone for good).
pub fn classify(pods: &[Pod]) -> Classified {
    let mut c = Classified {
        evict: vec![],
        skipped: vec![],
        refused: vec![],
    };
    for p in pods {
        let e = evictee(p);
        if p.metadata.deletion_timestamp.is_some() {
            c.skipped.push((e, "already terminating"));
            continue;
        }
        let mirror = p
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
        if mirror {
            c.skipped.push((e, "mirror pod"));
            continue;
        }
        let controller = p
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true));
        match controller {
            Some(o) if o.kind == "DaemonSet" => c.skipped.push((e, "DaemonSet")),
            Some(_) => c.evict.push(e),
            None => {
                let finished = p
                    .status
                    .as_ref()
                    .and_then(|s| s.phase.as_deref())
                    .is_some_and(|ph| ph == "Succeeded" || ph == "Failed");
                if finished {
                    c.evict.push(e);
                } else {
                    c.refused.push(format!(
                        "pod {}/{} is not managed by a controller",
                        e.namespace, e.name
                    ));
                }
            }
        }
    }
    c
}

fn selects(pdb: &PodDisruptionBudget, labels: &BTreeMap<String, String>) -> bool {
    let Some(sel) = pdb.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
        return false;
    };
    let by_labels = sel
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_expressions = sel.match_expressions.iter().flatten().all(|e| {
        let has = labels.get(&e.key);
        let values = e.values.clone().unwrap_or_default();
        match e.operator.as_str() {
            "In" => has.is_some_and(|v| values.contains(v)),
            "NotIn" => has.is_none_or(|v| !values.contains(v)),
            "Exists" => has.is_some(),
            "DoesNotExist" => has.is_none(),
            _ => false,
        }
    });
    by_labels && by_expressions && (sel.match_labels.is_some() || sel.match_expressions.is_some())
}

/// The budgets over the pods to evict, one line each: `PodDisruptionBudget
/// shop/api (minAvailable 2) over api-1, api-2: 1 disruption allowed now`.
pub async fn disruption_budgets(client: &kube::Client, evict: &[Evictee]) -> Vec<String> {
    let mut namespaces: Vec<&str> = evict.iter().map(|e| e.namespace.as_str()).collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    let mut out = Vec::new();
    let mut unread: Vec<(&str, String)> = Vec::new();
    for ns in namespaces {
        let pdbs = match Api::<PodDisruptionBudget>::namespaced(client.clone(), ns)
            .list(&ListParams::default())
            .await
        {
            Ok(l) => l.items,
            Err(e) => {
                unread.push((ns, api_error(&e)));
                continue;
            }
        };
        for pdb in &pdbs {
            let over: Vec<&str> = evict
                .iter()
                .filter(|e| e.namespace == ns && selects(pdb, &e.labels))
                .map(|e| e.name.as_str())
                .collect();
            if over.is_empty() {
                continue;
            }
            let spec = pdb.spec.clone().unwrap_or_default();
            let rule = match (&spec.min_available, &spec.max_unavailable) {
                (Some(m), _) => format!("minAvailable {}", int_or_string(m)),
                (_, Some(m)) => format!("maxUnavailable {}", int_or_string(m)),
                _ => "no bound".into(),
            };
            let allowed = pdb.status.as_ref().map_or(0, |s| s.disruptions_allowed);
            out.push(format!(
                "PodDisruptionBudget {ns}/{} ({rule}) over {}: {allowed} disruption(s) allowed now — its pods go one by one as their replacements become ready",
                pdb.metadata.name.as_deref().unwrap_or("?"),
                over.join(", ")
            ));
        }
    }
    if let Some((_, why)) = unread.first() {
        let where_: Vec<&str> = unread.iter().map(|(ns, _)| *ns).collect();
        out.push(format!(
            "PodDisruptionBudgets in {} could not be read ({why}): the API server still enforces them",
            where_.join(", ")
        ));
    }
    out
}

fn int_or_string(v: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString) -> String {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// Evicts what is on the node now (listed again: pods come and go between
/// plan and run) and follows until it is gone. Lines go to `say`.
pub async fn evict_all(
    client: &kube::Client,
    node: &str,
    progress: &(dyn Fn(Progress) + Send + Sync),
    say: &(dyn Fn(String) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    let pods = match pods_on(client, node).await {
        Ok(p) => p,
        Err(e) => {
            return (
                Outcome::Failed,
                format!("listing the pods of node/{node}: {e}"),
            );
        }
    };
    let c = classify(&pods);
    if let Some(why) = c.refused.first() {
        return (
            Outcome::Failed,
            format!("cannot drain node/{node}: {why}; the node stays cordoned"),
        );
    }
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    let total = c.evict.len();
    let mut waiting: Vec<Evictee> = c.evict;
    let mut evicted: Vec<Evictee> = Vec::new();
    let mut next_try = Instant::now();
    let mut blocked = String::new();
    loop {
        if Instant::now() >= next_try && !waiting.is_empty() {
            let mut still = Vec::new();
            for e in waiting {
                let api = Api::<Pod>::namespaced(client.clone(), &e.namespace);
                match api.evict(&e.name, &EvictParams::default()).await {
                    Ok(_) => {
                        say(format!("evicting pod {}/{}", e.namespace, e.name));
                        evicted.push(e);
                    }
                    Err(kube::Error::Api(s)) if s.code == 404 => evicted.push(e),
                    Err(kube::Error::Api(s)) if s.code == 429 => {
                        blocked = format!(
                            "error when evicting pod {}/{} (will retry after 5s): {}",
                            e.namespace, e.name, s.message
                        );
                        say(blocked.clone());
                        still.push(e);
                    }
                    Err(err) => {
                        return (
                            Outcome::Failed,
                            format!(
                                "evicting pod {}/{}: {}; the node stays cordoned",
                                e.namespace,
                                e.name,
                                api_error(&err)
                            ),
                        );
                    }
                }
            }
            waiting = still;
            next_try = Instant::now() + RETRY;
        }
        // Gone: no pod with that uid on the node any more.
        let now = match pods_on(client, node).await {
            Ok(p) => p,
            Err(e) => {
                blocked = format!("listing the node's pods: {e}");
                vec![]
            }
        };
        let present = |e: &Evictee| {
            now.iter()
                .any(|p| p.metadata.uid.as_deref() == Some(e.uid.as_str()))
        };
        let going = evicted.iter().filter(|e| present(e)).count();
        let gone = evicted.len() - going;
        if waiting.is_empty() && going == 0 {
            return (
                Outcome::Succeeded,
                format!("node/{node} drained: {total} pod(s) evicted"),
            );
        }
        progress(Progress {
            phase: Some(if waiting.is_empty() {
                format!("{gone} of {total} pods gone, {going} terminating")
            } else {
                format!(
                    "{gone} of {total} pods gone; {} waiting: {blocked}",
                    waiting.len()
                )
            }),
            step: Some((gone as u32, total as u32)),
            ..Default::default()
        });
        if Instant::now() > deadline {
            return (
                Outcome::Failed,
                format!(
                    "timed out after {}s: {} pod(s) still on node/{node}; the node stays cordoned",
                    DRAIN_TIMEOUT.as_secs(),
                    going + waiting.len()
                ),
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = cancel.cancelled() => {
                return (
                    Outcome::Cancelled,
                    format!("stopped: {gone} of {total} pods gone; the node stays cordoned"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, owner: Option<&str>, extra: serde_json::Value) -> Pod {
        let mut v = json!({"metadata": {"name": name, "namespace": "shop", "uid": format!("u-{name}")},
            "status": {"phase": "Running"}});
        if let Some(kind) = owner {
            v["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": kind,
                "name": "x", "uid": "o", "controller": true}]);
        }
        if let Some(a) = extra.get("annotations") {
            v["metadata"]["annotations"] = a.clone();
        }
        if let Some(p) = extra.get("phase") {
            v["status"]["phase"] = p.clone();
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn drain_keeps_daemonset_and_mirror_pods_and_refuses_bare_ones() {
        let pods = vec![
            pod("api-1", Some("ReplicaSet"), json!({})),
            pod("exporter-1", Some("DaemonSet"), json!({})),
            pod(
                "etcd-n1",
                None,
                json!({"annotations": {"kubernetes.io/config.mirror": "x"}}),
            ),
            pod("done-1", None, json!({"phase": "Succeeded"})),
        ];
        let c = classify(&pods);
        let names: Vec<&str> = c.evict.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["api-1", "done-1"]);
        let skipped: Vec<(&str, &str)> = c
            .skipped
            .iter()
            .map(|(e, w)| (e.name.as_str(), *w))
            .collect();
        assert_eq!(
            skipped,
            [("exporter-1", "DaemonSet"), ("etcd-n1", "mirror pod")]
        );
        assert!(c.refused.is_empty());
        let bare = classify(&[pod("lonely", None, json!({}))]);
        assert_eq!(
            bare.refused,
            ["pod shop/lonely is not managed by a controller"]
        );
    }

    #[test]
    fn a_budget_selects_by_labels_and_expressions() {
        let pdb: PodDisruptionBudget = serde_json::from_value(json!({
            "metadata": {"name": "api"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "api"},
                "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["batch"]}]}}
        }))
        .unwrap();
        let l = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(selects(&pdb, &l(&[("app", "api")])));
        assert!(!selects(&pdb, &l(&[("app", "api"), ("tier", "batch")])));
        assert!(!selects(&pdb, &l(&[("app", "web")])));
        let empty: PodDisruptionBudget =
            serde_json::from_value(json!({"metadata": {"name": "x"}, "spec": {}})).unwrap();
        assert!(!selects(&empty, &l(&[("app", "api")])));
    }
}
