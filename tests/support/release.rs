//! Release-safety fixtures: the `prod` cluster of [`super::fixtures`]
//! with api rolled out to 1.4.3 six minutes ago (by `kubectl-set`) and
//! erroring since, an ErrorRateHigh alert that started two minutes after
//! it, and a blue-green doorbell pair behind one Service.

#![allow(dead_code)]

use std::time::Duration;

use opsboard::app::{Msg, State, update};
use opsboard::model::{
    Alert, AlertState, BlueGreen, ClusterSnapshot, MetricPoint, RevisionInfo, RolloutState,
    Severity, Slot, Workload, WorkloadKind, WorkloadRef,
};

use super::fixtures::{cluster, state_with_kube, t};

/// Seconds of the fixture clock the rollout happened at (t(195) is now).
pub const ROLLED_OUT_AT: i64 = 195 - 360;

fn at(s: i64) -> std::time::SystemTime {
    if s >= 0 {
        t(s as u64)
    } else {
        t(0) - Duration::from_secs((-s) as u64)
    }
}

fn doorbell(slot: &str, image: &str, ready: i32) -> Workload {
    Workload {
        stale: None,
        id: WorkloadRef {
            context: "prod".into(),
            namespace: "shop".into(),
            kind: WorkloadKind::Deployment,
            name: format!("doorbell-{slot}"),
        },
        desired: 2,
        ready,
        updated: 2,
        available: ready,
        images: vec![image.into()],
        revision: Some("1".into()),
        paused: false,
        rollout: RolloutState::Complete,
        hpa: None,
        pods: vec![],
        history: vec![],
        events: vec![],
    }
}

/// The cluster with api at 1.4.3 (rev 4) and the doorbell pair.
pub fn release_cluster() -> ClusterSnapshot {
    let mut c = cluster();
    if let Some(api) = c.workloads.iter_mut().find(|w| w.id.name == "api") {
        api.images = vec!["registry.local/shop/api:1.4.3".into()];
        api.revision = Some("4".into());
        api.history.push(RevisionInfo {
            revision: 4,
            images: vec!["registry.local/shop/api:1.4.3".into()],
            change_cause: Some(
                "kubectl set image deployment/api api=registry.local/shop/api:1.4.3".into(),
            ),
            created: Some(at(ROLLED_OUT_AT)),
            by: Some("kubectl-set".into()),
        });
    }
    let blue = doorbell("blue", "registry.local/doorbell:2.0.1", 2);
    let green = doorbell("green", "registry.local/doorbell:2.1.0", 2);
    let slot = |w: &Workload, name: &str| Slot {
        name: name.into(),
        workload: w.id.clone(),
        desired: w.desired,
        ready: w.ready,
        images: w.images.clone(),
        settled: true,
    };
    c.pairs = vec![BlueGreen {
        context: "prod".into(),
        namespace: "shop".into(),
        service: "doorbell".into(),
        key: "slot".into(),
        live: slot(&blue, "blue"),
        idle: slot(&green, "green"),
    }];
    c.workloads.push(blue);
    c.workloads.push(green);
    c
}

/// The board after the release: api's metrics erroring since the
/// rollout, ErrorRateHigh firing since two minutes after it.
pub fn state_after_release(width: u16, height: u16) -> State {
    let mut s = state_with_kube(width, height);
    update(&mut s, Msg::Kube(Box::new(release_cluster())));
    let i = s
        .services
        .iter()
        .position(|x| x.name == "api")
        .expect("api in the fixture");
    let m = s.services[i].metrics.get_or_insert_with(Box::default);
    for k in 0..40u32 {
        let at_s = 1_795_251_600 + 195 - 600 + k * 15;
        let after = i64::from(at_s) - 1_795_251_600 >= ROLLED_OUT_AT;
        m.push(MetricPoint {
            at_s,
            req_rate: 40.0,
            error_ratio: if after { 0.16 } else { 0.002 },
            p50: 0.04,
            p95: 0.12,
            p99: 0.3,
            cpu: 0.4,
            mem: 180.0 * 1024.0 * 1024.0,
        });
    }
    let mut a = Alert::local(
        "ErrorRateHigh",
        Severity::Critical,
        "api error rate 16.0% (> 5.0%)".into(),
    );
    a.labels.insert("service".into(), "api".into());
    a.service = Some("api".into());
    a.since = Some(at(ROLLED_OUT_AT + 120));
    a.fired_at = a.since;
    a.state = AlertState::Firing;
    s.alerts.local = vec![a];
    s.alerts.rebuild(&s.services);
    s
}

/// A running standalone container on host `local`.
pub fn container(name: &str, image: &str) -> opsboard::model::ContainerInfo {
    opsboard::model::ContainerInfo {
        host: "local".into(),
        id: format!("{name}-0123456789ab"),
        name: name.into(),
        image: image.into(),
        image_id: "sha256:0".into(),
        state: "running".into(),
        status_text: "Up 3 minutes".into(),
        ..Default::default()
    }
}
