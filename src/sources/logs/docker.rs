//! The log stream of one Docker container: its tail (or everything since a
//! time), then new lines as they come.

use std::time::SystemTime;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures::StreamExt;
use futures::stream::{self, BoxStream};

use super::stamp::split_timestamp;
use crate::model::LogEntry;

fn to_lines(prefix: &str, out: LogOutput) -> Vec<LogEntry> {
    let (stderr, bytes) = match &out {
        LogOutput::StdErr { message } => (true, message),
        LogOutput::StdOut { message }
        | LogOutput::Console { message }
        | LogOutput::StdIn { message } => (false, message),
    };
    let text = String::from_utf8_lossy(bytes);
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (at, line) = split_timestamp(l);
            LogEntry {
                prefix: prefix.to_string(),
                at,
                line: line.to_string(),
                stderr,
                ..Default::default()
            }
        })
        .collect()
}

/// The lines of container `id`: the last `tail` (or all since `since`),
/// then, with `follow`, new ones until the container stops.
pub fn stream(
    docker: &Docker,
    id: &str,
    prefix: &str,
    tail: usize,
    since: Option<SystemTime>,
    follow: bool,
) -> BoxStream<'static, LogEntry> {
    let prefix = prefix.to_string();
    let err_prefix = prefix.clone();
    let name = id.to_string();
    let since_secs = since
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX));
    docker
        .logs(
            id,
            Some(LogsOptions {
                follow,
                stdout: true,
                stderr: true,
                timestamps: true,
                since: since_secs,
                tail: if since.is_some() {
                    "all".into()
                } else {
                    tail.to_string()
                },
                ..Default::default()
            }),
        )
        .flat_map(move |item| {
            let lines = match item {
                Ok(out) => to_lines(&prefix, out),
                Err(e) => vec![LogEntry {
                    prefix: err_prefix.clone(),
                    at: Some(SystemTime::now()),
                    line: format!("logs of {name}: {}", crate::clients::docker::describe(&e)),
                    stderr: true,
                    note: true,
                    ..Default::default()
                }],
            };
            stream::iter(lines)
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_become_lines() {
        let out = LogOutput::StdErr {
            message: b"2024-05-01T10:00:00Z a\n2024-05-01T10:00:01Z b\r\n"
                .to_vec()
                .into(),
        };
        let lines = to_lines("web-1", out);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].line, "b");
        assert!(lines[0].stderr);
        assert_eq!(lines[0].prefix, "web-1");
    }
}
