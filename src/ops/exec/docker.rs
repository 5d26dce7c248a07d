//! Exec in a Docker container: planned from its inspect (it exists and
//! runs), opened with exec attach and a terminal.

use std::collections::BTreeMap;

use bollard::Docker;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;

use super::{Opened, Planned};
use crate::model::command_line;
use crate::ops::docker::{container, is_running, name_of, state_of};

/// Plans a session in a container: refused when it is gone or not running.
pub async fn plan(
    docker: &Docker,
    host: &str,
    id: &str,
    name: &str,
    command: &[String],
) -> Result<Planned, String> {
    let c = container(docker, host, id, name).await?;
    let shown = name_of(&c);
    if !is_running(&c) || c.state.as_ref().and_then(|s| s.paused) == Some(true) {
        return Err(format!(
            "container {shown} on {host} is not running ({})",
            state_of(&c)
        ));
    }
    let image = c
        .config
        .as_ref()
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let line = command_line(command);
    Ok(Planned {
        what_will_happen: vec![
            format!(
                "{} in container {shown} on Docker host {host}, {image}.",
                super::doing(command)
            ),
            "The terminal is handed to the session; the board comes back when the command exits, or at once with Ctrl-].".into(),
            "What is typed runs in the container with its privileges. Start, end, exit code and duration are recorded, not what is typed.".into(),
        ],
        parameters: BTreeMap::from([
            ("host".to_string(), host.to_string()),
            ("container".to_string(), shown),
            ("id".to_string(), crate::ops::docker::short_id(id).to_string()),
            ("command".to_string(), line),
            ("image".to_string(), image),
        ]),
        workload: None,
    })
}

/// Opens the session: an exec of `command` with a terminal, attached.
pub async fn open(docker: Docker, id: &str, command: Vec<String>) -> Result<Opened, String> {
    let exec = docker
        .create_exec(
            id,
            CreateExecOptions {
                cmd: Some(command),
                attach_stdin: Some(true),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("docker exec: {}", crate::model::fault::chain(&e)))?;
    let started = docker
        .start_exec(
            &exec.id,
            Some(StartExecOptions {
                detach: false,
                tty: true,
                output_capacity: None,
            }),
        )
        .await
        .map_err(|e| format!("docker exec start: {}", crate::model::fault::chain(&e)))?;
    let StartExecResults::Attached { output, input } = started else {
        return Err("docker exec started detached".into());
    };
    let bytes = output.map(|r| {
        r.map(|o| o.into_bytes())
            .map_err(|e| std::io::Error::other(e.to_string()))
    });
    let output = tokio_util::io::StreamReader::new(bytes);
    let (resize, mut sizes) = mpsc::unbounded_channel::<(u16, u16)>();
    {
        let docker = docker.clone();
        let id = exec.id.clone();
        tokio::spawn(async move {
            while let Some((width, height)) = sizes.recv().await {
                if let Err(e) = docker
                    .resize_exec(&id, ResizeExecOptions { height, width })
                    .await
                {
                    tracing::debug!("docker exec resize: {e}");
                }
            }
        });
    }
    let exit = async move { exit_code(&docker, &exec.id).await }.boxed();
    Ok(Opened {
        input,
        output: Box::pin(output),
        resize,
        exit,
    })
}

/// The exec's exit code once its output has ended; the daemon may take a
/// moment to record it.
async fn exit_code(docker: &Docker, exec: &str) -> Result<i64, String> {
    for _ in 0..50 {
        let inspect = docker
            .inspect_exec(exec)
            .await
            .map_err(|e| format!("docker exec inspect: {}", crate::model::fault::chain(&e)))?;
        match (inspect.running, inspect.exit_code) {
            (Some(false), Some(code)) => return Ok(code),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    Err("the exec has no exit code yet (still running?)".into())
}
