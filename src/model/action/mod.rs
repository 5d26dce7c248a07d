//! Actions as data: what an operator asked for ([`ActionRequest`]), the
//! plan that says what will happen ([`ActionPlan`]), and the jobs that
//! carry plans out ([`Job`]); the verbs and targets all three name are in
//! `verb`.

mod exec;
mod job;
mod plan;
mod request;
pub mod runbook_template;
mod verb;

pub use exec::{ExecTarget, command_label, command_line, default_shell};
pub use job::{FollowUpResult, Job, JobId, JobResult, OUTPUT_LINES, Outcome, Progress};
pub use plan::{ActionPlan, Confirmation, DryRun, FollowUp, RunbookScope};
pub use request::{ActionRequest, DockerTarget};
pub use verb::{Risk, Target, Verb};
