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
use super::run::{Wait, wait_ready};
use super::scale_plan::{collisions, image_for, joined, naming, new_names, template};
use super::{Replica, replicas, short_id, stop_timeout};
use crate::model::{ComposeRef, Outcome, Progress};
use crate::sources::docker::describe;
use crate::sources::docker::snapshot::LABEL_NUMBER;

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
    let from = all.len() as u32;
    if to > from {
        up(docker, svc, &all, to, progress, output, cancel).await
    } else if to < from {
        down(docker, svc, &all, to, progress, output, cancel).await
    } else {
        (
            Outcome::Succeeded,
            format!("{svc} already has {to} replica(s)"),
        )
    }
}

async fn up(
    docker: &Docker,
    svc: &ComposeRef,
    all: &[Replica],
    to: u32,
    progress: &(dyn Fn(Progress) + Send + Sync),
    output: &(dyn Fn(String) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    let from = all.len() as u32;
    let sep = match naming(svc, all) {
        Ok(s) => s,
        Err(e) => return (Outcome::Failed, e),
    };
    let tpl = template(all);
    if let Err(e) = collisions(svc, tpl) {
        return (Outcome::Failed, e);
    }
    let (image, note) = image_for(docker, tpl).await;
    if let Some(n) = note {
        output(n);
    }
    let names = new_names(svc, sep, all, to - from);
    let total = names.len() as u32 * 2;
    let mut created: Vec<(String, String)> = Vec::new();
    let made = |c: &[(String, String)]| joined(c.iter().map(|(_, n)| n.as_str()));
    for (k, (number, name)) in names.iter().enumerate() {
        if cancel.is_cancelled() {
            return (
                Outcome::Cancelled,
                format!(
                    "cancelled scaling {svc} to {to}; created so far: {}",
                    if created.is_empty() {
                        "none".into()
                    } else {
                        made(&created)
                    }
                ),
            );
        }
        progress(Progress {
            step: Some((k as u32, total)),
            phase: Some(format!("creating {name}")),
            ..Default::default()
        });
        let spec = CloneSpec {
            name: name.clone(),
            image: image.clone(),
            labels: vec![(LABEL_NUMBER.to_string(), number.to_string())],
            service: Some(svc.service.clone()),
            ..Default::default()
        };
        let id = match clone::create(docker, &tpl.inspect, &spec).await {
            Ok(id) => id,
            Err(e) => {
                return (
                    Outcome::Failed,
                    format!(
                        "scaling {svc} to {to} stopped: {e}; created so far: {}",
                        if created.is_empty() {
                            "none".into()
                        } else {
                            made(&created)
                        }
                    ),
                );
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
            return (
                Outcome::Failed,
                format!(
                    "scaling {svc} to {to} stopped: starting {name}: {} (removed it again); created so far: {}",
                    describe(&e),
                    if created.is_empty() {
                        "none".into()
                    } else {
                        made(&created)
                    }
                ),
            );
        }
        output(format!("{name} ({}) created and started", short_id(&id)));
        created.push((id, name.clone()));
    }
    for (k, (id, name)) in created.iter().enumerate() {
        progress(Progress {
            step: Some((names.len() as u32 + k as u32, total)),
            phase: Some(format!("waiting for {name}")),
            ..Default::default()
        });
        match wait_ready(docker, id, name, None, cancel).await {
            Wait::Ready(m) => output(format!("{name}: {m}")),
            Wait::Failed(m) => {
                return (
                    Outcome::Failed,
                    format!(
                        "{svc} scaled to {to}, but the new replica {name} did not come up: {m}"
                    ),
                );
            }
            Wait::Cancelled => {
                return (
                    Outcome::Cancelled,
                    format!(
                        "stopped following (the replicas were already created: {})",
                        made(&created)
                    ),
                );
            }
        }
    }
    (
        Outcome::Succeeded,
        format!(
            "{svc} scaled from {from} to {to}: {} running and healthy",
            made(&created)
        ),
    )
}

async fn down(
    docker: &Docker,
    svc: &ComposeRef,
    all: &[Replica],
    to: u32,
    progress: &(dyn Fn(Progress) + Send + Sync),
    output: &(dyn Fn(String) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    let from = all.len() as u32;
    let mut victims: Vec<&Replica> = all.iter().collect();
    victims.sort_by_key(|v| std::cmp::Reverse(v.number));
    victims.truncate((from - to) as usize);
    let total = victims.len() as u32;
    let mut removed: Vec<&str> = Vec::new();
    for (k, v) in victims.iter().enumerate() {
        if cancel.is_cancelled() {
            return (
                Outcome::Cancelled,
                format!(
                    "cancelled scaling {svc} to {to}; removed so far: {}",
                    if removed.is_empty() {
                        "none".into()
                    } else {
                        joined(removed.iter().copied())
                    }
                ),
            );
        }
        progress(Progress {
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
            return (
                Outcome::Failed,
                format!("stopping {}: {}", v.name, describe(&e)),
            );
        }
        if let Err(e) = docker
            .remove_container(&v.id, None::<RemoveContainerOptions>)
            .await
        {
            return (
                Outcome::Failed,
                format!("removing {}: {}", v.name, describe(&e)),
            );
        }
        output(format!("{} stopped and removed", v.name));
        removed.push(&v.name);
    }
    // Follow-up: the count is right and the rest are healthy.
    let now = match replicas(docker, svc).await {
        Ok(n) => n,
        Err(e) => return (Outcome::Failed, e),
    };
    if now.len() as u32 != to {
        return (
            Outcome::Failed,
            format!(
                "{svc} has {} replicas after removing {}, not {to}: {}",
                now.len(),
                joined(removed.iter().copied()),
                joined(now.iter().map(|r| r.name.as_str()))
            ),
        );
    }
    for r in now.iter().filter(|r| r.running()) {
        match wait_ready(docker, &r.id, &r.name, None, cancel).await {
            Wait::Ready(_) => {}
            Wait::Failed(m) => {
                return (
                    Outcome::Failed,
                    format!("{svc} scaled to {to}, but {} is not healthy: {m}", r.name),
                );
            }
            Wait::Cancelled => {
                return (
                    Outcome::Cancelled,
                    format!(
                        "stopped following ({} already removed)",
                        joined(removed.iter().copied())
                    ),
                );
            }
        }
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
