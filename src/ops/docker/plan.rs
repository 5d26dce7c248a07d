//! Planning Docker actions: read the live containers, say in words what
//! will happen (which containers, in what order, what "healthy" means),
//! and refuse what cannot work before anything is touched.

use std::collections::{BTreeMap, HashMap};

use bollard::Docker;

use super::history::service_key;
use super::{
    DockerChange, ImageHistory, Planned, Replica, container, health_meaning, is_running, labels_of,
    replicas, short_image_id, state_of, stop_timeout,
};
use crate::clients::docker::describe;
use crate::clients::docker::labels::{LABEL_PROJECT, LABEL_SERVICE};
use crate::model::{ActionRequest, ComposeRef, DockerTarget, Risk};

/// Reads the live state and plans `request`; an `Err` is a refusal, in
/// words, naming the thing and quoting the daemon.
pub async fn plan(
    docker: &Docker,
    request: &ActionRequest,
    history: &ImageHistory,
) -> Result<Planned, String> {
    let host = match request {
        ActionRequest::DockerRestart { target }
        | ActionRequest::DockerStop { target }
        | ActionRequest::DockerStart { target }
        | ActionRequest::DockerRollback { target } => target.host().to_string(),
        ActionRequest::DockerScale { service, .. } => service.host.clone(),
        other => return Err(format!("{} is not a Docker action", other.summary())),
    };
    crate::clients::docker::negotiate(docker)
        .await
        .map_err(|e| {
            format!(
                "docker host {host} is unreachable: {} — {e}",
                crate::model::fault::words(&e)
            )
        })?;
    match request {
        ActionRequest::DockerRestart { target } => restart(docker, target).await,
        ActionRequest::DockerStop { target } => stop(docker, target).await,
        ActionRequest::DockerStart { target } => start(docker, target).await,
        ActionRequest::DockerScale { service, replicas } => {
            super::scale_plan::plan(docker, service, *replicas).await
        }
        ActionRequest::DockerRollback { target } => rollback(docker, target, history).await,
        _ => unreachable!("checked above"),
    }
}

fn params(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The Compose service a container belongs to, if any.
fn compose_of(host: &str, c: &bollard::models::ContainerInspectResponse) -> Option<ComposeRef> {
    let l = labels_of(c);
    Some(ComposeRef {
        host: host.to_string(),
        project: l.get(LABEL_PROJECT)?.clone(),
        service: l.get(LABEL_SERVICE)?.clone(),
    })
}

async fn service_replicas(docker: &Docker, c: &ComposeRef) -> Result<Vec<Replica>, String> {
    let all = replicas(docker, c).await?;
    if all.is_empty() {
        return Err(format!(
            "compose service {c} has no containers on {} (is the project up?)",
            c.host
        ));
    }
    Ok(all)
}

fn names(rs: &[&Replica]) -> String {
    rs.iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn restart(docker: &Docker, target: &DockerTarget) -> Result<Planned, String> {
    match target {
        DockerTarget::Container { host, id, name } => {
            let c = container(docker, host, id, name).await?;
            let name = super::name_of(&c);
            let mut what = vec![
                format!(
                    "restart container {name} on {host} (docker restart: SIGTERM, SIGKILL after {} s)",
                    stop_timeout(&c)
                ),
                format!("then wait until it is {}", health_meaning(&c)),
            ];
            if !is_running(&c) {
                what.push(format!("it is {} now: the restart starts it", state_of(&c)));
            }
            let mut p = params(&[
                ("host", host.clone()),
                ("container", name),
                (
                    "image",
                    c.config
                        .as_ref()
                        .and_then(|c| c.image.clone())
                        .unwrap_or_default(),
                ),
            ]);
            if let Some(s) = compose_of(host, &c) {
                p.insert("compose_service".into(), s.to_string());
            }
            Ok((
                what,
                p,
                Risk::Medium,
                DockerChange::Restart {
                    ids: vec![c.id.clone().unwrap_or_else(|| id.clone())],
                },
            ))
        }
        DockerTarget::Compose(svc) => {
            let all = service_replicas(docker, svc).await?;
            let running: Vec<&Replica> = all.iter().filter(|r| r.running()).collect();
            let stopped: Vec<&Replica> = all.iter().filter(|r| !r.running()).collect();
            if running.is_empty() {
                return Err(format!(
                    "compose service {svc} on {} has no running replicas to restart ({} stopped): start them instead",
                    svc.host,
                    names(&stopped)
                ));
            }
            let mut what = vec![if running.len() == 1 {
                format!(
                    "restart {svc}'s only running replica {} on {}",
                    running[0].name, svc.host
                )
            } else {
                format!(
                    "rolling restart of {svc} on {}: {} replicas one at a time, in this order: {}",
                    svc.host,
                    running.len(),
                    names(&running)
                )
            }];
            what.push(format!(
                "each must be {} before the next is restarted; the first that fails stops the rollout, and the rest are left as they are",
                health_meaning(&running[0].inspect)
            ));
            if running.len() == 1 {
                what.push("⚠ only one replica: the service is down while it restarts".into());
            }
            if !stopped.is_empty() {
                what.push(format!("not running, left alone: {}", names(&stopped)));
            }
            Ok((
                what,
                params(&[
                    ("host", svc.host.clone()),
                    ("project", svc.project.clone()),
                    ("service", svc.service.clone()),
                    ("replicas", running.len().to_string()),
                    ("order", names(&running)),
                ]),
                Risk::Medium,
                DockerChange::Restart {
                    ids: running.iter().map(|r| r.id.clone()).collect(),
                },
            ))
        }
    }
}

fn one_container<'a>(
    verb: &str,
    target: &'a DockerTarget,
) -> Result<(&'a str, &'a str, &'a str), String> {
    match target {
        DockerTarget::Container { host, id, name } => Ok((host, id, name)),
        DockerTarget::Compose(c) => Err(format!(
            "{verb} acts on one container: choose one of compose service {c}'s replicas"
        )),
    }
}

async fn stop(docker: &Docker, target: &DockerTarget) -> Result<Planned, String> {
    let (host, id, name) = one_container("stop", target)?;
    let c = container(docker, host, id, name).await?;
    let name = super::name_of(&c);
    if !is_running(&c) {
        return Err(format!(
            "container {name} on {host} is not running ({})",
            state_of(&c)
        ));
    }
    let mut what = vec![format!(
        "stop container {name} on {host} (docker stop: SIGTERM, SIGKILL after {} s)",
        stop_timeout(&c)
    )];
    let mut p = params(&[("host", host.to_string()), ("container", name.clone())]);
    let risk = match compose_of(host, &c) {
        Some(svc) => {
            let all = replicas(docker, &svc).await?;
            let others: Vec<&Replica> = all
                .iter()
                .filter(|r| r.running() && Some(&r.id) != c.id.as_ref())
                .collect();
            p.insert("compose_service".into(), svc.to_string());
            p.insert(
                "running_replicas".into(),
                format!("{} → {}", others.len() + 1, others.len()),
            );
            if others.is_empty() {
                what.push(format!(
                    "⚠ it is the last running replica of {svc}: the service stops serving"
                ));
                Risk::High
            } else {
                what.push(format!(
                    "{} other replica(s) of {svc} keep running: {}",
                    others.len(),
                    names(&others)
                ));
                Risk::Medium
            }
        }
        None => {
            what.push(format!(
                "⚠ {name} is not part of a Compose service with other replicas: what it serves stops"
            ));
            Risk::High
        }
    };
    let policy = c
        .host_config
        .as_ref()
        .and_then(|h| h.restart_policy.as_ref())
        .and_then(|r| r.name)
        .map(|n| n.to_string())
        .unwrap_or_default();
    if policy == "always" {
        what.push(
            "restart policy `always`: it stays stopped until started, or until the daemon restarts"
                .into(),
        );
    }
    what.push("then check that it has stopped".into());
    Ok((
        what,
        p,
        risk,
        DockerChange::Stop {
            id: c.id.clone().unwrap_or_else(|| id.to_string()),
        },
    ))
}

async fn start(docker: &Docker, target: &DockerTarget) -> Result<Planned, String> {
    let (host, id, name) = one_container("start", target)?;
    let c = container(docker, host, id, name).await?;
    let name = super::name_of(&c);
    if is_running(&c) {
        return Err(format!("container {name} on {host} is already running"));
    }
    let what = vec![
        format!(
            "start container {name} on {host} (it is {} now)",
            state_of(&c)
        ),
        format!("then wait until it is {}", health_meaning(&c)),
    ];
    Ok((
        what,
        params(&[("host", host.to_string()), ("container", name)]),
        Risk::Medium,
        DockerChange::Start {
            id: c.id.clone().unwrap_or_else(|| id.to_string()),
        },
    ))
}

/// `web:1.4.2 (sha256:0123456789ab)`.
fn image_words(image: &str, id: &str) -> String {
    format!("{image} ({})", short_image_id(id))
}

/// What a roll back acts on: the history key, the containers, the plan's
/// parameters so far and the Compose service (if it is one).
type RollbackMembers = (
    String,
    Vec<Replica>,
    BTreeMap<String, String>,
    Option<ComposeRef>,
);

/// An image as `(ref, id)`.
type ImageRefId = (String, String);

async fn rollback(
    docker: &Docker,
    target: &DockerTarget,
    history: &ImageHistory,
) -> Result<Planned, String> {
    let host = target.host();
    let (key, members, mut p, svc) = rollback_members(docker, target).await?;
    let (cur_ref, cur_id) = current_image(&members);
    let shown = target.describe();
    let Some((prev_ref, prev_id)) = history.previous_on(host, &key, &cur_id) else {
        return Err(format!(
            "no earlier image known for {shown} on {host}: it runs {}, and opsboard has not seen it run another image (it records images as it sees them change)",
            image_words(&cur_ref, &cur_id)
        ));
    };
    let use_ref = earlier_image_ref(docker, host, &shown, &prev_ref, &prev_id).await?;
    let todo: Vec<&Replica> = members
        .iter()
        .filter(|r| image_of(r).1 != prev_id)
        .collect();
    if todo.is_empty() {
        return Err(format!(
            "{shown} on {host} already runs {}",
            image_words(&prev_ref, &prev_id)
        ));
    }
    let what = rollback_words(
        &format!("{shown} on {host}"),
        (&cur_ref, &cur_id),
        (&prev_ref, &prev_id),
        &use_ref,
        &members,
        &todo,
        svc.is_some(),
    );
    p.insert("image_from".into(), image_words(&cur_ref, &cur_id));
    p.insert("image_to".into(), image_words(&prev_ref, &prev_id));
    p.insert("containers".into(), names(&todo));
    Ok((
        what,
        p,
        Risk::Medium,
        DockerChange::Rollback {
            ids: todo.iter().map(|r| r.id.clone()).collect(),
            image: use_ref,
        },
    ))
}

/// The containers a roll back of `target` recreates, read live.
async fn rollback_members(
    docker: &Docker,
    target: &DockerTarget,
) -> Result<RollbackMembers, String> {
    Ok(match target {
        DockerTarget::Container { host, id, name } => {
            let c = container(docker, host, id, name).await?;
            let name = super::name_of(&c);
            let svc = compose_of(host, &c);
            let r = Replica {
                id: c.id.clone().unwrap_or_else(|| id.clone()),
                name: name.clone(),
                number: 0,
                inspect: c,
            };
            (
                name.clone(),
                vec![r],
                params(&[("host", host.clone()), ("container", name)]),
                svc,
            )
        }
        DockerTarget::Compose(svc) => (
            service_key(&svc.project, &svc.service),
            service_replicas(docker, svc).await?,
            params(&[
                ("host", svc.host.clone()),
                ("project", svc.project.clone()),
                ("service", svc.service.clone()),
            ]),
            Some(svc.clone()),
        ),
    })
}

/// The image a replica runs, `(ref, id)`.
fn image_of(r: &Replica) -> ImageRefId {
    (
        r.inspect
            .config
            .as_ref()
            .and_then(|c| c.image.clone())
            .unwrap_or_default(),
        r.inspect.image.clone().unwrap_or_default(),
    )
}

/// The image the target runs now: what most replicas run (the
/// highest-numbered one breaks a tie).
fn current_image(members: &[Replica]) -> ImageRefId {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in members {
        *counts.entry(image_of(r).1).or_default() += 1;
    }
    members
        .iter()
        .rev()
        .max_by_key(|r| counts[&image_of(r).1])
        .map(image_of)
        .unwrap_or_default()
}

/// The earlier image must still be there; its ref is used when it still
/// names it (so `docker ps` shows a name, not an id), else its id.
async fn earlier_image_ref(
    docker: &Docker,
    host: &str,
    shown: &str,
    prev_ref: &str,
    prev_id: &str,
) -> Result<String, String> {
    let by_id = docker.inspect_image(prev_id).await.map_err(|e| match &e {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        } => format!(
            "the earlier image {} of {shown} is no longer on {host} (removed or pruned): pull or rebuild it first",
            image_words(prev_ref, prev_id)
        ),
        _ => format!("inspecting image {prev_id} on {host}: {}", describe(&e)),
    })?;
    Ok(match docker.inspect_image(prev_ref).await {
        Ok(i) if i.id == by_id.id => prev_ref.to_string(),
        _ => prev_id.to_string(),
    })
}

/// What a roll back of `shown` (`<target> on <host>`) says it will do.
fn rollback_words(
    shown: &str,
    (cur_ref, cur_id): (&str, &str),
    (prev_ref, prev_id): (&str, &str),
    use_ref: &str,
    members: &[Replica],
    todo: &[&Replica],
    compose: bool,
) -> Vec<String> {
    let mut what = vec![
        format!(
            "roll back {shown}: {} → {}",
            image_words(cur_ref, cur_id),
            image_words(prev_ref, prev_id)
        ),
        format!(
            "recreate {} with it, one at a time{}: each keeps its name, config (env, command, labels, ports, restart policy), networks and volumes",
            names(todo),
            if todo.len() > 1 { ", in this order" } else { "" }
        ),
        "the old container is stopped and renamed aside; if the new one cannot be created or started, the old one is put back; otherwise the old one is removed".into(),
        format!(
            "each must be {} before the next; the first that fails stops the rollback",
            health_meaning(&todo[0].inspect)
        ),
    ];
    if use_ref != prev_ref {
        what.push(format!(
            "{prev_ref} now names another image: the containers are created from the image id {}",
            short_image_id(prev_id)
        ));
    }
    if compose {
        what.push(format!(
            "⚠ the compose file still names {cur_ref}: an `up` that recreates the service (a changed file, --force-recreate; Compose v2 also on an image change) brings it back — pin the tag in the file to keep the rollback"
        ));
    }
    if todo.iter().filter(|r| r.running()).count() == members.iter().filter(|r| r.running()).count()
        && todo.iter().filter(|r| r.running()).count() == 1
    {
        what.push("⚠ only one running replica: it is down while it is recreated".into());
    }
    what
}
