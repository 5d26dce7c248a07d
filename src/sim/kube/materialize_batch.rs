//! The CronJobs of a [`World`] as objects: each created at its age by
//! `kubectl-create`, and its last successful run (if any) replayed at its
//! time through the CronJob, Job and pod controllers.

use serde_json::{Map, Value, json};

use super::clock::{SimTime, format_time};
use super::controllers::Controllers;
use super::controllers::cronjob;
use super::controllers::pod_status::completion::{ANN_EXIT_CODE, ANN_RUN_FOR};
use super::resources::Res;
use super::store::Store;
use super::world::CronJobSpec;

/// How long before its completion a replayed run is started: pod start,
/// run and the controllers' passes.
const RUN_SLACK_MS: i64 = 8000;

fn pairs(v: &[(String, String)]) -> Value {
    Value::Object(v.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

pub fn cronjob_json(c: &CronJobSpec, created: SimTime) -> Value {
    let mut container = json!({"name": c.name, "image": c.image,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}});
    if let Some(cmd) = &c.command {
        container["command"] = json!(cmd);
    }
    if !c.env.is_empty() {
        container["env"] = json!(
            c.env
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect::<Vec<_>>()
        );
    }
    let mut pod_spec = json!({"restartPolicy": "Never", "containers": [container]});
    if let Some((claim, path)) = &c.volume {
        pod_spec["containers"][0]["volumeMounts"] = json!([{"name": "data", "mountPath": path}]);
        pod_spec["volumes"] =
            json!([{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]);
    }
    let mut annotations = Map::new();
    if let Some(d) = c.run_for {
        annotations.insert(ANN_RUN_FOR.into(), json!(format!("{}ms", d.as_millis())));
    }
    if c.fails {
        annotations.insert(ANN_EXIT_CODE.into(), json!("1"));
    }
    let mut template_meta = json!({"labels": pairs(&c.labels)});
    if !annotations.is_empty() {
        template_meta["annotations"] = Value::Object(annotations);
    }
    let mut job_spec = json!({"template": {"metadata": template_meta, "spec": pod_spec}});
    if let Some(b) = c.backoff_limit {
        job_spec["backoffLimit"] = json!(b);
    }
    let mut spec = json!({"schedule": c.schedule, "suspend": c.suspended,
        "jobTemplate": {"metadata": {"labels": pairs(&c.labels)}, "spec": job_spec}});
    if let Some(z) = &c.time_zone {
        spec["timeZone"] = json!(z);
    }
    if let Some(d) = c.starting_deadline_seconds {
        spec["startingDeadlineSeconds"] = json!(d);
    }
    if let Some(p) = &c.concurrency_policy {
        spec["concurrencyPolicy"] = json!(p);
    }
    json!({"metadata": {"name": c.name, "namespace": c.namespace, "labels": pairs(&c.labels),
        "creationTimestamp": format_time(created)}, "spec": spec})
}

/// When the CronJob is created and when its replayed run starts.
pub fn times(c: &CronJobSpec, t0: SimTime) -> (SimTime, Option<SimTime>) {
    let born = t0 - c.age.as_millis() as i64;
    let run = c.last_success_ago.map(|ago| {
        let took = c.run_for.map_or(4000, |d| d.as_millis() as i64);
        (t0 - ago.as_millis() as i64 - took - RUN_SLACK_MS).max(born + 60_000)
    });
    (born, run)
}

/// Starts the run scheduled for the minute of `t`, as the controller
/// would have then.
pub fn run(store: &mut Store, ctl: &mut Controllers, c: &CronJobSpec, t: SimTime) {
    if let Some(cj) = store.get(Res::CronJobs, &c.namespace, &c.name) {
        let scheduled = t.div_euclid(60_000) * 60_000;
        cronjob::start_run(ctl, store, t, &cj, scheduled);
    }
}
