//! An RDB snapshot over the replication protocol, as `redis-cli --rdb`
//! takes it: `AUTH`, `REPLCONF rdb-only 1`, `SYNC`, then the bulk payload.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::store::Partial;
use super::{BackupError, CHUNK};
use crate::model::secret::Secret;

/// Longest reply line accepted before the payload.
const MAX_LINE: u64 = 8 * 1024;
/// The diskless form ends the payload with this many random bytes.
const EOF_MARK_LEN: usize = 40;

pub(super) async fn dump(
    address: &str,
    username: Option<&str>,
    password: Option<&Secret>,
    out: &mut Partial<'_>,
) -> Result<(), BackupError> {
    if address.trim().is_empty() {
        return Err(BackupError::Config("redis address is empty".into()));
    }
    if let (Some(user), None) = (username, password) {
        return Err(BackupError::Config(format!(
            "redis username {user:?} is set but no password is"
        )));
    }
    out.phase("connecting");
    let stream = TcpStream::connect(address)
        .await
        .map_err(|e| BackupError::Connect {
            target: address.to_string(),
            reason: e.to_string(),
        })?;
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        io: BufReader::with_capacity(CHUNK, stream),
        target: address.to_string(),
    };

    if let Some(pw) = password {
        let mut args = vec!["AUTH"];
        args.extend(username);
        args.push(pw.expose());
        conn.send(&args).await?;
        let line = conn.line().await?;
        if !line.starts_with('+') {
            return Err(conn.error("AUTH", &line));
        }
    }

    conn.send(&["REPLCONF", "rdb-only", "1"]).await?;
    let line = conn.line().await?;
    // Servers before 7.0 do not know rdb-only; they send the whole
    // replication stream after the RDB, which is not read.
    if line.starts_with('-') && is_auth_error(&line) {
        return Err(conn.error("REPLCONF", &line));
    }

    conn.send(&["SYNC"]).await?;
    out.phase("waiting for the server's BGSAVE");
    let header = loop {
        let line = conn.line().await?;
        if line.is_empty() {
            // A keep-alive newline while the server runs BGSAVE.
            continue;
        }
        if line.starts_with('$') {
            break line;
        }
        return Err(conn.error("SYNC", &line));
    };

    out.phase("receiving RDB");
    let mut head = Vec::with_capacity(5);
    if let Some(mark) = header.strip_prefix("$EOF:") {
        if mark.len() != EOF_MARK_LEN {
            return Err(conn.error("SYNC", &header));
        }
        conn.stream_until(mark.as_bytes(), out, &mut head).await?;
    } else {
        let len: u64 = header[1..]
            .parse()
            .map_err(|_| conn.error("SYNC", &header))?;
        conn.stream_exact(len, out, &mut head).await?;
    }
    if head.as_slice() != b"REDIS" {
        return Err(BackupError::Protocol {
            target: conn.target,
            message: format!(
                "the SYNC payload does not start with the RDB magic \"REDIS\" (got {:?})",
                String::from_utf8_lossy(&head)
            ),
        });
    }
    Ok(())
}

fn is_auth_error(line: &str) -> bool {
    ["-NOAUTH", "-WRONGPASS", "-NOPERM", "-ERR invalid password"]
        .iter()
        .any(|p| line.starts_with(p))
}

/// Keeps the first five payload bytes for the magic check.
fn note_head(head: &mut Vec<u8>, bytes: &[u8]) {
    let want = 5usize.saturating_sub(head.len());
    head.extend_from_slice(&bytes[..want.min(bytes.len())]);
}

struct Conn {
    io: BufReader<TcpStream>,
    target: String,
}

impl Conn {
    async fn send(&mut self, args: &[&str]) -> Result<(), BackupError> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a.as_bytes());
            req.extend_from_slice(b"\r\n");
        }
        let sent = self.io.get_mut().write_all(&req).await;
        // The request may hold the password: clear it before it is freed.
        req.fill(0);
        sent.map_err(|e| BackupError::Connect {
            target: self.target.clone(),
            reason: format!("sending {}: {e}", args[0]),
        })
    }

    /// One reply line without its `\r\n`.
    async fn line(&mut self) -> Result<String, BackupError> {
        let mut buf = Vec::new();
        let n = (&mut self.io)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buf)
            .await
            .map_err(|e| BackupError::Connect {
                target: self.target.clone(),
                reason: e.to_string(),
            })?;
        if n == 0 {
            return Err(BackupError::Protocol {
                target: self.target.clone(),
                message: "the server closed the connection before sending the RDB".into(),
            });
        }
        if buf.last() != Some(&b'\n') {
            return Err(BackupError::Protocol {
                target: self.target.clone(),
                message: format!("reply line longer than {MAX_LINE} bytes"),
            });
        }
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    /// The error for a reply `line` to `command`, quoting the server.
    fn error(&self, command: &str, line: &str) -> BackupError {
        // Masked before it is cut, so no cut leaves half a secret.
        let quoted: String = crate::model::text::redact(line).chars().take(300).collect();
        let message = format!("{command} answered {quoted:?}");
        if is_auth_error(line) {
            BackupError::Auth {
                target: self.target.clone(),
                message,
            }
        } else {
            BackupError::Protocol {
                target: self.target.clone(),
                message,
            }
        }
    }

    fn closed(&self, got: u64, of: Option<u64>) -> BackupError {
        let of = of.map_or(String::new(), |n| format!(" of {n}"));
        BackupError::Protocol {
            target: self.target.clone(),
            message: format!("the server closed the connection after {got}{of} RDB bytes"),
        }
    }

    fn read_error(&self, e: std::io::Error) -> BackupError {
        BackupError::Connect {
            target: self.target.clone(),
            reason: format!("reading the RDB: {e}"),
        }
    }

    async fn stream_exact(
        &mut self,
        len: u64,
        out: &mut Partial<'_>,
        head: &mut Vec<u8>,
    ) -> Result<(), BackupError> {
        let mut left = len;
        while left > 0 {
            let buf = match self.io.fill_buf().await {
                Ok(b) => b,
                Err(e) => return Err(self.read_error(e)),
            };
            if buf.is_empty() {
                return Err(self.closed(len - left, Some(len)));
            }
            let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            note_head(head, &buf[..n]);
            out.write(&buf[..n]).await?;
            self.io.consume(n);
            left -= n as u64;
        }
        Ok(())
    }

    /// Diskless form: stream until `mark`, which is not part of the RDB.
    async fn stream_until(
        &mut self,
        mark: &[u8],
        out: &mut Partial<'_>,
        head: &mut Vec<u8>,
    ) -> Result<(), BackupError> {
        let keep = mark.len() - 1;
        let mut pending: Vec<u8> = Vec::with_capacity(CHUNK + mark.len());
        let mut written = 0u64;
        loop {
            let buf = match self.io.fill_buf().await {
                Ok(b) => b,
                Err(e) => return Err(self.read_error(e)),
            };
            if buf.is_empty() {
                return Err(self.closed(written + pending.len() as u64, None));
            }
            let n = buf.len();
            pending.extend_from_slice(buf);
            self.io.consume(n);
            if let Some(pos) = pending.windows(mark.len()).position(|w| w == mark) {
                note_head(head, &pending[..pos]);
                out.write(&pending[..pos]).await?;
                return Ok(());
            }
            if pending.len() > keep {
                let w = pending.len() - keep;
                note_head(head, &pending[..w]);
                out.write(&pending[..w]).await?;
                written += w as u64;
                pending.drain(..w);
            }
        }
    }
}

#[cfg(test)]
#[path = "redis_tests.rs"]
mod tests;
