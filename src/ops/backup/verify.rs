//! Verification: re-read the file against its checksum sidecar, decompress
//! `.gz` files fully, list `tar.gz` entries, and run the kind's own checker
//! (`redis-check-rdb`, `pg_restore --list`). A checker that is not
//! installed leaves the file *not verified* — neither good nor bad, and not
//! counted as a verified backup. The result is recorded beside the file as
//! `<file>.verified`.

use std::io::{self, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use tokio::process::Command;

use super::command::tail_lines;
use super::postgres::find_program;
use super::safe_fs::{open_regular, write_atomic};
use super::store::{read_sidecar, sha256_hex, sidecar_path, verified_path};
use super::{BackupSpec, CHUNK, Check, CheckOutcome, ProgressFn, Verification};
use crate::model::{BackupKind, Progress, text};
use crate::ops::child_env;

/// Largest `.verified` record read back.
const RECORD_MAX: u64 = 1024 * 1024;

pub async fn verify(spec: &BackupSpec, file: &Path, progress: ProgressFn<'_>) -> Verification {
    let report = |phase: &str, bytes: Option<u64>| {
        progress(Progress {
            bytes,
            step: None,
            phase: Some(phase.to_string()),
        })
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let gz = name.ends_with(".gz");
    let tar = name.ends_with(".tar.gz") || name.ends_with(".tgz");
    let phase = if gz {
        "verifying checksum and decompressing"
    } else {
        "verifying checksum"
    };
    report(phase, Some(0));

    let read = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&read);
    let owned = file.to_path_buf();
    let mut task = tokio::task::spawn_blocking(move || integrity(&owned, gz, tar, &counter));
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut checks = loop {
        tokio::select! {
            done = &mut task => break done.unwrap_or_else(|e| vec![Check {
                name: "checksum".into(),
                outcome: CheckOutcome::Failed(format!("verification task failed: {e}")),
            }]),
            _ = tick.tick() => report(phase, Some(read.load(Ordering::Relaxed))),
        }
    };

    let tool = match spec.kind() {
        BackupKind::Redis => Some(("redis-check-rdb", vec![file.as_os_str().to_owned()])),
        BackupKind::Postgres => Some((
            "pg_restore",
            vec!["--list".into(), file.as_os_str().to_owned()],
        )),
        BackupKind::Files | BackupKind::Command => None,
    };
    if let Some((program, args)) = tool {
        let label = if program == "pg_restore" {
            "pg_restore --list"
        } else {
            program
        };
        report(&format!("running {label}"), None);
        checks.push(Check {
            name: label.into(),
            outcome: run_tool(program, &args, spec.timeout).await,
        });
    }

    let ok = checks
        .iter()
        .all(|c| matches!(c.outcome, CheckOutcome::Passed(_)));
    if let Err(e) = record(file, &name, ok, &checks) {
        checks.push(Check {
            name: "record".into(),
            outcome: CheckOutcome::Failed(format!(
                "cannot write {}: {e}",
                verified_path(file).display()
            )),
        });
        return Verification { ok: false, checks };
    }
    let v = Verification { ok, checks };
    report(
        if v.ok {
            "verified"
        } else if v.not_verified() {
            "not verified"
        } else {
            "verification failed"
        },
        None,
    );
    v
}

/// Checksum, and for `.gz` files decompression (and tar listing), in one
/// read of the file.
fn integrity(file: &Path, gz: bool, tar: bool, read: &AtomicU64) -> Vec<Check> {
    let check = |name: &str, outcome| Check {
        name: name.into(),
        outcome,
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let expected = match read_sidecar(&sidecar_path(file)) {
        Ok(Some((hex, named))) if named == name => Ok(hex),
        Ok(Some((_, named))) => Err(format!("the sidecar names {named:?}, not {name:?}")),
        Ok(None) => Err(format!(
            "no valid sha256sum sidecar at {}",
            sidecar_path(file).display()
        )),
        Err(e) => Err(format!("cannot read {}: {e}", sidecar_path(file).display())),
    };
    let f = match open_regular(file) {
        Ok(f) => f,
        Err(e) => {
            return vec![check(
                "checksum",
                CheckOutcome::Failed(format!("cannot read {}: {e}", file.display())),
            )];
        }
    };
    let mut hashing = Hashing {
        inner: BufReader::with_capacity(CHUNK, f),
        hasher: Sha256::new(),
        read,
    };
    let mut checks = Vec::new();
    if gz {
        let mut decoded = Counting {
            inner: MultiGzDecoder::new(&mut hashing),
            n: 0,
        };
        if tar {
            let mut ar = tar::Archive::new(&mut decoded);
            let listed = ar.entries().and_then(|entries| {
                let mut n = 0u64;
                for e in entries {
                    e?.path()?;
                    n += 1;
                }
                Ok(n)
            });
            checks.push(check(
                "tar listing",
                match listed {
                    Ok(n) => CheckOutcome::Passed(format!("{n} entries")),
                    // Entry names come from the archive: shown cleaned.
                    Err(e) => CheckOutcome::Failed(text::safe(&e.to_string())),
                },
            ));
        }
        let rest = io::copy(&mut decoded, &mut io::sink());
        checks.insert(
            0,
            check(
                "gzip",
                match rest {
                    Ok(_) => CheckOutcome::Passed(format!(
                        "decompresses to {}",
                        crate::model::fmt_bytes(decoded.n)
                    )),
                    Err(e) => CheckOutcome::Failed(format!("corrupt gzip stream: {e}")),
                },
            ),
        );
    }
    // Whatever the decoder left unread still counts for the checksum.
    let drained = io::copy(&mut hashing, &mut io::sink());
    let outcome = match (drained, expected) {
        (Err(e), _) => CheckOutcome::Failed(format!("cannot read {}: {e}", file.display())),
        (Ok(_), Err(why)) => CheckOutcome::Failed(why),
        (Ok(_), Ok(expected)) => {
            let actual = sha256_hex(hashing.hasher);
            if actual == expected {
                CheckOutcome::Passed(format!("sha256 {actual}"))
            } else {
                CheckOutcome::Failed(format!(
                    "the file hashes to {actual} but its sidecar says {expected}"
                ))
            }
        }
    };
    checks.insert(0, check("checksum", outcome));
    checks
}

struct Hashing<'a, R> {
    inner: R,
    hasher: Sha256,
    read: &'a AtomicU64,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

async fn run_tool(program: &str, args: &[std::ffi::OsString], timeout: Duration) -> CheckOutcome {
    let Some(path) = find_program(program) else {
        let places = if program.starts_with("pg_") {
            "on PATH nor in /usr/lib/postgresql/*/bin"
        } else {
            "on PATH"
        };
        return CheckOutcome::NotVerified(format!(
            "{program} not found: no executable {program} {places}"
        ));
    };
    let mut cmd = Command::new(&path);
    cmd.args(args).stdin(Stdio::null()).kill_on_drop(true);
    child_env::apply(&mut cmd, child_env::NO_EXTRA);
    let out = match tokio::time::timeout(timeout, cmd.output()).await {
        Err(_) => {
            return CheckOutcome::Failed(format!(
                "{program} did not finish within {}",
                humantime::format_duration(timeout)
            ));
        }
        // It never looked at the file: that says nothing about the file.
        Ok(Err(e)) => {
            return CheckOutcome::NotVerified(format!("cannot run {}: {e}", path.display()));
        }
        Ok(Ok(out)) => out,
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let mut all = out.stdout.clone();
        all.extend_from_slice(&out.stderr);
        return CheckOutcome::Failed(format!("{program} {}: {}", out.status, tail_lines(&all)));
    }
    if program == "pg_restore" {
        let entries = stdout
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
            .count();
        return CheckOutcome::Passed(format!("{entries} TOC entries"));
    }
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("RDB looks OK") || l.contains("keys read"))
        .map(|l| l.split_once("] ").map_or(l, |(_, rest)| rest).trim())
        .collect();
    if summary.is_empty() {
        CheckOutcome::Passed(tail_lines(&out.stdout))
    } else {
        CheckOutcome::Passed(text::safe(&summary.join("; ")))
    }
}

fn record(file: &Path, name: &str, ok: bool, checks: &[Check]) -> io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let result = if ok {
        "verified"
    } else if checks.iter().any(|c| c.outcome.is_failed()) {
        "failed"
    } else {
        "not verified"
    };
    let json = serde_json::json!({
        "file": name,
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "ok": ok,
        "result": result,
        "checks": checks.iter().map(|c| serde_json::json!({
            "name": c.name,
            "outcome": c.outcome.word(),
            "detail": c.outcome.detail(),
        })).collect::<Vec<_>>(),
    });
    let mut bytes = serde_json::to_vec_pretty(&json).map_err(io::Error::other)?;
    bytes.push(b'\n');
    let verified = verified_path(file);
    let record_name = verified
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    write_atomic(dir, &record_name, &bytes)
}

/// What the `.verified` record beside `file` says, if it is one for this
/// file: `Some(true)` verified, `Some(false)` a check failed, `None` never
/// verified — or not fully: a check that could not run (recorded as
/// `not verified`, or `skipped` by older versions) leaves the file
/// unverified, whatever `ok` says.
pub(crate) fn read_record(file: &Path) -> Option<bool> {
    let f = open_regular(&verified_path(file)).ok()?;
    let mut text = String::new();
    f.take(RECORD_MAX).read_to_string(&mut text).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = file.file_name()?.to_str()?;
    if v.get("file")?.as_str()? != name {
        return None;
    }
    let ok = v.get("ok")?.as_bool()?;
    let outcomes: Vec<&str> = v
        .get("checks")
        .and_then(|c| c.as_array())
        .map(|checks| {
            checks
                .iter()
                .filter_map(|c| c.get("outcome")?.as_str())
                .collect()
        })
        .unwrap_or_default();
    if outcomes.contains(&"failed") {
        return Some(false);
    }
    if outcomes
        .iter()
        .any(|o| matches!(*o, "not verified" | "skipped"))
    {
        return None;
    }
    Some(ok)
}
