//! Child processes whose stdout is the backup: a configured argv, and
//! `pg_dump`. No shell is involved; the child runs in its own process group
//! so cancel and timeout kill everything it started, with an explicit
//! environment ([`crate::ops::child_env`]). A child that exits 0 without
//! writing anything has not made a backup.

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
use crate::model::text;
use crate::ops::child_env;

/// Bytes of stderr kept; the tail quoted on failure is cut from these.
const STDERR_KEEP: usize = 16 * 1024;
const TAIL_LINES: usize = 8;
/// How long stderr may stay open after the child exited (a grandchild may
/// hold it).
const STDERR_GRACE: Duration = Duration::from_secs(1);

pub(super) async fn capture(
    argv: &[String],
    env: &[(String, crate::model::secret::HeaderValue)],
    compress: bool,
    out: &mut Partial<'_>,
) -> Result<(), BackupError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(BackupError::Config("backup command argv is empty".into()));
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    // The allowlist, plus what the job's `env` gives it: never the
    // variables behind opsboard's own secret references.
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
    child_env::apply(&mut cmd, &env);
    let phase = format!("running {program}");
    stream_child(cmd, program, compress, out, &phase).await
}

/// Runs `cmd` (its environment already set by the caller), streaming its
/// stdout (gzip-compressed when `compress`) into `out`. A non-zero exit is
/// a `Command` error quoting the stderr tail; an empty stdout is `Empty`.
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
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(BackupError::io(
            PathBuf::from(program),
            std::io::Error::other("the child's stdout or stderr is not piped"),
        ));
    };
    let tail = Arc::new(Mutex::new(Vec::new()));
    let mut guard = GroupGuard {
        pgid: child.id(),
        stderr_task: Some(tokio::spawn(keep_tail(stderr, Arc::clone(&tail)))),
    };

    let produced = copy_stdout(stdout, compress, out).await?;

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
    if produced == 0 {
        // A dump tool that lost its input, or a script that forgot to
        // print: exit 0 is not a backup.
        return Err(BackupError::Empty {
            program: program.to_string(),
        });
    }
    Ok(())
}

/// Copies stdout into `out`; returns how many bytes the child wrote.
async fn copy_stdout(
    mut stdout: ChildStdout,
    compress: bool,
    out: &mut Partial<'_>,
) -> Result<u64, BackupError> {
    let mut produced = 0u64;
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
        produced += n as u64;
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
    Ok(produced)
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

/// The last non-empty lines of `bytes`, each cut to a sane width, with
/// every registered secret masked and control characters replaced: this
/// is a tool's output on its way into a job message.
pub(super) fn tail_lines(bytes: &[u8]) -> String {
    let raw = String::from_utf8_lossy(bytes);
    // Masked before it is cut, so no cut can leave half a secret.
    let text = text::redact(&raw);
    let lines: Vec<String> = text
        .lines()
        .map(|l| text::clean(l.trim_end()).into_owned())
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
                l.clone()
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
        if let Some(pgid) = self.pgid.and_then(|p| i32::try_from(p).ok()) {
            // `kill_on_drop` ends the leader; this ends what it started.
            // A signal, not a `kill` child process: nothing to spawn while
            // tearing down.
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pgid),
                nix::sys::signal::Signal::SIGKILL,
            );
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

    #[test]
    fn tail_masks_secrets_and_control_characters() {
        text::register_secret("tail-secret-93b1");
        let t =
            tail_lines(b"FATAL: password tail-secret-93b1 rejected\r\n\x1b]52;c;aGk=\x07oops\n");
        assert!(!t.contains("tail-secret-93b1"), "{t}");
        assert!(t.contains(text::MASK), "{t}");
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'), "{t:?}");
        assert!(t.starts_with("FATAL: password *** rejected\n"), "{t:?}");
    }
}
