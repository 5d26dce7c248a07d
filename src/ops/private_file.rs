//! Files only this user can read, never reached through a symbolic link:
//! the audit log and its recorded head, the image history, the log files.
//!
//! A symlink planted at one of these paths (in a shared directory, by
//! another local user, by a careless script) would redirect writes to a
//! file of someone else's choosing, or feed a forged file to the reader.
//! So the last path component is opened with `O_NOFOLLOW` (a symlink is an
//! error, never followed), anything but a regular file is refused (opening
//! a FIFO for reading would block), new directories are 0700 and new files
//! 0600. Whole-file rewrites go through a temp file, `fsync` and `rename`,
//! so a crash leaves the old file or the new one, never half of either.

use std::ffi::OsString;
use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// `O_NOFOLLOW`: a symlink in the last component fails with `ELOOP`.
/// `O_NONBLOCK`: opening a FIFO returns at once (then it is refused); it has
/// no effect on regular files.
const FLAGS: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK;

/// Creates `dir` and its missing parents, each new one mode 0700. Existing
/// directories are left as they are.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Opens `path` for reading and appending, creating it (mode 0600) if
/// missing. Returns the file and whether this call created it.
pub fn open_append(path: &Path) -> io::Result<(File, bool)> {
    let mut opts = OpenOptions::new();
    opts.read(true).append(true).mode(0o600).custom_flags(FLAGS);
    let (file, created) = match opts.clone().create_new(true).open(path) {
        Ok(f) => (f, true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            (opts.open(path).map_err(explain)?, false)
        }
        Err(e) => return Err(explain(e)),
    };
    regular(&file)?;
    Ok((file, created))
}

/// Opens an existing `path` for reading.
pub fn open_read(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(FLAGS)
        .open(path)
        .map_err(explain)?;
    regular(&file)?;
    Ok(file)
}

/// The whole file, or `None` if it does not exist.
pub fn read_if_exists(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut file = match open_read(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut data = Vec::new();
    file.read_to_end(&mut data)?;
    Ok(Some(data))
}

/// Makes an open file owner-only (0600) if it is readable or writable by
/// anyone else, e.g. because an older version created it with the umask.
pub fn make_private(file: &File) -> io::Result<()> {
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(Permissions::from_mode(mode & 0o700 | 0o600))?;
    }
    Ok(())
}

/// Replaces `path` with `bytes`: a new temp file (0600, `O_EXCL`, no
/// symlinks) in the same directory, `fsync`, `rename` over `path` (which
/// replaces a symlink at `path` rather than following it), `fsync` of the
/// directory.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent(path);
    let tmp = temp_name(path);
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(FLAGS)
            .open(&tmp)
            .map_err(explain)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir)
}

/// Makes directory entries (a new file, a rename) durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A short random hex string (`bytes` random bytes), for names nobody can
/// guess in advance.
pub fn random_hex(bytes: usize) -> io::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| io::Error::other(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn temp_name(path: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    let salt = random_hex(6).unwrap_or_else(|_| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("{nanos:08x}")
    });
    name.push(format!(".{}.{salt}.tmp", std::process::id()));
    parent(path).join(name)
}

fn regular(file: &File) -> io::Result<()> {
    if file.metadata()?.is_file() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file (a directory, FIFO or device); refusing to use it",
        ))
    }
}

/// `ELOOP` from `O_NOFOLLOW` means "the last component is a symlink": say so.
fn explain(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a symbolic link, and opsboard never follows one for this file \
             (point the setting at the real file, or remove the link)",
        )
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_and_dirs_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        create_private_dir(&sub).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&sub), 0o700);
        let (mut f, created) = open_append(&sub.join("f")).unwrap();
        assert!(created);
        f.write_all(b"x").unwrap();
        assert_eq!(mode(&sub.join("f")), 0o600);
        let (_, created) = open_append(&sub.join("f")).unwrap();
        assert!(!created);
        replace(&sub.join("g"), b"new").unwrap();
        assert_eq!(mode(&sub.join("g")), 0o600);
        assert_eq!(std::fs::read(sub.join("g")).unwrap(), b"new");
        // Only the file is left behind, no temp files.
        let names: Vec<_> = std::fs::read_dir(&sub).unwrap().collect();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn symlinks_are_refused_and_their_targets_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious\n").unwrap();
        let link = dir.path().join("link");
        symlink(&victim, &link).unwrap();
        for e in [
            open_append(&link).unwrap_err(),
            open_read(&link).unwrap_err(),
            read_if_exists(&link).unwrap_err(),
        ] {
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        // A dangling link is refused too, and not created through.
        let dangling = dir.path().join("dangling");
        symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(open_append(&dangling).is_err());
        assert!(!dir.path().join("nowhere").exists());
        // `replace` swaps the link itself out; the target keeps its content.
        replace(&link, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
    }

    #[test]
    fn a_fifo_or_directory_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = open_read(&fifo).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
            assert!(open_append(&fifo).is_err());
        }
        assert!(open_read(dir.path()).is_err());
        assert_eq!(read_if_exists(&dir.path().join("none")).unwrap(), None);
    }

    #[test]
    fn make_private_tightens_loose_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "").unwrap();
        std::fs::set_permissions(&p, Permissions::from_mode(0o644)).unwrap();
        make_private(&File::open(&p).unwrap()).unwrap();
        assert_eq!(mode(&p), 0o600);
    }
}
