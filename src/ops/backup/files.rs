//! A tar.gz of a directory, built in-process on a blocking thread and
//! streamed through a bounded channel: memory stays constant whatever the
//! size of the tree. A file that changes while it is read fails the
//! backup, as GNU tar does ("file changed as we read it").

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{Builder, EntryType, Header, HeaderMode};
use tokio::sync::mpsc;

use super::safe_fs::open_regular;
use super::store::Partial;
use super::{BackupError, CHUNK};

/// Chunks in flight between the archiver and the file writer.
const IN_FLIGHT: usize = 8;

pub(super) async fn archive(root: &Path, out: &mut Partial<'_>) -> Result<(), BackupError> {
    let meta = tokio::fs::metadata(root)
        .await
        .map_err(|e| BackupError::io(root, e))?;
    if !meta.is_dir() {
        return Err(BackupError::Config(format!(
            "files backup path {} is not a directory",
            root.display()
        )));
    }
    // The job's own directory is never archived into itself.
    let skip = fs::metadata(out.dir()).ok().map(|m| (m.dev(), m.ino()));
    if skip == Some((meta.dev(), meta.ino())) {
        return Err(BackupError::Config(format!(
            "files backup path {} is the backup directory itself",
            root.display()
        )));
    }
    out.phase("archiving");
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(IN_FLIGHT);
    let owned = root.to_path_buf();
    // Dropping `rx` (error, cancel, timeout) makes the archiver's next send
    // fail, which ends it.
    let task = tokio::task::spawn_blocking(move || build(&owned, skip, tx));
    while let Some(chunk) = rx.recv().await {
        out.write(&chunk).await?;
    }
    task.await
        .map_err(|e| BackupError::io(root, io::Error::other(e.to_string())))?
}

fn build(
    root: &Path,
    skip: Option<(u64, u64)>,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<(), BackupError> {
    let sink = ChannelWriter {
        tx,
        buf: Vec::with_capacity(CHUNK),
    };
    let mut tar = Builder::new(GzEncoder::new(sink, Compression::default()));
    tar.mode(HeaderMode::Complete);
    tar.follow_symlinks(false);
    walk(&mut tar, root, Path::new(""), skip)?;
    let gz = tar.into_inner().map_err(|e| BackupError::io(root, e))?;
    let mut sink = gz.finish().map_err(|e| BackupError::io(root, e))?;
    sink.flush().map_err(|e| BackupError::io(root, e))
}

type Tar = Builder<GzEncoder<ChannelWriter>>;

/// Appends the contents of `dir` (not `dir` itself) under `rel`, sorted by
/// name. Symlinks are stored as symlinks; sockets and the directory `skip`
/// (device, inode) are skipped.
fn walk(
    tar: &mut Tar,
    dir: &Path,
    rel: &Path,
    skip: Option<(u64, u64)>,
) -> Result<(), BackupError> {
    let read = fs::read_dir(dir).map_err(|e| BackupError::io(dir, e))?;
    let mut names = Vec::new();
    for entry in read {
        names.push(entry.map_err(|e| BackupError::io(dir, e))?.file_name());
    }
    names.sort();
    for name in names {
        let abs = dir.join(&name);
        let rel = rel.join(&name);
        let err = |e| BackupError::io(&abs, e);
        let meta = fs::symlink_metadata(&abs).map_err(err)?;
        let ft = meta.file_type();
        if ft.is_socket() || (ft.is_dir() && skip == Some((meta.dev(), meta.ino()))) {
            continue;
        }
        let mut header = Header::new_gnu();
        header.set_metadata_in_mode(&meta, HeaderMode::Complete);
        if ft.is_dir() {
            tar.append_data(&mut header, &rel, io::empty())
                .map_err(err)?;
            walk(tar, &abs, &rel, skip)?;
        } else if ft.is_file() {
            append_file(tar, &abs, &rel)?;
        } else if ft.is_symlink() {
            let target = fs::read_link(&abs).map_err(err)?;
            header.set_entry_type(EntryType::Symlink);
            tar.append_link(&mut header, &rel, target).map_err(err)?;
        } else {
            // FIFOs and device nodes: a header, no data.
            let dev = meta.rdev();
            if ft.is_char_device() || ft.is_block_device() {
                let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff);
                let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff);
                header.set_device_major(major as u32).map_err(err)?;
                header.set_device_minor(minor as u32).map_err(err)?;
            }
            header.set_size(0);
            tar.append_data(&mut header, &rel, io::empty())
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Appends the file with exactly the size its header states, and fails
/// with GNU tar's "file changed as we read it" when the file turns out
/// shorter or longer than that, or is modified while it is read: an entry
/// padded with zeros or cut short is not a backup of the file, and the
/// header cannot be rewritten once streamed.
fn append_file(tar: &mut Tar, abs: &Path, rel: &Path) -> Result<(), BackupError> {
    let err = |e| BackupError::io(abs, e);
    // Not through a symlink or into a FIFO swapped in since the walk.
    let file = open_regular(abs).map_err(err)?;
    let meta = file.metadata().map_err(err)?;
    let mut header = Header::new_gnu();
    header.set_metadata_in_mode(&meta, HeaderMode::Complete);
    let data = Exact {
        file,
        size: meta.len(),
        left: meta.len(),
        before: Stamp::of(&meta),
        checked_end: false,
    };
    tar.append_data(&mut header, rel, data).map_err(err)
}

/// What tells that a file changed: its size and change times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(m: &fs::Metadata) -> Stamp {
        Stamp {
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// Reads exactly `size` bytes of a file, or fails.
struct Exact {
    file: fs::File,
    size: u64,
    left: u64,
    before: Stamp,
    checked_end: bool,
}

fn changed(why: String) -> io::Error {
    io::Error::other(format!("file changed as we read it ({why})"))
}

impl Exact {
    /// At the stated size: nothing more to read, and the file as it was.
    fn check_end(&mut self) -> io::Result<()> {
        if self.checked_end {
            return Ok(());
        }
        self.checked_end = true;
        let mut probe = [0u8; 1];
        let more = loop {
            match self.file.read(&mut probe) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        if more > 0 {
            return Err(changed(format!(
                "it grew past the {} bytes it had when its entry was started",
                self.size
            )));
        }
        if Stamp::of(&self.file.metadata()?) != self.before {
            return Err(changed("it was modified while being read".into()));
        }
        Ok(())
    }
}

impl Read for Exact {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            self.check_end()?;
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(changed(format!(
                "it shrank from {} to {} bytes while being read",
                self.size,
                self.size - self.left
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Sends fixed-size chunks to the async writer; fails once it is gone.
struct ChannelWriter {
    tx: mpsc::Sender<Vec<u8>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "backup writer stopped"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Seek as _, Write as _};
    use std::time::{Duration, SystemTime};

    use tokio_util::sync::CancellationToken;

    use super::super::{BackupError, BackupSource, BackupSpec, run};
    use super::{Exact, Stamp};

    fn exact(path: &std::path::Path) -> Exact {
        let file = std::fs::File::open(path).unwrap();
        let meta = file.metadata().unwrap();
        Exact {
            file,
            size: meta.len(),
            left: meta.len(),
            before: Stamp::of(&meta),
            checked_end: false,
        }
    }

    fn read_all(e: &mut Exact) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        std::io::copy(e, &mut out).map(|_| out)
    }

    #[test]
    fn an_unchanged_file_is_read_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![7u8; 100_000]).unwrap();
        assert_eq!(read_all(&mut exact(&p)).unwrap(), vec![7u8; 100_000]);
    }

    #[test]
    fn a_file_truncated_while_read_is_an_error_not_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log");
        std::fs::write(&p, vec![1u8; 100_000]).unwrap();
        let mut e = exact(&p);
        let mut head = vec![0u8; 10_000];
        e.read_exact(&mut head).unwrap();
        // `copytruncate` log rotation, mid-archive.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(5_000)
            .unwrap();
        let err = read_all(&mut e).unwrap_err().to_string();
        assert_eq!(
            err,
            "file changed as we read it (it shrank from 100000 to 10000 bytes while being read)"
        );
    }

    #[test]
    fn a_file_that_grows_or_is_rewritten_while_read_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("grows");
        std::fs::write(&p, vec![1u8; 1000]).unwrap();
        let mut e = exact(&p);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"more")
            .unwrap();
        let err = read_all(&mut e).unwrap_err().to_string();
        assert!(
            err.starts_with("file changed as we read it (it grew past the 1000 bytes"),
            "{err}"
        );

        let p = dir.path().join("rewritten");
        std::fs::write(&p, vec![1u8; 1000]).unwrap();
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let mut e = exact(&p);
        let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.rewind().unwrap();
        f.write_all(&[2u8; 1000]).unwrap();
        let err = read_all(&mut e).unwrap_err().to_string();
        assert_eq!(
            err,
            "file changed as we read it (it was modified while being read)"
        );
    }

    fn spec(dir: &std::path::Path, path: std::path::PathBuf) -> BackupSpec {
        BackupSpec {
            name: "f".into(),
            service: "files".into(),
            source: BackupSource::Files { path },
            dir: dir.to_path_buf(),
            keep_last: None,
            max_age: None,
            timeout: Duration::from_secs(10),
        }
    }

    #[tokio::test]
    async fn sockets_are_skipped_and_fifos_kept() {
        let src = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("a.txt"), b"abc").unwrap();
        let _sock = std::os::unix::net::UnixListener::bind(src.path().join("s.sock")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(src.path().join("pipe"))
            .status()
            .unwrap();
        assert!(status.success());
        let w = run(
            &spec(out.path(), src.path().into()),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap();
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(&w.path).unwrap());
        let mut ar = tar::Archive::new(gz);
        let names: Vec<(String, tar::EntryType)> = ar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().entry_type(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("a.txt".into(), tar::EntryType::Regular),
                ("pipe".into(), tar::EntryType::Fifo)
            ]
        );
    }

    #[tokio::test]
    async fn the_backup_directory_is_not_archived_into_itself() {
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("data"), b"d").unwrap();
        let dir = src.path().join("backups").join("f");
        let w = run(
            &spec(&dir, src.path().into()),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap();
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(&w.path).unwrap());
        let names: Vec<String> = tar::Archive::new(gz)
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["backups", "data"]);
        let e = run(&spec(&dir, dir.clone()), &|_| {}, CancellationToken::new())
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("is the backup directory itself"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn missing_or_non_directory_source_is_named() {
        let out = tempfile::tempdir().unwrap();
        let missing = out.path().join("nope");
        let e = run(
            &spec(out.path(), missing.clone()),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, BackupError::Io { .. }), "{e}");
        assert!(
            e.to_string().contains(&missing.display().to_string()),
            "{e}"
        );
        let file = out.path().join("plain");
        std::fs::write(&file, b"x").unwrap();
        let e = run(&spec(out.path(), file), &|_| {}, CancellationToken::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("is not a directory"), "{e}");
    }
}
