//! Creating a container from another one's inspect, the way Compose
//! creates a replica or recreates a container: same config, host config,
//! networks (with Compose's aliases) and volumes; a new name, number or
//! image.

use std::collections::{HashMap, HashSet};

use bollard::Docker;
use bollard::models::{
    ContainerConfig, ContainerCreateBody, ContainerInspectResponse, EndpointSettings, HostConfig,
    ImageConfig, NetworkConnectRequest, NetworkingConfig,
};
use bollard::query_parameters::CreateContainerOptions;

use super::{name_of, short_id};
use crate::clients::docker::describe;

/// How the new container differs from the one it is made from.
#[derive(Debug, Clone, Default)]
pub struct CloneSpec {
    /// The new container's name.
    pub name: String,
    /// `Config.Image` for the new container (a ref or an image id).
    pub image: String,
    /// Labels set (or replaced) on the new container.
    pub labels: Vec<(String, String)>,
    /// The old image's config: values the container merely inherited from
    /// it are dropped so the new image's own apply (for a rollback).
    pub old_image: Option<ImageConfig>,
    /// Keep fixed IP addresses (a recreate); a new replica must not.
    pub keep_ips: bool,
    /// Reuse the old container's anonymous volumes (a recreate).
    pub keep_anonymous_volumes: bool,
    /// The Compose service, always one of the network aliases.
    pub service: Option<String>,
}

/// Networks a container cannot have aliases on.
fn builtin_network(mode: &str) -> bool {
    matches!(mode, "" | "default" | "bridge" | "host" | "none")
        || mode.starts_with("container:")
        || mode.starts_with("service:")
}

/// Compose's aliases for the new container on one network: the old ones,
/// with the old container's name replaced by the new one and its short id
/// left out (the daemon adds the new container's), plus the service.
pub fn aliases(
    old: &[String],
    old_name: &str,
    old_id: &str,
    new_name: &str,
    service: Option<&str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in old {
        let a = if a == old_name {
            new_name.to_string()
        } else if a == short_id(old_id) || a == old_id {
            continue;
        } else {
            a.clone()
        };
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if let Some(s) = service
        && !out.iter().any(|a| a == s)
    {
        out.push(s.to_string());
    }
    out
}

fn endpoint(
    old: &EndpointSettings,
    spec: &CloneSpec,
    old_name: &str,
    old_id: &str,
    with_aliases: bool,
) -> EndpointSettings {
    EndpointSettings {
        ipam_config: if spec.keep_ips {
            old.ipam_config.clone()
        } else {
            None
        },
        links: old.links.clone(),
        aliases: with_aliases.then(|| {
            aliases(
                old.aliases.as_deref().unwrap_or_default(),
                old_name,
                old_id,
                &spec.name,
                spec.service.as_deref(),
            )
        }),
        driver_opts: old.driver_opts.clone(),
        ..Default::default()
    }
}

/// Drops from `v` what equals the old image's value.
fn unless_inherited<T: PartialEq>(v: Option<T>, inherited: Option<&T>) -> Option<T> {
    match (v, inherited) {
        (Some(v), Some(i)) if &v == i => None,
        (v, _) => v,
    }
}

/// A network to connect to, with its endpoint settings.
type Network = (String, EndpointSettings);

/// The create request for the new container, and the networks to connect
/// it to after it is created (only one can be given at create time on
/// older daemons).
pub fn create_body(
    old: &ContainerInspectResponse,
    spec: &CloneSpec,
) -> (ContainerCreateBody, Vec<Network>) {
    let mut c = config_of(old, spec);
    let mut labels = c.labels.take().unwrap_or_default();
    // Compose v2 marks a container being replaced; a copy replaces nothing.
    labels.remove("com.docker.compose.replace");
    for (k, v) in &spec.labels {
        labels.insert(k.clone(), v.clone());
    }

    let mut host = old.host_config.clone().unwrap_or_default();
    if spec.keep_anonymous_volumes {
        bind_anonymous_volumes(old, &mut host);
    }
    let (first, later) = networks_of(old, &host, spec);

    let body = ContainerCreateBody {
        hostname: c.hostname,
        domainname: c.domainname,
        user: c.user,
        attach_stdin: c.attach_stdin,
        attach_stdout: c.attach_stdout,
        attach_stderr: c.attach_stderr,
        exposed_ports: c.exposed_ports,
        tty: c.tty,
        open_stdin: c.open_stdin,
        stdin_once: c.stdin_once,
        env: c.env,
        cmd: c.cmd,
        healthcheck: c.healthcheck,
        args_escaped: c.args_escaped,
        image: Some(spec.image.clone()),
        volumes: c.volumes,
        working_dir: c.working_dir,
        entrypoint: c.entrypoint,
        network_disabled: c.network_disabled,
        on_build: c.on_build,
        labels: Some(labels),
        stop_signal: c.stop_signal,
        stop_timeout: c.stop_timeout,
        shell: c.shell,
        host_config: Some(host),
        networking_config: first.map(|(net, ep)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(net, ep)])),
        }),
    };
    (body, later)
}

/// The old container's config, less what Docker chose itself (the
/// hostname) and, for a new image, what it merely inherited from the old
/// image.
fn config_of(old: &ContainerInspectResponse, spec: &CloneSpec) -> ContainerConfig {
    let old_id = old.id.clone().unwrap_or_default();
    let mut c = old.config.clone().unwrap_or_default();
    // Docker sets the hostname to the short id unless one was asked for.
    if c.hostname.as_deref() == Some(short_id(&old_id)) {
        c.hostname = None;
    }
    if let Some(img) = &spec.old_image {
        c.env = c.env.map(|env| {
            let inherited: HashSet<&String> = img.env.iter().flatten().collect();
            env.into_iter().filter(|e| !inherited.contains(e)).collect()
        });
        c.labels = c.labels.map(|labels| {
            labels
                .into_iter()
                .filter(|(k, v)| img.labels.as_ref().and_then(|l| l.get(k)) != Some(v))
                .collect()
        });
        c.exposed_ports = c.exposed_ports.map(|p| {
            p.into_iter()
                .filter(|p| !img.exposed_ports.iter().flatten().any(|i| i == p))
                .collect()
        });
        c.volumes = c.volumes.map(|v| {
            v.into_iter()
                .filter(|v| !img.volumes.iter().flatten().any(|i| i == v))
                .collect()
        });
        c.cmd = unless_inherited(c.cmd, img.cmd.as_ref());
        c.entrypoint = unless_inherited(c.entrypoint, img.entrypoint.as_ref());
        c.healthcheck = unless_inherited(c.healthcheck, img.healthcheck.as_ref());
        c.working_dir = unless_inherited(c.working_dir, img.working_dir.as_ref());
        c.user = unless_inherited(c.user, img.user.as_ref());
        c.stop_signal = unless_inherited(c.stop_signal, img.stop_signal.as_ref());
        c.shell = unless_inherited(c.shell, img.shell.as_ref());
        c.on_build = unless_inherited(c.on_build, img.on_build.as_ref());
    }
    c
}

/// Binds by name each volume the old container mounted that its host
/// config does not already bind or mount: its anonymous volumes, which
/// would otherwise be made anew, empty.
fn bind_anonymous_volumes(old: &ContainerInspectResponse, host: &mut HostConfig) {
    let mut covered: HashSet<String> = HashSet::new();
    for b in host.binds.iter().flatten() {
        if let Some(dest) = b.split(':').nth(1) {
            covered.insert(dest.to_string());
        }
    }
    for m in host.mounts.iter().flatten() {
        if let Some(t) = &m.target {
            covered.insert(t.clone());
        }
    }
    let binds = host.binds.get_or_insert_with(Vec::new);
    for m in old.mounts.iter().flatten() {
        let (Some("volume"), Some(name), Some(dest)) =
            (m.typ.as_deref(), m.name.as_ref(), m.destination.as_ref())
        else {
            continue;
        };
        if covered.contains(dest) {
            continue;
        }
        let mode = if m.rw == Some(false) { ":ro" } else { "" };
        binds.push(format!("{name}:{dest}{mode}"));
    }
}

/// The networks of the old container: the primary one (given at create
/// time, unless built in) and the others (connected after).
fn networks_of(
    old: &ContainerInspectResponse,
    host: &HostConfig,
    spec: &CloneSpec,
) -> (Option<Network>, Vec<Network>) {
    let old_id = old.id.clone().unwrap_or_default();
    let old_name = name_of(old);
    let mode = match host.network_mode.as_deref().unwrap_or_default() {
        // `default` is the bridge network (on Linux).
        "" | "default" => "bridge".to_string(),
        m => m.to_string(),
    };
    let networks: HashMap<String, EndpointSettings> = old
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.clone())
        .unwrap_or_default();
    let mut first: Option<Network> = None;
    let mut later = Vec::new();
    let mut names: Vec<&String> = networks.keys().collect();
    names.sort();
    for net in names {
        let ep = &networks[net];
        let is_primary = net == &mode
            || ep
                .network_id
                .as_deref()
                .is_some_and(|id| !mode.is_empty() && id.starts_with(&mode));
        if is_primary {
            if !builtin_network(net) {
                first = Some((net.clone(), endpoint(ep, spec, &old_name, &old_id, true)));
            }
        } else if !builtin_network(&mode) || mode == "bridge" {
            let with_aliases = !builtin_network(net);
            later.push((
                net.clone(),
                endpoint(ep, spec, &old_name, &old_id, with_aliases),
            ));
        }
    }
    (first, later)
}

/// Creates the container and connects it to its other networks; on a
/// failure after the create, the half-made container is removed. Returns
/// the new id.
pub async fn create(
    docker: &Docker,
    old: &ContainerInspectResponse,
    spec: &CloneSpec,
) -> Result<String, String> {
    let (body, later) = create_body(old, spec);
    let created = docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(spec.name.clone()),
                ..Default::default()
            }),
            body,
        )
        .await
        .map_err(|e| format!("creating {}: {}", spec.name, describe(&e)))?;
    for (net, ep) in later {
        if let Err(e) = docker
            .connect_network(
                &net,
                NetworkConnectRequest {
                    container: created.id.clone(),
                    endpoint_config: Some(ep),
                },
            )
            .await
        {
            let _ = docker
                .remove_container(
                    &created.id,
                    Some(bollard::query_parameters::RemoveContainerOptions {
                        force: true,
                        ..Default::default()
                    }),
                )
                .await;
            return Err(format!(
                "connecting {} to network {net}: {}",
                spec.name,
                describe(&e)
            ));
        }
    }
    Ok(created.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerConfig, HostConfig, MountPoint, NetworkSettings};

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn compose_aliases() {
        // Compose v1 on an older daemon: [service, short id].
        assert_eq!(
            aliases(
                &s(&["web", "0369ba92a209"]),
                "p_web_1",
                "0369ba92a209ffff",
                "p_web_3",
                Some("web")
            ),
            s(&["web"])
        );
        // Compose v2: [name, service].
        assert_eq!(
            aliases(
                &s(&["p-web-1", "web"]),
                "p-web-1",
                "abc",
                "p-web-3",
                Some("web")
            ),
            s(&["p-web-3", "web"])
        );
        // A service alias is always there.
        assert_eq!(
            aliases(&[], "p-web-1", "abc", "p-web-3", Some("web")),
            s(&["web"])
        );
    }

    fn old() -> ContainerInspectResponse {
        ContainerInspectResponse {
            id: Some("0369ba92a209ffffffff".into()),
            name: Some("/p_web_1".into()),
            config: Some(ContainerConfig {
                hostname: Some("0369ba92a209".into()),
                image: Some("web:2".into()),
                env: Some(s(&["PATH=/bin", "FOO=bar"])),
                cmd: Some(s(&["httpd", "-f"])),
                labels: Some(HashMap::from([
                    ("com.docker.compose.container-number".into(), "1".into()),
                    ("org.image.label".into(), "x".into()),
                ])),
                ..Default::default()
            }),
            host_config: Some(HostConfig {
                network_mode: Some("p_default".into()),
                binds: Some(s(&["p_data:/data:rw"])),
                ..Default::default()
            }),
            mounts: Some(vec![
                MountPoint {
                    typ: Some("volume".into()),
                    name: Some("p_data".into()),
                    destination: Some("/data".into()),
                    rw: Some(true),
                    ..Default::default()
                },
                MountPoint {
                    typ: Some("volume".into()),
                    name: Some("0a1b2c".into()),
                    destination: Some("/cache".into()),
                    rw: Some(true),
                    ..Default::default()
                },
            ]),
            network_settings: Some(NetworkSettings {
                networks: Some(HashMap::from([
                    (
                        "p_default".into(),
                        EndpointSettings {
                            aliases: Some(s(&["web", "0369ba92a209"])),
                            ip_address: Some("172.18.0.2".into()),
                            ..Default::default()
                        },
                    ),
                    (
                        "p_back".into(),
                        EndpointSettings {
                            aliases: Some(s(&["web", "0369ba92a209"])),
                            ..Default::default()
                        },
                    ),
                ])),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn replica_clone() {
        let spec = CloneSpec {
            name: "p_web_2".into(),
            image: "web:2".into(),
            labels: vec![("com.docker.compose.container-number".into(), "2".into())],
            service: Some("web".into()),
            ..Default::default()
        };
        let (body, later) = create_body(&old(), &spec);
        assert_eq!(body.hostname, None);
        assert_eq!(body.env, Some(s(&["PATH=/bin", "FOO=bar"])));
        assert_eq!(
            body.labels.as_ref().unwrap()["com.docker.compose.container-number"],
            "2"
        );
        let eps = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(eps["p_default"].aliases, Some(s(&["web"])));
        assert_eq!(eps["p_default"].ip_address, None);
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].0, "p_back");
        // A new replica gets its own anonymous volumes.
        assert_eq!(
            body.host_config.unwrap().binds,
            Some(s(&["p_data:/data:rw"]))
        );
    }

    #[test]
    fn recreate_with_another_image() {
        let spec = CloneSpec {
            name: "p_web_1".into(),
            image: "web:1".into(),
            old_image: Some(ImageConfig {
                env: Some(s(&["PATH=/bin"])),
                cmd: Some(s(&["httpd", "-f"])),
                labels: Some(HashMap::from([("org.image.label".into(), "x".into())])),
                ..Default::default()
            }),
            keep_ips: true,
            keep_anonymous_volumes: true,
            service: Some("web".into()),
            ..Default::default()
        };
        let (body, _) = create_body(&old(), &spec);
        assert_eq!(body.image.as_deref(), Some("web:1"));
        // What the old image gave is left to the new image.
        assert_eq!(body.env, Some(s(&["FOO=bar"])));
        assert_eq!(body.cmd, None);
        assert!(
            !body
                .labels
                .as_ref()
                .unwrap()
                .contains_key("org.image.label")
        );
        // The anonymous volume is carried over; the named one already is.
        assert_eq!(
            body.host_config.unwrap().binds,
            Some(s(&["p_data:/data:rw", "0a1b2c:/cache"]))
        );
    }
}
