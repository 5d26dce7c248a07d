//! The CronJob controller (`cronjob_controllerv2`): at each unmet
//! schedule time (simulated, in UTC or a fixed-offset `spec.timeZone`) it
//! creates a Job named `<cronjob>-<minutes since the epoch>` from the job
//! template, unless suspended, past `startingDeadlineSeconds`, or held
//! back by `concurrencyPolicy` (Forbid skips, Replace deletes the running
//! ones); it keeps `status.active`, `lastScheduleTime` and
//! `lastSuccessfulTime` (from any succeeded Job it controls, manual runs
//! by `kubectl create job --from` included, as the real one does) and
//! deletes finished Jobs beyond the history limits. Zones with daylight
//! saving are not simulated (an `UnknownTimeZone` warning, no runs).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde_json::{Value, json};

use super::events::{self, Source};
use super::job::finished;
use super::{Controllers, index_by_owner};
use crate::sim::kube::clock::{SimTime, format_time, parse_time};
use crate::sim::kube::cron;
use crate::sim::kube::defaults;
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

pub const ANN_SCHEDULED: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

const SOURCE: Source<'static> = Source {
    component: "cronjob-controller",
    host: "",
};

/// What the controller has already warned about, so a condition that
/// lasts is reported once rather than on every pass.
#[derive(Default)]
pub struct CronState {
    warned: HashSet<(String, String)>,
}

fn event(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    cj: &Value,
    warning: bool,
    reason: &str,
    msg: &str,
) {
    events::record(
        ctl,
        store,
        now,
        cj,
        Res::CronJobs,
        warning,
        reason,
        msg,
        SOURCE,
        "",
    );
}

/// Records a warning about `what` once per CronJob.
fn warn_once(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    cj: &Value,
    what: &str,
    reason: &str,
    msg: &str,
) {
    let key = (util::uid(cj).to_string(), format!("{reason}/{what}"));
    if ctl.cron.warned.insert(key) {
        event(
            ctl,
            store,
            now,
            cj,
            reason != "JobAlreadyActive",
            reason,
            msg,
        );
    }
}

/// `getJobName`: the CronJob's name and the scheduled minute.
pub fn job_name(cj: &Value, scheduled: SimTime) -> String {
    format!("{}-{}", util::name(cj), scheduled.div_euclid(60_000))
}

/// `getJobFromTemplate2`.
pub fn job_from_template(cj: &Value, scheduled: SimTime, offset_ms: i64) -> Value {
    let tpl = &cj["spec"]["jobTemplate"];
    let mut annotations = tpl
        .pointer("/metadata/annotations")
        .cloned()
        .unwrap_or(json!({}));
    let stamp = FixedOffset::east_opt((offset_ms / 1000) as i32)
        .zip(DateTime::from_timestamp_millis(scheduled))
        .map(|(tz, t)| {
            t.with_timezone(&tz)
                .to_rfc3339_opts(SecondsFormat::Secs, true)
        })
        .unwrap_or_else(|| format_time(scheduled));
    if annotations.is_object() {
        annotations[ANN_SCHEDULED] = json!(stamp);
    }
    let mut meta = json!({"name": job_name(cj, scheduled), "namespace": util::namespace(cj),
        "annotations": annotations,
        "ownerReferences": [util::owner_ref(cj, "CronJob", "batch/v1")]});
    if let Some(l) = tpl.pointer("/metadata/labels") {
        meta["labels"] = l.clone();
    }
    json!({"metadata": meta, "spec": tpl.get("spec").cloned().unwrap_or(json!({}))})
}

fn job_ref(job: &Value) -> Value {
    json!({"kind": "Job", "namespace": util::namespace(job), "name": util::name(job),
        "uid": util::uid(job), "apiVersion": "batch/v1",
        "resourceVersion": util::s(job, "/metadata/resourceVersion")})
}

/// Creates the Job for `scheduled` and records it in the CronJob's status,
/// as the controller does when a schedule time comes.
pub fn start_run(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    cj: &Value,
    scheduled: SimTime,
) {
    let offset = cron::zone_offset(util::s(cj, "/spec/timeZone")).unwrap_or(0);
    let mut job = job_from_template(cj, scheduled, offset);
    defaults::apply_defaults(Res::Jobs, &mut job);
    match store.create(Res::Jobs, job) {
        Ok(j) => {
            let msg = format!("Created job {}", util::name(&j));
            event(ctl, store, now, cj, false, "SuccessfulCreate", &msg);
            let r = job_ref(&j);
            store.modify(Res::CronJobs, util::namespace(cj), util::name(cj), |c| {
                let mut active = c
                    .pointer("/status/active")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                active.push(r);
                c["status"]["active"] = json!(active);
                c["status"]["lastScheduleTime"] = json!(format_time(scheduled));
            });
        }
        Err(e) if e.code == 409 => {}
        Err(e) => {
            let msg = format!("Error creating job: {}", e.message);
            event(ctl, store, now, cj, true, "FailedCreate", &msg);
        }
    }
}

pub fn sync_all(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    let jobs_by_owner = index_by_owner(store, Res::Jobs);
    let empty = Vec::new();
    for cj in store.list(Res::CronJobs, None) {
        let jobs = jobs_by_owner.get(util::uid(&cj)).unwrap_or(&empty);
        let status = reconcile(ctl, store, now, &cj, jobs);
        if cj.get("status") != Some(&status) {
            store.modify(Res::CronJobs, util::namespace(&cj), util::name(&cj), |c| {
                c["status"] = status;
            });
        }
        if let Some(cj) = store.get(Res::CronJobs, util::namespace(&cj), util::name(&cj)) {
            schedule(ctl, store, now, &cj);
        }
    }
}

/// The status after looking at the CronJob's Jobs; deletes those beyond
/// the history limits.
fn reconcile(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    cj: &Value,
    jobs: &[Arc<Value>],
) -> Value {
    let mut status = cj.get("status").cloned().unwrap_or(json!({}));
    let mut active: Vec<Value> = status
        .get("active")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut last_success = parse_time(util::s(&status, "/lastSuccessfulTime"));
    for j in jobs {
        let found = active.iter().any(|r| util::s(r, "/uid") == util::uid(j));
        let done = finished(j);
        if !found && done.is_none() {
            let msg = format!(
                "Saw a job that the controller did not create or forgot: {}",
                util::name(j)
            );
            warn_once(ctl, store, now, cj, util::uid(j), "UnexpectedJob", &msg);
        } else if let (true, Some(cond)) = (found, done) {
            active.retain(|r| util::s(r, "/uid") != util::uid(j));
            let msg = format!("Saw completed job: {}, condition: {cond}", util::name(j));
            event(ctl, store, now, cj, false, "SawCompletedJob", &msg);
        } else if done == Some("Complete")
            && let Some(t) = parse_time(util::s(j, "/status/completionTime"))
            && last_success.is_none_or(|l| t > l)
        {
            last_success = Some(t);
        }
    }
    let before = active.len();
    active.retain(|r| jobs.iter().any(|j| util::uid(j) == util::s(r, "/uid")));
    if active.len() != before {
        event(
            ctl,
            store,
            now,
            cj,
            true,
            "MissingJob",
            "Active job went missing",
        );
    }
    if let Some(m) = status.as_object_mut() {
        if active.is_empty() {
            m.remove("active");
        } else {
            m.insert("active".into(), json!(active));
        }
        if let Some(t) = last_success {
            m.insert("lastSuccessfulTime".into(), json!(format_time(t)));
        }
    }
    for (cond, limit) in [
        ("Complete", "successfulJobsHistoryLimit"),
        ("Failed", "failedJobsHistoryLimit"),
    ] {
        let Some(limit) = util::opt_i(cj, &format!("/spec/{limit}")) else {
            continue;
        };
        let mut done: Vec<&Arc<Value>> =
            jobs.iter().filter(|j| finished(j) == Some(cond)).collect();
        done.sort_by_key(|j| {
            (
                parse_time(util::s(j, "/status/startTime")).unwrap_or(SimTime::MAX),
                util::name(j).to_string(),
            )
        });
        let extra = done.len().saturating_sub(limit.max(0) as usize);
        for j in done.into_iter().take(extra) {
            if store
                .delete(Res::Jobs, util::namespace(j), util::name(j))
                .is_some()
            {
                let msg = format!("Deleted job {}", util::name(j));
                event(ctl, store, now, cj, false, "SuccessfulDelete", &msg);
            }
        }
    }
    status
}

/// Starts the Job of the most recent unmet schedule time, if any is due.
fn schedule(ctl: &mut Controllers, store: &mut Store, now: SimTime, cj: &Value) {
    if util::is_deleting(cj) || util::b(cj, "/spec/suspend") {
        return;
    }
    let zone = util::s(cj, "/spec/timeZone");
    let Some(offset) = cron::zone_offset(zone) else {
        let msg = format!("invalid timeZone: {zone:?}: unknown time zone {zone}");
        warn_once(ctl, store, now, cj, zone, "UnknownTimeZone", &msg);
        return;
    };
    let spec = util::s(cj, "/spec/schedule");
    let sched = match cron::parse(spec) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("unparseable schedule: {spec:?} : {e}");
            warn_once(ctl, store, now, cj, spec, "UnparseableSchedule", &msg);
            return;
        }
    };
    let deadline = util::opt_i(cj, "/spec/startingDeadlineSeconds");
    let mut earliest = parse_time(util::s(cj, "/status/lastScheduleTime"))
        .or_else(|| parse_time(util::s(cj, "/metadata/creationTimestamp")))
        .unwrap_or(now);
    if let Some(d) = deadline {
        earliest = earliest.max(now - d * 1000);
    }
    let scheduled = match cron::most_recent(&sched, earliest, now, offset) {
        Ok(Some(t)) => t,
        Ok(None) => return,
        Err(e) => {
            let msg = format!("invalid schedule: {spec} : {e}");
            warn_once(ctl, store, now, cj, spec, "InvalidSchedule", &msg);
            return;
        }
    };
    if deadline.is_some_and(|d| scheduled + d * 1000 < now) {
        let msg = format!(
            "Missed scheduled time to start a job: {}",
            format_time(scheduled)
        );
        warn_once(
            ctl,
            store,
            now,
            cj,
            &scheduled.to_string(),
            "MissSchedule",
            &msg,
        );
        return;
    }
    let name = job_name(cj, scheduled);
    let active: Vec<Value> = cj
        .pointer("/status/active")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if active.iter().any(|r| util::s(r, "/name") == name)
        || parse_time(util::s(cj, "/status/lastScheduleTime")) == Some(scheduled)
    {
        return;
    }
    match util::s(cj, "/spec/concurrencyPolicy") {
        "Forbid" if !active.is_empty() => {
            let msg = "Not starting job because prior execution is running and concurrency policy is Forbid";
            warn_once(
                ctl,
                store,
                now,
                cj,
                &scheduled.to_string(),
                "JobAlreadyActive",
                msg,
            );
            return;
        }
        "Replace" => {
            for r in &active {
                if store
                    .delete(Res::Jobs, util::s(r, "/namespace"), util::s(r, "/name"))
                    .is_some()
                {
                    let msg = format!("Deleted job {}", util::s(r, "/name"));
                    event(ctl, store, now, cj, false, "SuccessfulDelete", &msg);
                }
            }
            store.modify(Res::CronJobs, util::namespace(cj), util::name(cj), |c| {
                util::remove(c, "/status/active");
            });
        }
        _ => {}
    }
    if let Some(cj) = store.get(Res::CronJobs, util::namespace(cj), util::name(cj)) {
        start_run(ctl, store, now, &cj, scheduled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_named_by_their_scheduled_minute() {
        let cj = json!({"metadata": {"name": "pg-backup", "namespace": "shop", "uid": "u"},
            "spec": {"jobTemplate": {"metadata": {"labels": {"app": "b"}},
                "spec": {"template": {"spec": {"containers": []}}}}}});
        let t = parse_time("2024-03-10T02:00:00Z").unwrap();
        let j = job_from_template(&cj, t, 0);
        assert_eq!(j["metadata"]["name"], "pg-backup-28500600");
        assert_eq!(
            j["metadata"]["annotations"][ANN_SCHEDULED],
            "2024-03-10T02:00:00Z"
        );
        assert_eq!(j["metadata"]["ownerReferences"][0]["kind"], "CronJob");
        assert_eq!(j["metadata"]["labels"]["app"], "b");
        let j = job_from_template(&cj, t, 7_200_000);
        assert_eq!(
            j["metadata"]["annotations"][ANN_SCHEDULED],
            "2024-03-10T04:00:00+02:00"
        );
    }
}
