//! Planning a Compose scale: how the new replicas are named and what
//! they are copied from, what refuses a scale up (a fixed container name,
//! host port or address), and the plan shown for either direction. The
//! scaling itself is in `scale.rs`.

use std::collections::BTreeMap;

use bollard::Docker;

use super::Planned;
use super::{DockerChange, Replica, health_meaning, replicas, short_image_id};
use crate::model::{ComposeRef, Risk};

/// The separator in `name` if it is Compose's `<project>S<service>S<n>`.
pub fn separator(svc: &ComposeRef, name: &str, number: u32) -> Option<char> {
    ['_', '-']
        .into_iter()
        .find(|s| name == format!("{}{s}{}{s}{number}", svc.project, svc.service))
}

/// The separator the replicas' names use; a refusal when one has a fixed
/// `container_name` (Compose itself cannot run two of those).
pub(super) fn naming(svc: &ComposeRef, all: &[Replica]) -> Result<char, String> {
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
pub(super) fn template(all: &[Replica]) -> &Replica {
    all.iter().find(|r| r.running()).unwrap_or(&all[0])
}

/// A refusal when a copy of `tpl` would collide: a fixed published host
/// port or a fixed IP address.
pub(super) fn collisions(svc: &ComposeRef, tpl: &Replica) -> Result<(), String> {
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
pub(super) async fn image_for(docker: &Docker, tpl: &Replica) -> (String, Option<String>) {
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

pub(super) fn new_names(
    svc: &ComposeRef,
    sep: char,
    all: &[Replica],
    count: u32,
) -> Vec<(u32, String)> {
    let next = all.iter().map(|r| r.number).max().unwrap_or(0) + 1;
    (next..next + count)
        .map(|n| (n, format!("{}{sep}{}{sep}{n}", svc.project, svc.service)))
        .collect()
}

pub(super) fn joined<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
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
