//! batch/v1 as the API server's Job and CronJob strategies treat it:
//! defaults (parallelism/completions 1, `backoffLimit` 6, history limits 3
//! and 1, `concurrencyPolicy: Allow` …), the generated selector and the
//! `batch.kubernetes.io/job-name`/`controller-uid` labels (and their legacy
//! twins) of a new Job, and the validation kubectl users meet (restart
//! policy, schedule, immutable template). Pod failure policies, success
//! policies, indexed completions and `managedBy` are not simulated.

use serde_json::{Map, Value, json};

use super::cron;
use super::resources::Res;
use super::util;

pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
pub const CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";
pub const LEGACY_CONTROLLER_UID_LABEL: &str = "controller-uid";

fn default(m: &mut Map<String, Value>, key: &str, v: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_string(), v);
    }
}

fn object<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    if !v.get(key).is_some_and(Value::is_object) {
        v[key] = json!({});
    }
    v.get_mut(key)?.as_object_mut()
}

/// Defaults a pod spec (the server's `SetDefaults_PodSpec`, passed in by
/// the defaulting of every resource).
pub type PodSpecDefaults = fn(&mut Value);

fn default_template(spec: &mut Value, pod_spec: PodSpecDefaults) {
    let Some(t) = object(spec, "template") else {
        return;
    };
    let md = t.entry("metadata").or_insert_with(|| json!({}));
    if let Some(md) = md.as_object_mut() {
        md.retain(|_, v| !v.is_null());
    }
    pod_spec(t.entry("spec").or_insert_with(|| json!({})));
}

fn default_job_spec(spec: &mut Value, pod_spec: PodSpecDefaults) {
    if let Some(m) = spec.as_object_mut() {
        let has = |m: &Map<String, Value>, k: &str| m.get(k).is_some_and(|v| !v.is_null());
        if !has(m, "completions") && !has(m, "parallelism") {
            m.insert("completions".into(), json!(1));
        }
        default(m, "parallelism", json!(1));
        default(m, "backoffLimit", json!(6));
        default(m, "completionMode", json!("NonIndexed"));
        default(m, "suspend", json!(false));
        if !has(m, "podFailurePolicy") {
            default(m, "podReplacementPolicy", json!("TerminatingOrFailed"));
        }
    }
    default_template(spec, pod_spec);
}

/// `SetDefaults_Job` / `SetDefaults_CronJob` and the pod template's.
pub fn apply_defaults(res: Res, obj: &mut Value, pod_spec: PodSpecDefaults) {
    match res {
        Res::Jobs => {
            object(obj, "spec");
            default_job_spec(&mut obj["spec"], pod_spec);
        }
        Res::CronJobs => {
            let Some(spec) = object(obj, "spec") else {
                return;
            };
            default(spec, "concurrencyPolicy", json!("Allow"));
            default(spec, "suspend", json!(false));
            default(spec, "successfulJobsHistoryLimit", json!(3));
            default(spec, "failedJobsHistoryLimit", json!(1));
            let jt = spec.entry("jobTemplate").or_insert_with(|| json!({}));
            if !jt.is_object() {
                *jt = json!({});
            }
            if !jt.get("spec").is_some_and(Value::is_object) {
                jt["spec"] = json!({});
            }
            default_template(&mut jt["spec"], pod_spec);
        }
        _ => {}
    }
}

/// The Job strategy's `generateSelector` on create (once the uid is
/// known): the template gets the job-name and controller-uid labels and
/// the selector matches the uid, unless `manualSelector` is set.
pub fn generate_selector(job: &mut Value) {
    if util::b(job, "/spec/manualSelector") {
        return;
    }
    let uid = util::uid(job).to_string();
    let name = util::name(job).to_string();
    let Some(template) = job.pointer_mut("/spec/template") else {
        return;
    };
    let labels = object(template, "metadata").and_then(|m| {
        let l = m.entry("labels").or_insert_with(|| json!({}));
        if !l.is_object() {
            *l = json!({});
        }
        l.as_object_mut()
    });
    if let Some(l) = labels {
        l.insert(LEGACY_CONTROLLER_UID_LABEL.into(), json!(uid));
        l.insert(LEGACY_JOB_NAME_LABEL.into(), json!(name));
        l.insert(CONTROLLER_UID_LABEL.into(), json!(uid));
        l.insert(JOB_NAME_LABEL.into(), json!(name));
    }
    job["spec"]["selector"] = json!({"matchLabels": {CONTROLLER_UID_LABEL: uid}});
}

fn restart_policy(template: Option<&Value>, path: &str, causes: &mut Vec<(String, String)>) {
    let policy = template
        .and_then(|t| t.pointer("/spec/restartPolicy"))
        .and_then(Value::as_str)
        .unwrap_or("Always");
    if policy != "OnFailure" && policy != "Never" {
        causes.push((
            format!("{path}.spec.restartPolicy"),
            format!("Unsupported value: {policy:?}: supported values: \"OnFailure\", \"Never\""),
        ));
    }
    let containers = template
        .and_then(|t| t.pointer("/spec/containers"))
        .and_then(Value::as_array);
    if containers.is_none_or(Vec::is_empty) {
        causes.push((format!("{path}.spec.containers"), "Required value".into()));
    }
}

fn non_negative(obj: &Value, pointer: &str, field: &str, causes: &mut Vec<(String, String)>) {
    if let Some(n) = util::opt_i(obj, pointer)
        && n < 0
    {
        causes.push((
            field.into(),
            format!("Invalid value: {n}: must be greater than or equal to 0"),
        ));
    }
}

/// The causes of a 422 for a Job or CronJob (`old`: the stored one).
pub fn validate(res: Res, obj: &Value, old: Option<&Value>) -> Vec<(String, String)> {
    let mut causes = Vec::new();
    match res {
        Res::Jobs => {
            restart_policy(obj.pointer("/spec/template"), "spec.template", &mut causes);
            for f in ["parallelism", "completions", "backoffLimit"] {
                non_negative(
                    obj,
                    &format!("/spec/{f}"),
                    &format!("spec.{f}"),
                    &mut causes,
                );
            }
            if let Some(old) = old
                && util::normalized(&old["spec"]["template"])
                    != util::normalized(&obj["spec"]["template"])
            {
                causes.push((
                    "spec.template".into(),
                    "Invalid value: core.PodTemplateSpec{...}: field is immutable".into(),
                ));
            }
        }
        Res::CronJobs => {
            let schedule = util::s(obj, "/spec/schedule");
            if schedule.is_empty() {
                causes.push(("spec.schedule".into(), "Required value".into()));
            } else if schedule.contains("TZ") {
                causes.push((
                    "spec.schedule".into(),
                    format!("Invalid value: {schedule:?}: cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
                ));
            } else if let Err(e) = cron::parse(schedule) {
                causes.push((
                    "spec.schedule".into(),
                    format!("Invalid value: {schedule:?}: {e}"),
                ));
            }
            let zone = util::s(obj, "/spec/timeZone");
            if obj.pointer("/spec/timeZone").is_some_and(Value::is_string)
                && (zone.is_empty()
                    || zone.contains(' ')
                    || zone.starts_with('/')
                    || zone.contains(".."))
            {
                causes.push((
                    "spec.timeZone".into(),
                    format!("Invalid value: {zone:?}: unknown time zone {zone}"),
                ));
            }
            for f in [
                "startingDeadlineSeconds",
                "successfulJobsHistoryLimit",
                "failedJobsHistoryLimit",
            ] {
                non_negative(
                    obj,
                    &format!("/spec/{f}"),
                    &format!("spec.{f}"),
                    &mut causes,
                );
            }
            let policy = util::s(obj, "/spec/concurrencyPolicy");
            if !["Allow", "Forbid", "Replace"].contains(&policy) {
                causes.push((
                    "spec.concurrencyPolicy".into(),
                    format!("Unsupported value: {policy:?}: supported values: \"Allow\", \"Forbid\", \"Replace\""),
                ));
            }
            restart_policy(
                obj.pointer("/spec/jobTemplate/spec/template"),
                "spec.jobTemplate.spec.template",
                &mut causes,
            );
            if old.is_none() && util::name(obj).len() > 52 {
                causes.push((
                    "metadata.name".into(),
                    format!(
                        "Invalid value: {:?}: must be no more than 52 characters",
                        util::name(obj)
                    ),
                ));
            }
        }
        _ => {}
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Value {
        json!({"metadata": {"name": "manual-1", "namespace": "shop", "uid": "u-1"},
            "spec": {"template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "c", "image": "busybox"}]}}}})
    }

    #[test]
    fn job_defaults_and_generated_selector() {
        let mut j = job();
        apply_defaults(
            Res::Jobs,
            &mut j,
            crate::sim::kube::defaults::default_pod_spec,
        );
        assert_eq!(j["spec"]["completions"], 1);
        assert_eq!(j["spec"]["parallelism"], 1);
        assert_eq!(j["spec"]["backoffLimit"], 6);
        assert_eq!(j["spec"]["podReplacementPolicy"], "TerminatingOrFailed");
        generate_selector(&mut j);
        let labels = &j["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels[JOB_NAME_LABEL], "manual-1");
        assert_eq!(labels["controller-uid"], "u-1");
        assert_eq!(
            j["spec"]["selector"]["matchLabels"][CONTROLLER_UID_LABEL],
            "u-1"
        );
        assert!(validate(Res::Jobs, &j, None).is_empty());
    }

    #[test]
    fn validation_like_the_api_server() {
        let mut j = job();
        j["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
        let c = validate(Res::Jobs, &j, None);
        assert!(
            c[0].1
                .contains("supported values: \"OnFailure\", \"Never\"")
        );
        let mut cj = json!({"metadata": {"name": "b"}, "spec": {"schedule": "61 * * * *",
            "jobTemplate": {"spec": {"template": job()["spec"]["template"].clone()}}}});
        apply_defaults(
            Res::CronJobs,
            &mut cj,
            crate::sim::kube::defaults::default_pod_spec,
        );
        assert_eq!(cj["spec"]["successfulJobsHistoryLimit"], 3);
        let c = validate(Res::CronJobs, &cj, None);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].0, "spec.schedule");
        cj["spec"]["schedule"] = json!("0 2 * * *");
        assert!(validate(Res::CronJobs, &cj, None).is_empty());
    }
}
