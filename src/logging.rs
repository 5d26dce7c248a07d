//! Logs go to a file in the XDG state dir, never to the terminal the UI
//! draws on.
//!
//! The files are private: the directory is 0700, each day's file 0600,
//! opened without following a symlink. Every event is one line with every
//! registered secret value masked and control characters replaced, so an
//! error that quotes a connection string cannot leak its password into the
//! log, and a value with a newline in it cannot forge a log line.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::model::text;
use crate::ops::private_file;

/// Log files are `opsboard.log.YYYY-MM-DD` (UTC), one per day.
pub const FILE_PREFIX: &str = "opsboard.log";

/// Where log files go: `$XDG_STATE_HOME/opsboard` (or the local data dir on
/// platforms without a state dir).
pub fn log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "opsboard")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf(),
    )
}

/// Starts file logging. `level` (from `--log-level`) wins over
/// `$OPSBOARD_LOG`; both take `EnvFilter` syntax (`info`, `opsboard=debug`).
/// Returns the guard that flushes the log on drop, and the log file path.
pub fn init(level: Option<&str>) -> Result<(WorkerGuard, PathBuf), String> {
    let filter = match level {
        Some(l) => EnvFilter::try_new(l).map_err(|e| format!("invalid --log-level `{l}`: {e}"))?,
        None => match std::env::var("OPSBOARD_LOG") {
            Ok(v) if !v.is_empty() => {
                EnvFilter::try_new(&v).map_err(|e| format!("invalid OPSBOARD_LOG `{v}`: {e}"))?
            }
            _ => EnvFilter::new("info"),
        },
    };
    let dir = log_dir().ok_or("cannot determine a log directory (no home directory)")?;
    private_dir(&dir).map_err(|e| format!("cannot create log directory {}: {e}", dir.display()))?;
    let file = DailyFile::open(&dir, FILE_PREFIX)
        .map_err(|e| format!("cannot open a log file in {}: {e}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingWriter::new(writer))
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok((guard, dir.join(FILE_PREFIX)))
}

/// Creates the log dir 0700, and makes an existing one (ours: it is named
/// for opsboard) and the log files an older version left in it private.
fn private_dir(dir: &Path) -> io::Result<()> {
    private_file::create_private_dir(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with(FILE_PREFIX)
            && let Ok(f) = private_file::open_read(&entry.path())
        {
            let _ = private_file::make_private(&f);
        }
    }
    Ok(())
}

/// `prefix.YYYY-MM-DD` in `dir`, a new file each UTC day, each opened
/// 0600 and never through a symlink (same names as
/// `tracing_appender::rolling::daily`).
pub struct DailyFile {
    dir: PathBuf,
    prefix: String,
    day: NaiveDate,
    file: File,
}

impl DailyFile {
    /// Opens (creates) today's file.
    pub fn open(dir: &Path, prefix: &str) -> io::Result<DailyFile> {
        let day = Utc::now().date_naive();
        Ok(DailyFile {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            day,
            file: open_day(dir, prefix, day)?,
        })
    }

    /// The file for `day`.
    pub fn path_for(dir: &Path, prefix: &str, day: NaiveDate) -> PathBuf {
        dir.join(format!("{prefix}.{}", day.format("%Y-%m-%d")))
    }
}

fn open_day(dir: &Path, prefix: &str, day: NaiveDate) -> io::Result<File> {
    let (file, _) = private_file::open_append(&DailyFile::path_for(dir, prefix, day))?;
    private_file::make_private(&file)?;
    Ok(file)
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let today = Utc::now().date_naive();
        if today != self.day {
            self.file = open_day(&self.dir, &self.prefix, today)?;
            self.day = today;
        }
        self.file.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A [`MakeWriter`] that hands each formatted event to `inner` as one line,
/// redacted ([`text::redact`]) and cleaned ([`text::clean`]): the writer it
/// makes collects one event and writes it when dropped.
#[derive(Debug, Clone)]
pub struct RedactingWriter<M> {
    inner: M,
}

impl<M> RedactingWriter<M> {
    pub fn new(inner: M) -> RedactingWriter<M> {
        RedactingWriter { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingWriter<M> {
    type Writer = RedactedEvent<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedEvent {
            buf: Vec::new(),
            inner: self.inner.make_writer(),
        }
    }
}

/// One event on its way to the log; see [`RedactingWriter`].
pub struct RedactedEvent<W: Write> {
    buf: Vec<u8>,
    inner: W,
}

impl<W: Write> Write for RedactedEvent<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    /// Does not write the event: a secret split across a flush would slip
    /// through. The event is written whole on drop.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactedEvent<W> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let line = redact_event(&self.buf);
        let _ = self.inner.write_all(line.as_bytes());
        let _ = self.inner.flush();
    }
}

/// The event as one line: secrets masked, every control character (a
/// newline inside a value too) replaced, one newline at the end.
pub fn redact_event(event: &[u8]) -> String {
    let text = String::from_utf8_lossy(event);
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let mut line = text::safe(body);
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    #[test]
    fn a_registered_secret_never_reaches_the_log_bytes() {
        const CANARY: &str = "Log-Canary-7f3a9c";
        let _ = crate::model::secret::Secret::literal_for_tests(CANARY);
        let capture = Capture::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(RedactingWriter::new(capture.clone()))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let url = format!("postgresql://app@127.0.0.1/orders?password={CANARY}");
            tracing::warn!(%url, "connect failed with {CANARY}\x1b[2J\nFAKE forged line");
            tracing::error!(token = CANARY, "second event");
        });
        let bytes = capture.0.lock().unwrap().clone();
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains(CANARY), "{text}");
        assert!(text.contains("password=***"), "{text}");
        assert!(!text.contains('\x1b'), "{text:?}");
        // Two events, two lines: the newline in the message forged nothing.
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.lines().any(|l| l.starts_with("FAKE")), "{text}");
    }

    #[test]
    fn the_daily_file_is_private_and_never_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("state/opsboard");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o755)).unwrap();
        let today = Utc::now().date_naive();
        let old = logs.join(format!("{FILE_PREFIX}.2020-01-01"));
        std::fs::write(&old, "old\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_dir(&logs).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&logs), 0o700);
        assert_eq!(mode(&old), 0o600);

        let mut f = DailyFile::open(&logs, FILE_PREFIX).unwrap();
        f.write_all(b"hello\n").unwrap();
        let path = DailyFile::path_for(&logs, FILE_PREFIX, today);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");

        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        std::os::unix::fs::symlink(&victim, DailyFile::path_for(&other, FILE_PREFIX, today))
            .unwrap();
        let e = DailyFile::open(&other, FILE_PREFIX).err().unwrap();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }

    #[test]
    fn events_become_one_clean_line() {
        assert_eq!(redact_event(b"a\tb\x1b[1m\r\n"), "a b\u{FFFD}[1m\u{FFFD}\n");
        assert_eq!(redact_event(b"no newline"), "no newline\n");
    }
}
