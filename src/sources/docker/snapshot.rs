//! Turning what the daemon says (a container list entry and an inspect)
//! into the board's [`ContainerInfo`].

use std::collections::BTreeSet;
use std::time::SystemTime;

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerSummary, PortMap, PortSummary};

use crate::clients::docker::inspect::{Inspected, inspect_listed, list};
use crate::clients::docker::labels::compose_labels;
use crate::clients::docker::{describe, negotiate};
use crate::model::{ContainerHealth, ContainerInfo, DockerSnapshot};

/// A Docker timestamp (RFC 3339, nanoseconds); the zero time is `None`.
pub fn parse_time(s: &str) -> Option<SystemTime> {
    if s.is_empty() || s.starts_with("0001-01-01") {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| SystemTime::from(t.with_timezone(&chrono::Utc)))
}

/// Ports as `docker ps` prints them: `127.0.0.1:32768->8080/tcp`,
/// `8080/tcp`; an IPv4 and IPv6 binding of the same port once.
pub fn format_ports(ports: &[PortSummary]) -> Vec<String> {
    let mut out: Vec<(u16, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for p in ports {
        let proto = p
            .typ
            .map(|t| t.to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "tcp".into());
        let text = match (p.public_port, p.ip.as_deref()) {
            (Some(public), Some(ip)) if !ip.is_empty() => {
                let ip = if ip == "::" {
                    "[::]".to_string()
                } else if ip.contains(':') {
                    format!("[{ip}]")
                } else {
                    ip.to_string()
                };
                format!("{ip}:{public}->{}/{proto}", p.private_port)
            }
            (Some(public), _) => format!("{public}->{}/{proto}", p.private_port),
            (None, _) => format!("{}/{proto}", p.private_port),
        };
        // 0.0.0.0 and [::] bindings of one port are shown once.
        let key = match p.public_port {
            Some(public) if matches!(p.ip.as_deref(), Some("0.0.0.0" | "::")) => {
                format!("*:{public}->{}/{proto}", p.private_port)
            }
            _ => text.clone(),
        };
        if seen.insert(key) {
            out.push((p.private_port, text));
        }
    }
    out.sort();
    out.into_iter().map(|(_, t)| t).collect()
}

/// Ports from an inspect's `NetworkSettings.Ports` (when no list entry is
/// at hand).
pub fn ports_from_map(map: &PortMap) -> Vec<String> {
    let mut summaries = Vec::new();
    for (key, bindings) in map {
        let (port, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
        let Ok(private_port) = port.parse::<u16>() else {
            continue;
        };
        let typ = proto.parse().ok();
        match bindings {
            Some(b) if !b.is_empty() => {
                for b in b {
                    summaries.push(PortSummary {
                        ip: b.host_ip.clone(),
                        private_port,
                        public_port: b.host_port.as_deref().and_then(|p| p.parse().ok()),
                        typ,
                    });
                }
            }
            _ => summaries.push(PortSummary {
                ip: None,
                private_port,
                public_port: None,
                typ,
            }),
        }
    }
    format_ports(&summaries)
}

/// A status text like `docker ps` prints, for when no list entry is at
/// hand (the list's is preferred: it says how long).
fn synth_status(state: &str, exit_code: i64, health: Option<&str>) -> String {
    match state {
        "running" => match health {
            Some("starting") => "Up (health: starting)".into(),
            Some(h) => format!("Up ({h})"),
            None => "Up".into(),
        },
        "exited" => format!("Exited ({exit_code})"),
        "created" => "Created".into(),
        "paused" => "Up (Paused)".into(),
        "restarting" => format!("Restarting ({exit_code})"),
        "dead" => "Dead".into(),
        other => other.to_string(),
    }
}

/// One container as the board shows it, from its inspect and (when there
/// is one) its list entry.
pub fn container_info(
    host: &str,
    inspect: &ContainerInspectResponse,
    summary: Option<&ContainerSummary>,
) -> ContainerInfo {
    let state = inspect.state.as_ref();
    let state_word = state
        .and_then(|s| s.status)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let exit = state.and_then(|s| s.exit_code).unwrap_or(0);
    let health = state.and_then(|s| s.health.as_ref()).and_then(|h| {
        let status = h.status.map(|s| s.to_string()).unwrap_or_default();
        if status.is_empty() || status == "none" {
            return None;
        }
        Some(ContainerHealth {
            status,
            failing_streak: h.failing_streak.unwrap_or(0),
            last_output: h
                .log
                .as_ref()
                .and_then(|l| l.last())
                .and_then(|r| r.output.as_deref())
                .map(|o| o.trim().to_string()),
        })
    });
    let labels = inspect
        .config
        .as_ref()
        .and_then(|c| c.labels.clone())
        .unwrap_or_default();
    let ports = match summary.and_then(|s| s.ports.as_ref()) {
        Some(p) => format_ports(p),
        None => inspect
            .network_settings
            .as_ref()
            .and_then(|n| n.ports.as_ref())
            .map(ports_from_map)
            .unwrap_or_default(),
    };
    let status_text = summary
        .and_then(|s| s.status.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            synth_status(
                &state_word,
                exit,
                health.as_ref().map(|h| h.status.as_str()),
            )
        });
    ContainerInfo {
        stale: None,
        host: host.to_string(),
        id: inspect.id.clone().unwrap_or_default(),
        name: inspect
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string(),
        image: inspect
            .config
            .as_ref()
            .and_then(|c| c.image.clone())
            .unwrap_or_default(),
        image_id: inspect.image.clone().unwrap_or_default(),
        exit_code: (!matches!(state_word.as_str(), "running" | "paused" | "created"))
            .then_some(exit),
        state: state_word,
        status_text,
        health,
        restart_count: inspect.restart_count.unwrap_or(0),
        started_at: state
            .and_then(|s| s.started_at.as_deref())
            .and_then(parse_time),
        ports,
        compose: compose_labels(&labels),
        stats: None,
    }
}

/// Board order: Compose containers by project, service and number, then
/// the rest by name.
pub fn sort(containers: &mut [ContainerInfo]) {
    containers.sort_by(|a, b| {
        let key = |c: &ContainerInfo| {
            (
                c.compose.is_none(),
                c.compose
                    .as_ref()
                    .map(|l| (l.project.clone(), l.service.clone(), l.oneoff, l.number)),
                c.name.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}

/// Everything on one host right now: a list, and an inspect per container.
/// (The source does this once, then follows events.) A container removed
/// between the list and its inspect is simply not there.
pub async fn snapshot(docker: &Docker, host: &str) -> Result<DockerSnapshot, String> {
    negotiate(docker).await?;
    let summaries = list(docker, None).await.map_err(|e| describe(&e))?;
    let mut containers = Vec::new();
    for s in &summaries {
        let Some(id) = s.id.as_deref() else { continue };
        match inspect_listed(docker, id).await.map_err(|e| describe(&e))? {
            Inspected::Found(i) => containers.push(container_info(host, &i, Some(s))),
            Inspected::Gone => {}
            Inspected::Refused(why) => {
                tracing::warn!(host, container = id, "docker: inspect refused: {why}");
            }
        }
    }
    sort(&mut containers);
    Ok(DockerSnapshot {
        host: host.to_string(),
        containers,
        error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{PortBinding, PortSummaryTypeEnum};
    use std::collections::HashMap;

    #[test]
    fn ports_like_docker_ps() {
        let p = |ip: Option<&str>, private, public: Option<u16>| PortSummary {
            ip: ip.map(String::from),
            private_port: private,
            public_port: public,
            typ: Some(PortSummaryTypeEnum::TCP),
        };
        let out = format_ports(&[
            p(Some("127.0.0.1"), 8080, Some(32768)),
            p(None, 9090, None),
            p(Some("0.0.0.0"), 80, Some(8000)),
            p(Some("::"), 80, Some(8000)),
        ]);
        assert_eq!(
            out,
            vec![
                "0.0.0.0:8000->80/tcp",
                "127.0.0.1:32768->8080/tcp",
                "9090/tcp"
            ]
        );
        let map: PortMap = HashMap::from([
            (
                "8080/tcp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some("5000".into()),
                }]),
            ),
            ("53/udp".to_string(), None),
        ]);
        assert_eq!(
            ports_from_map(&map),
            vec!["53/udp", "127.0.0.1:5000->8080/tcp"]
        );
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("0001-01-01T00:00:00Z"), None);
        let t = parse_time("2024-05-01T10:00:00.123456789Z").unwrap();
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_714_557_600);
    }
}
