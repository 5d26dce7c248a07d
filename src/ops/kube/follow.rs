//! Following a Kubernetes change to completion, failure or timeout, with
//! kubectl's messages as progress: the rollout as `kubectl rollout status`
//! sees it, and for a deleted pod first that very pod going, by uid, as
//! `kubectl delete --wait` waits (a pod of the same name with another uid
//! is its replacement, not the deleted pod still there).

use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::api_error;
use super::change::{Change, Op, short_uid};
use crate::clients::kube::rollout::{self, Status};
use crate::model::{Outcome, Progress, WorkloadKind, WorkloadRef};

/// How long a rollout may take before the action reports it timed out.
pub const FOLLOW_TIMEOUT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_millis(500);
/// One status read may take this long before it counts as a failure.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The API server unanswering for this long ends the follow: the change
/// was made, and waiting on a server that is gone helps nobody.
pub const LOST_AFTER: Duration = Duration::from_secs(20);

/// `fut`, or an error in words when it takes longer than [`READ_TIMEOUT`].
async fn bounded<T>(
    fut: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(READ_TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| Err(format!("no answer in {}s", READ_TIMEOUT.as_secs())))
}

/// Since when the API server has not answered, if it does not now.
#[derive(Default)]
struct Reach(Option<Instant>);

impl Reach {
    fn answered(&mut self) {
        self.0 = None;
    }

    /// `Err` once the server has been gone for [`LOST_AFTER`].
    fn failed(&mut self, why: &str, what: &str) -> Result<(), End> {
        let since = *self.0.get_or_insert_with(Instant::now);
        if since.elapsed() >= LOST_AFTER {
            let fault = crate::model::fault::words(why);
            return Err((
                Outcome::Failed,
                format!(
                    "lost the API server for {}s while {what}: {fault} ({why}); the change was made — check it when the server is back",
                    LOST_AFTER.as_secs()
                ),
            ));
        }
        Ok(())
    }
}

/// What `kubectl rollout status` says about the workload now.
pub async fn status(client: &kube::Client, w: &WorkloadRef) -> Result<Status, String> {
    let ns = &w.namespace;
    Ok(match w.kind {
        WorkloadKind::Deployment => rollout::deployment(
            &Api::<Deployment>::namespaced(client.clone(), ns)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?,
        ),
        WorkloadKind::StatefulSet => rollout::statefulset(
            &Api::<StatefulSet>::namespaced(client.clone(), ns)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?,
        ),
        WorkloadKind::DaemonSet => rollout::daemonset(
            &Api::<DaemonSet>::namespaced(client.clone(), ns)
                .get(&w.name)
                .await
                .map_err(|e| api_error(&e))?,
        ),
    })
}

/// How a follow ends early: cancelled, or out of time.
type End = (Outcome, String);

/// The time a follow may take, and the operator's way to stop it.
struct Budget<'a> {
    cancel: &'a CancellationToken,
    deadline: Instant,
    timeout: Duration,
}

impl Budget<'_> {
    /// Sleeps one poll; `Err` when cancelled or past the deadline (then
    /// `late` says what was still awaited).
    async fn next_poll(
        &self,
        late: impl FnOnce() -> String,
        cancelled: impl FnOnce() -> String,
    ) -> Result<(), End> {
        if Instant::now() > self.deadline {
            return Err((
                Outcome::Failed,
                format!(
                    "timed out after {} {}",
                    humantime::format_duration(self.timeout),
                    late()
                ),
            ));
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => Ok(()),
            _ = self.cancel.cancelled() => Err((Outcome::Cancelled, cancelled())),
        }
    }
}

fn is_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn stopped() -> String {
    "stopped following (the change was already made)".into()
}

/// Waits until no pod `name` with `uid` exists; for a StatefulSet, whose
/// controller makes a pod of the same name again, then until that new pod
/// is ready. Returns what happened, in words.
async fn deleted_pod(
    client: &kube::Client,
    w: &WorkloadRef,
    name: &str,
    uid: &str,
    progress: &(dyn Fn(Progress) + Send + Sync),
    budget: &Budget<'_>,
) -> Result<String, End> {
    let api = Api::<Pod>::namespaced(client.clone(), &w.namespace);
    let old = format!("pod {name} (uid {})", short_uid(uid));
    let mut last = String::new();
    let mut reach = Reach::default();
    let get = |api: Api<Pod>| async move { api.get_opt(name).await.map_err(|e| api_error(&e)) };
    loop {
        match bounded(get(api.clone())).await {
            Ok(Some(p)) if p.metadata.uid.as_deref() == Some(uid) => {
                reach.answered();
                progress(Progress {
                    phase: Some(format!("waiting for {old} to go")),
                    ..Default::default()
                });
            }
            Ok(_) => break,
            Err(e) => {
                reach.failed(&e, &format!("waiting for {old} to go"))?;
                last = e;
            }
        }
        budget
            .next_poll(|| format!("waiting for {old} to go: {last}"), stopped)
            .await?;
    }
    if w.kind != WorkloadKind::StatefulSet {
        return Ok("it is gone".into());
    }
    loop {
        let now = bounded(get(api.clone())).await;
        match &now {
            Ok(_) => reach.answered(),
            Err(e) => reach.failed(e, &format!("waiting for pod {name} again"))?,
        }
        let phase = match now {
            Ok(Some(p)) if p.metadata.uid.as_deref() != Some(uid) => {
                let new = short_uid(p.metadata.uid.as_deref().unwrap_or("")).to_string();
                if is_ready(&p) {
                    return Ok(format!(
                        "it is gone and its replacement {name} (uid {new}) is ready"
                    ));
                }
                format!("waiting for the new pod {name} (uid {new}) to be ready")
            }
            Ok(_) => format!("waiting for {} to create pod {name} again", w.short()),
            Err(e) => e,
        };
        progress(Progress {
            phase: Some(phase.clone()),
            ..Default::default()
        });
        budget
            .next_poll(|| format!("after {old} went, {phase}"), stopped)
            .await?;
    }
}

/// Follows the rollout until it completes, fails, times out or is
/// cancelled. For a deleted pod, first waits for that pod (by uid) to be
/// gone and a StatefulSet's same-named replacement to be ready.
pub async fn follow(
    client: &kube::Client,
    w: &WorkloadRef,
    change: &Change,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &CancellationToken,
    timeout: Duration,
) -> (Outcome, String) {
    let budget = Budget {
        cancel,
        deadline: Instant::now() + timeout,
        timeout,
    };
    if let Op::Switch { .. } = &change.op {
        return super::switch::follow(client, &w.namespace, change, progress, cancel).await;
    }
    let mut before = String::new();
    if let Op::DeletePod(pod) = &change.op {
        let uid = &change.target.uid;
        match deleted_pod(client, w, pod, uid, progress, &budget).await {
            Ok(words) => before = format!("{words}; "),
            Err(end) => return end,
        }
    }
    let mut last = String::from("waiting for the first status");
    let mut steps = 0u32;
    let mut reach = Reach::default();
    loop {
        let now = bounded(status(client, w)).await;
        if now.is_ok() {
            reach.answered();
        }
        match now {
            Ok(Status::Done(m)) => return (Outcome::Succeeded, format!("{before}{m}")),
            Ok(Status::Failed(m)) => return (Outcome::Failed, format!("{before}{m}")),
            Ok(Status::Waiting(m)) => {
                if m != last {
                    steps += 1;
                }
                last = m;
                progress(Progress {
                    phase: Some(last.clone()),
                    step: Some((steps, 0)),
                    ..Default::default()
                });
            }
            // The API may blip during a rollout: keep following, unless
            // it stays away.
            Err(e) => {
                if let Err(end) = reach.failed(&e, "following the rollout") {
                    return (end.0, format!("{before}{}", end.1));
                }
                last = e;
            }
        }
        if let Err(end) = budget
            .next_poll(
                || format!("waiting for the rollout: {last}"),
                || format!("{}: {last}", stopped()),
            )
            .await
        {
            return end;
        }
    }
}
