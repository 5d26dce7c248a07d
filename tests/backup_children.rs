//! Issue #12 ("Trust"), backup part: what opsboard hands to the programs it
//! runs. Each test runs the backup in a child copy of this test binary, so
//! that the child's environment (a canary variable, a `PATH` with a
//! wrapper or without a tool) can be set without touching this process.
//! The child is an ignored test that the parent runs by name.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::servers;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use opsboard::model::secret::Secret;
use opsboard::ops::backup::{self, BackupSource, BackupSpec};
use servers::{Postgres, Redis};
use tokio_util::sync::CancellationToken;

/// Set for the child; names the scenario's scratch directory.
const CHILD: &str = "OPSBOARD_TEST_CHILD_DIR";
/// A value that must never reach a program opsboard runs.
const CANARY: &str = "canary-5f1e0c0d-never-inherited";
/// Printed by a child that ran to the end.
const DONE: &str = "CHILD SCENARIO COMPLETE";

/// Runs the ignored test `name` in a child process with `env` added, and
/// fails with its output unless it ran to the end.
fn run_child(name: &str, scratch: &Path, env: &[(&str, OsString)]) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, scratch)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child {name} failed:\n{text}");
    assert!(text.contains(DONE), "child {name} did not run:\n{text}");
}

/// The scratch directory when running as a child; `None` when run directly.
fn child_scratch() -> Option<PathBuf> {
    let dir = std::env::var_os(CHILD).map(PathBuf::from);
    if dir.is_none() {
        eprintln!("run by its parent test, not directly");
    }
    dir
}

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

fn path_with(first: &Path) -> OsString {
    let mut dirs = vec![first.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

// --- 4. an explicit environment ------------------------------------------------

/// opsboard's own environment (tokens, `PGPASSWORD`, cloud credentials)
/// used to be inherited by every program a backup runs.
#[test]
fn backup_commands_get_only_the_allowlisted_environment() {
    let scratch = tempfile::tempdir().unwrap();
    run_child(
        "child_env_dump",
        scratch.path(),
        &[
            ("OPSBOARD_TEST_CANARY", CANARY.into()),
            ("PGPASSWORD", CANARY.into()),
            ("AWS_SECRET_ACCESS_KEY", CANARY.into()),
            ("LANG", "C.UTF-8".into()),
        ],
    );
    let env = fs::read_to_string(scratch.path().join("env.txt")).unwrap();
    let names: Vec<&str> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k)
        .collect();
    assert!(
        !env.contains(CANARY),
        "a secret reached the command:\n{env}"
    );
    for name in &names {
        assert!(
            [
                "PATH",
                "HOME",
                "USER",
                "LOGNAME",
                "LANG",
                "LC_ALL",
                "LC_CTYPE",
                "TZ",
                "TMPDIR",
                "TERM",
                "PWD",
                "SHLVL",
                "_",
                "JOB_GIVEN",
            ]
            .contains(name),
            "{name} is not on the allowlist:\n{env}"
        );
    }
    assert!(names.contains(&"PATH"), "{env}");
    assert!(env.lines().any(|l| l == "LANG=C.UTF-8"), "{env}");
    assert!(env.lines().any(|l| l == "JOB_GIVEN=yes"), "{env}");
}

#[tokio::test]
#[ignore = "run by backup_commands_get_only_the_allowlisted_environment"]
async fn child_env_dump() {
    let Some(scratch) = child_scratch() else {
        return;
    };
    let s = spec(
        "env",
        &scratch.join("backups"),
        BackupSource::Command {
            argv: vec!["sh".into(), "-c".into(), "env".into()],
            extension: "txt".into(),
            compress: false,
            // What the job's own `env` gives it, and only that, comes on
            // top of the allowlist.
            env: vec![(
                "JOB_GIVEN".into(),
                opsboard::model::secret::HeaderValue::Plain("yes".into()),
            )],
        },
    );
    let w = backup::run(&s, &|_| {}, CancellationToken::new())
        .await
        .unwrap();
    fs::copy(&w.path, scratch.join("env.txt")).unwrap();
    println!("{DONE}");
}

// --- 3. no connection information on pg_dump's command line ----------------------

/// A `pg_dump` first on PATH that records what it was given, then runs the
/// real one.
fn pg_dump_wrapper(dir: &Path, real: &Path, record: &Path) {
    let script = format!(
        r#"#!/bin/sh
{{
  for a in "$@"; do printf 'ARG %s\n' "$a"; done
  printf 'CMDLINE %s\n' "$(tr '\0' ' ' < /proc/$$/cmdline)"
  env | cut -d= -f1 | sed 's/^/ENV /'
  if env | grep -q '{CANARY}'; then echo 'CANARY IN ENV'; fi
  if [ -n "$PGSERVICEFILE" ]; then
    printf 'SERVICEFILE %s\n' "$PGSERVICEFILE"
    printf 'FILEMODE %s\n' "$(stat -c %a "$PGSERVICEFILE")"
    printf 'DIRMODE %s\n' "$(stat -c %a "$(dirname "$PGSERVICEFILE")")"
  fi
}} > '{}'
exec '{}' "$@"
"#,
        record.display(),
        real.display()
    );
    let p = dir.join("pg_dump");
    fs::write(&p, script).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const SSL_PASSWORD: &str = "Ssl-Key-Passphrase-77";

/// `sslpassword=` and the rest of the URL used to reach pg_dump's argv,
/// which every local user can read in `ps`.
#[test]
fn pg_dump_gets_no_connection_information_on_its_command_line() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    pg.psql("postgres", "create database shop");
    pg.psql(
        "shop",
        "create table t (id int primary key, v text); insert into t values (1, 'one'), (2, 'two');",
    );
    // The server's own version (`/usr/bin/pg_dump` may be a wrapper that
    // dispatches on its name).
    let real = pg.bin.join("pg_dump");
    if !real.exists() {
        servers::missing::<()>(&format!("no pg_dump beside {}", pg.bin.display()));
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let bin = scratch.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let record = scratch.path().join("pg_dump.record");
    pg_dump_wrapper(&bin, &real, &record);
    // Everything in the query string, the password included.
    let url = format!(
        "postgres://{}@127.0.0.1:{}/shop?password={}&sslmode=disable&sslpassword={}&application_name=ob-test",
        pg.user,
        pg.port,
        encode(&pg.password),
        SSL_PASSWORD
    );
    run_child(
        "child_pg_dump",
        scratch.path(),
        &[
            ("PATH", path_with(&bin)),
            ("OPSBOARD_TEST_PG_URL", url.clone().into()),
            ("OPSBOARD_TEST_CANARY", CANARY.into()),
        ],
    );

    let rec = fs::read_to_string(&record).expect("the pg_dump wrapper ran");
    let args: Vec<&str> = rec.lines().filter_map(|l| l.strip_prefix("ARG ")).collect();
    assert_eq!(args, ["--format=custom", "--no-password"], "{rec}");
    let cmdline = rec.lines().find(|l| l.starts_with("CMDLINE ")).unwrap();
    for secret in [
        pg.password.as_str(),
        &encode(&pg.password),
        SSL_PASSWORD,
        "127.0.0.1",
        &pg.port.to_string(),
        "shop",
        "postgres://",
    ] {
        assert!(!cmdline.contains(secret), "{secret:?} in argv: {cmdline}");
    }
    let env: Vec<&str> = rec.lines().filter_map(|l| l.strip_prefix("ENV ")).collect();
    for name in ["PGSERVICEFILE", "PGSERVICE"] {
        assert!(env.contains(&name), "{name} not set: {env:?}");
    }
    for name in ["PGPASSWORD", "PGHOST", "OPSBOARD_TEST_CANARY"] {
        assert!(!env.contains(&name), "{name} set: {env:?}");
    }
    assert!(!rec.contains("CANARY IN ENV"), "{rec}");
    let field = |k: &str| {
        rec.lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in {rec}"))
            .to_string()
    };
    assert_eq!(field("FILEMODE "), "600");
    assert_eq!(field("DIRMODE "), "700");
    let service_file = PathBuf::from(field("SERVICEFILE "));
    assert!(!service_file.exists(), "the service file outlived the run");
    assert!(
        !service_file.parent().unwrap().exists(),
        "its directory too"
    );
}

#[tokio::test]
#[ignore = "run by pg_dump_gets_no_connection_information_on_its_command_line"]
async fn child_pg_dump() {
    let Some(scratch) = child_scratch() else {
        return;
    };
    let url = std::env::var("OPSBOARD_TEST_PG_URL").unwrap();
    let s = spec(
        "shop",
        &scratch.join("backups"),
        BackupSource::Postgres {
            url: Secret::literal_for_tests(&url),
        },
    );
    let w = backup::run(&s, &|_| {}, CancellationToken::new())
        .await
        .unwrap();
    assert!(fs::read(&w.path).unwrap().starts_with(b"PGDMP"));
    let v = backup::verify(&s, &w.path, &|_| {}).await;
    assert!(v.ok, "{v:?}");
    println!("{DONE}");
}

// --- 2c. a verification tool that is not there ----------------------------------

/// A missing `redis-check-rdb` used to count as a passed verification: the
/// file was listed as verified and satisfied the RPO.
#[test]
fn a_missing_verification_tool_is_not_a_verified_backup() {
    let Some(redis) = Redis::start(None) else {
        return;
    };
    let mut c = redis.conn();
    c.cmd(&["SET", "k", "v"]).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    // A PATH where `redis-check-rdb` exists but cannot be executed.
    let bin = scratch.path().join("bin");
    fs::create_dir(&bin).unwrap();
    fs::write(bin.join("redis-check-rdb"), "#!/bin/sh\nexit 0\n").unwrap();
    fs::set_permissions(
        bin.join("redis-check-rdb"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    run_child(
        "child_verify_without_tool",
        scratch.path(),
        &[
            ("PATH", bin.into_os_string()),
            ("OPSBOARD_TEST_REDIS", redis.address().into()),
        ],
    );
}

#[tokio::test]
#[ignore = "run by a_missing_verification_tool_is_not_a_verified_backup"]
async fn child_verify_without_tool() {
    let Some(scratch) = child_scratch() else {
        return;
    };
    let s = spec(
        "cache",
        &scratch.join("backups"),
        BackupSource::Redis {
            address: std::env::var("OPSBOARD_TEST_REDIS").unwrap(),
            username: None,
            password: None,
        },
    );
    let w = backup::run(&s, &|_| {}, CancellationToken::new())
        .await
        .unwrap();
    let v = backup::verify(&s, &w.path, &|_| {}).await;
    assert!(!v.ok, "a verification that could not run passed: {v:?}");
    let tool = v
        .checks
        .iter()
        .find(|c| c.name == "redis-check-rdb")
        .unwrap();
    assert_eq!(tool.outcome.word(), "not verified", "{v:?}");
    assert!(
        tool.outcome.detail().contains("redis-check-rdb not found"),
        "{v:?}"
    );
    assert!(v.not_verified(), "{v:?}");
    let summary = v.summary();
    assert!(
        summary.contains("redis-check-rdb NOT VERIFIED (redis-check-rdb not found"),
        "{summary}"
    );
    // The checksum still ran and passed: the file is intact, only unchecked.
    let sum = v.checks.iter().find(|c| c.name == "checksum").unwrap();
    assert_eq!(sum.outcome.word(), "passed", "{v:?}");
    // Neither failed nor verified: it does not count for the RPO.
    let listed = backup::scan(&s).unwrap();
    assert_eq!(listed[0].verified, None, "{listed:?}");
    println!("{DONE}");
}
