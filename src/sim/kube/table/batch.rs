//! Job and CronJob rows (`printJob`, `printCronJob` of 1.32): the Job's
//! STATUS from its conditions, COMPLETIONS, DURATION; the CronJob's
//! SCHEDULE, TIMEZONE, SUSPEND, ACTIVE and LAST SCHEDULE.

use serde_json::{Value, json};

use super::{age, selector, since};
use crate::sim::kube::clock::{SimTime, human_duration, parse_time};
use crate::sim::kube::util;

pub(super) const JOB_COLUMNS: &[(&str, &str, i64)] = &[
    ("Name", "string", 0),
    ("Status", "string", 0),
    ("Completions", "string", 0),
    ("Duration", "string", 0),
    ("Age", "string", 0),
    ("Containers", "string", 1),
    ("Images", "string", 1),
    ("Selector", "string", 1),
];

pub(super) const CRONJOB_COLUMNS: &[(&str, &str, i64)] = &[
    ("Name", "string", 0),
    ("Schedule", "string", 0),
    ("Timezone", "string", 0),
    ("Suspend", "boolean", 0),
    ("Active", "integer", 0),
    ("Last Schedule", "string", 0),
    ("Age", "string", 0),
    ("Containers", "string", 1),
    ("Images", "string", 1),
    ("Selector", "string", 1),
];

fn has_condition(obj: &Value, ty: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| util::s(c, "/type") == ty && util::s(c, "/status") == "True")
        })
}

fn containers(obj: &Value, template: &str) -> (String, String) {
    let cs = obj
        .pointer(&format!("{template}/spec/containers"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = cs.iter().map(|c| util::s(c, "/name")).collect();
    let images: Vec<&str> = cs.iter().map(|c| util::s(c, "/image")).collect();
    (names.join(","), images.join(","))
}

pub(super) fn job_cells(obj: &Value, now: SimTime) -> Vec<Value> {
    let succeeded = util::i(obj, "/status/succeeded");
    let completions = match util::opt_i(obj, "/spec/completions") {
        Some(c) => format!("{succeeded}/{c}"),
        None => match util::i(obj, "/spec/parallelism") {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = parse_time(util::s(obj, "/status/startTime"));
    let end = parse_time(util::s(obj, "/status/completionTime"));
    let duration = match (start, end) {
        (None, _) => String::new(),
        (Some(s), None) => human_duration(now - s),
        (Some(s), Some(e)) => human_duration(e - s),
    };
    let status = if has_condition(obj, "Complete") {
        "Complete"
    } else if has_condition(obj, "Failed") {
        "Failed"
    } else if util::is_deleting(obj) {
        "Terminating"
    } else if has_condition(obj, "Suspended") {
        "Suspended"
    } else if has_condition(obj, "FailureTarget") {
        "FailureTarget"
    } else if has_condition(obj, "SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    };
    let (names, images) = containers(obj, "/spec/template");
    vec![
        json!(util::name(obj)),
        json!(status),
        json!(completions),
        json!(duration),
        json!(age(obj, now)),
        json!(names),
        json!(images),
        json!(selector(obj)),
    ]
}

pub(super) fn cronjob_cells(obj: &Value, now: SimTime) -> Vec<Value> {
    let last = match util::s(obj, "/status/lastScheduleTime") {
        "" => "<none>".to_string(),
        t => since(t, now),
    };
    let zone = obj
        .pointer("/spec/timeZone")
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let suspend = match obj.pointer("/spec/suspend").and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let active = obj
        .pointer("/status/active")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let (names, images) = containers(obj, "/spec/jobTemplate/spec/template");
    let sel = obj
        .pointer("/spec/jobTemplate/spec/selector")
        .map(util::label_selector_string)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "<none>".into());
    vec![
        json!(util::name(obj)),
        json!(util::s(obj, "/spec/schedule")),
        json!(zone),
        json!(suspend),
        json!(active),
        json!(last),
        json!(age(obj, now)),
        json!(names),
        json!(images),
        json!(sel),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_and_cronjob_rows() {
        let now = parse_time("2024-01-02T06:00:00Z").unwrap();
        let job = json!({"metadata": {"name": "j", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"completions": 1, "parallelism": 1},
            "status": {"succeeded": 1, "startTime": "2024-01-01T00:00:00Z",
                "completionTime": "2024-01-01T00:00:07Z",
                "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                    {"type": "Complete", "status": "True"}]}});
        let c = job_cells(&job, now);
        assert_eq!(c[1], "Complete");
        assert_eq!(c[2], "1/1");
        assert_eq!(c[3], "7s");
        let running = json!({"metadata": {"name": "j"}, "spec": {"completions": 1},
            "status": {"startTime": "2024-01-02T05:59:50Z"}});
        let c = job_cells(&running, now);
        assert_eq!(
            (c[1].as_str(), c[2].as_str(), c[3].as_str()),
            (Some("Running"), Some("0/1"), Some("10s"))
        );
        let cj = json!({"metadata": {"name": "b", "creationTimestamp": "2023-12-01T00:00:00Z"},
            "spec": {"schedule": "0 2 * * *", "suspend": false},
            "status": {"lastScheduleTime": "2024-01-01T00:00:00Z"}});
        let c = cronjob_cells(&cj, now);
        assert_eq!(c[2], "<none>");
        assert_eq!(c[3], "False");
        assert_eq!(c[4], 0);
        assert_eq!(c[5], "30h");
    }
}
