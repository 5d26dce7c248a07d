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

use std::collections::BTreeMap;

use bollard::Docker;
use bollard::query_parameters::{RemoveContainerOptions, StopContainerOptions};
use tokio_util::sync::CancellationToken;

use super::clone::{self, CloneSpec};
use super::plan::Planned;
use super::run::{Wait, wait_ready};
use super::{
    DockerChange, Replica, health_meaning, replicas, short_id, short_image_id, stop_timeout,
};
use crate::clients::docker::describe;
use crate::clients::docker::labels::LABEL_NUMBER;
use crate::model::{ComposeRef, Outcome, Progress, Risk};

/// The separator in `name` if it is Compose's `<project>S<service>S<n>`.
pub fn separator(svc: &ComposeRef, name: &str, number: u32) -> Option<char> {
    ['_', '-']
        .into_iter()
        .find(|s| name == format!("{}{s}{}{s}{number}", svc.project, svc.service))
}

/// The separator the replicas' names use; a refusal when one has a fixed
/// `container_name` (Compose itself cannot run two of those).
fn naming(svc: &ComposeRef, all: &[Replica]) -> Result<char, String> {
    let mut sep = None;
    for r in all {
        match separator(svc, &r.name, r.number) {
            Some(s) => sep = sep.or(Some(s)),
            None => {
                return Err(format!(
                    "compose service {svc} on {} has a fixed container_name ({}): there can only be one container of that name, so it cannot be scaled up",
                    svc.host, r.name
                ));
            }
        }
    }
    Ok(sep.unwrap_or('-'))
}

/// The replica new ones are copied from: the lowest-numbered running one.
fn template(all: &[Replica]) -> &Replica {
    all.iter().find(|r| r.running()).unwrap_or(&all[0])
}

/// A refusal when a copy of `tpl` would collide: a fixed published host
/// port or a fixed IP address.
fn collisions(svc: &ComposeRef, tpl: &Replica) -> Result<(), String> {
    let bindings = tpl
        .inspect
        .host_config
        .as_ref()
        .and_then(|h| h.port_bindings.clone())
        .unwrap_or_default();
    let mut keys: Vec<&String> = bindings.keys().collect();
    keys.sort();
    for port in keys {
        for b in bindings[port].iter().flatten() {
            let hp = b.host_port.as_deref().unwrap_or("").trim();
            if hp.is_empty() || hp == "0" || hp.contains('-') {
                continue;
            }
            let ip = b
                .host_ip
                .as_deref()
                .filter(|i| !i.is_empty())
                .unwrap_or("0.0.0.0");
            return Err(format!(
                "compose service {svc} on {} publishes the fixed host port {ip}:{hp} (→ {port}): a second replica would collide on it, so it cannot be scaled up (publish a port range, or let Docker pick the host port)",
                svc.host
            ));
        }
    }
    let networks = tpl
        .inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.clone())
        .unwrap_or_default();
    for (net, ep) in networks {
        if let Some(ip) = ep
            .ipam_config
            .as_ref()
            .and_then(|c| c.ipv4_address.clone().or(c.ipv6_address.clone()))
            .filter(|ip| !ip.is_empty())
        {
            return Err(format!(
                "compose service {svc} on {} has the fixed address {ip} on network {net}: a second replica would collide on it, so it cannot be scaled up",
                svc.host
            ));
        }
    }
    Ok(())
}

/// The image for a copy: the template's ref while it still names the
/// template's image, else its image id.
async fn image_for(docker: &Docker, tpl: &Replica) -> (String, Option<String>) {
    let image_ref = tpl
        .inspect
        .config
        .as_ref()
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let id = tpl.inspect.image.clone().unwrap_or_default();
    match docker.inspect_image(&image_ref).await {
        Ok(i) if i.id.as_deref() == Some(id.as_str()) => (image_ref, None),
        _ if id.is_empty() => (image_ref, None),
        _ => (
            id.clone(),
            Some(format!(
                "{image_ref} now names another image: the copies are created from {} ({}), the image {} runs",
                short_image_id(&id),
                image_ref,
                tpl.name
            )),
        ),
    }
}

fn new_names(svc: &ComposeRef, sep: char, all: &[Replica], count: u32) -> Vec<(u32, String)> {
    let next = all.iter().map(|r| r.number).max().unwrap_or(0) + 1;
    (next..next + count)
        .map(|n| (n, format!("{}{sep}{}{sep}{n}", svc.project, svc.service)))
        .collect()
}

fn joined<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}

pub async fn plan(docker: &Docker, svc: &ComposeRef, to: u32) -> Result<Planned, String> {
    let all = replicas(docker, svc).await?;
    if all.is_empty() {
        return Err(format!(
            "compose service {svc} has no containers on {}: there is nothing to copy (bring it up with docker-compose first)",
            svc.host
        ));
    }
    let from = all.len() as u32;
    if to == from {
        return Err(format!(
            "compose service {svc} on {} already has {from} replica(s)",
            svc.host
        ));
    }
    let mut p: BTreeMap<String, String> = [
        ("host", svc.host.clone()),
        ("project", svc.project.clone()),
        ("service", svc.service.clone()),
        ("replicas", format!("{from} → {to}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut what = Vec::new();
    let risk;
    if to > from {
        let sep = naming(svc, &all)?;
        let tpl = template(&all);
        collisions(svc, tpl)?;
        let (image, note) = image_for(docker, tpl).await;
        let names = new_names(svc, sep, &all, to - from);
        what.push(format!(
            "scale {svc} on {} from {from} to {to}: create {} as copies of {} (image {}, same env, command, entrypoint, labels, healthcheck, volumes, restart policy, ports and networks)",
            svc.host,
            joined(names.iter().map(|(_, n)| n.as_str())),
            tpl.name,
            image
        ));
        what.push(
            "Compose's labels are copied with container-number set and config-hash unchanged, so docker-compose ps/up treat them as its own"
                .into(),
        );
        what.push(format!(
            "then wait until each new replica is {}",
            health_meaning(&tpl.inspect)
        ));
        if let Some(n) = note {
            what.push(n);
        }
        what.push(format!(
            "note: `docker-compose up` without `--scale {}={to}` sets the count back to the compose file's",
            svc.service
        ));
        p.insert("image".into(), image);
        p.insert("template".into(), tpl.name.clone());
        risk = Risk::Medium;
    } else {
        let mut victims: Vec<&Replica> = all.iter().collect();
        victims.sort_by_key(|v| std::cmp::Reverse(v.number));
        victims.truncate((from - to) as usize);
        let kept_running = all
            .iter()
            .filter(|r| r.running() && !victims.iter().any(|v| v.id == r.id))
            .count();
        what.push(format!(
            "scale {svc} on {} from {from} to {to}: stop and remove {} (highest numbers first; their volumes are kept)",
            svc.host,
            joined(victims.iter().map(|v| v.name.as_str()))
        ));
        if to == 0 || kept_running == 0 {
            what.push(format!(
                "⚠ no running replica of {svc} is left: the service stops serving"
            ));
            risk = Risk::High;
        } else {
            what.push(format!(
                "then check that the {kept_running} remaining running replica(s) are {}",
                health_meaning(&all[0].inspect)
            ));
            risk = Risk::Medium;
        }
        p.insert(
            "remove".into(),
            joined(victims.iter().map(|v| v.name.as_str())),
        );
    }
    Ok((
        what,
        p,
        risk,
        DockerChange::Scale {
            service: svc.clone(),
            to,
        },
    ))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_names() {
        let svc = ComposeRef {
            host: "local".into(),
            project: "shop".into(),
            service: "web".into(),
        };
        assert_eq!(separator(&svc, "shop_web_1", 1), Some('_'));
        assert_eq!(separator(&svc, "shop-web-2", 2), Some('-'));
        assert_eq!(separator(&svc, "shop-web-2", 1), None);
        assert_eq!(separator(&svc, "my-fixed-name", 1), None);
    }
}
