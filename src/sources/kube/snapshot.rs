//! From API objects to the board's plain data: workloads with their pods,
//! history, HPA and warning events; nodes; the Events pane's rows. Pure: objects in, snapshot out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use crate::clients::kube::rollout;
use crate::clients::kube::template::images;
use crate::model::{
    ClusterSnapshot, EventInfo, HpaInfo, NodeInfo, PodInfo, ResourceStatus, RevisionInfo,
    RolloutState, Workload, WorkloadKind, WorkloadRef,
};

/// Everything watched in one context.
#[derive(Default)]
pub struct Objects {
    pub deployments: Vec<Arc<Deployment>>,
    pub statefulsets: Vec<Arc<StatefulSet>>,
    pub daemonsets: Vec<Arc<DaemonSet>>,
    pub replicasets: Vec<Arc<ReplicaSet>>,
    pub revisions: Vec<Arc<ControllerRevision>>,
    pub pods: Vec<Arc<Pod>>,
    pub nodes: Vec<Arc<Node>>,
    pub hpas: Vec<Arc<HorizontalPodAutoscaler>>,
    pub events: Vec<Arc<Event>>,
    pub services: Vec<Arc<Service>>,
    pub namespaces: Vec<Arc<Namespace>>,
}

/// Warning events older than this are not shown.
const EVENT_WINDOW: Duration = Duration::from_secs(3600);
/// Events kept per workload.
const EVENTS_PER_WORKLOAD: usize = 10;

fn time(t: &Option<Time>) -> Option<SystemTime> {
    t.as_ref().map(|t| SystemTime::from(t.0))
}

fn controller_uid(meta: &ObjectMeta, kind: &str) -> Option<String> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|o| o.kind == kind && o.controller == Some(true))
        .map(|o| o.uid.clone())
}

pub fn pod_info(p: &Pod) -> PodInfo {
    let status = p.status.clone().unwrap_or_default();
    let cs = status.container_statuses.unwrap_or_default();
    let waiting_reason = cs
        .iter()
        .filter_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone())
        .find(|r| r != "ContainerCreating" || cs.len() == 1);
    let last_termination = cs
        .iter()
        .filter_map(|c| c.last_state.as_ref()?.terminated.as_ref()?.reason.clone())
        .next()
        .or_else(|| {
            cs.iter()
                .filter_map(|c| c.state.as_ref()?.terminated.as_ref()?.reason.clone())
                .next()
        });
    PodInfo {
        name: p.metadata.name.clone().unwrap_or_default(),
        namespace: p.metadata.namespace.clone().unwrap_or_default(),
        phase: status.phase.unwrap_or_else(|| "Unknown".into()),
        ready_containers: cs.iter().filter(|c| c.ready).count() as u32,
        containers: p.spec.as_ref().map_or(cs.len(), |s| s.containers.len()) as u32,
        container_names: p.spec.as_ref().map_or_else(
            || cs.iter().map(|c| c.name.clone()).collect(),
            |s| s.containers.iter().map(|c| c.name.clone()).collect(),
        ),
        restarts: cs.iter().map(|c| c.restart_count).sum(),
        waiting_reason,
        last_termination,
        node: p.spec.as_ref().and_then(|s| s.node_name.clone()),
        created: time(&p.metadata.creation_timestamp),
        deleting: p.metadata.deletion_timestamp.is_some(),
    }
}

fn rollout_state(paused: bool, s: rollout::Status) -> RolloutState {
    if paused {
        return RolloutState::Paused;
    }
    match s {
        rollout::Status::Done(_) => RolloutState::Complete,
        rollout::Status::Waiting(m) => RolloutState::Progressing(m),
        rollout::Status::Failed(m) => RolloutState::Stalled(m),
    }
}

/// Images named in a ControllerRevision's stored template patch.
fn revision_images(r: &ControllerRevision) -> Vec<String> {
    r.data
        .as_ref()
        .and_then(|d| d.0.pointer("/spec/template/spec/containers"))
        .and_then(|c| c.as_array())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("image")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn build(
    context: &str,
    o: &Objects,
    resources: Vec<(String, ResourceStatus)>,
    now: SystemTime,
) -> ClusterSnapshot {
    // Pods by the uid of their controller (ReplicaSet, StatefulSet, DaemonSet).
    let mut pods_by_owner: HashMap<String, Vec<&Pod>> = HashMap::new();
    let mut pods_per_node: HashMap<&str, u32> = HashMap::new();
    for p in &o.pods {
        for kind in ["ReplicaSet", "StatefulSet", "DaemonSet"] {
            if let Some(uid) = controller_uid(&p.metadata, kind) {
                pods_by_owner.entry(uid).or_default().push(p);
            }
        }
        if let Some(n) = p.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            *pods_per_node.entry(n).or_default() += 1;
        }
    }
    let mut rs_by_deployment: HashMap<String, Vec<&ReplicaSet>> = HashMap::new();
    for rs in &o.replicasets {
        if let Some(uid) = controller_uid(&rs.metadata, "Deployment") {
            rs_by_deployment.entry(uid).or_default().push(rs);
        }
    }
    let mut revisions_by_owner: HashMap<String, Vec<&ControllerRevision>> = HashMap::new();
    for r in &o.revisions {
        for kind in ["StatefulSet", "DaemonSet"] {
            if let Some(uid) = controller_uid(&r.metadata, kind) {
                revisions_by_owner.entry(uid).or_default().push(r);
            }
        }
    }
    let hpa_for = |ns: &str, kind: &str, name: &str| -> Option<HpaInfo> {
        o.hpas
            .iter()
            .find(|h| {
                h.metadata.namespace.as_deref() == Some(ns)
                    && h.spec.as_ref().is_some_and(|s| {
                        s.scale_target_ref.kind == kind && s.scale_target_ref.name == name
                    })
            })
            .map(|h| {
                let spec = h.spec.clone().unwrap_or_default();
                let status = h.status.clone().unwrap_or_default();
                let cpu_target = spec.metrics.iter().flatten().find_map(|m| {
                    let r = m.resource.as_ref()?;
                    (r.name == "cpu")
                        .then_some(r.target.average_utilization)
                        .flatten()
                });
                let cpu_percent = status.current_metrics.iter().flatten().find_map(|m| {
                    let r = m.resource.as_ref()?;
                    (r.name == "cpu")
                        .then_some(r.current.average_utilization)
                        .flatten()
                });
                HpaInfo {
                    name: h.metadata.name.clone().unwrap_or_default(),
                    min: spec.min_replicas.unwrap_or(1),
                    max: spec.max_replicas,
                    current: status.current_replicas.unwrap_or(0),
                    desired: status.desired_replicas,
                    cpu_percent,
                    cpu_target,
                }
            })
    };
    let events_for = |ns: &str, names: &[String]| -> Vec<EventInfo> {
        let mut ev: Vec<EventInfo> = o
            .events
            .iter()
            .filter(|e| e.metadata.namespace.as_deref() == Some(ns))
            .filter(|e| e.type_.as_deref() == Some("Warning"))
            .filter(|e| {
                e.involved_object
                    .name
                    .as_ref()
                    .is_some_and(|n| names.iter().any(|m| m == n))
            })
            .map(|e| EventInfo {
                reason: e.reason.clone().unwrap_or_default(),
                message: e.message.clone().unwrap_or_default(),
                count: e.count.unwrap_or(1),
                last: time(&e.last_timestamp)
                    .or_else(|| e.event_time.as_ref().map(|t| SystemTime::from(t.0))),
                object: format!(
                    "{}/{}",
                    e.involved_object.kind.clone().unwrap_or_default(),
                    e.involved_object.name.clone().unwrap_or_default()
                ),
            })
            .filter(|e| {
                e.last
                    .is_none_or(|t| now.duration_since(t).unwrap_or_default() < EVENT_WINDOW)
            })
            .collect();
        ev.sort_by_key(|e| std::cmp::Reverse(e.last));
        ev.truncate(EVENTS_PER_WORKLOAD);
        ev
    };
    let mut workloads = Vec::new();
    for d in &o.deployments {
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let ns = d.metadata.namespace.clone().unwrap_or_default();
        let name = d.metadata.name.clone().unwrap_or_default();
        let rss = rs_by_deployment.get(&uid).cloned().unwrap_or_default();
        let mut pods: Vec<PodInfo> = rss
            .iter()
            .filter_map(|rs| rs.metadata.uid.as_ref())
            .flat_map(|u| pods_by_owner.get(u).into_iter().flatten())
            .map(|p| pod_info(p))
            .collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        let mut history: Vec<RevisionInfo> = rss
            .iter()
            .filter_map(|rs| {
                let a = rs.metadata.annotations.as_ref()?;
                let revision = a.get("deployment.kubernetes.io/revision")?.parse().ok()?;
                Some(RevisionInfo {
                    revision,
                    images: images(rs.spec.as_ref().and_then(|s| s.template.as_ref())),
                    change_cause: a.get("kubernetes.io/change-cause").cloned(),
                    created: time(&rs.metadata.creation_timestamp),
                    by: None,
                })
            })
            .collect();
        history.sort_by_key(|h| h.revision);
        attribute_latest(&mut history, d);
        let status = d.status.clone().unwrap_or_default();
        let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        let mut names: Vec<String> = pods.iter().map(|p| p.name.clone()).collect();
        names.push(name.clone());
        names.extend(rss.iter().filter_map(|r| r.metadata.name.clone()));
        workloads.push(Workload {
            stale: None,
            id: WorkloadRef {
                context: context.into(),
                namespace: ns.clone(),
                kind: WorkloadKind::Deployment,
                name: name.clone(),
            },
            desired: d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            ready: status.ready_replicas.unwrap_or(0),
            updated: status.updated_replicas.unwrap_or(0),
            available: status.available_replicas.unwrap_or(0),
            images: images(d.spec.as_ref().map(|s| &s.template)),
            revision: d
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("deployment.kubernetes.io/revision").cloned()),
            paused,
            rollout: rollout_state(paused, rollout::deployment(d)),
            hpa: hpa_for(&ns, "Deployment", &name),
            pods,
            history,
            events: events_for(&ns, &names),
        });
    }
    for s in &o.statefulsets {
        let (uid, ns, name) = identity(&s.metadata);
        let (pods, names) = owned_pods(&pods_by_owner, &uid, &name);
        let status = s.status.clone().unwrap_or_default();
        workloads.push(Workload {
            stale: None,
            id: WorkloadRef {
                context: context.into(),
                namespace: ns.clone(),
                kind: WorkloadKind::StatefulSet,
                name: name.clone(),
            },
            desired: s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            ready: status.ready_replicas.unwrap_or(0),
            updated: status.updated_replicas.unwrap_or(0),
            available: status.available_replicas.unwrap_or(0),
            images: images(s.spec.as_ref().map(|s| &s.template)),
            revision: status.update_revision.clone(),
            paused: false,
            rollout: rollout_state(false, rollout::statefulset(s)),
            hpa: hpa_for(&ns, "StatefulSet", &name),
            pods,
            history: revision_history(revisions_by_owner.get(&uid)),
            events: events_for(&ns, &names),
        });
    }
    for d in &o.daemonsets {
        let (uid, ns, name) = identity(&d.metadata);
        let (pods, names) = owned_pods(&pods_by_owner, &uid, &name);
        let status = d.status.clone().unwrap_or_default();
        workloads.push(Workload {
            stale: None,
            id: WorkloadRef {
                context: context.into(),
                namespace: ns.clone(),
                kind: WorkloadKind::DaemonSet,
                name: name.clone(),
            },
            desired: status.desired_number_scheduled,
            ready: status.number_ready,
            updated: status.updated_number_scheduled.unwrap_or(0),
            available: status.number_available.unwrap_or(0),
            images: images(d.spec.as_ref().map(|s| &s.template)),
            revision: revisions_by_owner
                .get(&uid)
                .and_then(|rs| rs.iter().map(|r| r.revision).max())
                .map(|r| r.to_string()),
            paused: false,
            rollout: rollout_state(false, rollout::daemonset(d)),
            hpa: None,
            pods,
            history: revision_history(revisions_by_owner.get(&uid)),
            events: events_for(&ns, &names),
        });
    }
    workloads.sort_by(|a, b| a.id.cmp(&b.id));
    let mut nodes: Vec<NodeInfo> = o
        .nodes
        .iter()
        .map(|n| {
            let name = n.metadata.name.clone().unwrap_or_default();
            let conditions = n
                .status
                .as_ref()
                .and_then(|s| s.conditions.clone())
                .unwrap_or_default();
            let ready = conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            let pressures = conditions
                .iter()
                .filter(|c| c.type_.ends_with("Pressure") && c.status == "True")
                .map(|c| c.type_.clone())
                .collect();
            let roles = n
                .metadata
                .labels
                .iter()
                .flatten()
                .filter_map(|(k, _)| {
                    k.strip_prefix("node-role.kubernetes.io/")
                        .map(str::to_string)
                })
                .collect();
            NodeInfo {
                context: context.into(),
                pods: pods_per_node.get(name.as_str()).copied().unwrap_or(0),
                name,
                ready,
                pressures,
                unschedulable: n
                    .spec
                    .as_ref()
                    .and_then(|s| s.unschedulable)
                    .unwrap_or(false),
                kubelet: n
                    .status
                    .as_ref()
                    .and_then(|s| s.node_info.as_ref())
                    .map(|i| i.kubelet_version.clone()),
                roles,
                created: time(&n.metadata.creation_timestamp),
            }
        })
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    let pairs = super::release::pairs(context, &o.services, &o.deployments, &workloads);
    ClusterSnapshot {
        context: context.into(),
        workloads,
        nodes,
        events: super::events::cluster_events(context, &o.events),
        namespaces: namespace_names(&o.namespaces),
        resources,
        pairs,
        error: None,
    }
}

/// The namespaces' names, sorted (for `:ns`).
fn namespace_names(namespaces: &[Arc<Namespace>]) -> Vec<String> {
    let mut names: Vec<String> = namespaces
        .iter()
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// uid, namespace and name of an object.
fn identity(m: &ObjectMeta) -> (String, String, String) {
    (
        m.uid.clone().unwrap_or_default(),
        m.namespace.clone().unwrap_or_default(),
        m.name.clone().unwrap_or_default(),
    )
}

/// The pods a controller owns, sorted, and the names its events may carry
/// (the pods' and its own).
fn owned_pods(
    by_owner: &HashMap<String, Vec<&Pod>>,
    uid: &str,
    name: &str,
) -> (Vec<PodInfo>, Vec<String>) {
    let mut pods: Vec<PodInfo> = by_owner
        .get(uid)
        .into_iter()
        .flatten()
        .map(|p| pod_info(p))
        .collect();
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    let mut names: Vec<String> = pods.iter().map(|p| p.name.clone()).collect();
    names.push(name.to_string());
    (pods, names)
}

fn revision_history(revs: Option<&Vec<&ControllerRevision>>) -> Vec<RevisionInfo> {
    let mut out: Vec<RevisionInfo> = revs
        .into_iter()
        .flatten()
        .map(|r| RevisionInfo {
            revision: r.revision,
            images: revision_images(r),
            change_cause: r
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubernetes.io/change-cause").cloned()),
            created: time(&r.metadata.creation_timestamp),
            by: None,
        })
        .collect();
    out.sort_by_key(|r| r.revision);
    out
}

/// Names who wrote the newest revision: the field manager that last wrote
/// the Deployment's pod template, when it wrote it no earlier than the
/// revision appeared (a later scale or annotation write is someone else's).
fn attribute_latest(history: &mut [RevisionInfo], d: &Deployment) {
    let Some((manager, at)) = super::release::template_writer(d.metadata.managed_fields.as_ref())
    else {
        return;
    };
    if let Some(last) = history.last_mut()
        && last
            .created
            .is_none_or(|c| at + Duration::from_secs(5) >= c)
    {
        last.by = Some(crate::model::text::safe(&manager));
    }
}
