//! Tests of the image history: observing, roll back lookups, compaction
//! and the private file.

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
        compose: Some(ComposeLabels {
            project: "shop".into(),
            service: "web".into(),
            number,
            oneoff: false,
            config_hash: None,
        }),
        ..Default::default()
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
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
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
    e.error = Some(crate::model::Fault::new(
        "gone",
        std::time::SystemTime::now(),
    ));
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

fn rec(host: &str, key: &str, id: &str, at: usize) -> Record {
    Record {
        at: format!("2025-01-01T00:00:{:02}.{:03}Z", at / 1000 % 60, at % 1000),
        host: host.into(),
        key: key.into(),
        kind: "container".into(),
        image: format!("img:{id}"),
        image_id: format!("sha256:{id}"),
    }
}

fn write_records(path: &Path, records: &[Record]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines(records).unwrap()).unwrap();
}

#[test]
fn a_long_file_is_compacted_keeping_every_rollback_answer() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/docker-images.jsonl");
    // `web` on two hosts changes image 2,000 times, cycling through five
    // images; 3,500 one-off containers appear once each.
    let mut all = Vec::new();
    for i in 0..2_000 {
        let host = if i % 2 == 0 { "a" } else { "b" };
        all.push(rec(host, "web", &format!("v{}", i % 5), i));
    }
    for i in 0..3_500 {
        all.push(rec("a", &format!("tmp-{i}"), "x", 2_000 + i));
    }
    write_records(&path, &all);
    let mut before = ImageHistory::in_memory();
    for r in &all {
        before.remember(r.clone());
    }

    let h = ImageHistory::open(path.clone());
    assert!(h.load_error().is_none(), "{:?}", h.load_error());
    let on_disk = std::fs::read_to_string(&path).unwrap().lines().count();
    assert_eq!(on_disk, h.records().len());
    assert!(
        on_disk <= COMPACT_AT / 2,
        "{on_disk} lines after compaction"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Whatever runs now, a rollback finds what it found before.
    let currents: Vec<String> = (0..5)
        .map(|v| format!("sha256:v{v}"))
        .chain(["sha256:other".to_string()])
        .collect();
    for cur in &currents {
        for host in ["a", "b"] {
            assert_eq!(
                h.previous_on(host, "web", cur),
                before.previous_on(host, "web", cur),
                "{host} {cur}"
            );
        }
        assert_eq!(h.previous("web", cur), before.previous("web", cur), "{cur}");
    }
    // Reopening reads back exactly what was kept.
    assert_eq!(ImageHistory::open(path).records(), h.records());
}

#[test]
fn compaction_on_observe_keeps_what_is_running_now() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker-images.jsonl");
    let old: Vec<Record> = (0..COMPACT_AT)
        .map(|i| rec("local", &format!("gone-{i}"), "x", i))
        .collect();
    write_records(&path, &old);
    let mut h = ImageHistory::open(path.clone());
    assert_eq!(h.records().len(), COMPACT_AT, "not yet past the bound");
    h.observe(&snap(vec![c("shop_web_1", 1, "web:1", "sha256:a")]))
        .unwrap();
    h.observe(&snap(vec![c("shop_web_1", 1, "web:2", "sha256:b")]))
        .unwrap();
    let on_disk = std::fs::read_to_string(&path).unwrap().lines().count();
    assert!(on_disk <= COMPACT_AT / 2 + 4, "{on_disk}");
    assert_eq!(
        h.previous_on("local", "shop/web", "sha256:b"),
        Some(("web:1".into(), "sha256:a".into()))
    );
    assert_eq!(
        ImageHistory::open(path).previous_on("local", "shop_web_1", "sha256:b"),
        Some(("web:1".into(), "sha256:a".into()))
    );
}

#[test]
fn a_symlink_at_the_path_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let path = dir.path().join("docker-images.jsonl");
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let mut h = ImageHistory::open(path);
    assert!(
        h.load_error().unwrap().contains("symbolic link"),
        "{:?}",
        h.load_error()
    );
    let err = h
        .observe(&snap(vec![c("shop_web_1", 1, "web:1", "sha256:a")]))
        .unwrap_err();
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // Still useful in memory.
    assert_eq!(h.records().len(), 2);
}

#[test]
fn an_in_memory_history_writes_nothing() {
    let mut h = ImageHistory::in_memory();
    assert_eq!(h.path(), None);
    h.observe(&snap(vec![c("shop_web_1", 1, "web:1", "sha256:a")]))
        .unwrap();
    h.observe(&snap(vec![c("shop_web_1", 1, "web:2", "sha256:b")]))
        .unwrap();
    assert_eq!(
        h.previous("shop/web", "sha256:b"),
        Some(("web:1".into(), "sha256:a".into()))
    );
}
