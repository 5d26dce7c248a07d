//! Carrying out a planned Docker change and following it until every
//! container it touched is running and healthy, or the first failure (with
//! the container's last health probe output).

use bollard::Docker;
use bollard::query_parameters::{
    RemoveContainerOptions, RenameContainerOptions, RestartContainerOptions, StopContainerOptions,
};
use tokio_util::sync::CancellationToken;

use super::clone::{self, CloneSpec};
use super::{
    DockerChange, container, is_running, labels_of, name_of, patient, short_id, state_of,
    stop_timeout,
};
use crate::clients::docker::describe;
use crate::clients::docker::inspect::inspect;
use crate::clients::docker::labels::LABEL_SERVICE;
use crate::model::{Outcome, Progress};

pub use super::ready::{Wait, wait_ready};

/// Applies `change` and follows it up. The message says what was done, or
/// exactly what failed.
pub async fn run(
    docker: &Docker,
    change: &DockerChange,
    progress: &(dyn Fn(Progress) + Send + Sync),
    output: &(dyn Fn(String) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    if let Err(e) = crate::clients::docker::negotiate(docker).await {
        return (
            Outcome::Failed,
            format!(
                "the Docker daemon is unreachable: {} — {e}",
                crate::model::fault::words(&e)
            ),
        );
    }
    match change {
        DockerChange::Restart { ids } => restart(docker, ids, progress, output, cancel).await,
        DockerChange::Stop { id } => stop(docker, id, progress, output).await,
        DockerChange::Start { id } => start(docker, id, progress, output, cancel).await,
        DockerChange::Scale { service, to } => {
            super::scale::run(docker, service, *to, progress, output, cancel).await
        }
        DockerChange::Rollback { ids, image } => {
            rollback(docker, ids, image, progress, output, cancel).await
        }
    }
}

fn rest(names: &[String], from: usize) -> String {
    if from >= names.len() {
        String::new()
    } else {
        format!("; not done: {}", names[from..].join(", "))
    }
}

async fn names_of(docker: &Docker, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        out.push(match inspect(docker, id).await {
            Ok(Some(c)) => name_of(&c),
            _ => short_id(id).to_string(),
        });
    }
    out
}

async fn restart(
    docker: &Docker,
    ids: &[String],
    progress: &(dyn Fn(Progress) + Send + Sync),
    output: &(dyn Fn(String) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    let names = names_of(docker, ids).await;
    let n = ids.len();
    let rolling = n > 1;
    for (k, id) in ids.iter().enumerate() {
        let name = &names[k];
        if cancel.is_cancelled() {
            return (
                Outcome::Cancelled,
                format!("cancelled before restarting {name}{}", rest(&names, k + 1)),
            );
        }
        let c = match container(docker, "", id, name).await {
            Ok(c) => c,
            Err(e) => return (Outcome::Failed, format!("{e}{}", rest(&names, k + 1))),
        };
        let before = c
            .state
            .as_ref()
            .and_then(|s| s.started_at.clone())
            .unwrap_or_default();
        progress(Progress {
            step: Some((k as u32, n as u32)),
            phase: Some(format!("restarting {name}")),
            ..Default::default()
        });
        output(format!("restarting {name} ({} of {n})", k + 1));
        if let Err(e) = patient(docker, stop_timeout(&c))
            .restart_container(
                id,
                Some(RestartContainerOptions {
                    t: Some(stop_timeout(&c)),
                    signal: None,
                }),
            )
            .await
        {
            return (
                Outcome::Failed,
                format!(
                    "restarting {name} failed: {}{}",
                    describe(&e),
                    rest(&names, k + 1)
                ),
            );
        }
        progress(Progress {
            step: Some((k as u32, n as u32)),
            phase: Some(format!("waiting for {name} to be healthy")),
            ..Default::default()
        });
        match wait_ready(docker, id, name, Some(&before), cancel).await {
            Wait::Ready(m) => output(format!("{name}: {m}")),
            Wait::Failed(m) => {
                let what = if rolling {
                    format!("rolling restart stopped at {name} ({} of {n})", k + 1)
                } else {
                    format!("{name} was restarted but did not come back")
                };
                return (
                    Outcome::Failed,
                    format!("{what}: {m}{}", rest(&names, k + 1)),
                );
            }
            Wait::Cancelled => {
                return (
                    Outcome::Cancelled,
                    format!(
                        "stopped following after restarting {name}{}",
                        rest(&names, k + 1)
                    ),
                );
            }
        }
    }
    progress(Progress {
        step: Some((n as u32, n as u32)),
        phase: Some("done".into()),
        ..Default::default()
    });
    (
        Outcome::Succeeded,
        format!("restarted {}: running and healthy", names.join(", ")),
    )
}

async fn stop(
    docker: &Docker,
    id: &str,
    progress: &(dyn Fn(Progress) + Send + Sync),
    output: &(dyn Fn(String) + Send + Sync),
) -> (Outcome, String) {
    let c = match container(docker, "", id, "").await {
        Ok(c) => c,
        Err(e) => return (Outcome::Failed, e),
    };
    let name = name_of(&c);
    progress(Progress {
        phase: Some(format!("stopping {name}")),
        ..Default::default()
    });
    output(format!("stopping {name}"));
    if let Err(e) = patient(docker, stop_timeout(&c))
        .stop_container(
            id,
            Some(StopContainerOptions {
                t: Some(stop_timeout(&c)),
                signal: None,
            }),
        )
        .await
    {
        return (
            Outcome::Failed,
            format!("stopping {name} failed: {}", describe(&e)),
        );
    }
    // Follow-up: it is stopped (and stays stopped for a moment).
    match inspect(docker, id).await {
        Ok(Some(c)) if !is_running(&c) => {
            let code = c.state.as_ref().and_then(|s| s.exit_code).unwrap_or(0);
            (
                Outcome::Succeeded,
                format!("{name} stopped ({}, exit code {code})", state_of(&c)),
            )
        }
        Ok(Some(c)) => (
            Outcome::Failed,
            format!("{name} is still {} after docker stop", state_of(&c)),
        ),
        Ok(None) => (
            Outcome::Succeeded,
            format!("{name} stopped (and was removed: auto-remove)"),
        ),
        Err(e) => (Outcome::Failed, format!("checking {name}: {e}")),
    }
}

async fn start(
    docker: &Docker,
    id: &str,
    progress: &(dyn Fn(Progress) + Send + Sync),
    output: &(dyn Fn(String) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    let c = match container(docker, "", id, "").await {
        Ok(c) => c,
        Err(e) => return (Outcome::Failed, e),
    };
    let name = name_of(&c);
    let before = c
        .state
        .as_ref()
        .and_then(|s| s.started_at.clone())
        .unwrap_or_default();
    progress(Progress {
        phase: Some(format!("starting {name}")),
        ..Default::default()
    });
    output(format!("starting {name}"));
    if let Err(e) = docker.start_container(id, None).await {
        return (
            Outcome::Failed,
            format!("starting {name} failed: {}", describe(&e)),
        );
    }
    progress(Progress {
        phase: Some(format!("waiting for {name} to be healthy")),
        ..Default::default()
    });
    match wait_ready(docker, id, &name, Some(&before), cancel).await {
        Wait::Ready(m) => (Outcome::Succeeded, format!("{name} started: {m}")),
        Wait::Failed(m) => (
            Outcome::Failed,
            format!("{name} was started but did not come up: {m}"),
        ),
        Wait::Cancelled => (
            Outcome::Cancelled,
            format!("stopped following ({name} was already started)"),
        ),
    }
}

/// Recreates one container with `image` (Compose's recreate: stop, rename
/// the old one aside, create the new one under the name, start it, remove
/// the old one). Any failure before the new one runs puts the old one
/// back. Returns the new id.
async fn recreate(
    docker: &Docker,
    id: &str,
    image: &str,
    output: &(dyn Fn(String) + Send + Sync),
) -> Result<String, String> {
    let old = container(docker, "", id, "").await?;
    let name = name_of(&old);
    let was_running = is_running(&old);
    let old_image = match old.image.as_deref() {
        Some(img) => docker.inspect_image(img).await.ok().and_then(|i| i.config),
        None => None,
    };
    let labels = labels_of(&old);
    let mut spec = CloneSpec {
        name: name.clone(),
        image: image.to_string(),
        labels: vec![],
        old_image,
        keep_ips: true,
        keep_anonymous_volumes: true,
        service: labels.get(LABEL_SERVICE).cloned(),
    };
    // Compose v2 records the image it created from.
    if labels.contains_key("com.docker.compose.image")
        && let Ok(i) = docker.inspect_image(image).await
        && let Some(new_id) = i.id
    {
        spec.labels
            .push(("com.docker.compose.image".into(), new_id));
    }
    if was_running {
        patient(docker, stop_timeout(&old))
            .stop_container(
                id,
                Some(StopContainerOptions {
                    t: Some(stop_timeout(&old)),
                    signal: None,
                }),
            )
            .await
            .map_err(|e| format!("stopping {name}: {}", describe(&e)))?;
    }
    let aside = format!("{}_{name}", short_id(id));
    if let Err(e) = docker
        .rename_container(
            id,
            RenameContainerOptions {
                name: aside.clone(),
            },
        )
        .await
    {
        if was_running {
            let _ = docker.start_container(id, None).await;
        }
        return Err(format!("renaming {name} aside: {}", describe(&e)));
    }
    let new_id = match clone::create(docker, &old, &spec).await {
        Ok(i) => i,
        Err(e) => return Err(put_back(docker, id, &name, was_running, e).await),
    };
    if was_running && let Err(e) = docker.start_container(&new_id, None).await {
        let _ = docker
            .remove_container(
                &new_id,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await;
        return Err(put_back(
            docker,
            id,
            &name,
            was_running,
            format!("starting the new {name}: {}", describe(&e)),
        )
        .await);
    }
    if let Err(e) = docker
        .remove_container(id, None::<RemoveContainerOptions>)
        .await
    {
        output(format!(
            "warning: removing the old container {aside}: {}",
            describe(&e)
        ));
    }
    output(format!(
        "{name} recreated with {image} ({} → {})",
        short_id(id),
        short_id(&new_id)
    ));
    Ok(new_id)
}

/// Renames the old container back to `name` (and starts it again), after
/// its replacement could not be made.
async fn put_back(docker: &Docker, id: &str, name: &str, was_running: bool, why: String) -> String {
    let mut msg = why;
    if let Err(e) = docker
        .rename_container(
            id,
            RenameContainerOptions {
                name: name.to_string(),
            },
        )
        .await
    {
        msg.push_str(&format!(
            "; renaming the old container back to {name} failed too: {}",
            describe(&e)
        ));
    } else if was_running && let Err(e) = docker.start_container(id, None).await {
        msg.push_str(&format!(
            "; starting the old {name} again failed too: {}",
            describe(&e)
        ));
    } else {
        msg.push_str(&format!("; the old {name} is back"));
    }
    msg
}

async fn rollback(
    docker: &Docker,
    ids: &[String],
    image: &str,
    progress: &(dyn Fn(Progress) + Send + Sync),
    output: &(dyn Fn(String) + Send + Sync),
    cancel: &CancellationToken,
) -> (Outcome, String) {
    let names = names_of(docker, ids).await;
    let n = ids.len();
    for (k, id) in ids.iter().enumerate() {
        let name = &names[k];
        if cancel.is_cancelled() {
            return (
                Outcome::Cancelled,
                format!("cancelled before recreating {name}{}", rest(&names, k)),
            );
        }
        progress(Progress {
            step: Some((k as u32, n as u32)),
            phase: Some(format!("recreating {name} with {image}")),
            ..Default::default()
        });
        let new_id = match recreate(docker, id, image, output).await {
            Ok(i) => i,
            Err(e) => {
                return (
                    Outcome::Failed,
                    format!("rollback stopped at {name}: {e}{}", rest(&names, k + 1)),
                );
            }
        };
        let was_running = match inspect(docker, &new_id).await {
            Ok(Some(c)) => is_running(&c) || state_of(&c) != "created",
            _ => true,
        };
        if !was_running {
            output(format!("{name} was not running: left stopped"));
            continue;
        }
        progress(Progress {
            step: Some((k as u32, n as u32)),
            phase: Some(format!("waiting for {name} to be healthy")),
            ..Default::default()
        });
        match wait_ready(docker, &new_id, name, None, cancel).await {
            Wait::Ready(m) => output(format!("{name}: {m}")),
            Wait::Failed(m) => {
                return (
                    Outcome::Failed,
                    format!(
                        "rollback stopped at {name} ({} of {n}), recreated with {image}: {m}{}",
                        k + 1,
                        rest(&names, k + 1)
                    ),
                );
            }
            Wait::Cancelled => {
                return (
                    Outcome::Cancelled,
                    format!(
                        "stopped following after recreating {name}{}",
                        rest(&names, k + 1)
                    ),
                );
            }
        }
    }
    (
        Outcome::Succeeded,
        format!(
            "rolled back {} to {image}: running and healthy",
            names.join(", ")
        ),
    )
}
