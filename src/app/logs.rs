//! The logs view: what it follows (a service's Docker containers and its
//! Kubernetes pods' containers, interleaved), what it keeps (a bounded
//! buffer that counts what it dropped), and how it is read: narrowed by
//! `/` (`!` inverts), wrapped, with timestamps, one container or all, the
//! previous run after a crash, paused or following.

use std::collections::VecDeque;
use std::time::Duration;

use crate::model::{LogEntry, LogRequest, LogSource, LogTarget, Service};

/// Log lines kept for the logs view.
pub const LOG_LINES: usize = 5000;

/// Opened from an alert, the view starts this long before it began.
pub const BEFORE_ALERT: Duration = Duration::from_secs(120);

/// The logs view's buffer and options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogView {
    pub lines: VecDeque<LogEntry>,
    /// Lines dropped from the front of a full buffer.
    pub dropped: u64,
    pub timestamps: bool,
    pub wrap: bool,
    /// Only lines containing this (case-insensitive) are shown; a leading
    /// `!` shows only the lines that do not.
    pub search: String,
    pub editing: bool,
    /// What is followed.
    pub request: LogRequest,
    /// Only this container's lines (the container picker), else all.
    pub container: Option<String>,
    /// Following new lines at the bottom; else paused `from_bottom` lines
    /// above it.
    pub follow: bool,
    pub from_bottom: usize,
}

impl LogView {
    /// The search as (needle in lower case, inverted).
    fn needle(&self) -> (String, bool) {
        match self.search.strip_prefix('!') {
            Some(rest) => (rest.to_lowercase(), true),
            None => (self.search.to_lowercase(), false),
        }
    }

    /// Whether line `l` passes the container picker and the search.
    fn keeps(&self, needle: &str, invert: bool, l: &LogEntry) -> bool {
        // opsboard's own notes (a pod gone, an error) are always shown.
        l.note
            || (self.container.as_ref().is_none_or(|c| l.container == *c)
                && (needle.is_empty() || contains_ci(&l.line, needle) != invert))
    }

    /// The lines the view shows, oldest first.
    pub fn shown(&self) -> impl Iterator<Item = &LogEntry> {
        let (needle, invert) = self.needle();
        self.lines
            .iter()
            .filter(move |l| self.keeps(&needle, invert, l))
    }

    /// The lines the view shows, newest first.
    pub fn shown_rev(&self) -> impl Iterator<Item = &LogEntry> {
        let (needle, invert) = self.needle();
        self.lines
            .iter()
            .rev()
            .filter(move |l| self.keeps(&needle, invert, l))
    }

    /// Whether anything narrows the lines shown.
    pub fn narrowed(&self) -> bool {
        self.container.is_some() || !self.search.is_empty()
    }

    /// Adds lines from the feed, dropping the oldest beyond the bound. A
    /// paused view stays on the lines it shows.
    pub fn push(&mut self, lines: Vec<LogEntry>) {
        if !self.follow {
            let (needle, invert) = self.needle();
            let shown = lines
                .iter()
                .filter(|l| self.keeps(&needle, invert, l))
                .count();
            self.from_bottom = self.from_bottom.saturating_add(shown);
        }
        for l in lines {
            if self.lines.len() == LOG_LINES {
                self.lines.pop_front();
                self.dropped += 1;
            }
            self.lines.push_back(l);
        }
    }

    /// The distinct containers of the followed pods, when more than one.
    pub fn containers(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .request
            .targets
            .iter()
            .map(|t| t.container().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        names.sort();
        names.dedup();
        if names.len() > 1 { names } else { vec![] }
    }
}

/// Whether `hay` contains `needle` (already in lower case), ignoring case;
/// without allocating when the needle is ASCII (it runs over every line of
/// the buffer while a search is typed).
fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let n = needle.as_bytes();
        return hay
            .as_bytes()
            .windows(n.len())
            .any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}

/// The short name of a pod in a prefix: what follows its workload's name
/// (`api-7b4c9f-x2k` of `api` → `7b4c9f-x2k`).
pub fn short_pod(pod: &str, workload: &str) -> String {
    pod.strip_prefix(workload)
        .and_then(|r| r.strip_prefix('-'))
        .filter(|r| !r.is_empty())
        .unwrap_or(pod)
        .to_string()
}

/// What the names of all `pods` begin with, up to a `-`, at least the
/// workload's own name: `api-7b4c9f-` while every pod is of one
/// ReplicaSet, `api-` during a rollout.
fn common_stem<'a>(mut pods: impl Iterator<Item = &'a str>, workload: &str) -> String {
    let Some(first) = pods.next() else {
        return workload.to_string();
    };
    let mut len = first.len();
    for p in pods {
        len = len.min(
            first
                .bytes()
                .zip(p.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    let stem = first[..len].rfind('-').map_or("", |i| &first[..i]);
    if stem.len() > workload.len() && stem.starts_with(workload) {
        stem.to_string()
    } else {
        workload.to_string()
    }
}

/// What the logs of `s` are: its Docker containers and, for its
/// Kubernetes workload, every container of every pod (for `previous`,
/// only of pods that restarted).
pub fn targets_of(s: &Service, previous: bool) -> Vec<LogTarget> {
    let mut out = Vec::new();
    if !previous {
        out.extend(s.containers.iter().map(|c| LogTarget {
            source: LogSource::Container {
                host: c.host.clone(),
                id: c.id.clone(),
            },
            prefix: c.name.clone(),
        }));
    }
    if let Some(w) = &s.workload {
        let common = common_stem(w.pods.iter().map(|p| p.name.as_str()), &w.id.name);
        for p in w.pods.iter().filter(|p| !previous || p.restarts > 0) {
            let short = short_pod(&p.name, &common);
            let several = p.container_names.len() > 1;
            for c in &p.container_names {
                out.push(LogTarget {
                    source: LogSource::Pod {
                        context: w.id.context.clone(),
                        namespace: p.namespace.clone(),
                        pod: p.name.clone(),
                        container: c.clone(),
                    },
                    prefix: if several {
                        format!("{short}/{c}")
                    } else {
                        short.clone()
                    },
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(c: &str, text: &str) -> LogEntry {
        LogEntry {
            prefix: "x2k".into(),
            container: c.into(),
            line: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn search_narrows_and_bang_inverts() {
        let mut v = LogView {
            follow: true,
            ..Default::default()
        };
        v.push(vec![
            line("api", "GET /health 200"),
            line("api", "GET /api/orders 500"),
            line("proxy", "GET /health 200"),
        ]);
        v.search = "HEALTH".into();
        assert_eq!(v.shown().count(), 2);
        v.search = "!health".into();
        let shown: Vec<_> = v.shown().map(|l| l.line.as_str()).collect();
        assert_eq!(shown, ["GET /api/orders 500"]);
        v.search.clear();
        v.container = Some("proxy".into());
        assert_eq!(v.shown().count(), 1);
    }

    #[test]
    fn case_is_ignored_with_or_without_ascii() {
        assert!(contains_ci("GET /Health 200", "health"));
        assert!(!contains_ci("GET /api", "health"));
        assert!(contains_ci("ÉCHEC du job", "échec"));
        assert!(!contains_ci("ab", "abc"));
    }

    #[test]
    fn a_paused_view_stays_on_its_lines() {
        let mut v = LogView::default();
        v.push((0..10).map(|n| line("api", &format!("l{n}"))).collect());
        v.from_bottom = 3;
        v.search = "!skip".into();
        v.push(vec![line("api", "new"), line("api", "skip me")]);
        assert_eq!(v.from_bottom, 4, "one new line is shown, the other not");
    }

    #[test]
    fn the_buffer_is_bounded_and_counts_what_it_dropped() {
        let mut v = LogView {
            follow: true,
            ..Default::default()
        };
        v.push(
            (0..LOG_LINES + 10)
                .map(|n| line("", &format!("line {n}")))
                .collect(),
        );
        assert_eq!(v.lines.len(), LOG_LINES);
        assert_eq!(v.dropped, 10);
        assert_eq!(v.lines.front().unwrap().line, "line 10");
    }

    #[test]
    fn pods_of_one_replicaset_are_told_apart_by_their_suffix() {
        let one = ["api-7b4c9f-x2k", "api-7b4c9f-q8m"];
        assert_eq!(common_stem(one.into_iter(), "api"), "api-7b4c9f");
        assert_eq!(short_pod(one[0], "api-7b4c9f"), "x2k");
        let rolling = ["api-7b4c9f-x2k", "api-5d8e1a-q8m"];
        assert_eq!(common_stem(rolling.into_iter(), "api"), "api");
        assert_eq!(
            common_stem(["api-7b4c9f-x2k"].into_iter(), "api"),
            "api-7b4c9f"
        );
        assert_eq!(
            common_stem(["redis-0", "redis-1"].into_iter(), "redis"),
            "redis"
        );
    }

    #[test]
    fn pod_prefixes_are_short() {
        assert_eq!(short_pod("api-7b4c9f-x2k", "api"), "7b4c9f-x2k");
        assert_eq!(short_pod("redis-0", "redis"), "0");
        assert_eq!(short_pod("other", "api"), "other");
    }
}
