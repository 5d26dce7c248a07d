//! An RDB snapshot over the replication protocol, as `redis-cli --rdb`
//! takes it: `AUTH`, `REPLCONF rdb-only 1`, `SYNC`, then the bulk payload.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::store::Partial;
use super::{BackupError, CHUNK};
use crate::config::Secret;

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
        let quoted: String = line.chars().take(300).collect();
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
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;
    use tokio_util::sync::CancellationToken;

    use super::super::{BackupError, BackupSource, BackupSpec, run};
    use crate::config::Secret;

    /// A fake server: for each step, reads until the request contains
    /// `expect`, then writes the reply (an empty `expect` writes at once).
    async fn fake(script: Vec<(&'static str, Vec<u8>)>) -> String {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut seen = Vec::new();
            for (expect, reply) in script {
                while !String::from_utf8_lossy(&seen).contains(expect) {
                    let mut b = [0u8; 512];
                    let n = tokio::io::AsyncReadExt::read(&mut s, &mut b).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&b[..n]);
                }
                seen.clear();
                if s.write_all(&reply).await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        });
        addr
    }

    fn spec(dir: &Path, address: String, password: Option<&str>) -> BackupSpec {
        BackupSpec {
            name: "r".into(),
            service: "redis".into(),
            source: BackupSource::Redis {
                address,
                username: None,
                password: password.map(Secret::literal_for_tests),
            },
            dir: dir.to_path_buf(),
            keep_last: None,
            max_age: None,
            timeout: Duration::from_secs(5),
        }
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn bulk_payload_after_keepalives_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let addr = fake(vec![
            ("AUTH", b"+OK\r\n".to_vec()),
            ("REPLCONF", b"-ERR unknown option\r\n".to_vec()),
            ("SYNC", b"\n\n\n".to_vec()),
            ("", b"$12\r\nREDIS0011xyzTRAILING-REPL-STREAM".to_vec()),
        ])
        .await;
        let w = run(
            &spec(dir.path(), addr, Some("pw")),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(std::fs::read(&w.path).unwrap(), b"REDIS0011xyz");
        assert_eq!(w.size, 12);
    }

    #[tokio::test]
    async fn diskless_eof_form_stops_at_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        let mark = "0123456789abcdef0123456789abcdef01234567";
        let mut body = format!("$EOF:{mark}\r\nREDIS0011").into_bytes();
        body.extend(std::iter::repeat_n(b'z', 200_000));
        body.extend_from_slice(mark.as_bytes());
        body.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let addr = fake(vec![("REPLCONF", b"+OK\r\n".to_vec()), ("SYNC", body)]).await;
        let w = run(
            &spec(dir.path(), addr, None),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap();
        let got = std::fs::read(&w.path).unwrap();
        assert_eq!(got.len(), 9 + 200_000);
        assert!(got.starts_with(b"REDIS0011zz") && got.ends_with(b"zzz"));
    }

    #[tokio::test]
    async fn noauth_is_an_auth_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let addr = fake(vec![(
            "REPLCONF",
            b"-NOAUTH Authentication required.\r\n".to_vec(),
        )])
        .await;
        let e = run(
            &spec(dir.path(), addr, None),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, BackupError::Auth { .. }), "{e}");
        assert!(
            e.to_string().contains("NOAUTH Authentication required."),
            "{e}"
        );
        assert!(
            files_in(dir.path()).is_empty(),
            "{:?}",
            files_in(dir.path())
        );
    }

    #[tokio::test]
    async fn other_errors_quote_the_server_and_truncation_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let addr = fake(vec![
            ("REPLCONF", b"+OK\r\n".to_vec()),
            (
                "SYNC",
                b"-ERR Can't SYNC while not connected with my master\r\n".to_vec(),
            ),
        ])
        .await;
        let e = run(
            &spec(dir.path(), addr, None),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, BackupError::Protocol { .. }), "{e}");
        assert!(
            e.to_string().contains("Can't SYNC while not connected"),
            "{e}"
        );

        let addr = fake(vec![
            ("REPLCONF", b"+OK\r\n".to_vec()),
            ("SYNC", b"$100\r\nREDIS0011short".to_vec()),
        ])
        .await;
        let e = run(
            &spec(dir.path(), addr, None),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("after 14 of 100 RDB bytes"), "{e}");

        let addr = fake(vec![
            ("REPLCONF", b"+OK\r\n".to_vec()),
            ("SYNC", b"$5\r\nHELLO".to_vec()),
        ])
        .await;
        let e = run(
            &spec(dir.path(), addr, None),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("RDB magic"), "{e}");
        assert!(
            files_in(dir.path()).is_empty(),
            "{:?}",
            files_in(dir.path())
        );
    }

    #[tokio::test]
    async fn refused_connection_names_the_address() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        drop(l);
        let dir = tempfile::tempdir().unwrap();
        let e = run(
            &spec(dir.path(), addr.clone(), None),
            &|_| {},
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, BackupError::Connect { .. }), "{e}");
        assert!(e.to_string().contains(&addr), "{e}");
    }
}
