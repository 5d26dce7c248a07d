//! Where backup files live: names, the atomic partial-file writer, the
//! checksum sidecar, and the scan of what opsboard wrote.

use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::safe_fs::{open_regular, sync_dir, write_atomic};
use super::{BackupError, BackupSpec, ProgressFn, Written};
use crate::model::Progress;

/// `YYYYMMDDTHHMMSSZ`.
const TS_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const TS_LEN: usize = 16;
/// How often byte counts are reported.
const REPORT_EVERY: Duration = Duration::from_millis(250);
/// Sidecars are a line; anything much longer is not ours.
const SIDECAR_MAX: u64 = 4096;

pub(crate) fn sidecar_path(file: &Path) -> PathBuf {
    with_suffix(file, ".sha256")
}

pub(crate) fn verified_path(file: &Path) -> PathBuf {
    with_suffix(file, ".verified")
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `<job>_<ts>[-N].<ext>` → (taken, N). `None` for any other name.
pub(crate) fn parse_name(job: &str, ext: &str, name: &str) -> Option<(SystemTime, u32)> {
    let rest = name.strip_prefix(job)?.strip_prefix('_')?;
    let stem = rest.strip_suffix(ext)?.strip_suffix('.')?;
    let ts = stem.get(..TS_LEN)?;
    let n = match &stem[TS_LEN..] {
        "" => 0,
        s => {
            let digits = s.strip_prefix('-')?;
            if digits.is_empty()
                || digits.starts_with('0')
                || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            digits.parse().ok()?
        }
    };
    if !ts.bytes().enumerate().all(|(i, b)| match i {
        8 => b == b'T',
        15 => b == b'Z',
        _ => b.is_ascii_digit(),
    }) {
        return None;
    }
    let t = chrono::NaiveDateTime::parse_from_str(ts, TS_FORMAT).ok()?;
    let secs = u64::try_from(t.and_utc().timestamp()).ok()?;
    Some((SystemTime::UNIX_EPOCH + Duration::from_secs(secs), n))
}

/// The file name for a run at `ts` with collision suffix `n`.
fn file_name(job: &str, ts: &str, n: u32, ext: &str) -> String {
    if n == 0 {
        format!("{job}_{ts}.{ext}")
    } else {
        format!("{job}_{ts}-{n}.{ext}")
    }
}

/// The temp name a file is written under before it is renamed into place.
pub(crate) fn partial_name(name: &str) -> String {
    format!(".{name}.partial")
}

/// Reads a `sha256sum`-format sidecar: `(hex, file name)`.
pub(crate) fn read_sidecar(path: &Path) -> io::Result<Option<(String, String)>> {
    let mut text = String::new();
    // Not through a symlink, and never blocked on a FIFO.
    let f = match open_regular(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if f.take(SIDECAR_MAX).read_to_string(&mut text).is_err() {
        return Ok(None);
    }
    let Some(line) = text.strip_suffix('\n') else {
        return Ok(None);
    };
    let Some((hex, name)) = line.split_once("  ") else {
        return Ok(None);
    };
    let hex_ok = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hex_ok || name.contains('\n') {
        return Ok(None);
    }
    Ok(Some((hex.to_string(), name.to_string())))
}

pub(crate) fn sha256_hex(hasher: Sha256) -> String {
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A backup being written: `.<name>.partial` in the job's directory, hashed
/// while streamed. Dropped without `finish`, the partial file is removed.
pub(crate) struct Partial<'a> {
    dir: PathBuf,
    name: String,
    partial: PathBuf,
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    bytes: u64,
    progress: ProgressFn<'a>,
    phase: String,
    last_report: Option<Instant>,
}

impl<'a> Partial<'a> {
    /// Creates the directory (0700) and reserves a unique name: the partial
    /// is created exclusively and the final name must not exist yet, so two
    /// runs in the same second get `-1`, `-2`, … suffixes.
    pub(crate) async fn create(
        spec: &BackupSpec,
        progress: ProgressFn<'a>,
    ) -> Result<Partial<'a>, BackupError> {
        let dir = spec.dir.clone();
        let mut builder = tokio::fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        builder
            .create(&dir)
            .await
            .map_err(|e| BackupError::io(&dir, e))?;
        let ts = chrono::Utc::now().format(TS_FORMAT).to_string();
        let ext = spec.extension();
        for n in 0..10_000 {
            let name = file_name(&spec.name, &ts, n, &ext);
            let partial = dir.join(partial_name(&name));
            let opened = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&partial)
                .await;
            let file = match opened {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(BackupError::io(&partial, e)),
            };
            // The partial is our lock on the name; a finished run with the
            // same name has already renamed its partial away.
            if tokio::fs::symlink_metadata(dir.join(&name)).await.is_ok() {
                drop(file);
                let _ = tokio::fs::remove_file(&partial).await;
                continue;
            }
            let mut p = Partial {
                dir,
                name,
                partial,
                file: Some(file),
                hasher: Sha256::new(),
                bytes: 0,
                progress,
                phase: String::new(),
                last_report: None,
            };
            p.phase("starting");
            return Ok(p);
        }
        Err(BackupError::Config(format!(
            "no free file name for job {:?} at {ts} in {}",
            spec.name,
            spec.dir.display()
        )))
    }

    /// Reports a new phase at once.
    pub(crate) fn phase(&mut self, phase: &str) {
        if self.phase != phase {
            self.phase = phase.to_string();
            self.report();
        }
    }

    fn report(&mut self) {
        self.last_report = Some(Instant::now());
        (self.progress)(Progress {
            bytes: Some(self.bytes),
            step: None,
            phase: Some(self.phase.clone()),
        });
    }

    pub(crate) fn path(&self) -> &Path {
        &self.partial
    }

    /// The job's backup directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    #[expect(
        clippy::expect_used,
        reason = "a proven invariant, named in the expect message"
    )]
    pub(crate) async fn write(&mut self, buf: &[u8]) -> Result<(), BackupError> {
        if buf.is_empty() {
            return Ok(());
        }
        let file = self.file.as_mut().expect("partial written after finish"); // ok: finish consumes self
        file.write_all(buf)
            .await
            .map_err(|e| BackupError::io(&self.partial, e))?;
        self.hasher.update(buf);
        self.bytes += buf.len() as u64;
        if self.last_report.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
            self.report();
        }
        Ok(())
    }

    /// fsync, sidecar, rename, fsync of the directory.
    #[expect(
        clippy::expect_used,
        reason = "a proven invariant, named in the expect message"
    )]
    pub(crate) async fn finish(mut self, started: Instant) -> Result<Written, BackupError> {
        self.phase("syncing");
        let mut file = self.file.take().expect("finished twice"); // ok: finish takes self by value, once
        file.flush()
            .await
            .map_err(|e| BackupError::io(&self.partial, e))?;
        file.sync_all()
            .await
            .map_err(|e| BackupError::io(&self.partial, e))?;
        drop(file);
        let sha256 = sha256_hex(std::mem::take(&mut self.hasher));
        let (dir, name, partial) = (self.dir.clone(), self.name.clone(), self.partial.clone());
        let hex = sha256.clone();
        let placed = tokio::task::spawn_blocking(move || place(&dir, &name, &partial, &hex))
            .await
            .map_err(|e| BackupError::io(&self.partial, io::Error::other(e.to_string())))?;
        let path = placed?;
        // Renamed away: nothing left for Drop to remove.
        self.partial = PathBuf::new();
        let written = Written {
            path,
            size: self.bytes,
            sha256,
            duration: started.elapsed(),
        };
        self.phase("done");
        Ok(written)
    }

    /// Removes the partial file.
    pub(crate) async fn abandon(mut self) {
        self.file = None;
        if !self.partial.as_os_str().is_empty() {
            let _ = tokio::fs::remove_file(&self.partial).await;
            self.partial = PathBuf::new();
        }
    }
}

impl Drop for Partial<'_> {
    fn drop(&mut self) {
        if !self.partial.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.partial);
        }
    }
}

/// Writes the sidecar (which names the final file), then renames the data
/// into place: a final name exists only once both are complete.
fn place(dir: &Path, name: &str, partial: &Path, hex: &str) -> Result<PathBuf, BackupError> {
    let final_path = dir.join(name);
    let sidecar_name = format!("{name}.sha256");
    write_atomic(dir, &sidecar_name, format!("{hex}  {name}\n").as_bytes())
        .map_err(|e| BackupError::io(dir.join(&sidecar_name), e))?;
    let renamed = fs::rename(partial, &final_path).and_then(|()| sync_dir(dir));
    if let Err(e) = renamed {
        let _ = fs::remove_file(partial);
        let _ = fs::remove_file(dir.join(&sidecar_name));
        return Err(BackupError::io(&final_path, e));
    }
    Ok(final_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_strictly() {
        let (t, n) =
            parse_name("redis-nightly", "rdb", "redis-nightly_20260102T030405Z.rdb").unwrap();
        assert_eq!(n, 0);
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_767_323_045);
        assert_eq!(
            parse_name("j", "tar.gz", "j_20260102T030405Z-12.tar.gz")
                .unwrap()
                .1,
            12
        );
        for bad in [
            "j_20260102T030405Z.rdb.sha256",
            "j_20260102T030405Z.rdb.partial",
            ".j_20260102T030405Z.rdb.partial",
            "j_20260102T030405.rdb",
            "j_20261302T030405Z.rdb",
            "j_20260102T030405Z-.rdb",
            "j_20260102T030405Z-01.rdb",
            "j_20260102T030405Zx.rdb",
            "jj_20260102T030405Z.rdb",
            "j_2026010xT030405Z.rdb",
        ] {
            assert!(parse_name("j", "rdb", bad).is_none(), "{bad}");
        }
        let ts = chrono::Utc::now().format(TS_FORMAT).to_string();
        let name = file_name("j", &ts, 3, "dump");
        assert_eq!(parse_name("j", "dump", &name).unwrap().1, 3);
    }

    #[test]
    fn sidecar_format_is_sha256sum() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "a".repeat(64);
        write_atomic(dir.path(), "x.sha256", format!("{hex}  x\n").as_bytes()).unwrap();
        let got = read_sidecar(&dir.path().join("x.sha256")).unwrap().unwrap();
        assert_eq!(got, (hex.clone(), "x".to_string()));
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        fs::write(dir.path().join("y.sha256"), format!("{hex} y\n")).unwrap();
        assert!(
            read_sidecar(&dir.path().join("y.sha256"))
                .unwrap()
                .is_none()
        );
        fs::write(dir.path().join("z.sha256"), "zz  z\n").unwrap();
        assert!(
            read_sidecar(&dir.path().join("z.sha256"))
                .unwrap()
                .is_none()
        );
        assert!(
            read_sidecar(&dir.path().join("none.sha256"))
                .unwrap()
                .is_none()
        );
    }
}
