//! Turns a [`World`] into objects: the world's past is replayed through the
//! real controllers on a frozen, stepped clock (quietly: no watch history,
//! no Events but those of the last hour, as a real cluster keeps them), so
//! the cluster starts settled with realistic ages, revisions, restart
//! counts and recent events. Its writes are attributed (managedFields) as
//! real clients would have made them: `kubectl-create`, `kubectl-set` for
//! rollouts, `kubectl-expose` for a workload's own Service, the nodes by
//! their kubelet.

use serde_json::{Value, json};

use super::clock::{Clock, SimTime};
use super::controllers::Controllers;
use super::controllers::deployment_util::CHANGE_CAUSE;
use super::defaults;
use super::managed_fields::Writer;
use super::resources::Res;
use super::store::Store;
use super::util;
use super::world::CronJobSpec;
use super::world::{HpaSpec, NodeSpec, Revision, Workload, WorkloadKind, World};

const SETTLE_STEP_MS: i64 = 1000;
const SETTLE_TICKS: usize = 60;
/// How long the API server keeps an Event (kube-apiserver's `--event-ttl`).
const EVENT_TTL_MS: i64 = 3_600_000;

fn node_json(n: &NodeSpec, idx: usize) -> Value {
    let cond =
        |ty: &str, on: bool, reason_on: &str, reason_off: &str, msg_on: &str, msg_off: &str| {
            json!({"type": ty, "status": if on { "True" } else { "False" },
            "reason": if on { reason_on } else { reason_off },
            "message": if on { msg_on } else { msg_off },
            "lastHeartbeatTime": null, "lastTransitionTime": null})
        };
    let mut labels = json!({
        "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
    });
    if n.control_plane {
        labels["node-role.kubernetes.io/control-plane"] = json!("");
    }
    for (k, v) in &n.labels {
        labels[k] = json!(v);
    }
    let mem_ki = n.memory_gib as u64 * 1024 * 1024;
    let capacity = json!({"cpu": n.cpu.to_string(), "memory": format!("{mem_ki}Ki"),
        "pods": "110", "ephemeral-storage": "102400Mi", "hugepages-2Mi": "0"});
    let allocatable = json!({"cpu": format!("{}m", n.cpu * 1000 - 100), "memory": format!("{}Ki", mem_ki - 512 * 1024),
        "pods": "110", "ephemeral-storage": "94371840Ki", "hugepages-2Mi": "0"});
    let hex = format!(
        "{:08x}{:08x}",
        util::fnv32a(n.name.as_bytes()),
        util::fnv32a(format!("{}-m", n.name).as_bytes())
    );
    let mut spec = json!({"podCIDR": format!("10.244.{}.0/24", idx + 1), "podCIDRs": [format!("10.244.{}.0/24", idx + 1)]});
    if n.unschedulable {
        spec["unschedulable"] = json!(true);
    }
    json!({
        "metadata": {"name": n.name, "labels": labels,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": spec,
        "status": {
            "capacity": capacity, "allocatable": allocatable,
            "conditions": [
                cond("MemoryPressure", n.memory_pressure, "KubeletHasInsufficientMemory", "KubeletHasSufficientMemory",
                    "kubelet has insufficient memory available", "kubelet has sufficient memory available"),
                cond("DiskPressure", n.disk_pressure, "KubeletHasDiskPressure", "KubeletHasNoDiskPressure",
                    "kubelet has disk pressure", "kubelet has no disk pressure"),
                cond("PIDPressure", n.pid_pressure, "KubeletHasInsufficientPID", "KubeletHasSufficientPID",
                    "kubelet has insufficient PID available", "kubelet has sufficient PID available"),
                if n.ready {
                    json!({"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": null, "lastTransitionTime": null})
                } else {
                    json!({"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status.",
                        "lastHeartbeatTime": null, "lastTransitionTime": null})
                },
            ],
            "addresses": [{"type": "InternalIP", "address": format!("10.0.0.{}", idx + 10)}, {"type": "Hostname", "address": n.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": hex, "systemUUID": hex, "bootID": hex, "kernelVersion": "6.8.0-49-generic",
                "osImage": "Ubuntu 24.04.1 LTS", "containerRuntimeVersion": "containerd://1.7.24", "kubeletVersion": "v1.32.4",
                "kubeProxyVersion": "v1.32.4", "operatingSystem": "linux", "architecture": "amd64"},
        },
    })
}

fn pairs(v: &[(String, String)]) -> Value {
    Value::Object(v.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

/// The workload's selector labels, then its other labels.
fn labels(w: &Workload) -> Vec<(String, String)> {
    let mut labels = w.selector.clone();
    labels.extend(w.labels.iter().cloned());
    labels
}

fn template(w: &Workload, rev: &Revision) -> Value {
    let labels = labels(w);
    let mut ann = w.template_annotations.clone();
    ann.extend(rev.template_annotations.iter().cloned());
    let mut container = json!({"name": w.name, "image": rev.image,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}});
    if let Some(p) = w.port {
        container["ports"] = json!([{"containerPort": p, "protocol": "TCP"}]);
    }
    let mut meta = json!({"labels": pairs(&labels)});
    if !ann.is_empty() {
        meta["annotations"] = pairs(&ann);
    }
    json!({"metadata": meta, "spec": {"containers": [container]}})
}

fn workload_json(w: &Workload, rev: &Revision, created: SimTime) -> (Res, Value) {
    let mut meta = json!({"name": w.name, "namespace": w.namespace, "labels": pairs(&labels(w)),
        "creationTimestamp": super::clock::format_time(created)});
    if let Some(c) = &rev.change_cause {
        meta["annotations"] = json!({CHANGE_CAUSE: c});
    }
    let mut spec =
        json!({"selector": {"matchLabels": pairs(&w.selector)}, "template": template(w, rev)});
    if w.min_ready_seconds > 0 {
        spec["minReadySeconds"] = json!(w.min_ready_seconds);
    }
    if let Some(l) = w.revision_history_limit {
        spec["revisionHistoryLimit"] = json!(l);
    }
    let res = match w.kind {
        WorkloadKind::Deployment => {
            spec["replicas"] = json!(w.replicas);
            if let Some(p) = w.progress_deadline_seconds {
                spec["progressDeadlineSeconds"] = json!(p);
            }
            if let Some(s) = &w.strategy {
                spec["strategy"] = s.clone();
            }
            Res::Deployments
        }
        WorkloadKind::StatefulSet => {
            spec["replicas"] = json!(w.replicas);
            spec["serviceName"] = json!(w.name);
            if let Some(s) = &w.strategy {
                spec["updateStrategy"] = s.clone();
            }
            Res::StatefulSets
        }
        WorkloadKind::DaemonSet => {
            if let Some(s) = &w.strategy {
                spec["updateStrategy"] = s.clone();
            }
            Res::DaemonSets
        }
    };
    (res, json!({"metadata": meta, "spec": spec}))
}

fn hpa_json(h: &HpaSpec) -> Value {
    let kind = match h.target_kind {
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::StatefulSet => "StatefulSet",
        WorkloadKind::DaemonSet => "DaemonSet",
    };
    let mut v = json!({"metadata": {"name": h.target, "namespace": h.namespace},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": h.target},
            "minReplicas": h.min, "maxReplicas": h.max,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": h.cpu_target}}}]}});
    if let Some(u) = h.cpu_utilization {
        v["metadata"]["annotations"] = json!({super::ANN_CPU_UTILIZATION: u.to_string()});
    }
    v
}

/// Creates `obj` as `manager` (a client, as `kubectl create` would).
fn create(store: &mut Store, manager: &str, res: Res, obj: Value) {
    create_as(store, Writer::client(manager, None), res, obj);
}

fn create_as(store: &mut Store, writer: Writer, res: Res, mut obj: Value) {
    defaults::apply_defaults(res, &mut obj);
    if let Err(e) = store.with_writer(writer, |s| s.create(res, obj)) {
        tracing::warn!(
            "simulated cluster: cannot create {}: {}",
            res.plural(),
            e.message
        );
    }
}

/// Applies a user-style change to a workload, as `kubectl set image`
/// would: new template and change-cause.
fn roll(store: &mut Store, w: &Workload, rev: &Revision) {
    let (res, fresh) = workload_json(w, rev, 0);
    let Some(cur) = store.get(res, &w.namespace, &w.name) else {
        return;
    };
    let mut v = (*cur).clone();
    v["spec"]["template"] = fresh["spec"]["template"].clone();
    // Like `kubectl set image` without `--record`, an old change-cause stays.
    if let Some(c) = &rev.change_cause {
        util::set_annotation(&mut v, CHANGE_CAUSE, c);
    }
    defaults::apply_defaults(res, &mut v);
    let _ = store.with_writer(Writer::client("kubectl-set", None), |s| s.update(res, v));
}

/// `kubectl rollout pause`.
fn set_paused(store: &mut Store, w: &Workload) {
    if let Some(cur) = store.get(Res::Deployments, &w.namespace, &w.name) {
        let mut v = (*cur).clone();
        v["spec"]["paused"] = json!(true);
        let _ = store.with_writer(Writer::client("kubectl-rollout", None), |s| {
            s.update(Res::Deployments, v)
        });
    }
}

fn service_json(
    ns: &str,
    name: &str,
    selector: &[(String, String)],
    port: u16,
    ip: u32,
    created: SimTime,
) -> Value {
    let ip = format!("10.96.{}.{}", ip / 250, ip % 250);
    json!({
        "metadata": {"name": name, "namespace": ns, "labels": pairs(selector),
            "creationTimestamp": super::clock::format_time(created)},
        "spec": {"selector": pairs(selector), "clusterIP": ip, "clusterIPs": [ip],
            "ports": [{"name": "http", "port": port, "targetPort": port}]}})
}

enum Step<'a> {
    Create(&'a Workload),
    Roll(&'a Workload, &'a Revision),
    Pause(&'a Workload),
    Hpa(&'a HpaSpec),
    /// A Service (as `manager` creates it).
    Service(Value, &'static str),
    CronJob(&'a CronJobSpec),
    /// A CronJob's run replayed in the past (`materialize_batch`).
    CronRun(&'a CronJobSpec),
}

/// Runs the controllers, jumping the frozen clock from timer to timer
/// (pod start, readiness, crash) but never past `until`.
fn settle(store: &mut Store, ctl: &mut Controllers, clock: &Clock, until: SimTime) {
    for _ in 0..SETTLE_TICKS {
        let changed = ctl.tick(store);
        let now = clock.now();
        let next = if changed {
            now + SETTLE_STEP_MS
        } else {
            match ctl.next_timer() {
                Some(t) if t > now => t,
                _ => break,
            }
        };
        if next > until {
            if changed {
                continue;
            }
            break;
        }
        clock.freeze_at(next);
    }
}

/// The creation and rollouts of a workload, in the past: its revisions
/// spaced evenly over 80 % of its age, or up to `rolled_out_ago`.
fn workload_steps<'a>(w: &'a Workload, t0: SimTime, steps: &mut Vec<(SimTime, Step<'a>)>) {
    let age = w.age.as_millis() as i64;
    let born = t0 - age;
    let n = w.history.len() as i64 + 1;
    let last = w
        .rolled_out_ago
        .map(|ago| (t0 - ago.as_millis() as i64).max(born + 1000));
    let spacing = match last {
        Some(l) if n > 1 => (l - born) / (n - 1),
        _ => age * 8 / 10 / n,
    };
    steps.push((born, Step::Create(w)));
    if n > 1 {
        for (i, r) in w.history.iter().skip(1).chain([&w.current]).enumerate() {
            let at = match last {
                Some(l) if i as i64 == n - 2 => l,
                _ => born + (i as i64 + 1) * spacing,
            };
            steps.push((at, Step::Roll(w, r)));
        }
    }
    if w.paused {
        steps.push(((born + n * spacing + 1000).min(t0 - 1000), Step::Pause(w)));
    }
}

/// When a Service selecting `selector` in `ns` was made: with the oldest
/// workload it selects, or a day ago.
fn service_born(world: &World, ns: &str, selector: &[(String, String)], t0: SimTime) -> SimTime {
    let age = world
        .workloads
        .iter()
        .filter(|w| w.namespace == ns && selector.iter().all(|l| labels(w).contains(l)))
        .map(|w| w.age.as_millis() as i64)
        .max()
        .unwrap_or(24 * 3_600_000);
    t0 - age
}

/// Builds the world into `store`; returns with the clock running from now.
pub fn materialize(world: &World, store: &mut Store, ctl: &mut Controllers, clock: &Clock) {
    let t0 = clock.now();
    let oldest = world
        .workloads
        .iter()
        .map(|w| w.age.as_millis() as i64)
        .chain(world.cronjobs.iter().map(|c| c.age.as_millis() as i64))
        .max()
        .unwrap_or(0);
    let start = t0 - oldest - 3_600_000;
    store.set_recording(false);
    store.set_history_limit(world.history_limit);
    ctl.quiet = true;
    ctl.events_from = Some(t0 - EVENT_TTL_MS);
    clock.freeze_at(start);
    const BUILT_IN: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];
    for ns in BUILT_IN {
        create(
            store,
            "kube-apiserver",
            Res::Namespaces,
            json!({"metadata": {"name": ns}}),
        );
    }
    for ns in world
        .namespaces
        .iter()
        .filter(|n| !BUILT_IN.contains(&n.as_str()))
    {
        create(
            store,
            "kubectl-create",
            Res::Namespaces,
            json!({"metadata": {"name": ns}}),
        );
    }
    for (i, n) in world.nodes.iter().enumerate() {
        let mut node = node_json(n, i);
        let ts = super::clock::format_time(start);
        if let Some(conds) = node
            .pointer_mut("/status/conditions")
            .and_then(Value::as_array_mut)
        {
            for c in conds {
                c["lastHeartbeatTime"] = json!(ts);
                c["lastTransitionTime"] = json!(ts);
            }
        }
        // Nodes register themselves.
        create_as(store, Writer::controller("kubelet"), Res::Nodes, node);
    }
    let mut steps: Vec<(SimTime, Step)> = Vec::new();
    let mut svc_ip = 10u32;
    for w in &world.workloads {
        workload_steps(w, t0, &mut steps);
        if let Some(p) = w.port
            && w.kind != WorkloadKind::DaemonSet
            && w.own_service
        {
            svc_ip += 1;
            let born = t0 - w.age.as_millis() as i64;
            let svc = service_json(&w.namespace, &w.name, &w.selector, p, svc_ip, born);
            steps.push((born, Step::Service(svc, "kubectl-expose")));
        }
    }
    for s in &world.services {
        svc_ip += 1;
        let born = service_born(world, &s.namespace, &s.selector, t0);
        let svc = service_json(&s.namespace, &s.name, &s.selector, s.port, svc_ip, born);
        steps.push((born, Step::Service(svc, "kubectl-create")));
    }
    for h in &world.hpas {
        let age = world
            .workloads
            .iter()
            .find(|w| w.namespace == h.namespace && w.name == h.target)
            .map_or(0, |w| w.age.as_millis() as i64);
        steps.push((t0 - age + 60_000, Step::Hpa(h)));
    }
    for c in &world.cronjobs {
        let (born, run) = super::materialize_batch::times(c, t0);
        steps.push((born, Step::CronJob(c)));
        if let Some(at) = run {
            steps.push((at, Step::CronRun(c)));
        }
    }
    steps.sort_by_key(|(t, _)| *t);
    for (res, obj) in &world.objects {
        create(store, "kubectl-create", *res, obj.clone());
    }
    let mut i = 0;
    while i < steps.len() {
        // Everything due at the same time first, then one settle.
        let t = steps[i].0;
        clock.freeze_at(t.max(clock.now()));
        while i < steps.len() && steps[i].0 == t {
            match &steps[i].1 {
                Step::Create(w) => {
                    let first = w.history.first().unwrap_or(&w.current);
                    let (res, obj) = workload_json(w, first, t);
                    create(store, "kubectl-create", res, obj);
                }
                Step::Roll(w, r) => roll(store, w, r),
                Step::Pause(w) => set_paused(store, w),
                Step::Hpa(h) => create(store, "kubectl-autoscale", Res::Hpas, hpa_json(h)),
                Step::Service(svc, manager) => create(store, manager, Res::Services, svc.clone()),
                Step::CronJob(c) => {
                    let cj = super::materialize_batch::cronjob_json(c, t);
                    create(store, "kubectl-create", Res::CronJobs, cj);
                }
                Step::CronRun(c) => super::materialize_batch::run(store, ctl, c, t),
            }
            i += 1;
        }
        let next = steps.get(i).map_or(t0, |(t, _)| *t);
        settle(store, ctl, clock, next.min(t0));
    }
    clock.freeze_at(t0.max(clock.now()));
    for _ in 0..SETTLE_TICKS {
        if !ctl.tick(store) {
            break;
        }
    }
    store.set_recording(true);
    ctl.quiet = false;
    ctl.events_from = None;
    clock.run_from(clock.now());
    for w in &world.workloads {
        if let Some(p) = &w.pending {
            roll(store, w, p);
        }
    }
}
