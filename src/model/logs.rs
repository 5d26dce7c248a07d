//! What the logs view asks for (which containers' output, from when, the
//! running or the previous run) and the lines it shows.

use std::time::SystemTime;

use serde::Serialize;

/// One line of a container's log, for the logs view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// Whose line it is: the replica (`web_2`) or the pod's short name
    /// (`7b4c9-x2k`, with `/container` when the pod has several).
    pub prefix: String,
    /// The container's name, for the container picker (empty for Docker).
    pub container: String,
    pub at: Option<SystemTime>,
    pub line: String,
    pub stderr: bool,
    /// Said by opsboard, not by the container: "pod … is gone", "cannot
    /// read logs: …".
    pub note: bool,
}

/// Where a stream of log lines comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogSource {
    /// A Docker container on one of the board's hosts.
    Container { host: String, id: String },
    /// One container of a Kubernetes pod.
    Pod {
        context: String,
        namespace: String,
        pod: String,
        container: String,
    },
}

/// One stream of the logs view, with the prefix its lines carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogTarget {
    pub source: LogSource,
    pub prefix: String,
}

impl LogTarget {
    pub fn container(&self) -> &str {
        match &self.source {
            LogSource::Container { .. } => "",
            LogSource::Pod { container, .. } => container,
        }
    }
}

/// What the logs view asks the sources for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogRequest {
    pub targets: Vec<LogTarget>,
    /// Lines written since then (around an alert); `None`: the last few
    /// hundred lines of each.
    pub since: Option<SystemTime>,
    /// The previous run of each container (after a crash); not followed.
    pub previous: bool,
}
