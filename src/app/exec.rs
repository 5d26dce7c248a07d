//! The containers `x` can open a session in, for one service: every
//! container of every pod of its workload, or its Docker containers —
//! running ones first — and the command it runs there.

use crate::model::{ActionRequest, ExecTarget, Service, command_label, default_shell};

/// One container a session can be opened in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecChoice {
    pub target: ExecTarget,
    /// The palette's words: `shell in pod api-7b4c9f-x2k · app`.
    pub label: String,
    /// Its state: `Running · node-1`, `CrashLoopBackOff`, `Up 3 minutes`.
    pub detail: String,
    pub running: bool,
}

/// What `x` runs in `svc`'s containers: its configured command or a shell.
pub fn command_of(svc: &Service) -> Vec<String> {
    svc.exec.clone().unwrap_or_else(default_shell)
}

/// The palette label's first words for `svc`: `shell in ` or `exec … in `.
pub fn label_prefix(svc: &Service) -> String {
    match command_label(&command_of(svc)).as_str() {
        "shell" => "shell in ".into(),
        c => format!("exec {c} in "),
    }
}

/// Every container of the service, running ones first (stable within).
pub fn choices(svc: &Service) -> Vec<ExecChoice> {
    let prefix = label_prefix(svc);
    let mut out = Vec::new();
    if let Some(w) = &svc.workload {
        for p in &w.pods {
            for c in &p.container_names {
                let running = p.phase == "Running" && p.waiting_reason.is_none() && !p.deleting;
                let label = if p.container_names.len() > 1 {
                    format!("{prefix}pod {} · {c}", p.name)
                } else {
                    format!("{prefix}pod {}", p.name)
                };
                out.push(ExecChoice {
                    target: ExecTarget::Pod {
                        context: w.id.context.clone(),
                        namespace: p.namespace.clone(),
                        pod: p.name.clone(),
                        container: c.clone(),
                    },
                    label,
                    detail: format!(
                        "{}{}",
                        p.status(),
                        p.node
                            .as_ref()
                            .map(|n| format!(" · {n}"))
                            .unwrap_or_default()
                    ),
                    running,
                });
            }
        }
    }
    for c in &svc.containers {
        out.push(ExecChoice {
            target: ExecTarget::Docker {
                host: c.host.clone(),
                id: c.id.clone(),
                name: c.name.clone(),
            },
            label: format!("{prefix}container {}", c.name),
            detail: format!("{} · {}", c.state, c.status_text),
            running: c.state == "running",
        });
    }
    out.sort_by_key(|c| !c.running);
    out
}

/// The request for one choice.
pub fn request(svc: &Service, choice: &ExecChoice) -> ActionRequest {
    ActionRequest::Exec {
        target: choice.target.clone(),
        command: command_of(svc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerInfo, PodInfo};

    fn pod(name: &str, phase: &str, waiting: Option<&str>, containers: &[&str]) -> PodInfo {
        PodInfo {
            name: name.into(),
            namespace: "shop".into(),
            phase: phase.into(),
            ready_containers: 0,
            containers: containers.len() as u32,
            container_names: containers.iter().map(|c| c.to_string()).collect(),
            restarts: 0,
            waiting_reason: waiting.map(str::to_string),
            last_termination: None,
            node: Some("n1".into()),
            created: None,
            deleting: false,
        }
    }

    #[test]
    fn running_containers_come_first_and_name_their_container() {
        let mut svc = Service::new("api");
        svc.workload = Some(crate::model::Workload {
            id: crate::model::WorkloadRef {
                context: "demo".into(),
                namespace: "shop".into(),
                kind: crate::model::WorkloadKind::Deployment,
                name: "api".into(),
            },
            desired: 2,
            ready: 1,
            updated: 2,
            available: 1,
            images: vec![],
            revision: None,
            paused: false,
            rollout: crate::model::RolloutState::Complete,
            hpa: None,
            pods: vec![
                pod("api-1", "Running", Some("CrashLoopBackOff"), &["app"]),
                pod("api-2", "Running", None, &["app", "proxy"]),
            ],
            history: vec![],
            events: vec![],
            stale: None,
        });
        let c = choices(&svc);
        let labels: Vec<&str> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "shell in pod api-2 · app",
                "shell in pod api-2 · proxy",
                "shell in pod api-1"
            ]
        );
        assert!(!c[2].running);
        assert_eq!(c[2].detail, "CrashLoopBackOff · n1");
    }

    #[test]
    fn a_configured_command_names_itself() {
        let mut svc = Service::new("web");
        svc.exec = Some(vec!["rails".into(), "console".into()]);
        svc.containers = vec![ContainerInfo {
            host: "local".into(),
            id: "abc".into(),
            name: "web-1".into(),
            state: "running".into(),
            status_text: "Up 3 minutes".into(),
            ..ContainerInfo::default()
        }];
        let c = choices(&svc);
        assert_eq!(c[0].label, "exec rails console in container web-1");
        assert_eq!(
            request(&svc, &c[0]),
            ActionRequest::Exec {
                target: c[0].target.clone(),
                command: vec!["rails".into(), "console".into()],
            }
        );
    }
}
