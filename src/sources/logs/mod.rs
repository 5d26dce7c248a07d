//! The logs view's feed: one task per stream (a Docker container, a pod's
//! container), their lines merged; the first lines (every stream's tail)
//! are sorted by time, later ones passed on as they come, in batches.
//! Streams join and leave while it runs, as pods come and go.
//!
//! Between the streams and the board sits one bounded queue: a container
//! that writes faster than the board takes lines waits (its HTTP stream is
//! not read), rather than the board waiting or memory growing.

mod docker;
mod pod;
mod stamp;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::app::Msg;
use crate::clients::docker::HostSpec;
use crate::clients::kube::Clients;
use crate::model::{LogEntry, LogRequest, LogSource, LogTarget};

pub use stamp::split_timestamp;

/// Lines of each Docker container's tail when no start time is asked for.
const DOCKER_TAIL: usize = 500;
/// Lines waiting between the streams and the batcher.
const QUEUE: usize = 2048;
/// Lines that arrive this close together at the start are sorted by time
/// before they are passed on...
const SETTLE: Duration = Duration::from_millis(150);
/// ...for at most this long.
const FIRST_BATCH: Duration = Duration::from_secs(2);
/// A batch is sent after this long or this many lines, whichever is first.
const BATCH_WAIT: Duration = Duration::from_millis(100);
const BATCH_MAX: usize = 500;
/// Longer lines are cut here (a program that writes megabytes without a
/// newline must not fill the board's memory).
pub const LINE_MAX: usize = 8 * 1024;

/// Handle to a running feed; dropping it stops every stream.
pub struct LogFeed {
    targets: mpsc::UnboundedSender<Vec<LogTarget>>,
    task: JoinHandle<()>,
}

impl Drop for LogFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LogFeed {
    pub fn spawn(
        request: LogRequest,
        docker: Vec<HostSpec>,
        kube: Clients,
        tx: mpsc::Sender<Msg>,
    ) -> LogFeed {
        let (targets, updates) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(request, docker, kube, updates, tx));
        LogFeed { targets, task }
    }

    /// The streams to show from now on: new ones start, gone ones stop and
    /// say so.
    pub fn set_targets(&self, targets: Vec<LogTarget>) {
        let _ = self.targets.send(targets);
    }
}

/// Starts and stops the streams of the feed.
struct Streams {
    since: Option<SystemTime>,
    previous: bool,
    docker: Vec<HostSpec>,
    kube: Clients,
    lines: mpsc::Sender<LogEntry>,
    running: BTreeMap<LogTarget, JoinHandle<()>>,
}

impl Drop for Streams {
    fn drop(&mut self) {
        for (_, t) in std::mem::take(&mut self.running) {
            t.abort();
        }
    }
}

impl Streams {
    fn start(&mut self, target: LogTarget, since: Option<SystemTime>) {
        let out = self.lines.clone();
        let task = match &target.source {
            LogSource::Container { host, id } => {
                let spec = self.docker.iter().find(|h| h.name == *host).cloned();
                let (t, id) = (target.clone(), id.clone());
                tokio::spawn(async move {
                    let docker = spec
                        .ok_or_else(|| format!("no Docker host named {}", t.prefix))
                        .and_then(|s| {
                            crate::clients::docker::connect(&s).map_err(|e| e.to_string())
                        });
                    let docker = match docker {
                        Ok(d) => d,
                        Err(e) => {
                            let _ = out.send(note(&t, format!("cannot connect: {e}"))).await;
                            return;
                        }
                    };
                    if let Err(e) = crate::clients::docker::negotiate(&docker).await {
                        let _ = out.send(note(&t, format!("cannot read logs: {e}"))).await;
                    }
                    let mut s = docker::stream(&docker, &id, &t.prefix, DOCKER_TAIL, since, true);
                    while let Some(l) = s.next().await {
                        if out.send(l).await.is_err() {
                            return;
                        }
                    }
                })
            }
            LogSource::Pod { context, .. } => match self.kube.get(context) {
                Some(client) => tokio::spawn(pod::follow(
                    client,
                    target.clone(),
                    since,
                    self.previous,
                    out,
                )),
                None => {
                    let t = target.clone();
                    let why = format!("cannot read logs: context {context} is not connected");
                    tokio::spawn(async move {
                        let _ = out.send(note(&t, why)).await;
                    })
                }
            },
        };
        self.running.insert(target, task);
    }

    /// Makes `targets` the running set; returns notes for the ones that
    /// left.
    fn set(&mut self, targets: Vec<LogTarget>) -> Vec<LogEntry> {
        let mut gone = Vec::new();
        let keep: std::collections::BTreeSet<&LogTarget> = targets.iter().collect();
        self.running.retain(|t, task| {
            let stays = keep.contains(t);
            if !stays {
                task.abort();
                gone.push(note(t, format!("— {} is gone —", describe(t))));
            }
            stays
        });
        for t in targets {
            if !self.running.contains_key(&t) {
                // A pod that joins shows its whole (recent) log.
                self.start(t, self.since);
            }
        }
        gone
    }
}

fn describe(t: &LogTarget) -> String {
    match &t.source {
        LogSource::Container { id, .. } => format!("container {}", &id[..id.len().min(12)]),
        LogSource::Pod { pod, .. } => format!("pod {pod}"),
    }
}

fn note(target: &LogTarget, line: String) -> LogEntry {
    LogEntry {
        prefix: target.prefix.clone(),
        container: target.container().to_string(),
        at: Some(SystemTime::now()),
        line,
        stderr: true,
        note: true,
    }
}

/// Cuts an over-long line at a character boundary and says so.
fn bounded(mut l: LogEntry) -> LogEntry {
    if l.line.len() > LINE_MAX {
        let mut cut = LINE_MAX;
        while !l.line.is_char_boundary(cut) {
            cut -= 1;
        }
        let more = l.line.len() - cut;
        l.line.truncate(cut);
        l.line.push_str(&format!(" … ({more} more bytes)"));
    }
    l
}

async fn run(
    request: LogRequest,
    docker: Vec<HostSpec>,
    kube: Clients,
    mut updates: mpsc::UnboundedReceiver<Vec<LogTarget>>,
    tx: mpsc::Sender<Msg>,
) {
    let (lines_tx, mut lines) = mpsc::channel(QUEUE);
    let mut streams = Streams {
        since: request.since,
        previous: request.previous,
        docker,
        kube,
        lines: lines_tx,
        running: BTreeMap::new(),
    };
    for t in request.targets {
        streams.start(t, request.since);
    }
    // Every stream's tail arrives at once, one after the other: sort them
    // by time before the first batch.
    let mut first = Vec::new();
    let started = Instant::now();
    while started.elapsed() < FIRST_BATCH {
        let wait = SETTLE.min(FIRST_BATCH.saturating_sub(started.elapsed()));
        match tokio::time::timeout(wait, lines.recv()).await {
            Ok(Some(l)) => first.push(bounded(l)),
            Ok(None) | Err(_) => break,
        }
    }
    first.sort_by_key(|l| l.at);
    if !first.is_empty() && tx.send(Msg::LogLines(first)).await.is_err() {
        return;
    }
    loop {
        let head = tokio::select! {
            Some(targets) = updates.recv() => {
                let gone = streams.set(targets);
                if !gone.is_empty() && tx.send(Msg::LogLines(gone)).await.is_err() {
                    return;
                }
                continue;
            }
            Some(l) = lines.recv() => l,
            else => return,
        };
        let mut batch = vec![bounded(head)];
        let until = Instant::now() + BATCH_WAIT;
        while batch.len() < BATCH_MAX {
            match tokio::time::timeout_at(until, lines.recv()).await {
                Ok(Some(l)) => batch.push(bounded(l)),
                _ => break,
            }
        }
        // Waits while the board is behind: the streams wait with it.
        if tx.send(Msg::LogLines(batch)).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_at_a_char_boundary() {
        let l = bounded(LogEntry {
            line: "é".repeat(LINE_MAX),
            ..Default::default()
        });
        assert!(l.line.len() < LINE_MAX + 40);
        assert!(l.line.ends_with(&format!("({} more bytes)", LINE_MAX)));
    }
}
