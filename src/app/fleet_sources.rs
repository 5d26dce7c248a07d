//! Instances from the other sources: a pod, a container, a node, a scrape
//! target, each with its status and group keys.

use std::collections::BTreeMap;

use super::clusters::ClusterInfo;
use crate::model::fleet::{Instance, InstanceKind};
use crate::model::{ContainerInfo, Health, NodeInfo, PodInfo, ScrapeTarget, Service, Workload};

/// The instances the other sources know of: every pod and container of a
/// service, every node, every scrape target.
pub fn collect_others(
    services: &[Service],
    clusters: &BTreeMap<String, ClusterInfo>,
    prometheus: &[(&str, &[ScrapeTarget])],
) -> Vec<Instance> {
    let mut out = Vec::new();
    for s in services {
        if let Some(w) = &s.workload {
            for p in &w.pods {
                out.push(pod(s, w, p));
            }
        }
        for c in &s.containers {
            out.push(container(s, c));
        }
    }
    for (context, c) in clusters {
        for n in &c.nodes {
            out.push(node(context, n));
        }
    }
    for (server, targets) in prometheus {
        for t in *targets {
            out.push(target(server, t, services));
        }
    }
    out
}

pub fn pod(s: &Service, w: &Workload, p: &PodInfo) -> Instance {
    let mut i = Instance::new(InstanceKind::Pod, &p.name, format!("k8s {}", w.id.context));
    let (status, reason) = pod_status(p);
    i.status = status;
    i.reason = reason;
    i.service = Some(s.name.clone());
    i.host = p.node.clone();
    i.namespace = Some(p.namespace.clone());
    i.labels = vec![
        ("context".into(), w.id.context.clone()),
        ("workload".into(), w.id.short()),
    ];
    i
}

fn pod_status(p: &PodInfo) -> (Health, Option<String>) {
    let restarts = (p.restarts > 0).then(|| format!(", {} restarts", p.restarts));
    let restarts = restarts.unwrap_or_default();
    if p.deleting {
        return (Health::Degraded, Some(format!("terminating{restarts}")));
    }
    if p.is_ready() {
        return (Health::Up, None);
    }
    let why = format!(
        "{} ({}/{} ready){restarts}",
        p.status(),
        p.ready_containers,
        p.containers
    );
    let down = p.phase == "Failed"
        || p.waiting_reason.as_deref().is_some_and(|r| {
            r.contains("BackOff") || r.contains("Err") || r == "CreateContainerConfigError"
        });
    let status = if down {
        Health::Down
    } else if p.phase == "Succeeded" {
        Health::Unknown
    } else {
        Health::Degraded
    };
    (status, Some(why))
}

pub fn container(s: &Service, c: &ContainerInfo) -> Instance {
    let mut i = Instance::new(
        InstanceKind::Container,
        &c.name,
        format!("docker {}", c.host),
    );
    i.status = c.health_verdict();
    if i.status != Health::Up {
        let state = match &c.health {
            Some(h) if c.state == "running" => h.status.clone(),
            _ => c.state.clone(),
        };
        i.reason = Some(match c.exit_code {
            Some(code) if c.state == "exited" => format!("{state} (exit {code})"),
            _ => state,
        });
    }
    i.service = Some(s.name.clone());
    i.host = Some(c.host.clone());
    if let Some(l) = &c.compose {
        i.namespace = Some(l.project.clone());
        i.labels.push(("project".into(), l.project.clone()));
    }
    i.labels.push(("image".into(), c.image.clone()));
    i
}

pub fn node(context: &str, n: &NodeInfo) -> Instance {
    let mut i = Instance::new(InstanceKind::Node, &n.name, format!("k8s {context}"));
    let mut why = Vec::new();
    if !n.ready {
        why.push("NotReady".to_string());
    }
    why.extend(n.pressures.iter().cloned());
    if n.unschedulable {
        why.push("SchedulingDisabled".into());
    }
    i.status = if !n.ready {
        Health::Down
    } else if why.is_empty() {
        Health::Up
    } else {
        Health::Degraded
    };
    i.reason = (!why.is_empty()).then(|| why.join(", "));
    i.host = Some(n.name.clone());
    i.labels.push(("context".into(), context.to_string()));
    if !n.roles.is_empty() {
        i.labels.push(("role".into(), n.roles.join(",")));
    }
    i
}

pub fn target(server: &str, t: &ScrapeTarget, services: &[Service]) -> Instance {
    let mut i = Instance::new(
        InstanceKind::Target,
        &t.instance,
        format!("prometheus {server}"),
    );
    i.status = t.health;
    i.reason = t.last_error.clone().filter(|e| !e.is_empty());
    i.last_seen = if t.health == Health::Up {
        t.last_scrape
    } else {
        None
    };
    i.service = services
        .iter()
        .find(|s| s.name == t.job || t.labels.get("service") == Some(&s.name))
        .map(|s| s.name.clone())
        .or_else(|| Some(format!("job {}", t.job)));
    i.host = Some(super::fleet::host_of(&t.instance).to_string());
    i.namespace = t.labels.get("namespace").cloned();
    i.location = t.labels.get("location").cloned();
    i.labels.push(("job".into(), t.job.clone()));
    for (k, v) in &t.labels {
        if !matches!(k.as_str(), "job" | "instance" | "namespace" | "location") {
            i.labels.push((k.clone(), v.clone()));
        }
    }
    i
}
