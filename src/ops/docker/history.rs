//! The images each container (by name) and each Compose service ran, as
//! the board saw them: a JSON-lines file in the state dir, one record per
//! change, so a rollback knows "the image it ran before" across restarts.
//!
//! The file is private (0600, directory 0700) and never opened through a
//! symlink. It is compacted when it passes [`COMPACT_AT`] lines: per
//! container or service, the newest record of each of its last
//! [`KEEP_IMAGES`] images is kept (a rollback needs the newest record and
//! the newest one with a different image), then, if still too many, the
//! keys seen running longest ago are dropped. Without a state dir the
//! history lives in memory only ([`ImageHistory::in_memory`]).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::DockerSnapshot;
use crate::ops::private_file;

/// Lines in the file past which it is compacted.
pub const COMPACT_AT: usize = 5_000;

/// Distinct images kept per container or service when compacting (at
/// least 2: the current one and the one before it).
pub const KEEP_IMAGES: usize = 3;

/// One observed image change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// RFC 3339.
    pub at: String,
    pub host: String,
    /// A container name, or `project/service` for a Compose service.
    pub key: String,
    /// `container` or `service`.
    pub kind: String,
    /// The image reference, e.g. `web:1.4.2`.
    pub image: String,
    /// `sha256:…`.
    pub image_id: String,
}

type HostKey = (String, String);

/// Persistent record of image changes; see the module docs.
#[derive(Debug, Clone)]
pub struct ImageHistory {
    /// `None`: in memory only.
    path: Option<PathBuf>,
    records: Vec<Record>,
    /// The newest image id per (host, key).
    last: HashMap<HostKey, String>,
    /// Why the file could not be read, if it could not.
    load_error: Option<String>,
    /// Lines in the file, to know when to compact.
    lines_on_disk: usize,
    /// The `observe` call that last saw each (host, key) running.
    seen: HashMap<HostKey, u64>,
    observed: u64,
}

/// The key of a Compose service.
pub fn service_key(project: &str, service: &str) -> String {
    format!("{project}/{service}")
}

impl ImageHistory {
    /// The default file: `docker-images.jsonl` in `state_dir`.
    pub fn default_path(state_dir: &Path) -> PathBuf {
        state_dir.join("docker-images.jsonl")
    }

    /// A history that is never written anywhere: for when there is no
    /// state dir (a fixed name under `/tmp` could be planted by anyone).
    pub fn in_memory() -> ImageHistory {
        ImageHistory {
            path: None,
            records: vec![],
            last: HashMap::new(),
            load_error: None,
            lines_on_disk: 0,
            seen: HashMap::new(),
            observed: 0,
        }
    }

    /// Reads the file (missing is empty; unreadable lines are skipped; a
    /// symlink is not followed: it is an error, and so is every write).
    /// Compacts it if it is past [`COMPACT_AT`] lines.
    pub fn open(path: PathBuf) -> ImageHistory {
        let mut h = ImageHistory::in_memory();
        match private_file::read_if_exists(&path) {
            Ok(Some(data)) => {
                let text = String::from_utf8_lossy(&data);
                let mut bad = 0;
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    h.lines_on_disk += 1;
                    match serde_json::from_str::<Record>(line) {
                        Ok(r) => h.remember(r),
                        Err(_) => bad += 1,
                    }
                }
                if bad > 0 {
                    let msg = format!("{}: {bad} unreadable lines skipped", path.display());
                    tracing::warn!("image history {msg}");
                    h.load_error = Some(msg);
                }
            }
            Ok(None) => {}
            Err(e) => {
                let msg = format!("{}: {e}", path.display());
                tracing::warn!("image history {msg}");
                h.load_error = Some(msg);
            }
        }
        h.path = Some(path);
        if h.lines_on_disk > COMPACT_AT
            && let Err(e) = h.compact()
        {
            tracing::warn!("{e}");
        }
        h
    }

    /// The file, `None` for an in-memory history.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Why (part of) the file could not be read when it was opened.
    pub fn load_error(&self) -> Option<&str> {
        self.load_error.as_deref()
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    fn remember(&mut self, r: Record) {
        self.last
            .insert((r.host.clone(), r.key.clone()), r.image_id.clone());
        self.records.push(r);
    }

    /// Records the images in `snapshot` that differ from the last ones seen
    /// (a first sighting is recorded too). A service is recorded when all
    /// its running replicas agree on one image.
    pub fn observe(&mut self, snapshot: &DockerSnapshot) -> Result<(), String> {
        if snapshot.error.is_some() {
            return Ok(());
        }
        self.observed += 1;
        let host = &snapshot.host;
        let mut new: Vec<Record> = Vec::new();
        let mut seen: Vec<HostKey> = Vec::new();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut changed = |key: String, kind: &str, image: &str, image_id: &str| {
            if image_id.is_empty() {
                return;
            }
            let k = (host.clone(), key);
            seen.push(k.clone());
            if self.last.get(&k).map(String::as_str) == Some(image_id) {
                return;
            }
            self.last.insert(k.clone(), image_id.to_string());
            new.push(Record {
                at: now.clone(),
                host: host.clone(),
                key: k.1,
                kind: kind.into(),
                image: image.into(),
                image_id: image_id.into(),
            });
        };
        let mut services: HashMap<String, Vec<(&str, &str)>> = HashMap::new();
        for c in &snapshot.containers {
            if c.compose.as_ref().is_some_and(|l| l.oneoff) {
                continue;
            }
            // Only running containers say what a name runs now (a stopped
            // leftover of an older version says nothing new).
            if c.state != "running" {
                continue;
            }
            changed(c.name.clone(), "container", &c.image, &c.image_id);
            if let Some(l) = &c.compose {
                services
                    .entry(service_key(&l.project, &l.service))
                    .or_default()
                    .push((&c.image, &c.image_id));
            }
        }
        let mut keys: Vec<&String> = services.keys().collect();
        keys.sort();
        for key in keys {
            let imgs = &services[key];
            let (image, id) = imgs[0];
            if imgs.iter().all(|(_, i)| *i == id) {
                changed(key.clone(), "service", image, id);
            }
        }
        for k in seen {
            self.seen.insert(k, self.observed);
        }
        if new.is_empty() {
            return Ok(());
        }
        let result = self.append(&new);
        self.records.extend(new);
        result?;
        if self.lines_on_disk > COMPACT_AT {
            self.compact()?;
        }
        Ok(())
    }

    fn append(&mut self, new: &[Record]) -> Result<(), String> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                private_file::create_private_dir(dir)?;
            }
            let (mut f, _) = private_file::open_append(&path)?;
            private_file::make_private(&f)?;
            f.write_all(&lines(new)?)?;
            f.flush()
        };
        write().map_err(|e| format!("image history {}: {e}", path.display()))?;
        self.lines_on_disk += new.len();
        Ok(())
    }

    /// Keeps what rollbacks need (see the module docs) and rewrites the
    /// file with it (temp file, fsync, rename).
    fn compact(&mut self) -> Result<(), String> {
        // Newest first: per key, the first record of each image id seen.
        let mut distinct: HashMap<HostKey, Vec<&str>> = HashMap::new();
        let mut keep = vec![false; self.records.len()];
        let mut newest: HashMap<HostKey, usize> = HashMap::new();
        for (i, r) in self.records.iter().enumerate().rev() {
            let k = (r.host.clone(), r.key.clone());
            newest.entry(k.clone()).or_insert(i);
            let ids = distinct.entry(k).or_default();
            if ids.len() < KEEP_IMAGES && !ids.contains(&r.image_id.as_str()) {
                ids.push(&r.image_id);
                keep[i] = true;
            }
        }
        drop(distinct);
        // Still too many: drop whole keys. First those seen running longest
        // ago (never, in this process), then those that only ever ran one
        // image (one-off containers; a deployed service changes images),
        // then those whose newest change is oldest.
        let budget = COMPACT_AT / 2;
        let mut kept = keep.iter().filter(|&&k| k).count();
        if kept > budget {
            let mut count: HashMap<HostKey, usize> = HashMap::new();
            for (r, _) in self.records.iter().zip(&keep).filter(|(_, k)| **k) {
                *count.entry((r.host.clone(), r.key.clone())).or_default() += 1;
            }
            let mut order: Vec<(&HostKey, usize)> = newest.iter().map(|(k, &i)| (k, i)).collect();
            order.sort_by_key(|&(k, i)| {
                let seen = self.seen.get(k).copied().unwrap_or(0);
                (seen, count.get(k).copied().unwrap_or(0), i)
            });
            let mut dropped: HashSet<&HostKey> = HashSet::new();
            for (k, _) in order {
                if kept <= budget {
                    break;
                }
                kept -= count.get(k).copied().unwrap_or(0);
                dropped.insert(k);
            }
            for (r, k) in self.records.iter().zip(keep.iter_mut()) {
                if dropped.contains(&(r.host.clone(), r.key.clone())) {
                    *k = false;
                }
            }
        }
        let mut i = 0;
        self.records.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        let live: HashSet<HostKey> = self
            .records
            .iter()
            .map(|r| (r.host.clone(), r.key.clone()))
            .collect();
        self.last.retain(|k, _| live.contains(k));
        self.seen.retain(|k, _| live.contains(k));
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let bytes =
            lines(&self.records).map_err(|e| format!("image history {}: {e}", path.display()))?;
        private_file::replace(&path, &bytes)
            .map_err(|e| format!("image history {}: cannot compact: {e}", path.display()))?;
        self.lines_on_disk = self.records.len();
        Ok(())
    }

    /// The image `key` (a container name or `project/service`) ran before
    /// `current_image_id`, on any host: `(ref, id)`.
    pub fn previous(&self, key: &str, current_image_id: &str) -> Option<(String, String)> {
        self.find(None, key, current_image_id)
    }

    /// [`previous`](Self::previous) on one host.
    pub fn previous_on(
        &self,
        host: &str,
        key: &str,
        current_image_id: &str,
    ) -> Option<(String, String)> {
        self.find(Some(host), key, current_image_id)
    }

    fn find(&self, host: Option<&str>, key: &str, current: &str) -> Option<(String, String)> {
        self.records
            .iter()
            .rev()
            .filter(|r| r.key == key && host.is_none_or(|h| r.host == h))
            .find(|r| r.image_id != current)
            .map(|r| (r.image.clone(), r.image_id.clone()))
    }
}

fn lines(records: &[Record]) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    for r in records {
        serde_json::to_writer(&mut buf, r).map_err(std::io::Error::other)?;
        buf.push(b'\n');
    }
    Ok(buf)
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
