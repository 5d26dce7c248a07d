//! The Job controller: runs `parallelism` pods at a time from the Job's
//! template until `completions` of them succeed (or, without completions,
//! one does), recreates failed ones after the controller's back-off (10s
//! doubling) until more than `backoffLimit` failed, honours `suspend` and
//! `activeDeadlineSeconds`, and reports `active`, `ready`, `terminating`,
//! `succeeded`, `failed`, `startTime`, `completionTime` and the 1.32
//! conditions (`SuccessCriteriaMet` then `Complete`, `FailureTarget` then
//! `Failed`, `Suspended`). Pods are counted from the pods themselves: the
//! job-tracking finalizers (and so `uncountedTerminatedPods`, always empty
//! here), indexed completions and pod failure policies are not simulated.

use std::sync::Arc;

use serde_json::{Value, json};

use super::events::{self, Source};
use super::pods::{from_template, is_ready};
use super::{Controllers, get_condition, index_by_owner, set_condition};
use crate::sim::kube::clock::{SimTime, format_time, parse_time};
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

const SOURCE: Source<'static> = Source {
    component: "job-controller",
    host: "",
};

/// The condition (`Complete` or `Failed`) a finished Job carries.
pub fn finished(job: &Value) -> Option<&'static str> {
    ["Complete", "Failed"].into_iter().find(|ty| {
        get_condition(&job["status"], ty).is_some_and(|c| util::s(c, "/status") == "True")
    })
}

pub fn sync_all(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    let pods_by_owner = index_by_owner(store, Res::Pods);
    let empty = Vec::new();
    for job in store.list(Res::Jobs, None) {
        if util::is_deleting(&job) {
            continue;
        }
        let pods = pods_by_owner.get(util::uid(&job)).unwrap_or(&empty);
        sync_one(ctl, store, now, &job, pods);
    }
}

fn event(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    job: &Value,
    warning: bool,
    reason: &str,
    msg: &str,
) {
    events::record(
        ctl,
        store,
        now,
        job,
        Res::Jobs,
        warning,
        reason,
        msg,
        SOURCE,
        "",
    );
}

fn phase(p: &Value) -> &str {
    util::s(p, "/status/phase")
}

/// When the controller may create a pod again after `failed` failures,
/// the last of which ended at `last`.
fn backoff_until(failed: i64, last: SimTime) -> SimTime {
    last + (10_000i64 << (failed - 1).clamp(0, 5)).min(360_000)
}

fn finish(status: &mut Value, ok: bool, reason: &str, message: &str, now: &str) {
    let (target, done) = if ok {
        ("SuccessCriteriaMet", "Complete")
    } else {
        ("FailureTarget", "Failed")
    };
    for ty in [target, done] {
        set_condition(status, ty, "True", reason, message, now, false);
        if let Some(c) = status
            .get_mut("conditions")
            .and_then(Value::as_array_mut)
            .and_then(|cs| cs.iter_mut().find(|c| util::s(c, "/type") == ty))
        {
            c["lastProbeTime"] = json!(now);
        }
    }
}

fn sync_one(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    job: &Arc<Value>,
    pods: &[Arc<Value>],
) {
    let ts = format_time(now);
    let old = job.get("status").cloned().unwrap_or(json!({}));
    let mut status = old.clone();
    let count = |ph: &str| pods.iter().filter(|p| phase(p) == ph).count() as i64;
    let succeeded = count("Succeeded").max(util::i(&old, "/succeeded"));
    let failed = count("Failed").max(util::i(&old, "/failed"));
    let active: Vec<&Arc<Value>> = pods
        .iter()
        .filter(|p| !util::is_deleting(p) && !matches!(phase(p), "Succeeded" | "Failed"))
        .collect();
    let terminating = pods
        .iter()
        .filter(|p| util::is_deleting(p) && !matches!(phase(p), "Succeeded" | "Failed"))
        .count();
    let done = finished(job).is_some();
    let suspended = util::b(job, "/spec/suspend");
    let parallelism = util::opt_i(job, "/spec/parallelism").unwrap_or(1);
    let completions = util::opt_i(job, "/spec/completions");
    let backoff_limit = util::opt_i(job, "/spec/backoffLimit").unwrap_or(6);
    let mut kill_active = false;
    if !done {
        if !suspended && status.get("startTime").is_none() {
            status["startTime"] = json!(ts);
        }
        let started = parse_time(util::s(&status, "/startTime"));
        let deadline = util::opt_i(job, "/spec/activeDeadlineSeconds");
        let complete = match completions {
            Some(c) => succeeded >= c,
            None => succeeded > 0 && active.is_empty(),
        };
        if failed > backoff_limit {
            let msg = "Job has reached the specified backoff limit";
            finish(&mut status, false, "BackoffLimitExceeded", msg, &ts);
            event(ctl, store, now, job, true, "BackoffLimitExceeded", msg);
            kill_active = true;
        } else if let (Some(d), Some(s)) = (deadline, started)
            && !suspended
            && now >= s + d * 1000
        {
            let msg = "Job was active longer than specified deadline";
            finish(&mut status, false, "DeadlineExceeded", msg, &ts);
            event(ctl, store, now, job, true, "DeadlineExceeded", msg);
            kill_active = true;
        } else if complete {
            let msg = "Reached expected number of succeeded pods";
            finish(&mut status, true, "CompletionsReached", msg, &ts);
            status["completionTime"] = json!(ts);
            event(ctl, store, now, job, false, "Completed", "Job completed");
            kill_active = true;
        } else if suspended {
            kill_active = true;
            if get_condition(&status, "Suspended").is_none_or(|c| util::s(c, "/status") != "True") {
                set_condition(
                    &mut status,
                    "Suspended",
                    "True",
                    "JobSuspended",
                    "Job suspended",
                    &ts,
                    false,
                );
                util::remove(&mut status, "/startTime");
                event(ctl, store, now, job, false, "Suspended", "Job suspended");
            }
        } else {
            if get_condition(&status, "Suspended").is_some() {
                set_condition(
                    &mut status,
                    "Suspended",
                    "False",
                    "JobResumed",
                    "Job resumed",
                    &ts,
                    false,
                );
                event(ctl, store, now, job, false, "Resumed", "Job resumed");
            }
            let left = completions.map_or(1, |c| c - succeeded);
            let want = parallelism.min(left) - active.len() as i64;
            let last_failure = pods
                .iter()
                .filter(|p| phase(p) == "Failed")
                .filter_map(|p| {
                    parse_time(util::s(
                        p,
                        "/status/containerStatuses/0/state/terminated/finishedAt",
                    ))
                })
                .max();
            let waiting = last_failure.is_some_and(|t| now < backoff_until(failed, t));
            if want > 0 && !waiting {
                for _ in 0..want {
                    let pod = from_template(&job["spec"]["template"], job, Res::Jobs, None, &[]);
                    if let Ok(p) = store.create(Res::Pods, pod) {
                        let msg = format!("Created pod: {}", util::name(&p));
                        event(ctl, store, now, job, false, "SuccessfulCreate", &msg);
                    }
                }
            }
        }
    } else {
        kill_active = true;
    }
    if kill_active {
        for p in &active {
            let grace = util::opt_i(p, "/spec/terminationGracePeriodSeconds").unwrap_or(30);
            store.mark_deleting(Res::Pods, util::namespace(p), util::name(p), grace);
            let msg = format!("Deleted pod: {}", util::name(p));
            event(ctl, store, now, job, false, "SuccessfulDelete", &msg);
        }
    }
    // Pods created or deleted just now show in the next pass's counts.
    let still_active = if kill_active { 0 } else { active.len() as i64 };
    let ready = active.iter().filter(|p| is_ready(p)).count() as i64;
    let m = status.as_object_mut();
    if let Some(m) = m {
        for (k, v) in [
            ("active", still_active),
            ("succeeded", succeeded),
            ("failed", failed),
        ] {
            if v > 0 {
                m.insert(k.into(), json!(v));
            } else {
                m.remove(k);
            }
        }
        m.insert("ready".into(), json!(if kill_active { 0 } else { ready }));
        m.insert(
            "terminating".into(),
            json!(terminating + if kill_active { active.len() } else { 0 }),
        );
        m.insert("uncountedTerminatedPods".into(), json!({}));
    }
    if status != old {
        store.modify(Res::Jobs, util::namespace(job), util::name(job), |j| {
            j["status"] = status;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds() {
        assert_eq!(backoff_until(1, 0), 10_000);
        assert_eq!(backoff_until(2, 0), 20_000);
        assert_eq!(backoff_until(9, 0), 320_000);
    }

    #[test]
    fn finished_reads_the_conditions() {
        let mut s = json!({});
        finish(
            &mut s,
            true,
            "CompletionsReached",
            "m",
            "1970-01-01T00:00:00Z",
        );
        let job = json!({"status": s});
        assert_eq!(finished(&job), Some("Complete"));
        assert_eq!(job["status"]["conditions"][0]["type"], "SuccessCriteriaMet");
        assert_eq!(finished(&json!({})), None);
    }
}
