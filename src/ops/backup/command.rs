//! Child processes whose stdout is the backup: a configured argv, and
//! `pg_dump`. No shell is involved; the child runs in its own process group
//! so cancel and timeout kill everything it started.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use tokio::io::AsyncReadExt;
use tokio::process::{ChildStderr, ChildStdout, Command};
use tokio::task::JoinHandle;

use super::store::Partial;
use super::{BackupError, CHUNK};

/// Bytes of stderr kept; the tail quoted on failure is cut from these.
const STDERR_KEEP: usize = 16 * 1024;
const TAIL_LINES: usize = 8;
/// How long stderr may stay open after the child exited (a grandchild may
/// hold it).
const STDERR_GRACE: Duration = Duration::from_secs(1);

pub(super) async fn capture(
    argv: &[String],
    compress: bool,
    out: &mut Partial<'_>,
) -> Result<(), BackupError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(BackupError::Config("backup command argv is empty".into()));
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    let phase = format!("running {program}");
    stream_child(cmd, program, compress, out, &phase).await
}

/// Runs `cmd`, streaming its stdout (gzip-compressed when `compress`) into
/// `out`. A non-zero exit is a `Command` error quoting the stderr tail.
pub(super) async fn stream_child(
    mut cmd: Command,
    program: &str,
    compress: bool,
    out: &mut Partial<'_>,
    phase: &str,
) -> Result<(), BackupError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    out.phase(phase);
    let mut child = cmd
        .spawn()
        .map_err(|e| BackupError::io(PathBuf::from(program), e))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let tail = Arc::new(Mutex::new(Vec::new()));
    let mut guard = GroupGuard {
        pgid: child.id(),
        stderr_task: Some(tokio::spawn(keep_tail(stderr, Arc::clone(&tail)))),
    };

    copy_stdout(stdout, compress, out).await?;

    let status = child
        .wait()
        .await
        .map_err(|e| BackupError::io(PathBuf::from(program), e))?;
    // Reaped: the group id may be reused from now on, never signal it.
    guard.pgid = None;
    if let Some(task) = guard.stderr_task.take() {
        let mut task = task;
        if tokio::time::timeout(STDERR_GRACE, &mut task).await.is_err() {
            task.abort();
        }
    }
    if !status.success() {
        let kept = tail.lock().map(|t| t.clone()).unwrap_or_default();
        return Err(BackupError::Command {
            program: program.to_string(),
            status,
            stderr_tail: tail_lines(&kept),
        });
    }
    Ok(())
}

async fn copy_stdout(
    mut stdout: ChildStdout,
    compress: bool,
    out: &mut Partial<'_>,
) -> Result<(), BackupError> {
    let mut buf = vec![0u8; CHUNK];
    let mut gz =
        compress.then(|| GzEncoder::new(Vec::with_capacity(CHUNK), Compression::default()));
    loop {
        let n = stdout
            .read(&mut buf)
            .await
            .map_err(|e| BackupError::io(out.path(), e))?;
        if n == 0 {
            break;
        }
        match gz.as_mut() {
            None => out.write(&buf[..n]).await?,
            Some(enc) => {
                enc.write_all(&buf[..n])
                    .map_err(|e| BackupError::io(out.path(), e))?;
                let compressed = std::mem::take(enc.get_mut());
                out.write(&compressed).await?;
            }
        }
    }
    if let Some(enc) = gz {
        let rest = enc.finish().map_err(|e| BackupError::io(out.path(), e))?;
        out.write(&rest).await?;
    }
    Ok(())
}

async fn keep_tail(mut stderr: ChildStderr, tail: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let Ok(mut t) = tail.lock() else { break };
        t.extend_from_slice(&buf[..n]);
        if t.len() > STDERR_KEEP {
            let cut = t.len() - STDERR_KEEP;
            t.drain(..cut);
        }
    }
}

/// The last non-empty lines of `bytes`, each cut to a sane width.
pub(super) fn tail_lines(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..]
        .iter()
        .map(|l| {
            if l.chars().count() > 400 {
                let cut: String = l.chars().take(400).collect();
                format!("{cut}…")
            } else {
                (*l).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Until disarmed (the child was reaped), kills the child's whole process
/// group when dropped: on cancel, timeout or a failed write.
struct GroupGuard {
    pgid: Option<u32>,
    stderr_task: Option<JoinHandle<()>>,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.pgid {
            // `kill_on_drop` ends the leader; this ends what it started.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        if let Some(task) = self.stderr_task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let text: String = (1..=20).map(|i| format!("line {i}\n\n")).collect();
        let t = tail_lines(text.as_bytes());
        assert!(t.starts_with("line 13\n"), "{t}");
        assert!(t.ends_with("line 20"), "{t}");
        assert_eq!(tail_lines(b""), "");
    }
}
