//! Logs of one or several containers (e.g. a Compose service's replicas),
//! interleaved by time, each line with its prefix and timestamp.

use std::time::{Duration, SystemTime};

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use chrono::{DateTime, Utc};
use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::Msg;
use crate::clients::docker::HostSpec;

/// One line of a container's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Whose line it is, e.g. the replica's name.
    pub prefix: String,
    /// The daemon's timestamp of the line.
    pub at: Option<DateTime<Utc>>,
    pub line: String,
    pub stderr: bool,
}

/// Splits the daemon's `2024-05-01T10:00:00.123456789Z text` into its time
/// and text.
pub fn split_timestamp(raw: &str) -> (Option<DateTime<Utc>>, &str) {
    if let Some((ts, rest)) = raw.split_once(' ')
        && let Ok(t) = DateTime::parse_from_rfc3339(ts)
    {
        return (Some(t.with_timezone(&Utc)), rest);
    }
    match DateTime::parse_from_rfc3339(raw.trim_end()) {
        Ok(t) => (Some(t.with_timezone(&Utc)), ""),
        Err(_) => (None, raw),
    }
}

fn to_lines(prefix: &str, out: LogOutput) -> Vec<LogLine> {
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
            LogLine {
                prefix: prefix.to_string(),
                at,
                line: line.to_string(),
                stderr,
            }
        })
        .collect()
}

fn one(
    docker: &Docker,
    id: &str,
    prefix: &str,
    tail: usize,
    follow: bool,
) -> BoxStream<'static, LogLine> {
    let prefix = prefix.to_string();
    let err_prefix = prefix.clone();
    let name = id.to_string();
    docker
        .logs(
            id,
            Some(LogsOptions {
                follow,
                stdout: true,
                stderr: true,
                timestamps: true,
                tail: tail.to_string(),
                ..Default::default()
            }),
        )
        .flat_map(move |item| {
            let lines = match item {
                Ok(out) => to_lines(&prefix, out),
                Err(e) => vec![LogLine {
                    prefix: err_prefix.clone(),
                    at: Some(Utc::now()),
                    line: format!("logs of {name}: {}", crate::clients::docker::describe(&e)),
                    stderr: true,
                }],
            };
            stream::iter(lines)
        })
        .boxed()
}

/// Lines that arrive this close together at the start are sorted by time
/// before they are passed on.
const SETTLE: Duration = Duration::from_millis(150);
/// The first batch (the tails) is sorted for at most this long.
const FIRST_BATCH: Duration = Duration::from_secs(2);

/// The last `tail` lines of each container, interleaved by timestamp, then
/// (with `follow`) new lines as they come. `containers` are `(id, prefix)`.
pub async fn logs(
    docker: &Docker,
    containers: &[(String, String)],
    tail: usize,
    follow: bool,
) -> impl Stream<Item = LogLine> + Send + 'static {
    let negotiated = crate::clients::docker::negotiate(docker).await;
    let merged = stream::select_all(
        containers
            .iter()
            .map(|(id, prefix)| one(docker, id, prefix, tail, follow)),
    );
    let first: BoxStream<'static, LogLine> = match negotiated {
        Ok(()) => stream::empty().boxed(),
        Err(e) => stream::iter([LogLine {
            prefix: String::new(),
            at: Some(Utc::now()),
            line: format!("cannot read logs: {e}"),
            stderr: true,
        }])
        .boxed(),
    };
    if !follow {
        let mut all: Vec<LogLine> = merged.collect().await;
        all.sort_by_key(|l| l.at);
        return first.chain(stream::iter(all)).boxed();
    }
    // Following: the tails arrive at once, one container after the other;
    // sort them, then pass new lines on as they come.
    let mut merged = merged.boxed();
    let mut batch = Vec::new();
    let started = tokio::time::Instant::now();
    let mut ended = false;
    loop {
        let wait = SETTLE.min(FIRST_BATCH.saturating_sub(started.elapsed()));
        match tokio::time::timeout(wait, merged.next()).await {
            Ok(Some(l)) => batch.push(l),
            Ok(None) => {
                ended = true;
                break;
            }
            Err(_) => break,
        }
        if started.elapsed() >= FIRST_BATCH {
            break;
        }
    }
    batch.sort_by_key(|l| l.at);
    let rest = if ended {
        stream::empty().boxed()
    } else {
        merged
    };
    first.chain(stream::iter(batch)).chain(rest).boxed()
}

/// Streams the logs of `(host, id, prefix)` containers into the board, in
/// batches (a chatty container must not cost a message per line).
pub async fn follow(
    hosts: Vec<HostSpec>,
    containers: Vec<(String, String, String)>,
    tx: mpsc::Sender<Msg>,
) {
    use crate::model::LogEntry;
    let mut streams = Vec::new();
    for host in &hosts {
        let on_host: Vec<(String, String)> = containers
            .iter()
            .filter(|(h, _, _)| *h == host.name)
            .map(|(_, id, prefix)| (id.clone(), prefix.clone()))
            .collect();
        if on_host.is_empty() {
            continue;
        }
        match crate::clients::docker::connect(host) {
            Ok(d) => streams.push(logs(&d, &on_host, 500, true).await.boxed()),
            Err(e) => {
                let line = LogEntry {
                    prefix: host.name.clone(),
                    at: None,
                    line: format!("cannot connect: {e}"),
                    stderr: true,
                };
                let _ = tx.send(Msg::LogLines(vec![line])).await;
            }
        }
    }
    let mut merged = futures::stream::select_all(streams);
    loop {
        let Some(first) = merged.next().await else {
            return;
        };
        let mut batch = vec![first];
        let until = Instant::now() + Duration::from_millis(100);
        while batch.len() < 500 {
            match tokio::time::timeout_at(until, merged.next()).await {
                Ok(Some(l)) => batch.push(l),
                _ => break,
            }
        }
        let lines = batch
            .into_iter()
            .map(|l| LogEntry {
                prefix: l.prefix,
                at: l.at.map(SystemTime::from),
                line: l.line,
                stderr: l.stderr,
            })
            .collect();
        if tx.send(Msg::LogLines(lines)).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_split_off() {
        let (at, text) = split_timestamp("2024-05-01T10:00:00.123456789Z hello world");
        assert_eq!(text, "hello world");
        assert_eq!(at.unwrap().timestamp(), 1_714_557_600);
        let (at, text) = split_timestamp("no timestamp here");
        assert_eq!((at, text), (None, "no timestamp here"));
    }

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
