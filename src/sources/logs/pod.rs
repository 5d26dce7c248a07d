//! The log stream of one container of a Kubernetes pod: its tail (or all
//! since a time), then followed. The API server ends a follow when the
//! container stops or the answer goes quiet for too long; the stream is
//! opened again from the last line seen, so a restarted container's new
//! run joins the view, and no line is shown twice.

use std::time::{Duration, SystemTime};

use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use tokio::sync::mpsc;

use super::note;
use super::stamp::split_timestamp;
use crate::model::{LogEntry, LogSource, LogTarget};

/// Lines of each container's tail when no start time is asked for.
pub const TAIL: i64 = 500;
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// Streams `target`'s lines into `out` until the pod is gone, `out` is
/// closed, or (for `previous`, which is never followed) the answer ends.
pub async fn follow(
    client: kube::Client,
    target: LogTarget,
    since: Option<SystemTime>,
    previous: bool,
    out: mpsc::Sender<LogEntry>,
) {
    let LogSource::Pod {
        namespace,
        pod,
        container,
        ..
    } = &target.source
    else {
        return;
    };
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let mut last: Option<SystemTime> = None;
    let mut retry = RETRY_FIRST;
    let mut said: Option<String> = None;
    loop {
        let from = last.or(since);
        let params = LogParams {
            container: Some(container.clone()),
            follow: !previous,
            previous,
            timestamps: true,
            since_time: from.and_then(|t| k8s_openapi::jiff::Timestamp::try_from(t).ok()),
            tail_lines: from.is_none().then_some(TAIL),
            ..Default::default()
        };
        match api.log_stream(pod, &params).await {
            Ok(reader) => {
                // Lines up to here were shown by the stream before this one.
                let shown_until = last;
                let mut lines = reader.lines();
                loop {
                    match lines.try_next().await {
                        Ok(Some(raw)) => {
                            let (at, text) = split_timestamp(&raw);
                            // Opened again from the last second seen: skip
                            // what was already shown.
                            if let (Some(at), Some(l)) = (at, shown_until)
                                && at <= l
                            {
                                continue;
                            }
                            last = at.or(last);
                            retry = RETRY_FIRST;
                            said = None;
                            let entry = LogEntry {
                                prefix: target.prefix.clone(),
                                container: container.clone(),
                                at,
                                line: text.to_string(),
                                stderr: false,
                                note: false,
                            };
                            if out.send(entry).await.is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            tracing::debug!("logs of {pod}/{container}: {e}");
                            break;
                        }
                    }
                }
            }
            // The pod is gone: the feed says so when the board drops it.
            Err(kube::Error::Api(s)) if s.code == 404 => return,
            Err(e) => {
                let why = match &e {
                    kube::Error::Api(s) => s.message.clone(),
                    other => other.to_string(),
                };
                if said.as_deref() != Some(why.as_str()) {
                    let line = format!("cannot read logs of {pod}/{container}: {why}");
                    if out.send(note(&target, line)).await.is_err() {
                        return;
                    }
                    said = Some(why);
                }
            }
        }
        if previous {
            return;
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(RETRY_MAX);
    }
}
