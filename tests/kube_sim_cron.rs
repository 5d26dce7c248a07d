//! Jobs and CronJobs of the simulated cluster judged by the real `kubectl`:
//! the demo's nightly `pg-backup` whose last success is 30 hours old, a
//! manual run with `kubectl create job --from=cronjob/…` (Running, then
//! Complete, its pg_dump log, the CronJob's `lastSuccessfulTime` moved as
//! the real controller moves it), suspend and resume by patch, and a
//! minutely schedule firing in sped-up simulated time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use kube_support::{Kubectl, eventually, start};
use opsboard::sim::kube::{SimCluster, World};
use serde_json::Value;

async fn setup(world: World) -> Option<(SimCluster, Kubectl)> {
    let sim = start(world).await;
    let k = Kubectl::find(&sim)?;
    Some((sim, k))
}

fn hours_ago(ts: &str) -> f64 {
    let t = DateTime::parse_from_rfc3339(ts).unwrap_or_else(|e| panic!("{ts:?}: {e}"));
    (Utc::now() - t.with_timezone(&Utc)).num_seconds() as f64 / 3600.0
}

/// The columns of the row of `name` in a `kubectl get` table.
fn row(table: &str, name: &str) -> Vec<String> {
    let line = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in:\n{table}"));
    // Columns are separated by at least two spaces ("0 2 * * *" is one).
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_backup_cronjob_last_ran_30_hours_ago() {
    let Some((_sim, k)) = setup(World::demo()).await else {
        return;
    };
    let table = k.ok(&["get", "cronjob", "-n", "shop"]).await;
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"
        ]
    );
    assert_eq!(
        row(&table, "pg-backup"),
        [
            "pg-backup",
            "0 2 * * *",
            "<none>",
            "False",
            "0",
            "30h",
            "30d"
        ],
        "{table}"
    );
    let cj = k
        .json(&["get", "cj", "pg-backup", "-n", "shop", "-o", "json"])
        .await;
    let ago = hours_ago(cj["status"]["lastSuccessfulTime"].as_str().unwrap());
    assert!((29.9..30.2).contains(&ago), "last success {ago:.2}h ago");
    assert_eq!(
        cj["metadata"]["labels"]["app.kubernetes.io/component"],
        "backup"
    );
    let container = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "postgres:16.2");
    assert!(
        container["command"][2]
            .as_str()
            .unwrap()
            .contains("pg_dump")
    );
    assert!(cj["status"].get("active").is_none(), "{}", cj["status"]);
    // The completed run is kept in the history, with its pod.
    let jobs = k.ok(&["get", "jobs", "-n", "shop"]).await;
    let header: Vec<&str> = jobs.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]);
    let history = jobs.lines().nth(1).unwrap();
    let cells: Vec<&str> = history.split_whitespace().collect();
    assert!(cells[0].starts_with("pg-backup-"), "{jobs}");
    assert_eq!(&cells[1..3], ["Complete", "1/1"], "{jobs}");
    assert_eq!(cells[4], "30h", "{jobs}");
    let minutes: i64 = cells[0]["pg-backup-".len()..].parse().unwrap();
    let scheduled = cj["status"]["lastScheduleTime"].as_str().unwrap();
    let scheduled = DateTime::parse_from_rfc3339(scheduled).unwrap();
    assert_eq!(
        minutes * 60,
        scheduled.timestamp(),
        "named by its scheduled minute"
    );
    let pods = k
        .ok(&[
            "get",
            "pods",
            "-n",
            "shop",
            "-l",
            &format!("job-name={}", cells[0]),
        ])
        .await;
    assert!(pods.contains("Completed"), "{pods}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_run_from_the_cronjob_completes_and_counts_as_a_success() {
    let Some((sim, k)) = setup(World::demo()).await else {
        return;
    };
    // Real time while the backup runs (40s), to see it Running.
    sim.set_time_scale(1.0);
    let created = k
        .ok(&[
            "create",
            "job",
            "manual-1",
            "--from=cronjob/pg-backup",
            "-n",
            "shop",
        ])
        .await;
    assert_eq!(created.trim(), "job.batch/manual-1 created");
    let job = k
        .json(&["get", "job", "manual-1", "-n", "shop", "-o", "json"])
        .await;
    assert_eq!(
        job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    assert_eq!(job["spec"]["backoffLimit"], 2);
    let uid = job["metadata"]["uid"].as_str().unwrap().to_string();
    assert_eq!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        uid.as_str()
    );
    eventually(
        Duration::from_secs(20),
        "manual-1 Running with a pod",
        || async {
            let out = k
                .ok(&["get", "jobs", "manual-1", "-n", "shop", "--no-headers"])
                .await;
            let pods = k
                .ok(&[
                    "get",
                    "pods",
                    "-n",
                    "shop",
                    "-l",
                    "batch.kubernetes.io/job-name=manual-1",
                ])
                .await;
            (out.contains("Running") && out.contains("0/1") && pods.contains("Running"))
                .then_some(())
        },
    )
    .await;
    sim.set_time_scale(20.0);
    let waited = k
        .run(&[
            "wait",
            "--for=condition=complete",
            "job/manual-1",
            "-n",
            "shop",
            "--timeout=60s",
        ])
        .await;
    assert!(waited.ok(), "{}\n{}", waited.stdout, waited.stderr);
    assert!(waited.stdout.contains("job.batch/manual-1 condition met"));
    let out = k
        .ok(&["get", "jobs", "manual-1", "-n", "shop", "--no-headers"])
        .await;
    let cells: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(&cells[..3], ["manual-1", "Complete", "1/1"], "{out}");
    let logs = k.ok(&["logs", "job/manual-1", "-n", "shop"]).await;
    assert!(logs.starts_with("pg_dump: last built-in OID"), "{logs}");
    assert!(logs.contains("pg_dump: dumping contents of table \"public.orders\""));
    let last = logs.lines().last().unwrap();
    assert!(
        last.contains("/backups/orders-") && last.ends_with(".dump"),
        "{logs}"
    );
    // The real controller takes any succeeded Job it controls, manual
    // ones included, as the last success.
    eventually(
        Duration::from_secs(10),
        "lastSuccessfulTime moved",
        || async {
            let cj = k
                .json(&["get", "cj", "pg-backup", "-n", "shop", "-o", "json"])
                .await;
            let ago = hours_ago(cj["status"]["lastSuccessfulTime"].as_str().unwrap_or(""));
            (ago < 0.1).then_some(())
        },
    )
    .await;
    let table = k.ok(&["get", "cronjob", "-n", "shop"]).await;
    assert_eq!(
        row(&table, "pg-backup")[5],
        "30h",
        "a manual run is no scheduled one:\n{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_and_resume_by_patch() {
    let Some((_sim, k)) = setup(World::demo()).await else {
        return;
    };
    for (value, shown) in [("true", "True"), ("false", "False")] {
        let patch = format!(r#"{{"spec":{{"suspend":{value}}}}}"#);
        let out = k
            .ok(&["patch", "cronjob", "pg-backup", "-n", "shop", "-p", &patch])
            .await;
        assert_eq!(out.trim(), "cronjob.batch/pg-backup patched");
        let yaml = k
            .ok(&["get", "cronjob", "pg-backup", "-n", "shop", "-o", "yaml"])
            .await;
        assert!(yaml.contains(&format!("  suspend: {value}\n")), "{yaml}");
        assert!(yaml.contains("schedule: 0 2 * * *"), "{yaml}");
        let table = k.ok(&["get", "cj", "-n", "shop"]).await;
        assert_eq!(row(&table, "pg-backup")[3], shown, "{table}");
    }
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minutely_schedule_fires_in_simulated_time() {
    let world = World::empty()
        .node("n1")
        .cronjob("default", "tick", "*/1 * * * *", "busybox:1.36")
        .cronjob_age(Duration::from_secs(20))
        .job_runs_for(Duration::from_secs(5));
    let Some((sim, k)) = setup(world).await else {
        return;
    };
    // A simulated minute a wall second.
    sim.set_time_scale(60.0);
    let first = eventually(Duration::from_secs(20), "a scheduled Job", || async {
        let jobs = k.json(&["get", "jobs", "-o", "json"]).await;
        names(&jobs).first().cloned()
    })
    .await;
    let minutes: i64 = first.strip_prefix("tick-").unwrap().parse().unwrap();
    let cj = k.json(&["get", "cj", "tick", "-o", "json"]).await;
    let created =
        DateTime::parse_from_rfc3339(cj["metadata"]["creationTimestamp"].as_str().unwrap())
            .unwrap()
            .timestamp();
    assert!(
        minutes * 60 > created && minutes * 60 - created <= 60,
        "the first minute after creation"
    );
    // Five more runs: three successful ones are kept (the default limit).
    eventually(Duration::from_secs(30), "six runs, three kept", || async {
        let cj = k.json(&["get", "cj", "tick", "-o", "json"]).await;
        let last = cj["status"]["lastScheduleTime"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let last = DateTime::parse_from_rfc3339(&last).ok()?.timestamp();
        let jobs = k.json(&["get", "jobs", "-o", "json"]).await;
        let complete = jobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["status"]["succeeded"] == 1)
            .count();
        (last >= (minutes + 5) * 60 && complete == 3 && names(&jobs).len() <= 4).then_some(())
    })
    .await;
    let cj = k.json(&["get", "cj", "tick", "-o", "json"]).await;
    assert!(
        cj["status"]["lastSuccessfulTime"].is_string(),
        "{}",
        cj["status"]
    );
    let events = k
        .ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.kind=CronJob",
        ])
        .await;
    assert!(
        events.contains("SuccessfulCreate") && events.contains("SawCompletedJob"),
        "{events}"
    );
}
