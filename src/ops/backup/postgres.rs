//! `pg_dump --format=custom`, with the password passed in the child's
//! environment (`PGPASSWORD`), never in its argv.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::BackupError;
use super::command::stream_child;
use super::store::Partial;
use crate::config::Secret;

pub(super) async fn dump(url: &Secret, out: &mut Partial<'_>) -> Result<(), BackupError> {
    let (conninfo, password) = split_url(url)?;
    let pg_dump = find_program("pg_dump").ok_or_else(|| {
        BackupError::Config(
            "pg_dump is not installed (not on PATH nor in /usr/lib/postgresql/*/bin)".into(),
        )
    })?;
    let mut cmd = Command::new(&pg_dump);
    cmd.arg("--format=custom")
        .arg("--no-password")
        .arg(format!("--dbname={conninfo}"));
    if let Some(pw) = password {
        cmd.env("PGPASSWORD", pw);
    }
    stream_child(cmd, "pg_dump", false, out, "running pg_dump").await
}

/// The connection URL without its password, and the password.
pub(super) fn split_url(secret: &Secret) -> Result<(String, Option<OsString>), BackupError> {
    let mut url = url::Url::parse(secret.expose()).map_err(|e| {
        BackupError::Config(format!(
            "postgres url (from {}) is not a valid URL: {e}",
            secret.source()
        ))
    })?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(BackupError::Config(format!(
            "postgres url (from {}) must start with postgres:// or postgresql://, not {:?}",
            secret.source(),
            format!("{}:", url.scheme())
        )));
    }
    let mut password = url
        .password()
        .map(|p| OsString::from_vec(percent_decode(p)));
    if password.is_some() {
        // Cannot fail: a URL with a password has a host.
        let _ = url.set_password(None);
    }
    if url.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        let mut kept = Vec::new();
        for (k, v) in pairs {
            if k == "password" {
                password.get_or_insert_with(|| OsString::from(v));
            } else {
                kept.push((k, v));
            }
        }
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
    }
    Ok((url.to_string(), password))
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// `name` on PATH, else in the newest `/usr/lib/postgresql/<version>/bin`.
pub(super) fn find_program(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| is_executable(p))
    });
    on_path.or_else(|| newest_pg_bin(Path::new("/usr/lib/postgresql"), name))
}

fn newest_pg_bin(root: &Path, name: &str) -> Option<PathBuf> {
    let mut versions: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e
                .file_name()
                .to_str()?
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u64>>>()?;
            let p = e.path().join("bin").join(name);
            is_executable(&p).then_some((v, p))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> Result<(String, Option<String>), String> {
        split_url(&Secret::literal_for_tests(url))
            .map(|(u, p)| (u, p.map(|p| p.into_string().unwrap())))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn password_leaves_the_url() {
        let (u, p) =
            split("postgres://app:p%40ss%20w%3Ard%2F%25@127.0.0.1:5433/shop?sslmode=disable")
                .unwrap();
        assert_eq!(u, "postgres://app@127.0.0.1:5433/shop?sslmode=disable");
        assert_eq!(p.as_deref(), Some("p@ss w:rd/%"));

        let (u, p) = split("postgresql://app@db/shop?password=s3cret&application_name=ob").unwrap();
        assert_eq!(u, "postgresql://app@db/shop?application_name=ob");
        assert_eq!(p.as_deref(), Some("s3cret"));

        let (u, p) = split("postgres://app@db/shop").unwrap();
        assert_eq!(u, "postgres://app@db/shop");
        assert_eq!(p, None);
    }

    #[test]
    fn bad_urls_never_quote_the_secret() {
        let e = split("mysql://app:hunter2@db/shop").unwrap_err();
        assert!(e.contains("\"mysql:\""), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = split("not a url hunter2").unwrap_err();
        assert!(
            e.contains("not a valid URL") && !e.contains("hunter2"),
            "{e}"
        );
    }

    #[test]
    fn percent_decoding_keeps_stray_percents() {
        assert_eq!(percent_decode("a%41%2"), b"aA%2");
        assert_eq!(percent_decode("%zz%"), b"%zz%");
        assert_eq!(percent_decode("%ff"), vec![0xff]);
    }

    #[test]
    fn newest_postgres_version_wins() {
        let root = tempfile::tempdir().unwrap();
        for v in ["9.6", "13", "15", "notaversion"] {
            let bin = root.path().join(v).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            let p = bin.join("pg_dump");
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let got = newest_pg_bin(root.path(), "pg_dump").unwrap();
        assert!(got.ends_with("15/bin/pg_dump"), "{}", got.display());
        assert!(newest_pg_bin(root.path(), "pg_restore").is_none());
    }
}
