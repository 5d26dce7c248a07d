//! Issue #12 ("Trust"), backup part: a backup reported as good is one.
//! Retention under a clock jump, files that change while archived, a
//! command that writes nothing, and symlinks planted where opsboard writes
//! its records — all against real files, real commands and the real
//! kernel's `/proc` and `/sys`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::servers;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use opsboard::ops::backup::{self, BackupError, BackupSource, BackupSpec, Written};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

fn spec(name: &str, dir: &Path, source: BackupSource) -> BackupSpec {
    BackupSpec {
        name: name.into(),
        service: "svc".into(),
        source,
        dir: dir.to_path_buf(),
        keep_last: None,
        max_age: None,
        timeout: Duration::from_secs(30),
    }
}

fn command(argv: &[&str], extension: &str, compress: bool) -> BackupSource {
    BackupSource::Command {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        extension: extension.into(),
        compress,
        env: vec![],
    }
}

async fn run(spec: &BackupSpec) -> Result<Written, BackupError> {
    backup::run(spec, &|_| {}, CancellationToken::new()).await
}

fn names_in(dir: &Path) -> Vec<String> {
    let Ok(read) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<String> = read
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A backup file written the way opsboard writes one (data and sidecar),
/// under a name of our choosing, then verified by the real `verify`.
async fn plant_verified(s: &BackupSpec, name: &str, data: &[u8]) -> PathBuf {
    fs::create_dir_all(&s.dir).unwrap();
    let path = s.dir.join(name);
    fs::write(&path, data).unwrap();
    fs::write(
        s.dir.join(format!("{name}.sha256")),
        format!("{}  {name}\n", sha256_hex(data)),
    )
    .unwrap();
    let v = backup::verify(s, &path, &|_| {}).await;
    assert!(v.ok, "{v:?}");
    path
}

// --- 1. retention --------------------------------------------------------------

/// A verified backup dated in 2099 (written while the clock was wrong)
/// used to count as the newest: with `keep_last = 1` every new backup was
/// deleted right after it was written, and the job still said "success".
#[tokio::test]
async fn retention_keeps_the_new_backup_when_a_name_is_dated_in_the_future() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("job");
    let mut s = spec("job", &dir, command(&["echo", "data"], "txt", false));
    let old = run(&s).await.unwrap().path;
    assert!(backup::verify(&s, &old, &|_| {}).await.ok);
    let future = plant_verified(&s, "job_20991231T000000Z.txt", b"from the future\n").await;

    s.keep_last = Some(1);
    let new = run(&s).await.unwrap().path;
    assert!(backup::verify(&s, &new, &|_| {}).await.ok);
    // What the executor calls after every successful run.
    let deleted = backup::apply_retention(&s, SystemTime::now()).unwrap();

    assert!(
        new.exists(),
        "the backup just taken was deleted: {deleted:?}"
    );
    assert!(
        future.exists(),
        "a future-dated file was deleted: {deleted:?}"
    );
    assert_eq!(deleted, vec![old.clone()], "the older trusted backup goes");
    assert!(!old.exists());
    // The scan does not trust the future-dated name as the newest.
    let listed: Vec<PathBuf> = backup::scan(&s)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(listed, vec![new.clone(), future.clone()]);
}

/// After a run, the new file is protected by name, even when a trusted
/// name (a clock set back less than the skew) sorts above it; the
/// future-dated file is reported in words the job message can carry.
#[tokio::test]
async fn retention_after_a_run_protects_the_new_file_and_reports_future_names() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("job");
    let mut s = spec("job", &dir, command(&["echo", "data"], "txt", false));
    let soon = chrono::Utc::now() + chrono::Duration::seconds(90);
    let soon_name = format!("job_{}.txt", soon.format("%Y%m%dT%H%M%SZ"));
    let soon = plant_verified(&s, &soon_name, b"a minute ahead\n").await;
    let future = plant_verified(&s, "job_20991231T000000Z.txt", b"far ahead\n").await;
    s.keep_last = Some(1);
    // Not verified yet: nothing but its name protects it.
    let new = run(&s).await.unwrap().path;

    let report = backup::apply_retention_after(&s, &new, SystemTime::now()).unwrap();
    assert!(
        new.exists(),
        "the backup just taken was deleted: {report:?}"
    );
    assert!(soon.exists() && future.exists(), "{report:?}");
    assert_eq!(report.deleted, Vec::<PathBuf>::new());
    assert_eq!(report.future_dated, vec![future.clone()]);
    assert_eq!(
        report.summary().as_deref(),
        Some(
            "retention: 1 file dated in the future (job_20991231T000000Z.txt), \
             not trusted for ordering and not deleted"
        )
    );

    // A later run: the older unverified one goes, the rest stays.
    let newer = run(&s).await.unwrap().path;
    let report = backup::apply_retention_after(&s, &newer, SystemTime::now()).unwrap();
    assert_eq!(report.deleted, vec![new.clone()]);
    assert!(
        report
            .summary()
            .unwrap()
            .starts_with("retention removed 1 · retention: 1 file dated in the future"),
        "{report:?}"
    );
    assert!(newer.exists() && soon.exists() && future.exists());
}

// --- 2a. files that change while archived --------------------------------------

/// `/proc` files say they are empty and are not: archiving only the size
/// the header states used to store them empty, silently.
#[tokio::test]
async fn files_backup_fails_on_a_file_that_grows_while_read() {
    let src = Path::new("/proc/sys/kernel/random");
    if !src.join("boot_id").exists() {
        servers::missing::<()>("/proc/sys/kernel/random is not mounted");
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("proc");
    let s = spec(
        "proc",
        &dir,
        BackupSource::Files {
            path: src.to_path_buf(),
        },
    );
    let e = run(&s).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("file changed as we read it"), "{msg}");
    assert!(
        msg.contains("/proc/sys/kernel/random/"),
        "names the file: {msg}"
    );
    assert_eq!(
        names_in(&dir),
        Vec::<String>::new(),
        "no partial output left"
    );
}

/// A sysfs directory whose files all state 4096 bytes and hold a few.
fn sysfs_dir() -> Option<PathBuf> {
    let candidates = [
        "/sys/kernel/mm/swap",
        "/sys/kernel/mm/numa",
        "/sys/power",
        "/sys/kernel/mm/transparent_hugepage/khugepaged",
        "/sys/kernel/mm/ksm",
    ];
    candidates.iter().map(PathBuf::from).find(|d| {
        let Ok(read) = fs::read_dir(d) else {
            return false;
        };
        let entries: Vec<PathBuf> = read.map(|e| e.unwrap().path()).collect();
        !entries.is_empty()
            && entries.iter().all(|p| {
                let m = fs::symlink_metadata(p).unwrap();
                m.is_file()
                    && m.permissions().mode() & 0o444 != 0
                    && fs::read(p).is_ok_and(|b| (b.len() as u64) < m.len())
            })
    })
}

/// A file shorter than its stated size used to be padded with zeros, and
/// the job reported a good backup of data that never existed.
#[tokio::test]
async fn files_backup_fails_on_a_file_shorter_than_its_size() {
    let Some(src) = sysfs_dir() else {
        servers::missing::<()>("no /sys directory of readable files shorter than their size");
        return;
    };
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("sys");
    let s = spec("sys", &dir, BackupSource::Files { path: src.clone() });
    let e = run(&s).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("file changed as we read it"), "{msg}");
    assert!(msg.contains("shrank"), "{msg}");
    assert!(
        msg.contains(&src.display().to_string()),
        "names the file: {msg}"
    );
    assert_eq!(
        names_in(&dir),
        Vec::<String>::new(),
        "no partial output left"
    );
}

// --- 2b. a command that writes nothing -----------------------------------------

#[tokio::test]
async fn a_command_that_writes_nothing_fails() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("quiet");
    for compress in [false, true] {
        let s = spec(
            "quiet",
            &dir,
            command(&["sh", "-c", "echo 'all done' >&2"], "sql", compress),
        );
        let e = run(&s).await.unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("the command wrote nothing to stdout"), "{msg}");
        assert!(msg.contains("`sh`"), "names the program: {msg}");
        assert_eq!(names_in(&dir), Vec::<String>::new());
    }
}

// --- 2c. records of verifications that could not run --------------------------

/// Records written before this fix said `"ok": true` with the tool check
/// `skipped`: such a file was never checked and must not count as verified.
#[tokio::test]
async fn an_old_record_with_a_skipped_tool_is_not_verified() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("cache");
    let s = spec(
        "cache",
        &dir,
        BackupSource::Redis {
            address: "127.0.0.1:1".into(),
            username: None,
            password: None,
        },
    );
    fs::create_dir_all(&dir).unwrap();
    let name = "cache_20260102T030405Z.rdb";
    let data = b"REDIS0011 not really";
    fs::write(dir.join(name), data).unwrap();
    fs::write(
        dir.join(format!("{name}.sha256")),
        format!("{}  {name}\n", sha256_hex(data)),
    )
    .unwrap();
    let record = |outcome: &str| {
        serde_json::json!({
            "file": name, "time": "2026-01-02T03:04:06Z", "ok": true,
            "checks": [
                {"name": "checksum", "outcome": "passed", "detail": "sha256 …"},
                {"name": "redis-check-rdb", "outcome": outcome,
                 "detail": "redis-check-rdb not installed"},
            ],
        })
        .to_string()
    };
    fs::write(dir.join(format!("{name}.verified")), record("skipped")).unwrap();
    assert_eq!(backup::scan(&s).unwrap()[0].verified, None);
    fs::write(dir.join(format!("{name}.verified")), record("passed")).unwrap();
    assert_eq!(backup::scan(&s).unwrap()[0].verified, Some(true));
}

// --- 5. symlinks planted where records are written -----------------------------

/// Names the run may pick in the next seconds (`<job>_<ts>[-N].<ext>`).
fn names_for_the_next_seconds(job: &str, ext: &str) -> Vec<String> {
    let now = chrono::Utc::now();
    let mut out = Vec::new();
    for s in -2..30 {
        let ts = (now + chrono::Duration::seconds(s)).format("%Y%m%dT%H%M%SZ");
        for n in 0..3 {
            out.push(match n {
                0 => format!("{job}_{ts}.{ext}"),
                n => format!("{job}_{ts}-{n}.{ext}"),
            });
        }
    }
    out
}

/// The sidecar and the verification record were written through a fixed
/// temp name opened with create+truncate, which follows a symlink: anyone
/// able to plant one there made opsboard overwrite the file it points at.
#[tokio::test]
async fn symlinks_planted_at_record_names_are_not_followed() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("sym");
    fs::create_dir_all(&dir).unwrap();
    let victim = base.path().join("victim");
    fs::write(&victim, b"precious\n").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
    for name in names_for_the_next_seconds("sym", "txt") {
        for planted in [
            format!(".{name}.sha256.partial"),
            format!(".{name}.verified.partial"),
            format!("{name}.sha256"),
            format!("{name}.verified"),
        ] {
            std::os::unix::fs::symlink(&victim, dir.join(planted)).unwrap();
        }
    }
    let s = spec("sym", &dir, command(&["echo", "data"], "txt", false));
    let w = run(&s).await.unwrap();
    let v = backup::verify(&s, &w.path, &|_| {}).await;
    assert!(v.ok, "{v:?}");

    assert_eq!(
        fs::read(&victim).unwrap(),
        b"precious\n",
        "victim overwritten"
    );
    let mode = fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "victim's mode changed");
    // The records are regular files of their own, private to the owner.
    for record in [
        format!("{}.sha256", w.path.display()),
        format!("{}.verified", w.path.display()),
    ] {
        let m = fs::symlink_metadata(&record).unwrap();
        assert!(m.file_type().is_file(), "{record} is not a regular file");
        assert_eq!(m.permissions().mode() & 0o777, 0o600, "{record}");
    }
    assert_eq!(backup::scan(&s).unwrap()[0].verified, Some(true));
}
