//! Exec sessions on the actor's side: planned like any action (the policy
//! first, then the container read off the actor, then the environment of
//! the workload or service it belongs to), and run as a job that opens
//! the session, hands it to the terminal and records how it ended.

use tokio::sync::{mpsc, oneshot};

use super::gate::{Asking, Check};
use super::job_run::{failed, progress_sink};
use super::{Actor, Backend};
use crate::app::Msg;
use crate::model::{
    ActionPlan, Confirmation, ExecTarget, JobId, JobResult, Outcome, Progress, Risk, Target, Verb,
    command_label,
};
use crate::ops::exec::{self, Handover, Opened, Planned, Session, SessionEnd};

/// A session plan, made off the actor.
pub(super) struct ExecPlanned {
    id: u64,
    what: String,
    target: Target,
    verb: Verb,
    exec: ExecTarget,
    command: Vec<String>,
    result: Result<Planned, String>,
}

/// The client a session is opened with.
pub(super) enum ExecClient {
    Kube(Result<kube::Client, String>),
    Docker(Result<bollard::Docker, String>),
}

/// One session per container at a time, keyed like the container's other
/// actions.
fn exec_target(t: &ExecTarget) -> Target {
    match t {
        ExecTarget::Pod {
            context,
            namespace,
            pod,
            container,
        } => Target {
            key: format!("k8s/{context}/{namespace}/pod/{pod}/{container}"),
            name: pod.clone(),
            service: None,
            environment: None,
        },
        ExecTarget::Docker { host, name, .. } => Target {
            key: format!("docker/{host}/{name}"),
            name: name.clone(),
            service: None,
            environment: None,
        },
    }
}

impl Actor {
    /// Plans a session: refused at once in read-only mode, without a
    /// terminal, or for an empty command; then the container is read off
    /// the actor.
    pub(super) async fn plan_exec(&mut self, exec: ExecTarget, command: Vec<String>, id: u64) {
        let verb = Verb::Exec {
            command: command_label(&command),
        };
        let what = format!("{verb} {exec}");
        let mut target = exec_target(&exec);
        // What is known before reading anything: the context's or the
        // host's environment (the workload's may be stricter, below).
        target.environment = match &exec {
            ExecTarget::Pod { context, .. } => self.catalog.environment_of_context(context),
            ExecTarget::Docker { host, .. } => self.host_environment(host),
        };
        let asking = || Asking::request(&what, &target, &verb);
        if !self.gate(asking(), &[Check::Policy, Check::Idle]).await {
            return;
        }
        let refusal = if self.handover.is_none() {
            Some("a session needs the board's terminal (run it from the board)".to_string())
        } else {
            exec::check_command(&command).err()
        };
        if let Some(reason) = refusal {
            self.refuse(asking(), reason).await;
            return;
        }
        let client = match &exec {
            ExecTarget::Pod { context, .. } => self
                .kube
                .client(context)
                .await
                .map(|c| ExecClient::Kube(Ok(c))),
            ExecTarget::Docker { host, .. } => {
                self.docker.client(host).map(|c| ExecClient::Docker(Ok(c)))
            }
        };
        let client = match client {
            Ok(c) => c,
            Err(e) => {
                self.refuse(asking(), e).await;
                return;
            }
        };
        let tx = self.exec_planned_tx.clone();
        tokio::spawn(async move {
            let result = match (&client, &exec) {
                (
                    ExecClient::Kube(Ok(c)),
                    ExecTarget::Pod {
                        context,
                        namespace,
                        pod,
                        container,
                    },
                ) => {
                    let at = exec::kube::PodContainer {
                        context,
                        namespace,
                        pod,
                        container,
                    };
                    exec::kube::plan(c, &at, &command).await
                }
                (ExecClient::Docker(Ok(d)), ExecTarget::Docker { host, id, name }) => {
                    exec::docker::plan(d, host, id, name, &command).await
                }
                _ => Err("no client for this container".into()),
            };
            let _ = tx.send(ExecPlanned {
                id,
                what,
                target,
                verb,
                exec,
                command,
                result,
            });
        });
    }

    pub(super) async fn exec_planned(&mut self, e: ExecPlanned) {
        let planned = match e.result {
            Ok(p) => p,
            Err(reason) => {
                self.refuse(Asking::request(&e.what, &e.target, &e.verb), reason)
                    .await;
                return;
            }
        };
        let mut target = e.target;
        // The stricter of what was known and what the container belongs
        // to: a lax service cannot loosen a protected context or host.
        let (service, environment) = match (&planned.workload, &e.exec) {
            (Some(w), _) => (
                self.catalog.service_of(w),
                self.catalog.environment_of(w, &self.policy),
            ),
            (None, ExecTarget::Docker { host, id, name }) => {
                self.catalog
                    .docker_target_service(&crate::model::DockerTarget::Container {
                        host: host.clone(),
                        id: id.clone(),
                        name: name.clone(),
                    })
            }
            (None, ExecTarget::Pod { .. }) => (None, None),
        };
        target.service = service;
        target.environment = self.policy.strictest(
            target
                .environment
                .take()
                .into_iter()
                .chain(environment)
                .collect(),
        );
        let mut plan = ActionPlan {
            id: e.id,
            target,
            verb: e.verb,
            parameters: planned.parameters,
            what_will_happen: planned.what_will_happen,
            risk: Risk::High,
            confirmation: Confirmation::YesNo,
            dry_run: None,
            follow_up: None,
            cancellable: false,
        };
        if !self
            .gate(Asking::plan(&e.what, &plan), &[Check::Policy, Check::Idle])
            .await
        {
            return;
        }
        plan.confirmation = self
            .policy
            .confirmation(&plan.target, plan.confirmation.clone());
        self.issue(e.id, plan, Backend::Exec(e.exec, e.command))
            .await;
    }

    /// The environment of a Docker host, if config names one.
    pub(super) fn host_environment(&self, host: &str) -> Option<String> {
        self.catalog
            .docker_host_environments
            .iter()
            .find(|(h, _)| h == host)
            .map(|(_, e)| e.clone())
    }
}

/// Opens the session, hands it to the terminal, and waits for its end.
pub(super) async fn run_exec_job(
    client: ExecClient,
    target: &ExecTarget,
    command: Vec<String>,
    job: JobId,
    out: &mpsc::Sender<Msg>,
    handover: Option<Handover>,
) -> JobResult {
    let progress = progress_sink(out, job);
    progress(Progress {
        phase: Some("opening the session".into()),
        ..Progress::default()
    });
    let Some(handover) = handover else {
        return failed("a session needs the board's terminal".into());
    };
    let title = format!("{} in {target}", command_label(&command));
    let opened: Result<Opened, String> = match (client, target) {
        (
            ExecClient::Kube(client),
            ExecTarget::Pod {
                context,
                namespace,
                pod,
                container,
            },
        ) => match client {
            Ok(c) => {
                let at = exec::kube::PodContainer {
                    context,
                    namespace,
                    pod,
                    container,
                };
                exec::kube::open(c, &at, command).await
            }
            Err(e) => Err(e),
        },
        (ExecClient::Docker(client), ExecTarget::Docker { id, .. }) => match client {
            Ok(d) => exec::docker::open(d, id, command).await,
            Err(e) => Err(e),
        },
        _ => Err("no client for this container".into()),
    };
    let opened = match opened {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let (ended, end) = oneshot::channel();
    let session = Session {
        job,
        title,
        input: opened.input,
        output: opened.output,
        resize: opened.resize,
        exit: opened.exit,
        ended,
    };
    if handover.send(session).await.is_err() {
        return failed("the board's terminal is gone".into());
    }
    progress(Progress {
        phase: Some("session open: the terminal is handed over".into()),
        ..Progress::default()
    });
    match end.await {
        Ok(SessionEnd::Exited(0)) => JobResult {
            outcome: Outcome::Succeeded,
            message: "exited with code 0".into(),
            follow_up: None,
            exit_code: Some(0),
        },
        Ok(SessionEnd::Exited(code)) => JobResult {
            outcome: Outcome::Failed,
            message: format!("exited with code {code}"),
            follow_up: None,
            exit_code: Some(i32::try_from(code).unwrap_or(i32::MAX)),
        },
        Ok(SessionEnd::Left(why)) => JobResult {
            outcome: Outcome::Cancelled,
            message: format!("{why}: the connection was closed"),
            follow_up: None,
            exit_code: None,
        },
        Ok(SessionEnd::Failed(e)) => failed(e),
        Err(_) => failed("the session ended without a word from the terminal".into()),
    }
}
