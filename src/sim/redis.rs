//! A simulated Redis that speaks just enough RESP for health checks and for
//! a real replication-protocol snapshot (`SYNC`), so the demo's redis
//! backup runs through exactly the code a real server would see.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::http::RunningInstance;

/// A small valid RDB (version 9) holding `keys` string keys. The trailing
/// checksum is zero, which Redis and `redis-check-rdb` read as "checksum
/// disabled".
pub fn rdb(keys: usize) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &[u8]) {
        // 6-bit length encoding for < 64 bytes, 14-bit otherwise.
        if s.len() < 64 {
            out.push(s.len() as u8);
        } else {
            out.push(0x40 | ((s.len() >> 8) as u8 & 0x3f));
            out.push(s.len() as u8);
        }
        out.extend_from_slice(s);
    }
    let mut out = b"REDIS0009".to_vec();
    out.push(0xFA); // aux field
    string(&mut out, b"redis-ver");
    string(&mut out, b"7.0.15");
    out.extend_from_slice(&[0xFE, 0x00]); // SELECTDB 0
    out.push(0xFB); // RESIZEDB
    out.push(keys.min(63) as u8);
    out.push(0);
    for i in 0..keys.min(63) {
        out.push(0x00); // string type
        string(&mut out, format!("session:{i:04}").as_bytes());
        string(&mut out, format!("user-{}", i * 7919 % 1000).as_bytes());
    }
    out.push(0xFF);
    out.extend_from_slice(&[0u8; 8]);
    out
}

/// Serves PING, AUTH, REPLCONF and SYNC on a loopback port.
pub async fn serve() -> std::io::Result<RunningInstance> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r);
                loop {
                    let Some(cmd) = read_command(&mut lines).await else {
                        return;
                    };
                    let reply: Vec<u8> =
                        match cmd.first().map(|c| c.to_ascii_uppercase()).as_deref() {
                            Some("PING") => b"+PONG\r\n".to_vec(),
                            Some("AUTH") | Some("REPLCONF") | Some("SELECT") => b"+OK\r\n".to_vec(),
                            Some("SYNC") | Some("PSYNC") => {
                                // A real server sends newlines while BGSAVE runs.
                                let _ = w.write_all(b"\n").await;
                                tokio::time::sleep(Duration::from_millis(200)).await;
                                let body = rdb(40);
                                let mut out = format!("${}\r\n", body.len()).into_bytes();
                                out.extend_from_slice(&body);
                                out
                            }
                            Some(other) => {
                                format!("-ERR unknown command '{other}'\r\n").into_bytes()
                            }
                            None => return,
                        };
                    if w.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(RunningInstance { addr, task })
}

/// One RESP array command (or an inline command), as strings.
async fn read_command<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> Option<Vec<String>> {
    let mut line = String::new();
    if r.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let line = line.trim_end();
    let Some(count) = line.strip_prefix('*') else {
        return Some(line.split_whitespace().map(str::to_string).collect());
    };
    let n: usize = count.parse().ok()?;
    let mut out = Vec::with_capacity(n.min(16));
    for _ in 0..n.min(16) {
        let mut len = String::new();
        r.read_line(&mut len).await.ok()?;
        let mut arg = String::new();
        r.read_line(&mut arg).await.ok()?;
        out.push(arg.trim_end().to_string());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rdb_has_header_and_eof() {
        let r = super::rdb(3);
        assert!(r.starts_with(b"REDIS0009"));
        assert_eq!(r[r.len() - 9], 0xFF);
    }
}
