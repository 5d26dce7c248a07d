//! The backup engine against real servers and real tools: redis-server,
//! PostgreSQL (initdb'd per test, password auth), GNU tar, sh. Every backup
//! is verified and restored with the real tool, and the restored data is
//! compared with what was written.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::servers;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use opsboard::model::secret::Secret;
use opsboard::model::{BackupKind, Progress};
use opsboard::ops::backup::{
    self, BackupError, BackupSource, BackupSpec, CheckOutcome, Verification, Written,
};
use servers::{Postgres, Redis, missing};
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

/// Records every progress report.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Progress>>>);

impl Seen {
    fn max_bytes(&self) -> u64 {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|p| p.bytes)
            .max()
            .unwrap_or(0)
    }

    fn phases(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|p| p.phase.clone())
            .collect()
    }
}

async fn run(spec: &BackupSpec, seen: &Seen) -> Result<Written, BackupError> {
    let s = seen.clone();
    let progress = move |p: Progress| s.0.lock().unwrap().push(p);
    backup::run(spec, &progress, CancellationToken::new()).await
}

async fn verify(spec: &BackupSpec, file: &Path) -> Verification {
    backup::verify(spec, file, &|_| {}).await
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

/// The file, its sidecar and its mode are what the contract says.
fn assert_written(spec: &BackupSpec, w: &Written) {
    let name = w.path.file_name().unwrap().to_str().unwrap();
    let prefix = format!("{}_", spec.name);
    let suffix = format!(".{}", spec.extension());
    assert!(
        name.starts_with(&prefix) && name.ends_with(&suffix),
        "{name}"
    );
    let bytes = fs::read(&w.path).unwrap();
    assert_eq!(bytes.len() as u64, w.size);
    assert_eq!(sha256_hex(&bytes), w.sha256);
    let sidecar = fs::read_to_string(format!("{}.sha256", w.path.display())).unwrap();
    assert_eq!(sidecar, format!("{}  {name}\n", w.sha256));
    let mode = fs::metadata(&w.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "backup file mode");
    // `sha256sum -c` agrees, when it is installed.
    if let Ok(out) = Command::new("sha256sum")
        .arg("-c")
        .arg(format!("{name}.sha256"))
        .current_dir(&spec.dir)
        .output()
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert!(
        !names_in(&spec.dir).iter().any(|n| n.ends_with(".partial")),
        "{:?}",
        names_in(&spec.dir)
    );
}

fn check<'a>(v: &'a Verification, name: &str) -> &'a CheckOutcome {
    &v.checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check in {v:?}"))
        .outcome
}

// --- redis -------------------------------------------------------------------

const REDIS_PW: &str = "correct horse battery";

#[tokio::test]
async fn redis_backup_with_password_verifies_and_restores() {
    let Some(redis) = Redis::start(Some(REDIS_PW)) else {
        return;
    };
    let mut c = redis.conn();
    // A few thousand strings (one binary), a hash and a list.
    let values: Vec<(String, Vec<u8>)> = (0..3000)
        .map(|i| {
            (
                format!("key:{i}"),
                format!("value-{i}-{}", "x".repeat(i % 50)).into_bytes(),
            )
        })
        .chain([("binary".to_string(), vec![0u8, 13, 10, 255, 36, 0, 42])])
        .collect();
    let mut cmds: Vec<Vec<&[u8]>> = values
        .iter()
        .map(|(k, v)| vec![&b"SET"[..], k.as_bytes(), v])
        .collect();
    let fields: Vec<(String, String)> = (0..200)
        .map(|i| (format!("f{i}"), format!("v{i}")))
        .collect();
    let mut hset: Vec<&[u8]> = vec![b"HSET", b"profile"];
    for (f, v) in &fields {
        hset.extend([f.as_bytes(), v.as_bytes()]);
    }
    cmds.push(hset);
    let items: Vec<String> = (0..500).map(|i| format!("item-{i}")).collect();
    let mut rpush: Vec<&[u8]> = vec![b"RPUSH", b"queue"];
    rpush.extend(items.iter().map(|s| s.as_bytes()));
    cmds.push(rpush);
    for r in c.pipeline(&cmds).unwrap() {
        assert!(!matches!(r, servers::Reply::Error(_)), "{r:?}");
    }

    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("backups").join("redis-nightly");
    let s = spec(
        "redis-nightly",
        &dir,
        BackupSource::Redis {
            address: redis.address(),
            username: None,
            password: Some(Secret::literal_for_tests(REDIS_PW)),
        },
    );
    assert_eq!(s.kind(), BackupKind::Redis);
    let seen = Seen::default();
    let w = run(&s, &seen).await.unwrap();
    assert_written(&s, &w);
    assert_eq!(
        fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert!(fs::read(&w.path).unwrap().starts_with(b"REDIS"));
    assert_eq!(seen.max_bytes(), w.size);
    assert!(
        seen.phases().iter().any(|p| p == "receiving RDB"),
        "{:?}",
        seen.phases()
    );

    if servers::find_binary("redis-check-rdb").is_none() {
        missing::<()>("redis-check-rdb is not installed");
        return;
    }
    let v = verify(&s, &w.path).await;
    assert!(v.ok, "{v:?}");
    assert!(
        matches!(check(&v, "checksum"), CheckOutcome::Passed(_)),
        "{v:?}"
    );
    match check(&v, "redis-check-rdb") {
        CheckOutcome::Passed(d) => assert!(d.contains("RDB looks OK"), "{d}"),
        other => panic!("{other:?}"),
    }
    let listed = backup::scan(&s).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].path.clone(), listed[0].verified),
        (w.path.clone(), Some(true))
    );

    // Restore: a fresh server that loads the backup as its dump.rdb.
    let Some(restored) = Redis::start_with_dump(&w.path, None) else {
        return;
    };
    let mut r = restored.conn();
    assert_eq!(r.cmd(&["DBSIZE"]).unwrap().int(), values.len() as i64 + 2);
    let gets: Vec<Vec<&[u8]>> = values
        .iter()
        .map(|(k, _)| vec![&b"GET"[..], k.as_bytes()])
        .collect();
    let got = r.pipeline(&gets).unwrap();
    for ((k, v), g) in values.iter().zip(got) {
        assert_eq!(&g.bytes(), v, "{k}");
    }
    let hash: BTreeMap<Vec<u8>, Vec<u8>> = r
        .cmd(&["HGETALL", "profile"])
        .unwrap()
        .array()
        .chunks(2)
        .map(|kv| (kv[0].bytes(), kv[1].bytes()))
        .collect();
    let want: BTreeMap<Vec<u8>, Vec<u8>> = fields
        .iter()
        .map(|(f, v)| (f.clone().into_bytes(), v.clone().into_bytes()))
        .collect();
    assert_eq!(hash, want);
    let list: Vec<Vec<u8>> = r
        .cmd(&["LRANGE", "queue", "0", "-1"])
        .unwrap()
        .array()
        .iter()
        .map(servers::Reply::bytes)
        .collect();
    assert_eq!(
        list,
        items
            .iter()
            .map(|s| s.clone().into_bytes())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn redis_wrong_or_missing_password_is_an_auth_error_and_leaves_no_file() {
    let Some(redis) = Redis::start(Some(REDIS_PW)) else {
        return;
    };
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("r");
    for (password, expect) in [(Some("not the password"), "WRONGPASS"), (None, "NOAUTH")] {
        let s = spec(
            "r",
            &dir,
            BackupSource::Redis {
                address: redis.address(),
                username: None,
                password: password.map(Secret::literal_for_tests),
            },
        );
        let e = run(&s, &Seen::default()).await.unwrap_err();
        assert!(matches!(e, BackupError::Auth { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains(expect) && msg.contains(&redis.address()),
            "{msg}"
        );
        assert!(!msg.contains("not the password"), "{msg}");
        assert_eq!(names_in(&dir), Vec::<String>::new());
    }
}

// --- postgres ----------------------------------------------------------------

const TABLES: [&str; 2] = [
    "select id, name, balance, created, tags from customers order by id",
    "select id, customer_id, items, note, encode(blob, 'hex') from orders order by id",
];

#[tokio::test]
async fn postgres_backup_verifies_and_restores_identical_rows() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    pg.psql("postgres", "create database shop");
    pg.psql(
        "shop",
        "create table customers (id serial primary key, name text not null, \
           balance numeric(12,2), created timestamptz, tags text[]);
         create table orders (id bigserial primary key, \
           customer_id int references customers(id), items jsonb, note text, blob bytea);
         insert into customers (name, balance, created, tags)
           select 'customer ' || i || E' \\u00e9\\t''quoted''', i * 1.25, \
                  '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 minute', \
                  array['a' || i, 'b'] from generate_series(1, 1500) i;
         insert into orders (customer_id, items, note, blob)
           select 1 + i % 1500, jsonb_build_object('sku', i, 'qty', i % 7), \
                  case when i % 3 = 0 then null else 'note ' || i end, \
                  decode(md5(i::text), 'hex') from generate_series(1, 3000) i;",
    );
    let originals: Vec<String> = TABLES.iter().map(|q| pg.psql("shop", q)).collect();
    assert_eq!(originals[0].lines().count(), 1500);
    assert_eq!(originals[1].lines().count(), 3000);

    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("pg");
    let s = spec(
        "shop-db",
        &dir,
        BackupSource::Postgres {
            url: Secret::literal_for_tests(&pg.url("shop")),
        },
    );
    assert_eq!(s.extension(), "dump");
    let w = run(&s, &Seen::default()).await.unwrap();
    assert_written(&s, &w);
    assert!(
        fs::read(&w.path).unwrap().starts_with(b"PGDMP"),
        "custom format"
    );

    let v = verify(&s, &w.path).await;
    assert!(v.ok, "{v:?}");
    match check(&v, "pg_restore --list") {
        CheckOutcome::Passed(d) => assert!(d.contains("TOC entries"), "{d}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(backup::scan(&s).unwrap()[0].verified, Some(true));

    // Restore into a fresh database with the real pg_restore.
    pg.psql("postgres", "create database restored");
    let out = pg
        .tool("pg_restore")
        .args([
            "--no-password",
            "--exit-on-error",
            "--no-owner",
            "--dbname=restored",
        ])
        .arg(&w.path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (q, original) in TABLES.iter().zip(&originals) {
        assert_eq!(&pg.psql("restored", q), original, "{q}");
    }

    // A wrong password: pg_dump's own message, the password nowhere.
    let bad = spec(
        "shop-db",
        &base.path().join("bad"),
        BackupSource::Postgres {
            url: Secret::literal_for_tests(&pg.url_with_password("shop", "WrongPassw0rd")),
        },
    );
    let e = run(&bad, &Seen::default()).await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, BackupError::Command { .. }), "{e:?}");
    assert!(msg.contains("password authentication failed"), "{msg}");
    assert!(!msg.contains("WrongPassw0rd"), "{msg}");
    assert_eq!(names_in(&base.path().join("bad")), Vec::<String>::new());
}

// --- files -------------------------------------------------------------------

/// Deterministic pseudo-random bytes.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq)]
enum Node {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
}

fn tree(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let m = fs::symlink_metadata(&p).unwrap();
            let node = if m.file_type().is_symlink() {
                Node::Link(fs::read_link(&p).unwrap())
            } else if m.is_dir() {
                stack.push(p.clone());
                Node::Dir
            } else {
                Node::File(fs::read(&p).unwrap())
            };
            out.insert(rel, node);
        }
    }
    out
}

#[tokio::test]
async fn files_tree_roundtrips_through_real_tar() {
    let src = tempfile::tempdir().unwrap();
    let s_ = src.path();
    fs::create_dir_all(s_.join("a/b/c")).unwrap();
    fs::create_dir_all(s_.join("empty dir")).unwrap();
    fs::write(s_.join("a/b/c/big.bin"), noise(700_000, 7)).unwrap();
    fs::write(s_.join("a/small.bin"), [0u8, 255, 13, 10, 0]).unwrap();
    fs::write(s_.join("a/b/empty"), b"").unwrap();
    fs::write(s_.join("névé ünïcode.txt"), "snow\n").unwrap();
    let long = "d".repeat(120);
    fs::create_dir_all(s_.join(&long)).unwrap();
    fs::write(s_.join(&long).join("f".repeat(120)), b"long path").unwrap();
    std::os::unix::fs::symlink("a/b/c/big.bin", s_.join("link")).unwrap();
    std::os::unix::fs::symlink("../nowhere", s_.join("a/dangling")).unwrap();
    fs::set_permissions(s_.join("a/small.bin"), fs::Permissions::from_mode(0o751)).unwrap();

    let base = tempfile::tempdir().unwrap();
    let s = spec(
        "site",
        &base.path().join("site"),
        BackupSource::Files {
            path: s_.to_path_buf(),
        },
    );
    let w = run(&s, &Seen::default()).await.unwrap();
    assert_written(&s, &w);
    assert!(w.path.to_str().unwrap().ends_with(".tar.gz"));
    let v = verify(&s, &w.path).await;
    assert!(v.ok, "{v:?}");
    for name in ["checksum", "gzip", "tar listing"] {
        assert!(matches!(check(&v, name), CheckOutcome::Passed(_)), "{v:?}");
    }
    match check(&v, "tar listing") {
        CheckOutcome::Passed(d) => assert_eq!(d, "12 entries"),
        other => panic!("{other:?}"),
    }

    if servers::find_binary("tar").is_none() {
        missing::<()>("GNU tar is not installed");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&w.path)
        .arg("-C")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(tree(out.path()), tree(s_));
    let mode = fs::metadata(out.path().join("a/small.bin"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o751);
}

// --- command -----------------------------------------------------------------

#[tokio::test]
async fn command_stdout_is_compressed_and_stderr_ignored_on_success() {
    let base = tempfile::tempdir().unwrap();
    let s = spec(
        "cmd",
        &base.path().join("cmd"),
        command(&["sh", "-c", "echo hello; echo err >&2"], "txt", true),
    );
    assert_eq!(s.extension(), "txt.gz");
    let w = run(&s, &Seen::default()).await.unwrap();
    assert_written(&s, &w);
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(fs::File::open(&w.path).unwrap()),
        &mut text,
    )
    .unwrap();
    assert_eq!(text, "hello\n");
    if let Ok(out) = Command::new("gzip").arg("-dc").arg(&w.path).output() {
        assert_eq!(out.stdout, b"hello\n");
    }
    let v = verify(&s, &w.path).await;
    assert!(v.ok, "{v:?}");
    assert!(
        matches!(check(&v, "gzip"), CheckOutcome::Passed(_)),
        "{v:?}"
    );

    // Corrupt one byte: both the checksum and the gzip check fail, and
    // scan shows the file as failed verification.
    let mut bytes = fs::read(&w.path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&w.path, &bytes).unwrap();
    let v = verify(&s, &w.path).await;
    assert!(!v.ok);
    assert!(
        matches!(check(&v, "checksum"), CheckOutcome::Failed(_)),
        "{v:?}"
    );
    assert_eq!(backup::scan(&s).unwrap()[0].verified, Some(false));
}

#[tokio::test]
async fn failing_command_quotes_stderr_and_leaves_no_file() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("fail");
    let s = spec(
        "fail",
        &dir,
        command(
            &[
                "sh",
                "-c",
                "echo partial output; echo 'line one' >&2; echo 'boom: disk on fire' >&2; exit 3",
            ],
            "out",
            false,
        ),
    );
    let e = run(&s, &Seen::default()).await.unwrap_err();
    match &e {
        BackupError::Command {
            program,
            status,
            stderr_tail,
        } => {
            assert_eq!(program, "sh");
            assert_eq!(status.code(), Some(3));
            assert_eq!(stderr_tail, "line one\nboom: disk on fire");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.exit_code(), Some(3));
    assert!(e.to_string().contains("boom: disk on fire"), "{e}");
    assert_eq!(names_in(&dir), Vec::<String>::new());

    let s = spec(
        "nope",
        &dir,
        command(&["/nonexistent/backup-tool"], "out", false),
    );
    let e = run(&s, &Seen::default()).await.unwrap_err();
    assert!(e.to_string().contains("/nonexistent/backup-tool"), "{e}");
    assert_eq!(names_in(&dir), Vec::<String>::new());
}

#[tokio::test]
async fn cancel_mid_way_kills_the_process_group_and_leaves_nothing() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("slow");
    let marker = base.path().join("marker");
    // A background grandchild would touch the marker if it survived.
    let script = format!(
        "(sleep 1; touch '{}') & while true; do echo tick; sleep 0.05; done",
        marker.display()
    );
    let s = spec("slow", &dir, command(&["sh", "-c", &script], "log", false));
    let token = CancellationToken::new();
    let t = token.clone();
    let saw_bytes = Arc::new(Mutex::new(false));
    let saw = Arc::clone(&saw_bytes);
    let progress = move |p: Progress| {
        if p.bytes.unwrap_or(0) > 0 {
            *saw.lock().unwrap() = true;
            t.cancel();
        }
    };
    let started = Instant::now();
    let e = backup::run(&s, &progress, token).await.unwrap_err();
    assert!(matches!(e, BackupError::Cancelled), "{e:?}");
    assert!(e.to_string().contains("cancelled"), "{e}");
    assert!(
        *saw_bytes.lock().unwrap(),
        "cancelled only after the first bytes"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        names_in(&dir),
        Vec::<String>::new(),
        "no final file, sidecar or partial"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !marker.exists(),
        "the command's background child survived the cancel"
    );
}

#[tokio::test]
async fn timeout_kills_the_command_and_leaves_nothing() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("hang");
    let mut s = spec(
        "hang",
        &dir,
        command(&["sh", "-c", "echo started; sleep 30"], "txt", true),
    );
    s.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let e = run(&s, &Seen::default()).await.unwrap_err();
    assert!(
        matches!(e, BackupError::Timeout(d) if d == Duration::from_millis(500)),
        "{e:?}"
    );
    assert!(e.to_string().contains("timed out after 500ms"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(names_in(&dir), Vec::<String>::new());
}

// --- naming, scan, retention -------------------------------------------------

#[tokio::test]
async fn runs_in_the_same_second_all_survive() {
    let base = tempfile::tempdir().unwrap();
    let s = spec(
        "many",
        &base.path().join("many"),
        command(&["echo", "same"], "txt", false),
    );
    let seen = Seen::default();
    let runs = futures::future::join_all((0..5).map(|_| run(&s, &seen))).await;
    let written: Vec<Written> = runs.into_iter().map(Result::unwrap).collect();
    let mut by_second: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for w in &written {
        assert_written(&s, w);
        let name = w.path.file_name().unwrap().to_str().unwrap().to_string();
        let ts = name["many_".len().."many_".len() + 16].to_string();
        by_second.entry(ts).or_default().push(name);
    }
    assert!(by_second.values().any(|v| v.len() >= 2), "{by_second:?}");
    for (ts, mut names) in by_second {
        names.sort();
        let mut want: Vec<String> = (0..names.len())
            .map(|n| match n {
                0 => format!("many_{ts}.txt"),
                n => format!("many_{ts}-{n}.txt"),
            })
            .collect();
        want.sort();
        assert_eq!(names, want);
    }
    let listed = backup::scan(&s).unwrap();
    assert_eq!(listed.len(), 5);
    assert!(listed.windows(2).all(|w| w[0].taken >= w[1].taken));
}

fn set_mtime(p: &Path, t: SystemTime) {
    fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

#[tokio::test]
async fn retention_spares_the_newest_verified_and_foreign_files() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("job");
    let mut s = spec("job", &dir, command(&["echo", "data"], "txt", false));
    // Five runs, oldest first; only the oldest is verified.
    let mut files = Vec::new();
    for _ in 0..5 {
        files.push(run(&s, &Seen::default()).await.unwrap().path);
    }
    assert!(verify(&s, &files[0]).await.ok);

    // Not ours: no sidecar; a sidecar naming another file; another job.
    let no_sidecar = dir.join("job_20200101T000000Z.txt");
    fs::write(&no_sidecar, b"foreign").unwrap();
    let wrong_sidecar = dir.join("job_20200102T000000Z.txt");
    fs::write(&wrong_sidecar, b"foreign").unwrap();
    fs::write(
        dir.join("job_20200102T000000Z.txt.sha256"),
        format!("{}  other.txt\n", sha256_hex(b"foreign")),
    )
    .unwrap();
    let other_job = dir.join("jobs_20200103T000000Z.txt");
    fs::write(&other_job, b"x").unwrap();
    // A stale partial from a crash and a fresh one (a run in progress).
    let stale = dir.join(".job_20200104T000000Z.txt.partial");
    fs::write(&stale, b"half").unwrap();
    set_mtime(&stale, SystemTime::now() - Duration::from_secs(7200));
    let fresh = dir.join(".job_20990101T000000Z.txt.partial");
    fs::write(&fresh, b"half").unwrap();

    let listed = backup::scan(&s).unwrap();
    let paths: Vec<PathBuf> = listed.iter().map(|f| f.path.clone()).collect();
    assert_eq!(
        paths,
        files.iter().rev().cloned().collect::<Vec<_>>(),
        "ours only, newest first"
    );
    let verified: Vec<Option<bool>> = listed.iter().map(|f| f.verified).collect();
    assert_eq!(verified, [None, None, None, None, Some(true)]);

    s.keep_last = Some(2);
    let mut deleted = backup::apply_retention(&s, SystemTime::now()).unwrap();
    deleted.sort();
    let mut want = vec![files[1].clone(), files[2].clone(), stale.clone()];
    want.sort();
    assert_eq!(deleted, want);
    let left: Vec<PathBuf> = backup::scan(&s)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(
        left,
        vec![files[4].clone(), files[3].clone(), files[0].clone()]
    );
    for gone in &files[1..3] {
        assert!(!gone.exists());
        assert!(!Path::new(&format!("{}.sha256", gone.display())).exists());
    }
    for kept in [&no_sidecar, &wrong_sidecar, &other_job, &fresh] {
        assert!(kept.exists(), "{} was deleted", kept.display());
    }

    // max_age far in the past of `now`: everything is too old, but the
    // newest verified file survives (and nothing foreign is touched).
    s.keep_last = None;
    s.max_age = Some(Duration::from_secs(86_400));
    let later = SystemTime::now() + Duration::from_secs(10 * 86_400);
    let deleted = backup::apply_retention(&s, later).unwrap();
    assert!(
        deleted.contains(&files[3]) && deleted.contains(&files[4]),
        "{deleted:?}"
    );
    let left: Vec<PathBuf> = backup::scan(&s)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(left, vec![files[0].clone()]);
    assert!(Path::new(&format!("{}.verified", files[0].display())).exists());
    for kept in [&no_sidecar, &wrong_sidecar, &other_job] {
        assert!(kept.exists(), "{} was deleted", kept.display());
    }
}

fn vm_kib(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Slow (1 GiB read): `cargo test --test backup_real -- --ignored`.
/// Run alone, so that other tests do not move the peak.
#[tokio::test]
#[ignore]
async fn files_archive_of_a_gibibyte_keeps_memory_flat() {
    let src = tempfile::tempdir().unwrap();
    let f = fs::File::create(src.path().join("sparse.img")).unwrap();
    f.set_len(1 << 30).unwrap();
    let mut n = fs::File::create(src.path().join("noise.bin")).unwrap();
    for seed in 0..32 {
        std::io::Write::write_all(&mut n, &noise(1 << 20, seed)).unwrap();
    }
    // Resets VmHWM (the peak) to the current RSS.
    let _ = fs::write("/proc/self/clear_refs", "5");
    let base = tempfile::tempdir().unwrap();
    let s = spec(
        "big",
        &base.path().join("big"),
        BackupSource::Files {
            path: src.path().into(),
        },
    );
    let before = vm_kib("VmRSS:");
    let w = run(&s, &Seen::default()).await.unwrap();
    let peak = vm_kib("VmHWM:");
    eprintln!(
        "archive {} bytes; RSS before {before} KiB, peak {peak} KiB",
        w.size
    );
    assert!(
        peak < before + 16 * 1024,
        "RSS grew from {before} KiB to a peak of {peak} KiB"
    );
    let v = verify(&s, &w.path).await;
    assert!(v.ok, "{v:?}");
    assert!(vm_kib("VmHWM:") < before + 16 * 1024);
}
