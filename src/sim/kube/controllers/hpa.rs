//! The HorizontalPodAutoscaler (autoscaling/v2) controller over a simulated
//! CPU load: every 15 s it computes utilization, recommends a size within
//! min/max (with the 5-minute scale-down stabilization window) and scales
//! the target.
//!
//! The load is a slow wave around the target; the annotation
//! `sim.opsboard.dev/cpu-utilization: "85"` pins the per-pod utilization.

use serde_json::{Value, json};

use super::events::{self, Source};
use super::{Controllers, set_condition};
use crate::sim::kube::clock::{SimTime, format_time};
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

pub const ANN_CPU: &str = "sim.opsboard.dev/cpu-utilization";
const SYNC_MS: i64 = 15_000;
const STABILIZATION_MS: i64 = 300_000;
const TOLERANCE: f64 = 0.1;

#[derive(Default)]
pub struct HpaState {
    last_sync: Option<SimTime>,
    last_generation: i64,
    recommendations: Vec<(SimTime, i64)>,
}

fn target_res(kind: &str) -> Option<Res> {
    match kind {
        "Deployment" => Some(Res::Deployments),
        "StatefulSet" => Some(Res::StatefulSets),
        "ReplicaSet" => Some(Res::ReplicaSets),
        _ => None,
    }
}

/// Average CPU utilization (percent of requests) per pod.
fn utilization(hpa: &Value, now: SimTime, replicas: i64, target: i64) -> i64 {
    if let Some(u) = util::annotation(hpa, ANN_CPU).and_then(|s| s.parse::<i64>().ok()) {
        return u;
    }
    let min = util::opt_i(hpa, "/spec/minReplicas").unwrap_or(1).max(1);
    let phase = (util::fnv32a(util::name(hpa).as_bytes()) % 900) as f64;
    let t = now as f64 / 1000.0 + phase;
    let wave = (t * std::f64::consts::TAU / 900.0).sin();
    let demand = target as f64 * min as f64 * (1.15 + 0.6 * wave);
    (demand / replicas.max(1) as f64).round() as i64
}

pub fn sync_all(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    let hpas = store.list(Res::Hpas, None);
    let uids: Vec<String> = hpas.iter().map(|h| util::uid(h).to_string()).collect();
    ctl.hpa.retain(|k, _| uids.contains(k));
    for hpa in hpas {
        let uid = util::uid(&hpa).to_string();
        let generation = util::i(&hpa, "/metadata/generation");
        let st = ctl.hpa.entry(uid.clone()).or_default();
        let due =
            st.last_sync.is_none_or(|t| now - t >= SYNC_MS) || st.last_generation != generation;
        if !due {
            continue;
        }
        st.last_sync = Some(now);
        st.last_generation = generation;
        sync_one(ctl, store, now, &hpa, &uid);
    }
}

fn sync_one(ctl: &mut Controllers, store: &mut Store, now: SimTime, hpa: &Value, uid: &str) {
    let ns = util::namespace(hpa).to_string();
    let ts = format_time(now);
    let kind = util::s(hpa, "/spec/scaleTargetRef/kind").to_string();
    let tname = util::s(hpa, "/spec/scaleTargetRef/name").to_string();
    let mut status = hpa.get("status").cloned().unwrap_or(json!({}));
    if !status.is_object() {
        status = json!({});
    }
    status["observedGeneration"] = json!(util::i(hpa, "/metadata/generation"));
    let target = target_res(&kind).and_then(|r| store.get(r, &ns, &tname).map(|t| (r, t)));
    let Some((res, target)) = target else {
        let msg = format!(
            "the HPA controller was unable to get the target's current scale: {}/scale \"{tname}\" not found",
            target_res(&kind).map_or(kind.to_lowercase(), |r| r.qualified())
        );
        set_condition(
            &mut status,
            "AbleToScale",
            "False",
            "FailedGetScale",
            &msg,
            &ts,
            false,
        );
        write_status(store, hpa, status);
        return;
    };
    let current = util::opt_i(&target, "/spec/replicas").unwrap_or(1);
    let actual = util::i(&target, "/status/replicas");
    let min = util::opt_i(hpa, "/spec/minReplicas").unwrap_or(1);
    let max = util::i(hpa, "/spec/maxReplicas");
    status["currentReplicas"] = json!(actual);
    if current == 0 {
        set_condition(
            &mut status,
            "ScalingActive",
            "False",
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero",
            &ts,
            false,
        );
        status["desiredReplicas"] = json!(0);
        write_status(store, hpa, status);
        return;
    }
    let metric = hpa
        .pointer("/spec/metrics")
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter().find(|m| {
                util::s(m, "/type") == "Resource"
                    && util::s(m, "/resource/name") == "cpu"
                    && util::opt_i(m, "/resource/target/averageUtilization").is_some()
            })
        })
        .cloned();
    let mut desired = current;
    let mut reason_dir = "";
    if let Some(m) = metric {
        let target_util = util::i(&m, "/resource/target/averageUtilization").max(1);
        let u = utilization(hpa, now, current, target_util);
        let ratio = u as f64 / target_util as f64;
        if (ratio - 1.0).abs() > TOLERANCE {
            desired = (current as f64 * ratio).ceil() as i64;
            reason_dir = if ratio > 1.0 { "above" } else { "below" };
        }
        status["currentMetrics"] = json!([{"type": "Resource", "resource": {"name": "cpu",
            "current": {"averageUtilization": u, "averageValue": format!("{}m", u)}}}]);
        set_condition(
            &mut status,
            "ScalingActive",
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
            &ts,
            false,
        );
    } else {
        status["currentMetrics"] = json!([]);
    }
    let (limited, lim_reason, lim_msg) = if desired > max {
        (
            true,
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        )
    } else if desired < min {
        (
            true,
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        )
    } else {
        (
            false,
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        )
    };
    desired = desired.clamp(min, max.max(min));
    set_condition(
        &mut status,
        "ScalingLimited",
        if limited { "True" } else { "False" },
        lim_reason,
        lim_msg,
        &ts,
        false,
    );
    // Scale-down stabilization: the highest recommendation of the window.
    if let Some(st) = ctl.hpa.get_mut(uid) {
        st.recommendations.push((now, desired));
        st.recommendations
            .retain(|(t, _)| now - t <= STABILIZATION_MS);
        if desired < current {
            desired = st
                .recommendations
                .iter()
                .map(|(_, r)| *r)
                .max()
                .unwrap_or(desired)
                .min(current);
        }
    }
    status["desiredReplicas"] = json!(desired);
    if desired != current {
        store.modify(res, &ns, &tname, |t| t["spec"]["replicas"] = json!(desired));
        status["lastScaleTime"] = json!(ts);
        let msg = format!(
            "New size: {desired}; reason: cpu resource utilization (percentage of request) {reason_dir} target"
        );
        events::record(
            ctl,
            store,
            now,
            hpa,
            Res::Hpas,
            false,
            "SuccessfulRescale",
            &msg,
            Source {
                component: "horizontal-pod-autoscaler",
                host: "",
            },
            "",
        );
        set_condition(
            &mut status,
            "AbleToScale",
            "True",
            "SucceededRescale",
            &format!("the HPA controller was able to update the target scale to {desired}"),
            &ts,
            false,
        );
    } else {
        set_condition(
            &mut status,
            "AbleToScale",
            "True",
            "ReadyForNewScale",
            "recommended size matches current size",
            &ts,
            false,
        );
    }
    // Keep the conditions in the real order.
    if let Some(list) = status["conditions"].as_array_mut() {
        let rank = |c: &Value| match util::s(c, "/type") {
            "AbleToScale" => 0,
            "ScalingActive" => 1,
            _ => 2,
        };
        list.sort_by_key(rank);
    }
    write_status(store, hpa, status);
}

fn write_status(store: &mut Store, hpa: &Value, status: Value) {
    if hpa.get("status") != Some(&status) {
        store.modify(Res::Hpas, util::namespace(hpa), util::name(hpa), |h| {
            h["status"] = status
        });
    }
}
