//! How a simulated pod's status evolves. It is a pure function
//! of when the pod was scheduled, its annotations and the time:
//!
//! - `sim.opsboard.dev/ready-after: "3s"`: ready that long after starting
//!   (default 2s);
//! - `sim.opsboard.dev/never-ready: "true"`: runs but never becomes ready;
//! - `sim.opsboard.dev/crash: "oom" | "error"`: runs for
//!   `sim.opsboard.dev/crash-after` (default 3s), then is killed, and is
//!   restarted with the kubelet's back-off (10s doubling up to 5m):
//!   CrashLoopBackOff with a growing restartCount;
//! - pods of Jobs (or with `sim.opsboard.dev/run-for`) run to completion:
//!   see `pod_completion`.

#[path = "pod_completion.rs"]
pub mod completion;

use serde_json::{Value, json};

use crate::sim::kube::clock::{SimTime, format_time, parse_go_duration, parse_time};
use crate::sim::kube::util;

pub const ANN_READY_AFTER: &str = "sim.opsboard.dev/ready-after";
pub const ANN_NEVER_READY: &str = "sim.opsboard.dev/never-ready";
pub const ANN_CRASH: &str = "sim.opsboard.dev/crash";
pub const ANN_CRASH_AFTER: &str = "sim.opsboard.dev/crash-after";

/// Image pull and container creation.
const START_MS: i64 = 1000;
const DEFAULT_READY_MS: i64 = 2000;
const DEFAULT_CRASH_AFTER_MS: i64 = 3000;
/// How long a terminating container takes to exit (capped by the grace
/// period).
pub(super) const TERMINATE_MS: i64 = 2000;

pub(super) fn hex64(seed: &str) -> String {
    (0..8)
        .map(|n| format!("{:08x}", util::fnv32a(format!("{seed}/{n}").as_bytes())))
        .collect()
}

pub(super) fn image_id(image: &str) -> String {
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    let first = repo.split('/').next().unwrap_or("");
    let full = if !repo.contains('/') {
        format!("docker.io/library/{repo}")
    } else if first.contains('.') || first.contains(':') || first == "localhost" {
        repo.to_string()
    } else {
        format!("docker.io/{repo}")
    };
    format!("{full}@sha256:{}", hex64(image))
}

pub(super) enum Mode {
    Normal(i64),
    NeverReady,
    Crash { oom: bool, run: i64 },
}

pub(super) fn mode(pod: &Value) -> Mode {
    if let Some(c) = util::annotation(pod, ANN_CRASH) {
        let run = util::annotation(pod, ANN_CRASH_AFTER)
            .and_then(parse_go_duration)
            .unwrap_or(DEFAULT_CRASH_AFTER_MS)
            .max(100);
        return Mode::Crash {
            oom: c.eq_ignore_ascii_case("oom") || c.eq_ignore_ascii_case("oomkilled"),
            run,
        };
    }
    if util::annotation(pod, ANN_NEVER_READY) == Some("true") {
        return Mode::NeverReady;
    }
    Mode::Normal(
        util::annotation(pod, ANN_READY_AFTER)
            .and_then(parse_go_duration)
            .unwrap_or(DEFAULT_READY_MS),
    )
}

fn backoff(k: i64) -> i64 {
    (10_000i64 << k.min(5)).min(300_000)
}

/// Where a crash-looping container is at `t` ms after its first start:
/// `(restarts, running_since, Some((last_started, last_finished)), in_backoff, next_change)`.
fn crash_phase(t: i64, run: i64) -> (i64, i64, Option<(i64, i64)>, bool, i64) {
    // Instance k starts at s(k), runs `run`, then waits backoff(k).
    let start_of = |k: i64| -> i64 {
        let mut s = 0;
        for j in 0..k.min(5) {
            s += run + backoff(j);
        }
        if k > 5 {
            s += (k - 5) * (run + 300_000);
        }
        s
    };
    let mut k = 0;
    while k < 5 && start_of(k + 1) <= t {
        k += 1;
    }
    if k == 5 && t >= start_of(5) {
        k += (t - start_of(5)) / (run + 300_000);
    }
    let s = start_of(k);
    let e = s + run;
    let last = (k > 0).then(|| {
        let ps = start_of(k - 1);
        (ps, ps + run)
    });
    if t < e {
        (k, s, last, false, e)
    } else {
        (k + 1, s, Some((s, e)), true, start_of(k + 1))
    }
}

/// Go's `time.Duration` formatting for whole seconds: `10s`, `1m20s`, `5m0s`.
fn go_duration(ms: i64) -> String {
    let secs = ms / 1000;
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{}s", secs / 60, secs % 60)
    }
}

pub(super) fn cond(ty: &str, ok: bool, at: SimTime, reason: &str, message: &str) -> Value {
    let mut c = json!({"type": ty, "status": if ok { "True" } else { "False" },
        "lastProbeTime": null, "lastTransitionTime": format_time(at)});
    if !ok && !reason.is_empty() {
        c["reason"] = json!(reason);
        c["message"] = json!(message);
    }
    c
}

/// The status the kubelet reports for a scheduled pod at `now`, and when
/// it next changes by itself.
pub(super) fn compute_status(
    pod: &Value,
    node: Option<&Value>,
    now: SimTime,
    ip: &str,
) -> (Value, Option<SimTime>) {
    let sched = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| util::s(c, "/type") == "PodScheduled"))
        .and_then(|c| parse_time(util::s(c, "/lastTransitionTime")))
        .or_else(|| parse_time(util::s(pod, "/metadata/creationTimestamp")))
        .unwrap_or(now);
    let start = sched + START_MS;
    let host_ip = node
        .and_then(|n| n.pointer("/status/addresses"))
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|x| util::s(x, "/type") == "InternalIP"))
        .map(|x| util::s(x, "/address").to_string())
        .unwrap_or_default();
    let node_ready_since = node.and_then(|n| {
        let c = n
            .pointer("/status/conditions")?
            .as_array()?
            .iter()
            .find(|c| util::s(c, "/type") == "Ready")?;
        let t = parse_time(util::s(c, "/lastTransitionTime")).unwrap_or(0);
        Some((util::s(c, "/status") == "True", t))
    });
    let (node_ready, node_since) = node_ready_since.unwrap_or((false, sched));
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = containers.iter().map(|c| util::s(c, "/name")).collect();
    let unready_msg = format!("containers with unready status: [{}]", names.join(" "));
    let uid = util::uid(pod);
    let mut status = json!({
        "phase": "Pending",
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": format_time(sched),
        "qosClass": util::s(pod, "/status/qosClass"),
    });
    if util::s(pod, "/status/qosClass").is_empty() {
        status["qosClass"] = json!("BestEffort");
    }
    if now < start {
        let statuses: Vec<Value> = containers
            .iter()
            .map(|c| {
                json!({"name": util::s(c, "/name"), "image": util::s(c, "/image"), "imageID": "",
                "ready": false, "restartCount": 0, "started": false,
                "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}})
            })
            .collect();
        status["containerStatuses"] = json!(statuses);
        status["conditions"] = json!([
            cond("PodReadyToStartContainers", false, sched, "", ""),
            cond("Initialized", true, sched, "", ""),
            cond("Ready", false, sched, "ContainersNotReady", &unready_msg),
            cond(
                "ContainersReady",
                false,
                sched,
                "ContainersNotReady",
                &unready_msg
            ),
            cond("PodScheduled", true, sched, "", ""),
        ]);
        return (status, Some(start));
    }
    if let Some(run) = completion::run_ms(pod) {
        return completion::status(pod, status, start, now, run, ip);
    }
    status["phase"] = json!("Running");
    status["podIP"] = json!(ip);
    status["podIPs"] = json!([{"ip": ip}]);
    let t = now - start;
    let mut next: Option<SimTime> = None;
    let (ready, ready_at, statuses) = match mode(pod) {
        Mode::Normal(after) => {
            let ready_at = start + after;
            let ready = now >= ready_at;
            if !ready {
                next = Some(ready_at);
            }
            let statuses: Vec<Value> = containers
                .iter()
                .map(|c| {
                    let n = util::s(c, "/name");
                    json!({"name": n, "image": util::s(c, "/image"), "imageID": image_id(util::s(c, "/image")),
                    "containerID": format!("containerd://{}", hex64(&format!("{uid}/{n}/0"))),
                    "ready": ready && node_ready, "restartCount": 0, "started": true,
                    "state": {"running": {"startedAt": format_time(start)}}, "lastState": {}})
                })
                .collect();
            (ready, ready_at, statuses)
        }
        Mode::NeverReady => {
            let statuses: Vec<Value> = containers
                .iter()
                .map(|c| {
                    let n = util::s(c, "/name");
                    json!({"name": n, "image": util::s(c, "/image"), "imageID": image_id(util::s(c, "/image")),
                    "containerID": format!("containerd://{}", hex64(&format!("{uid}/{n}/0"))),
                    "ready": false, "restartCount": 0, "started": true,
                    "state": {"running": {"startedAt": format_time(start)}}, "lastState": {}})
                })
                .collect();
            (false, start, statuses)
        }
        Mode::Crash { oom, run } => {
            let (restarts, since, last, waiting, change) = crash_phase(t, run);
            next = Some(start + change);
            let (reason, code) = if oom {
                ("OOMKilled", 137)
            } else {
                ("Error", 1)
            };
            let statuses: Vec<Value> = containers
                .iter()
                .map(|c| {
                    let n = util::s(c, "/name");
                    let state = if waiting {
                        json!({"waiting": {"reason": "CrashLoopBackOff",
                            "message": format!("back-off {} restarting failed container={n} pod={}_{}({uid})",
                                go_duration(backoff(restarts - 1)),
                                util::name(pod), util::namespace(pod))}})
                    } else {
                        json!({"running": {"startedAt": format_time(start + since)}})
                    };
                    let last_state = match last {
                        Some((s, e)) => json!({"terminated": {"exitCode": code, "reason": reason,
                            "startedAt": format_time(start + s), "finishedAt": format_time(start + e),
                            "containerID": format!("containerd://{}", hex64(&format!("{uid}/{n}/{}", restarts.max(1) - 1)))}}),
                        None => json!({}),
                    };
                    json!({"name": n, "image": util::s(c, "/image"), "imageID": image_id(util::s(c, "/image")),
                    "containerID": format!("containerd://{}", hex64(&format!("{uid}/{n}/{restarts}"))),
                    "ready": false, "restartCount": restarts, "started": !waiting,
                    "state": state, "lastState": last_state})
                })
                .collect();
            (false, start, statuses)
        }
    };
    let ready = ready && node_ready;
    let ready_since = if ready {
        ready_at.max(node_since)
    } else {
        start
    };
    status["containerStatuses"] = json!(statuses);
    status["conditions"] = json!([
        cond("PodReadyToStartContainers", true, start, "", ""),
        cond("Initialized", true, sched, "", ""),
        cond(
            "Ready",
            ready,
            ready_since,
            "ContainersNotReady",
            &unready_msg
        ),
        cond(
            "ContainersReady",
            ready,
            ready_since,
            "ContainersNotReady",
            &unready_msg
        ),
        cond("PodScheduled", true, sched, "", ""),
    ]);
    (status, next)
}

#[cfg(test)]
mod tests {
    use super::super::podutil::{is_available, is_ready};
    use super::*;

    #[test]
    fn crash_loop_backs_off() {
        // run 3s, back-off 10s, run 3s, back-off 20s...
        assert_eq!(crash_phase(1000, 3000).0, 0);
        let (r, _, last, waiting, next) = crash_phase(5000, 3000);
        assert_eq!((r, waiting, next), (1, true, 13_000));
        assert_eq!(last, Some((0, 3000)));
        let (r, since, _, waiting, _) = crash_phase(14_000, 3000);
        assert_eq!((r, since, waiting), (1, 13_000, false));
        let (r, _, _, waiting, next) = crash_phase(17_000, 3000);
        assert_eq!((r, waiting, next), (2, true, 36_000));
        // Days later the count keeps growing without looping forever.
        let (r, ..) = crash_phase(86_400_000, 3000);
        assert!(r > 250 && r < 320, "{r}");
        let (r2, ..) = crash_phase(86_400_000 + 303_000, 3000);
        assert_eq!(r2, r + 1);
    }

    #[test]
    fn image_ids() {
        assert!(image_id("nginx:1.25").starts_with("docker.io/library/nginx@sha256:"));
        assert!(image_id("registry.local/api:1.4.1").starts_with("registry.local/api@sha256:"));
        assert!(
            image_id("grafana/grafana:10.2.0").starts_with("docker.io/grafana/grafana@sha256:")
        );
    }

    #[test]
    fn pod_status_progresses_with_time() {
        let pod = json!({"metadata": {"name": "p", "namespace": "d", "uid": "u"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            "status": {"conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": "1970-01-01T00:00:10Z"}]}});
        let node = json!({"status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "1970-01-01T00:00:00Z"}],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}});
        let (s, next) = compute_status(&pod, Some(&node), 10_500, "10.244.1.2");
        assert_eq!(s["phase"], "Pending");
        assert_eq!(next, Some(11_000));
        let (s, next) = compute_status(&pod, Some(&node), 12_000, "10.244.1.2");
        assert_eq!(s["phase"], "Running");
        assert_eq!(s["containerStatuses"][0]["ready"], false);
        assert_eq!(next, Some(13_000));
        let (s, next) = compute_status(&pod, Some(&node), 13_000, "10.244.1.2");
        assert_eq!(s["containerStatuses"][0]["ready"], true);
        assert_eq!(next, None);
        let mut p = pod.clone();
        p["status"] = s;
        assert!(is_ready(&p));
        assert!(is_available(&p, 0, 13_000));
        assert!(!is_available(&p, 5, 13_000));
    }
}
