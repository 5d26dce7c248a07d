//! The images each container (by name) and each Compose service ran, as
//! the board saw them: a JSON-lines file in the state dir, one record per
//! change, so a rollback knows "the image it ran before" across restarts.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::DockerSnapshot;

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

/// Persistent record of image changes; see the module docs.
#[derive(Debug, Clone)]
pub struct ImageHistory {
    path: PathBuf,
    records: Vec<Record>,
    /// The newest image id per (host, key).
    last: HashMap<(String, String), String>,
    /// Why the file could not be read, if it could not.
    load_error: Option<String>,
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

    /// Reads the file (missing is empty; unreadable lines are skipped).
    pub fn open(path: PathBuf) -> ImageHistory {
        let mut h = ImageHistory {
            path,
            records: vec![],
            last: HashMap::new(),
            load_error: None,
        };
        match std::fs::read_to_string(&h.path) {
            Ok(text) => {
                let mut bad = 0;
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    match serde_json::from_str::<Record>(line) {
                        Ok(r) => h.remember(r),
                        Err(_) => bad += 1,
                    }
                }
                if bad > 0 {
                    let msg = format!("{}: {bad} unreadable lines skipped", h.path.display());
                    tracing::warn!("image history {msg}");
                    h.load_error = Some(msg);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let msg = format!("{}: {e}", h.path.display());
                tracing::warn!("image history {msg}");
                h.load_error = Some(msg);
            }
        }
        h
    }

    pub fn path(&self) -> &Path {
        &self.path
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
        let host = &snapshot.host;
        let mut new: Vec<Record> = Vec::new();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut changed = |key: String, kind: &str, image: &str, image_id: &str| {
            if image_id.is_empty() {
                return;
            }
            let k = (host.clone(), key);
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
        if new.is_empty() {
            return Ok(());
        }
        let write = || -> std::io::Result<()> {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            let mut buf = String::new();
            for r in &new {
                buf.push_str(&serde_json::to_string(r).map_err(std::io::Error::other)?);
                buf.push('\n');
            }
            f.write_all(buf.as_bytes())?;
            f.flush()
        };
        let result = write().map_err(|e| format!("image history {}: {e}", self.path.display()));
        self.records.extend(new);
        result
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ComposeLabels, ContainerInfo};

    fn c(name: &str, number: u32, image: &str, id: &str) -> ContainerInfo {
        ContainerInfo {
            host: "local".into(),
            id: format!("id-{name}"),
            name: name.into(),
            image: image.into(),
            image_id: id.into(),
            state: "running".into(),
            status_text: "Up".into(),
            exit_code: None,
            health: None,
            restart_count: 0,
            started_at: None,
            ports: vec![],
            compose: Some(ComposeLabels {
                project: "shop".into(),
                service: "web".into(),
                number,
                oneoff: false,
                config_hash: None,
            }),
            stats: None,
        }
    }

    fn snap(containers: Vec<ContainerInfo>) -> DockerSnapshot {
        DockerSnapshot {
            host: "local".into(),
            containers,
            error: None,
        }
    }

    #[test]
    fn records_changes_and_finds_the_previous_image() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/docker-images.jsonl");
        let mut h = ImageHistory::open(path.clone());
        assert_eq!(h.previous("shop/web", "sha256:b"), None);
        h.observe(&snap(vec![c("shop_web_1", 1, "web:1", "sha256:a")]))
            .unwrap();
        // Nothing changed: nothing appended.
        h.observe(&snap(vec![c("shop_web_1", 1, "web:1", "sha256:a")]))
            .unwrap();
        assert_eq!(h.records().len(), 2);
        // Mid-rollout (replicas disagree): the service is not recorded.
        h.observe(&snap(vec![
            c("shop_web_1", 1, "web:2", "sha256:b"),
            c("shop_web_2", 2, "web:1", "sha256:a"),
        ]))
        .unwrap();
        assert_eq!(h.previous("shop/web", "sha256:a"), None);
        h.observe(&snap(vec![
            c("shop_web_1", 1, "web:2", "sha256:b"),
            c("shop_web_2", 2, "web:2", "sha256:b"),
        ]))
        .unwrap();
        assert_eq!(
            h.previous("shop/web", "sha256:b"),
            Some(("web:1".into(), "sha256:a".into()))
        );
        assert_eq!(
            h.previous_on("local", "shop_web_1", "sha256:b"),
            Some(("web:1".into(), "sha256:a".into()))
        );
        assert_eq!(h.previous_on("other", "shop_web_1", "sha256:b"), None);
        // Survives a reopen.
        let again = ImageHistory::open(path.clone());
        assert_eq!(again.records(), h.records());
        assert_eq!(
            again.previous("shop/web", "sha256:b"),
            Some(("web:1".into(), "sha256:a".into()))
        );
        // An error snapshot records nothing.
        let mut e = snap(vec![]);
        e.error = Some("gone".into());
        h.observe(&e).unwrap();
        // A garbage line is skipped and said so.
        std::fs::write(&path, "not json\n").unwrap();
        let bad = ImageHistory::open(path);
        assert!(bad.records().is_empty());
        assert!(bad.load_error().unwrap().contains("1 unreadable"));
    }

    #[test]
    fn write_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let mut h = ImageHistory::open(blocker.join("sub/h.jsonl"));
        let err = h
            .observe(&snap(vec![c("shop_web_1", 1, "web:1", "sha256:a")]))
            .unwrap_err();
        assert!(err.contains("sub/h.jsonl"), "{err}");
    }
}
