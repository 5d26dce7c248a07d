//! The simulated kubelet: reports the status of scheduled pods (see
//! `pod_status` for how it evolves with time) and finishes graceful
//! deletions.

use std::sync::Arc;

use serde_json::Value;

use super::Controllers;
use super::events::{self, Source};
use super::pod_status::{Mode, TERMINATE_MS, compute_status, mode};
pub use super::podutil::{from_template, is_active, is_available, is_ready};
use crate::sim::kube::clock::{SimTime, parse_time};
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

/// The kubelet: reports status of scheduled pods and finishes graceful
/// deletions.
pub fn kubelet(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    // Nothing changed and no timer is due: nothing to report.
    if store.resource_version() == ctl.kubelet_rv && ctl.next_timer().is_none_or(|t| now < t) {
        return;
    }
    let nodes: std::collections::HashMap<String, Arc<Value>> = store
        .list(Res::Nodes, None)
        .into_iter()
        .map(|n| (util::name(&n).to_string(), n))
        .collect();
    let pods = store.list(Res::Pods, None);
    let mut seen = std::collections::HashSet::new();
    for pod in pods {
        let uid = util::uid(&pod).to_string();
        seen.insert(uid.clone());
        let ns = util::namespace(&pod).to_string();
        let name = util::name(&pod).to_string();
        let node_name = util::s(&pod, "/spec/nodeName");
        if util::is_deleting(&pod) {
            let deadline = parse_time(util::s(&pod, "/metadata/deletionTimestamp")).unwrap_or(now);
            let grace = util::i(&pod, "/metadata/deletionGracePeriodSeconds") * 1000;
            let exit_at = deadline - grace + grace.min(TERMINATE_MS);
            if node_name.is_empty() || now >= exit_at || util::s(&pod, "/status/phase") == "Pending"
            {
                store.delete(Res::Pods, &ns, &name);
                ctl.pod_next.remove(&uid);
                seen.remove(&uid);
            } else {
                ctl.pod_next
                    .insert(uid, (String::new(), String::new(), Some(exit_at)));
            }
            continue;
        }
        if node_name.is_empty() {
            continue;
        }
        let node = nodes.get(node_name);
        let prv = util::s(&pod, "/metadata/resourceVersion").to_string();
        let nrv = node
            .map(|n| util::s(n, "/metadata/resourceVersion").to_string())
            .unwrap_or_default();
        if let Some((p, n, next)) = ctl.pod_next.get(&uid)
            && *p == prv
            && *n == nrv
            && next.is_none_or(|t| now < t)
        {
            continue;
        }
        let mut ip = util::s(&pod, "/status/podIP").to_string();
        if ip.is_empty() {
            ctl.ip_counter += 1;
            let node_idx = nodes.keys().filter(|k| k.as_str() < node_name).count() + 1;
            ip = format!("10.244.{}.{}", node_idx % 250, ctl.ip_counter % 250 + 2);
        }
        let (status, next) = compute_status(&pod, node.map(|n| &**n), now, &ip);
        let old_restarts = util::i(&pod, "/status/containerStatuses/0/restartCount");
        let was_running = util::s(&pod, "/status/phase") == "Running";
        let mut new_rv = prv.clone();
        if pod.get("status") != Some(&status) {
            let mut v = (*pod).clone();
            v["status"] = status.clone();
            if let Ok(p) = store.update(Res::Pods, v) {
                new_rv = util::s(&p, "/metadata/resourceVersion").to_string();
                let host = node_name.to_string();
                let restarts = util::i(&p, "/status/containerStatuses/0/restartCount");
                let container = util::s(&p, "/spec/containers/0/name").to_string();
                let fp = format!("spec.containers{{{container}}}");
                if restarts > old_restarts
                    && util::s(&p, "/status/containerStatuses/0/state/waiting/reason")
                        == "CrashLoopBackOff"
                {
                    let msg = format!(
                        "Back-off restarting failed container {container} in pod {name}_{ns}({uid})"
                    );
                    events::record(
                        ctl,
                        store,
                        now,
                        &p,
                        Res::Pods,
                        true,
                        "BackOff",
                        &msg,
                        Source {
                            component: "kubelet",
                            host: &host,
                        },
                        &fp,
                    );
                    new_rv = store
                        .get(Res::Pods, &ns, &name)
                        .map(|p| util::s(&p, "/metadata/resourceVersion").to_string())
                        .unwrap_or(new_rv);
                }
                if !was_running && util::s(&p, "/status/phase") == "Running" {
                    started(ctl, store, now, &p, &container, &host, &fp);
                }
            }
        }
        ctl.pod_next.insert(uid, (new_rv, nrv, next));
    }
    ctl.pod_next.retain(|k, _| seen.contains(k));
    ctl.kubelet_rv = store.resource_version();
    ctl.next_due = ctl.pod_next.values().filter_map(|(_, _, t)| *t).min();
}

/// What the kubelet records as a container starts: the image at hand,
/// the container created and started; a pod that never gets ready then
/// fails its readiness probe.
fn started(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    pod: &Value,
    container: &str,
    host: &str,
    field_path: &str,
) {
    let image = util::s(pod, "/spec/containers/0/image").to_string();
    let mut steps = vec![
        (
            false,
            "Pulled",
            format!("Container image \"{image}\" already present on machine"),
        ),
        (false, "Created", format!("Created container {container}")),
        (false, "Started", format!("Started container {container}")),
    ];
    if matches!(mode(pod), Mode::NeverReady) {
        steps.push((
            true,
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503".to_string(),
        ));
    }
    for (warning, reason, message) in steps {
        let source = Source {
            component: "kubelet",
            host,
        };
        events::record(
            ctl,
            store,
            now,
            pod,
            Res::Pods,
            warning,
            reason,
            &message,
            source,
            field_path,
        );
    }
}
