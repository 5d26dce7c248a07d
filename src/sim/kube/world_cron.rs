//! CronJobs in a [`World`], built fluently like the workloads:
//!
//! ```
//! use std::time::Duration;
//! use opsboard::sim::kube::World;
//! let w = World::empty()
//!     .node("n1")
//!     .cronjob("shop", "pg-backup", "0 2 * * *", "postgres:16.2")
//!     .job_command(&["pg_dump", "orders"])
//!     .last_success_ago(Duration::from_secs(30 * 3600))
//!     .cronjob("default", "report", "*/1 * * * *", "busybox:1.36")
//!     .suspended();
//! # let _ = w;
//! ```
//!
//! Modifiers apply to the CronJob added last. `last_success_ago` replays
//! one scheduled run that far in the past through the real controllers
//! (its Job and completed pod stay in the history, and its completion is
//! the CronJob's `lastSuccessfulTime`); no other past runs are made up, so
//! a schedule time missed since then fires when the cluster starts unless
//! `starting_deadline` rules it out, as the real controller would.

use std::time::Duration;

use super::{DAY, World};

#[derive(Debug, Clone)]
pub struct CronJobSpec {
    pub namespace: String,
    pub name: String,
    pub schedule: String,
    pub image: String,
    /// The container's command (`None`: the image's own).
    pub command: Option<Vec<String>>,
    pub env: Vec<(String, String)>,
    /// A PersistentVolumeClaim mounted into the job's container:
    /// `(claim, mount path)`.
    pub volume: Option<(String, String)>,
    /// The CronJob's labels, also on its Jobs and their pods.
    pub labels: Vec<(String, String)>,
    pub suspended: bool,
    pub time_zone: Option<String>,
    pub starting_deadline_seconds: Option<i64>,
    /// `Allow` (default), `Forbid` or `Replace`.
    pub concurrency_policy: Option<String>,
    pub backoff_limit: Option<i64>,
    pub age: Duration,
    pub last_success_ago: Option<Duration>,
    /// How long each run takes (simulated; default 4s).
    pub run_for: Option<Duration>,
    /// Every run exits with status 1.
    pub fails: bool,
}

impl World {
    /// A CronJob whose job runs one container (named like the CronJob,
    /// `restartPolicy: Never`), created 30 days before the cluster starts.
    pub fn cronjob(mut self, ns: &str, name: &str, schedule: &str, image: &str) -> World {
        self = self.namespace(ns);
        self.cronjobs.push(CronJobSpec {
            namespace: ns.to_string(),
            name: name.to_string(),
            schedule: schedule.to_string(),
            image: image.to_string(),
            command: None,
            env: vec![],
            volume: None,
            labels: vec![],
            suspended: false,
            time_zone: None,
            starting_deadline_seconds: None,
            concurrency_policy: None,
            backoff_limit: None,
            age: Duration::from_secs(30 * DAY),
            last_success_ago: None,
            run_for: None,
            fails: false,
        });
        self
    }

    /// Changes the CronJob added last.
    pub fn with_cronjob(mut self, f: impl FnOnce(&mut CronJobSpec)) -> World {
        if let Some(c) = self.cronjobs.last_mut() {
            f(c);
        }
        self
    }

    /// Its last scheduled run succeeded `ago` before the cluster starts.
    pub fn last_success_ago(self, ago: Duration) -> World {
        self.with_cronjob(|c| c.last_success_ago = Some(ago))
    }

    /// `spec.suspend: true`.
    pub fn suspended(self) -> World {
        self.with_cronjob(|c| c.suspended = true)
    }

    pub fn job_command(self, command: &[&str]) -> World {
        self.with_cronjob(|c| c.command = Some(command.iter().map(|s| s.to_string()).collect()))
    }

    pub fn job_env(self, key: &str, value: &str) -> World {
        self.with_cronjob(|c| c.env.push((key.into(), value.into())))
    }

    /// Mounts the PersistentVolumeClaim `claim` at `path` in the job.
    pub fn job_volume(self, claim: &str, path: &str) -> World {
        self.with_cronjob(|c| c.volume = Some((claim.into(), path.into())))
    }

    /// Each run takes `d` of simulated time.
    pub fn job_runs_for(self, d: Duration) -> World {
        self.with_cronjob(|c| c.run_for = Some(d))
    }

    /// Each run fails (exit status 1).
    pub fn job_fails(self) -> World {
        self.with_cronjob(|c| c.fails = true)
    }

    pub fn backoff_limit(self, n: i64) -> World {
        self.with_cronjob(|c| c.backoff_limit = Some(n))
    }

    pub fn cronjob_label(self, key: &str, value: &str) -> World {
        self.with_cronjob(|c| c.labels.push((key.into(), value.into())))
    }

    pub fn cronjob_age(self, age: Duration) -> World {
        self.with_cronjob(|c| c.age = age)
    }

    /// `spec.timeZone` (only UTC and `Etc/GMT±N` are simulated).
    pub fn time_zone(self, zone: &str) -> World {
        self.with_cronjob(|c| c.time_zone = Some(zone.into()))
    }

    /// `spec.startingDeadlineSeconds`.
    pub fn starting_deadline(self, seconds: i64) -> World {
        self.with_cronjob(|c| c.starting_deadline_seconds = Some(seconds))
    }

    /// `spec.concurrencyPolicy`: `Allow`, `Forbid` or `Replace`.
    pub fn concurrency_policy(self, policy: &str) -> World {
        self.with_cronjob(|c| c.concurrency_policy = Some(policy.into()))
    }
}
