//! Pods that run to completion (a Job's, or any pod annotated
//! `sim.opsboard.dev/run-for`): their containers run for that long
//! (default 4s) and exit with `sim.opsboard.dev/exit-code` (default 0),
//! leaving the pod `Succeeded` (reason `Completed`) or `Failed` (reason
//! `Error`), as the kubelet reports a `restartPolicy: Never` pod. A failing
//! container under `OnFailure` is not restarted in place: its pod fails too.

use serde_json::{Value, json};

use super::{cond, hex64, image_id};
use crate::sim::kube::clock::{SimTime, format_time, parse_go_duration, parse_time};
use crate::sim::kube::util;

pub const ANN_RUN_FOR: &str = "sim.opsboard.dev/run-for";
pub const ANN_EXIT_CODE: &str = "sim.opsboard.dev/exit-code";
const DEFAULT_RUN_MS: i64 = 4000;

/// How long the pod's containers run before they exit, if they do.
pub fn run_ms(pod: &Value) -> Option<i64> {
    if let Some(d) = util::annotation(pod, ANN_RUN_FOR) {
        return Some(parse_go_duration(d).unwrap_or(DEFAULT_RUN_MS).max(100));
    }
    let owned_by_job = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| refs.iter().any(|r| util::s(r, "/kind") == "Job"));
    owned_by_job.then_some(DEFAULT_RUN_MS)
}

pub fn exit_code(pod: &Value) -> i64 {
    util::annotation(pod, ANN_EXIT_CODE)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn terminal_cond(ty: &str, ok: bool, at: SimTime, reason: &str) -> Value {
    let mut c = json!({"type": ty, "status": if ok { "True" } else { "False" },
        "lastProbeTime": null, "lastTransitionTime": format_time(at)});
    if !reason.is_empty() {
        c["reason"] = json!(reason);
    }
    c
}

/// The kubelet's status of a run-to-completion pod whose containers
/// started at `start` (`status` holds what is known before they ran).
pub(super) fn status(
    pod: &Value,
    mut status: Value,
    start: SimTime,
    now: SimTime,
    run: i64,
    ip: &str,
) -> (Value, Option<SimTime>) {
    let sched = parse_time(util::s(&status, "/startTime")).unwrap_or(start);
    let end = start + run;
    let done = now >= end;
    let code = exit_code(pod);
    let uid = util::uid(pod);
    status["podIP"] = json!(ip);
    status["podIPs"] = json!([{"ip": ip}]);
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let n = util::s(c, "/name");
            let image = util::s(c, "/image");
            let id = format!("containerd://{}", hex64(&format!("{uid}/{n}/0")));
            let state = if done {
                json!({"terminated": {"exitCode": code,
                    "reason": if code == 0 { "Completed" } else { "Error" },
                    "startedAt": format_time(start), "finishedAt": format_time(end),
                    "containerID": id}})
            } else {
                json!({"running": {"startedAt": format_time(start)}})
            };
            json!({"name": n, "image": image, "imageID": image_id(image), "containerID": id,
                "ready": !done, "restartCount": 0, "started": !done,
                "state": state, "lastState": {}})
        })
        .collect();
    status["containerStatuses"] = json!(statuses);
    if !done {
        status["phase"] = json!("Running");
        status["conditions"] = json!([
            cond("PodReadyToStartContainers", true, start, "", ""),
            cond("Initialized", true, sched, "", ""),
            cond("Ready", true, start, "", ""),
            cond("ContainersReady", true, start, "", ""),
            cond("PodScheduled", true, sched, "", ""),
        ]);
        return (status, Some(end));
    }
    let (phase, reason) = if code == 0 {
        ("Succeeded", "PodCompleted")
    } else {
        ("Failed", "PodFailed")
    };
    status["phase"] = json!(phase);
    status["conditions"] = json!([
        terminal_cond("PodReadyToStartContainers", false, end, ""),
        terminal_cond(
            "Initialized",
            true,
            sched,
            if code == 0 { reason } else { "" }
        ),
        terminal_cond("Ready", false, end, reason),
        terminal_cond("ContainersReady", false, end, reason),
        terminal_cond("PodScheduled", true, sched, ""),
    ]);
    (status, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_pod_runs_then_completes_or_fails() {
        let mut pod = json!({"metadata": {"name": "p", "uid": "u",
            "ownerReferences": [{"kind": "Job", "name": "j", "controller": true}]},
            "spec": {"containers": [{"name": "c", "image": "postgres:16.2"}]}});
        let base = json!({"phase": "Pending", "startTime": "1970-01-01T00:00:10Z"});
        assert_eq!(run_ms(&pod), Some(4000));
        let (s, next) = status(&pod, base.clone(), 11_000, 12_000, 4000, "10.0.0.9");
        assert_eq!(s["phase"], "Running");
        assert_eq!(next, Some(15_000));
        let (s, next) = status(&pod, base.clone(), 11_000, 15_000, 4000, "10.0.0.9");
        assert_eq!(s["phase"], "Succeeded");
        assert_eq!(next, None);
        let t = &s["containerStatuses"][0]["state"]["terminated"];
        assert_eq!(t["reason"], "Completed");
        assert_eq!(t["finishedAt"], "1970-01-01T00:00:15Z");
        pod["metadata"]["annotations"] = json!({ANN_EXIT_CODE: "2"});
        let (s, _) = status(&pod, base, 11_000, 15_000, 4000, "10.0.0.9");
        assert_eq!(s["phase"], "Failed");
        assert_eq!(
            s["containerStatuses"][0]["state"]["terminated"]["exitCode"],
            2
        );
        assert_eq!(run_ms(&json!({"metadata": {}})), None);
    }
}
