//! Scaling a Compose service the way Compose does, so `docker-compose ps`
//! and `docker-compose up` see the result as their own:
//!
//! - a new replica is a copy of an existing one (its inspect: image, env,
//!   command, entrypoint, labels, healthcheck, volumes and mounts, restart
//!   policy, ports, every host setting), named
//!   `<project><sep><service><sep><n>` with the separator the existing
//!   replicas use (`_` for Compose v1, `-` for v2) and `n` the highest
//!   container-number + 1;
//! - every `com.docker.compose.*` label is copied, with `container-number`
//!   set and `config-hash` unchanged (so Compose does not recreate it);
//! - it is connected to the same networks with the same aliases (the
//!   service name; the container's own name where Compose v2 adds it; the
//!   daemon adds the short id where it does that);
//! - scaling down stops and removes the highest numbers first (their
//!   volumes are kept, as Compose keeps them).
//!
//! How they are named and the plan are in `scale_plan.rs`.

use bollard::Docker;
use bollard::query_parameters::{RemoveContainerOptions, StopContainerOptions};
use tokio_util::sync::CancellationToken;

use super::clone::{self, CloneSpec};
use super::ready::{Wait, wait_ready};
use super::scale_plan::{collisions, image_for, joined, naming, new_names, template};
use super::{Replica, replicas, short_id, stop_timeout};
use crate::clients::docker::describe;
use crate::clients::docker::labels::LABEL_NUMBER;
use crate::model::{ComposeRef, Outcome, Progress};

/// One scaling job: the service, the count wanted, and where its progress
/// and output go.
struct Scaling<'a> {
    docker: &'a Docker,
    svc: &'a ComposeRef,
    to: u32,
    progress: &'a (dyn Fn(Progress) + Send + Sync),
    output: &'a (dyn Fn(String) + Send + Sync),
    cancel: &'a CancellationToken,
}

/// How a step of a scaling job ends it early: the outcome and message.
type Ended = (Outcome, String);

/// Scales to `to` from what is there now, then follows up.
pub async fn run(
    docker: &Docker,
    svc: &ComposeRef,
    to: u32,
    progress: &(dyn Fn(Progress) + Send + Sync),
    output: &(dyn Fn(String) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    let all = match replicas(docker, svc).await {
        Ok(a) if a.is_empty() => {
            return (
                Outcome::Failed,
                format!("compose service {svc} has no containers on {}", svc.host),
            );
        }
        Ok(a) => a,
        Err(e) => return (Outcome::Failed, e),
    };
    let s = Scaling {
        docker,
        svc,
        to,
        progress,
        output,
        cancel,
    };
    let from = all.len() as u32;
    if to > from {
        s.up(&all).await
    } else if to < from {
        s.down(&all).await
    } else {
        (
            Outcome::Succeeded,
            format!("{svc} already has {to} replica(s)"),
        )
    }
}

/// `created so far: …` / `removed so far: …`: the names, or `none`.
fn so_far<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        "none".into()
    } else {
        joined(names)
    }
}

fn names_of(created: &[(String, String)]) -> impl Iterator<Item = &str> {
    created.iter().map(|(_, n)| n.as_str())
}

impl Scaling<'_> {
    /// Scales up: new replicas copied from the template, each created and
    /// started, then each waited for until ready.
    async fn up(&self, all: &[Replica]) -> (Outcome, String) {
        let (svc, to) = (self.svc, self.to);
        let from = all.len() as u32;
        let sep = match naming(svc, all) {
            Ok(s) => s,
            Err(e) => return (Outcome::Failed, e),
        };
        let tpl = template(all);
        if let Err(e) = collisions(svc, tpl) {
            return (Outcome::Failed, e);
        }
        let (image, note) = image_for(self.docker, tpl).await;
        if let Some(n) = note {
            (self.output)(n);
        }
        let names = new_names(svc, sep, all, to - from);
        let created = match self.create_copies(tpl, &image, &names).await {
            Ok(c) => c,
            Err(ended) => return ended,
        };
        if let Err(ended) = self.wait_for_copies(&created, names.len() as u32).await {
            return ended;
        }
        (
            Outcome::Succeeded,
            format!(
                "{svc} scaled from {from} to {to}: {} running and healthy",
                joined(names_of(&created))
            ),
        )
    }

    /// Creates and starts a copy of `tpl` under each of `names`: `(id,
    /// name)` of each, or how the job ended (cancelled, or a copy that
    /// could not be created or started, which is removed again).
    async fn create_copies(
        &self,
        tpl: &Replica,
        image: &str,
        names: &[(u32, String)],
    ) -> Result<Vec<(String, String)>, Ended> {
        let (docker, svc, to) = (self.docker, self.svc, self.to);
        let total = names.len() as u32 * 2;
        let mut created: Vec<(String, String)> = Vec::new();
        for (k, (number, name)) in names.iter().enumerate() {
            if self.cancel.is_cancelled() {
                return Err((
                    Outcome::Cancelled,
                    format!(
                        "cancelled scaling {svc} to {to}; created so far: {}",
                        so_far(names_of(&created))
                    ),
                ));
            }
            (self.progress)(Progress {
                step: Some((k as u32, total)),
                phase: Some(format!("creating {name}")),
                ..Default::default()
            });
            let spec = CloneSpec {
                name: name.clone(),
                image: image.to_string(),
                labels: vec![(LABEL_NUMBER.to_string(), number.to_string())],
                service: Some(svc.service.clone()),
                ..Default::default()
            };
            let id = match clone::create(docker, &tpl.inspect, &spec).await {
                Ok(id) => id,
                Err(e) => {
                    return Err((
                        Outcome::Failed,
                        format!(
                            "scaling {svc} to {to} stopped: {e}; created so far: {}",
                            so_far(names_of(&created))
                        ),
                    ));
                }
            };
            if let Err(e) = docker.start_container(&id, None).await {
                let _ = docker
                    .remove_container(
                        &id,
                        Some(RemoveContainerOptions {
                            force: true,
                            ..Default::default()
                        }),
                    )
                    .await;
                return Err((
                    Outcome::Failed,
                    format!(
                        "scaling {svc} to {to} stopped: starting {name}: {} (removed it again); created so far: {}",
                        describe(&e),
                        so_far(names_of(&created))
                    ),
                ));
            }
            (self.output)(format!("{name} ({}) created and started", short_id(&id)));
            created.push((id, name.clone()));
        }
        Ok(created)
    }

    /// Waits for each created copy to be ready; progress steps go on from
    /// `steps_done`.
    async fn wait_for_copies(
        &self,
        created: &[(String, String)],
        steps_done: u32,
    ) -> Result<(), Ended> {
        let (svc, to) = (self.svc, self.to);
        let total = steps_done * 2;
        for (k, (id, name)) in created.iter().enumerate() {
            (self.progress)(Progress {
                step: Some((steps_done + k as u32, total)),
                phase: Some(format!("waiting for {name}")),
                ..Default::default()
            });
            match wait_ready(self.docker, id, name, None, self.cancel).await {
                Wait::Ready(m) => (self.output)(format!("{name}: {m}")),
                Wait::Failed(m) => {
                    return Err((
                        Outcome::Failed,
                        format!(
                            "{svc} scaled to {to}, but the new replica {name} did not come up: {m}"
                        ),
                    ));
                }
                Wait::Cancelled => {
                    return Err((
                        Outcome::Cancelled,
                        format!(
                            "stopped following (the replicas were already created: {})",
                            joined(names_of(created))
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Scales down: the highest numbers stopped and removed first, then
    /// the follow-up.
    async fn down(&self, all: &[Replica]) -> (Outcome, String) {
        let (svc, to) = (self.svc, self.to);
        let from = all.len() as u32;
        let mut victims: Vec<&Replica> = all.iter().collect();
        victims.sort_by_key(|v| std::cmp::Reverse(v.number));
        victims.truncate((from - to) as usize);
        let removed = match self.remove(&victims).await {
            Ok(r) => r,
            Err(ended) => return ended,
        };
        if let Err(ended) = self.check_the_rest(&removed).await {
            return ended;
        }
        (
            Outcome::Succeeded,
            format!(
                "{svc} scaled from {from} to {to}: removed {}{}",
                joined(removed.iter().copied()),
                if to > 0 {
                    "; the rest are running and healthy"
                } else {
                    ""
                }
            ),
        )
    }

    /// Stops (if running) and removes each victim in turn: the names
    /// removed, or how the job ended.
    async fn remove<'r>(&self, victims: &[&'r Replica]) -> Result<Vec<&'r str>, Ended> {
        let (docker, svc, to) = (self.docker, self.svc, self.to);
        let total = victims.len() as u32;
        let mut removed: Vec<&str> = Vec::new();
        for (k, v) in victims.iter().enumerate() {
            if self.cancel.is_cancelled() {
                return Err((
                    Outcome::Cancelled,
                    format!(
                        "cancelled scaling {svc} to {to}; removed so far: {}",
                        so_far(removed.iter().copied())
                    ),
                ));
            }
            (self.progress)(Progress {
                step: Some((k as u32, total)),
                phase: Some(format!("stopping {}", v.name)),
                ..Default::default()
            });
            if v.running()
                && let Err(e) = super::patient(docker, stop_timeout(&v.inspect))
                    .stop_container(
                        &v.id,
                        Some(StopContainerOptions {
                            t: Some(stop_timeout(&v.inspect)),
                            signal: None,
                        }),
                    )
                    .await
            {
                return Err((
                    Outcome::Failed,
                    format!("stopping {}: {}", v.name, describe(&e)),
                ));
            }
            if let Err(e) = docker
                .remove_container(&v.id, None::<RemoveContainerOptions>)
                .await
            {
                return Err((
                    Outcome::Failed,
                    format!("removing {}: {}", v.name, describe(&e)),
                ));
            }
            (self.output)(format!("{} stopped and removed", v.name));
            removed.push(&v.name);
        }
        Ok(removed)
    }

    /// Follow-up of a scale down: the count is right and the rest are
    /// healthy.
    async fn check_the_rest(&self, removed: &[&str]) -> Result<(), Ended> {
        let (svc, to) = (self.svc, self.to);
        let now = replicas(self.docker, svc)
            .await
            .map_err(|e| (Outcome::Failed, e))?;
        if now.len() as u32 != to {
            return Err((
                Outcome::Failed,
                format!(
                    "{svc} has {} replicas after removing {}, not {to}: {}",
                    now.len(),
                    joined(removed.iter().copied()),
                    joined(now.iter().map(|r| r.name.as_str()))
                ),
            ));
        }
        for r in now.iter().filter(|r| r.running()) {
            match wait_ready(self.docker, &r.id, &r.name, None, self.cancel).await {
                Wait::Ready(_) => {}
                Wait::Failed(m) => {
                    return Err((
                        Outcome::Failed,
                        format!("{svc} scaled to {to}, but {} is not healthy: {m}", r.name),
                    ));
                }
                Wait::Cancelled => {
                    return Err((
                        Outcome::Cancelled,
                        format!(
                            "stopped following ({} already removed)",
                            joined(removed.iter().copied())
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
