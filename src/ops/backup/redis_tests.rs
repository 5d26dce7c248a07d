//! The RESP client against scripted fake servers: keep-alives, both
//! payload forms, error replies, truncation.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::super::{BackupError, BackupSource, BackupSpec, run};
use crate::model::secret::Secret;

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
