//! Following a container after a change until it is running and healthy,
//! or the first failure (with its last health probe output) — or until
//! the daemon stops answering, which ends the follow-up with the reason
//! instead of waiting out the container's health timeout.

use std::time::Duration;

use bollard::Docker;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{healthcheck, ready_timeout, state_of};
use crate::clients::docker::inspect::inspect;

const POLL: Duration = Duration::from_millis(250);
/// The daemon not answering the follow-up's inspects for this long means
/// it is gone: the follow-up stops with the reason rather than wait out
/// the container's health timeout.
const LOST_AFTER: Duration = Duration::from_secs(10);
/// A container without a HEALTHCHECK counts as up once it has stayed
/// running this long.
const SETTLE: Duration = Duration::from_secs(1);

/// How waiting for a container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    /// Running and healthy; how, in words.
    Ready(String),
    Failed(String),
    Cancelled,
}

fn last_probe(c: &bollard::models::ContainerInspectResponse) -> String {
    let last = c
        .state
        .as_ref()
        .and_then(|s| s.health.as_ref())
        .and_then(|h| h.log.as_ref())
        .and_then(|l| l.last());
    match last {
        Some(r) => {
            let out = r.output.as_deref().unwrap_or("").trim();
            let out = if out.is_empty() { "(no output)" } else { out };
            format!(
                "last health probe (exit {}): {out}",
                r.exit_code.unwrap_or(-1)
            )
        }
        None => "no health probe has run yet".into(),
    }
}

/// Waits until the container is running and healthy (running for a
/// moment, without a HEALTHCHECK). With `started_before`, a start time
/// equal to it means the restart has not happened yet.
pub async fn wait_ready(
    docker: &Docker,
    id: &str,
    name: &str,
    started_before: Option<&str>,
    cancel: &CancellationToken,
) -> Wait {
    let begun = Instant::now();
    let mut deadline: Option<Instant> = None;
    let mut running_since: Option<(Instant, String)> = None;
    let mut last: String;
    let mut answered = Instant::now();
    loop {
        let inspected = match tokio::time::timeout(LOST_AFTER, inspect(docker, id)).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "the daemon did not answer within {} s (timed out)",
                LOST_AFTER.as_secs()
            )),
        };
        match inspected {
            Ok(None) => return Wait::Failed(format!("{name} is gone (it was removed)")),
            Err(e) if answered.elapsed() >= LOST_AFTER => {
                return Wait::Failed(format!(
                    "lost the Docker daemon while following {name}: {} — {e}",
                    crate::model::fault::words(&e)
                ));
            }
            Err(e) => last = format!("inspect failed: {e}"),
            Ok(Some(c)) => {
                answered = Instant::now();
                let timeout = ready_timeout(&c);
                let deadline = *deadline.get_or_insert(begun + timeout);
                let state = c.state.clone().unwrap_or_default();
                let started = state.started_at.clone().unwrap_or_default();
                let status = state_of(&c);
                let restarted = started_before.is_none_or(|b| b != started);
                if !restarted {
                    last = "the restart has not happened yet".into();
                } else if state.running == Some(true) && state.restarting != Some(true) {
                    if healthcheck(&c).is_none() {
                        match &running_since {
                            Some((t, s)) if *s == started && t.elapsed() >= SETTLE => {
                                return Wait::Ready("running (no HEALTHCHECK)".into());
                            }
                            Some((_, s)) if *s == started => {}
                            _ => running_since = Some((Instant::now(), started.clone())),
                        }
                        last = "running".into();
                    } else {
                        let health = state
                            .health
                            .as_ref()
                            .and_then(|h| h.status)
                            .map(|s| s.to_string())
                            .unwrap_or_default();
                        match health.as_str() {
                            "healthy" => {
                                return Wait::Ready(format!(
                                    "running and healthy after {:.1} s",
                                    begun.elapsed().as_secs_f64()
                                ));
                            }
                            "unhealthy" => {
                                return Wait::Failed(format!(
                                    "{name} is unhealthy: {}",
                                    last_probe(&c)
                                ));
                            }
                            _ => last = format!("health: {health}; {}", last_probe(&c)),
                        }
                    }
                } else if matches!(status.as_str(), "exited" | "dead") {
                    let mut why = format!(
                        "{name} {status} with code {}",
                        state.exit_code.unwrap_or(-1)
                    );
                    if state.oom_killed == Some(true) {
                        why.push_str(" (killed: out of memory)");
                    }
                    if let Some(e) = state.error.as_deref().filter(|e| !e.is_empty()) {
                        why.push_str(&format!(": {e}"));
                    }
                    if healthcheck(&c).is_some() {
                        why.push_str(&format!("; {}", last_probe(&c)));
                    }
                    return Wait::Failed(why);
                } else {
                    last = format!("{status} (exit code {})", state.exit_code.unwrap_or(0));
                }
                if Instant::now() > deadline {
                    return Wait::Failed(format!(
                        "{name} is not running and healthy after {}: {last}",
                        humantime::format_duration(Duration::from_secs(timeout.as_secs()))
                    ));
                }
            }
        }
        if deadline.is_none() && begun.elapsed() > Duration::from_secs(120) {
            return Wait::Failed(format!("{name}: {last}"));
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = cancel.cancelled() => return Wait::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_daemon_that_is_gone_ends_the_follow_up_with_the_reason() {
        // A client made while the socket was there; then the daemon went.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let docker = Docker::connect_with_unix(
            &format!("unix://{}", path.display()),
            120,
            bollard::API_DEFAULT_VERSION,
        )
        .unwrap();
        drop(listener);
        std::fs::remove_file(&path).unwrap();
        let w = wait_ready(&docker, "abc", "web-1", None, &CancellationToken::new()).await;
        let Wait::Failed(why) = w else {
            panic!("{w:?}")
        };
        assert!(
            why.contains("lost the Docker daemon while following web-1"),
            "{why}"
        );
        assert!(
            why.contains("socket not found (daemon not running?)"),
            "{why}"
        );
    }
}
