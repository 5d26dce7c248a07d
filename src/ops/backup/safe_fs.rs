//! File operations that a planted symlink or FIFO cannot redirect.
//!
//! The backup directory may be shared, pre-created by someone else or
//! restored from elsewhere. Every file opsboard creates there (sidecars,
//! verification records, partial files) is created new (`O_EXCL`) under an
//! unpredictable name with `O_NOFOLLOW`, fsynced and renamed over its final
//! name — `rename` replaces a symlink instead of writing through it. Every
//! record it reads is opened with `O_NOFOLLOW | O_NONBLOCK` and must be a
//! regular file, so a symlink cannot point it elsewhere and a FIFO cannot
//! hang a scan.

use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Attempts at a free temporary name before giving up.
const ATTEMPTS: usize = 64;

/// A name part nobody can guess ahead of time (keyed SipHash of a counter,
/// the pid and the clock). Collisions are handled by `O_EXCL`; this only
/// keeps a planted file from being in the way every time.
pub(crate) fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    h.write_u128(nanos);
    format!("{:016x}", h.finish())
}

/// Creates `path`, which must not exist (not even as a symlink), mode
/// `mode`.
pub(crate) fn create_new(path: &Path, mode: u32) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Opens `path` for reading if it is a regular file and not a symlink.
pub(crate) fn open_regular(path: &Path) -> io::Result<fs::File> {
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(f)
}

/// Writes `bytes` (mode 0600) to `dir/name`: a new temp file beside it,
/// fsynced, renamed over `name`, then the directory fsynced.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let (tmp, mut f) = create_temp(dir, name)?;
    let result = (|| {
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dir.join(name))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `.<name>.<unique>.partial` in `dir`, created new. The `.partial` suffix
/// lets retention remove it if a crash leaves it behind.
fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, fs::File)> {
    for _ in 0..ATTEMPTS {
        let tmp = dir.join(format!(".{name}.{}.partial", unique_suffix()));
        match create_new(&tmp, 0o600) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free temporary name for {name} in {}", dir.display()),
    ))
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// A new directory only its owner can enter (0700), removed with what is
/// in it when dropped: for files that hold a secret for one child process.
#[derive(Debug)]
pub(crate) struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Under `$XDG_RUNTIME_DIR` (per-user, in memory) when there is one,
    /// else the temp directory.
    pub(crate) fn create(prefix: &str) -> io::Result<PrivateDir> {
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() && p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        for _ in 0..ATTEMPTS {
            let path = base.join(format!("{prefix}{}", unique_suffix()));
            // mkdir fails on any existing name, a symlink included.
            match fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(PrivateDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("no free directory name in {}", base.display()),
        ))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a new 0600 file `name` in the directory.
    pub(crate) fn write(&self, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.path.join(name);
        let mut f = create_new(&path, 0o600)?;
        f.write_all(bytes)?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn writes_replace_a_planted_symlink_and_never_follow_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("x.sha256")).unwrap();
        write_atomic(dir.path(), "x.sha256", b"new\n").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        let m = fs::symlink_metadata(dir.path().join("x.sha256")).unwrap();
        assert!(m.file_type().is_file());
        assert_eq!(m.permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read(dir.path().join("x.sha256")).unwrap(), b"new\n");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "no temp file left: {left:?}");

        let e = create_new(&dir.path().join("x.sha256"), 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn reads_refuse_symlinks_and_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, b"x").unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        assert!(open_regular(&real).is_ok());
        assert!(open_regular(&dir.path().join("link")).is_err());
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Would block forever without O_NONBLOCK.
        let e = open_regular(&fifo).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_private_dir_is_0700_and_gone_when_dropped() {
        let d = PrivateDir::create("opsboard-test-").unwrap();
        let mode = fs::metadata(d.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let f = d.write("f", b"secret").unwrap();
        let mode = fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let path = d.path().to_path_buf();
        drop(d);
        assert!(!path.exists());
    }
}
