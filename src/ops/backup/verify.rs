//! Verification: re-read the file against its checksum sidecar, decompress
//! `.gz` files fully, list `tar.gz` entries, and run the kind's own checker
//! (`redis-check-rdb`, `pg_restore --list`) when it is installed. The result
//! is recorded beside the file as `<file>.verified`.

use std::fs;
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
use super::store::{read_sidecar, sha256_hex, sidecar_path, verified_path, write_atomic};
use super::{BackupSpec, CHUNK, Check, CheckOutcome, ProgressFn, Verification};
use crate::model::{BackupKind, Progress};

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

    let ok = !checks
        .iter()
        .any(|c| matches!(c.outcome, CheckOutcome::Failed(_)));
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
    report("verified", None);
    Verification { ok, checks }
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
    let f = match fs::File::open(file) {
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
                    Err(e) => CheckOutcome::Failed(e.to_string()),
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
        return CheckOutcome::Skipped(format!("{program} not installed"));
    };
    let child = Command::new(&path)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(timeout, child).await {
        Err(_) => {
            return CheckOutcome::Failed(format!(
                "{program} did not finish within {}",
                humantime::format_duration(timeout)
            ));
        }
        Ok(Err(e)) => return CheckOutcome::Failed(format!("cannot run {}: {e}", path.display())),
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
        CheckOutcome::Passed(summary.join("; "))
    }
}

fn record(file: &Path, name: &str, ok: bool, checks: &[Check]) -> io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let json = serde_json::json!({
        "file": name,
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "ok": ok,
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

/// The `ok` of the `.verified` record beside `file`, if it is one for this
/// file.
pub(crate) fn read_record(file: &Path) -> Option<bool> {
    let f = fs::File::open(verified_path(file)).ok()?;
    let mut text = String::new();
    f.take(RECORD_MAX).read_to_string(&mut text).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = file.file_name()?.to_str()?;
    if v.get("file")?.as_str()? != name {
        return None;
    }
    v.get("ok")?.as_bool()
}
