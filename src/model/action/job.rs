//! A confirmed plan being carried out: its id, progress, output and
//! result.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::ActionPlan;

/// A confirmed plan being carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Progress of a running job; each field is shown when present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub bytes: Option<u64>,
    /// `(done, total)` steps.
    pub step: Option<(u32, u32)>,
    /// What the job is doing now, e.g. "verifying checksum".
    pub phase: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    Cancelled,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// The result of a follow-up check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpResult {
    pub passed: bool,
    pub detail: String,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobResult {
    pub outcome: Outcome,
    /// On success what was done (e.g. the file written); on failure the
    /// exact error.
    pub message: String,
    pub follow_up: Option<FollowUpResult>,
    /// Exit status of a command, when there was one.
    pub exit_code: Option<i32>,
}

/// Lines of output kept per job.
pub const OUTPUT_LINES: usize = 2000;

/// A job as the board shows it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub plan: ActionPlan,
    pub started: SystemTime,
    pub progress: Progress,
    /// Bounded output (stdout and stderr interleaved), oldest dropped first.
    pub output: std::collections::VecDeque<String>,
    pub dropped_lines: u64,
    pub finished: Option<(SystemTime, JobResult)>,
    /// The operator has acknowledged the result.
    pub dismissed: bool,
}

impl Job {
    pub fn new(id: JobId, plan: ActionPlan, started: SystemTime) -> Job {
        Job {
            id,
            plan,
            started,
            progress: Progress::default(),
            output: std::collections::VecDeque::new(),
            dropped_lines: 0,
            finished: None,
            dismissed: false,
        }
    }

    pub fn push_output(&mut self, line: String) {
        if self.output.len() == OUTPUT_LINES {
            self.output.pop_front();
            self.dropped_lines += 1;
        }
        self.output.push_back(line);
    }

    pub fn is_running(&self) -> bool {
        self.finished.is_none()
    }

    pub fn elapsed(&self, now: SystemTime) -> Duration {
        let end = self.finished.as_ref().map_or(now, |(t, _)| *t);
        end.duration_since(self.started).unwrap_or_default()
    }
}
