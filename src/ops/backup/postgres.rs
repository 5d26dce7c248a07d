//! `pg_dump --format=custom`, with every connection parameter in a private
//! service file (see [`super::pg_conn`]): nothing about the connection on
//! its command line, only the allowlisted environment plus
//! `PGSERVICEFILE` and `PGSERVICE`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use super::BackupError;
use super::command::stream_child;
use super::pg_conn;
use super::safe_fs::PrivateDir;
use super::store::Partial;
use crate::model::secret::Secret;
use crate::ops::child_env;

/// The service name in the generated file.
const SERVICE: &str = "opsboard";

pub(super) async fn dump(url: &Secret, out: &mut Partial<'_>) -> Result<(), BackupError> {
    let service = pg_conn::parse(url)?.service_file(SERVICE, &url.source().to_string())?;
    let pg_dump = find_program("pg_dump").ok_or_else(|| {
        BackupError::Config(
            "pg_dump is not installed (not on PATH nor in /usr/lib/postgresql/*/bin)".into(),
        )
    })?;
    // Removed when this future ends: finished, failed, cancelled or timed
    // out (pg_dump is killed first).
    let dir =
        PrivateDir::create("opsboard-pg-").map_err(|e| BackupError::io(std::env::temp_dir(), e))?;
    let file = dir
        .write("pg_service.conf", &service.text)
        .map_err(|e| BackupError::io(dir.path(), e))?;
    let cmd = pg_dump_command(&pg_dump, &file, service.password_env.as_deref());
    drop(service);
    let result = stream_child(cmd, "pg_dump", false, out, "running pg_dump").await;
    drop(dir);
    result
}

/// The pg_dump invocation: no connection information in its argv.
fn pg_dump_command(pg_dump: &Path, service_file: &Path, password: Option<&[u8]>) -> Command {
    let mut cmd = Command::new(pg_dump);
    cmd.arg("--format=custom").arg("--no-password");
    let mut extra: Vec<(&str, OsString)> = vec![
        ("PGSERVICEFILE", service_file.as_os_str().to_owned()),
        ("PGSERVICE", SERVICE.into()),
    ];
    if let Some(pw) = password {
        extra.push(("PGPASSWORD", OsString::from_vec(pw.to_vec())));
    }
    child_env::apply(&mut cmd, &extra);
    cmd
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

    #[test]
    fn pg_dump_gets_no_connection_information_in_argv() {
        let cmd = pg_dump_command(
            Path::new("/usr/bin/pg_dump"),
            Path::new("/run/user/0/opsboard-pg-x/pg_service.conf"),
            None,
        );
        let std = cmd.as_std();
        let args: Vec<&std::ffi::OsStr> = std.get_args().collect();
        assert_eq!(args, ["--format=custom", "--no-password"]);
        let envs: Vec<(String, Option<String>)> = std
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(envs.contains(&(
            "PGSERVICEFILE".into(),
            Some("/run/user/0/opsboard-pg-x/pg_service.conf".into())
        )));
        assert!(envs.contains(&("PGSERVICE".into(), Some(SERVICE.into()))));
        for (k, _) in &envs {
            assert!(
                child_env::PASSED_THROUGH.contains(&k.as_str())
                    || k == "PGSERVICEFILE"
                    || k == "PGSERVICE",
                "{k}"
            );
        }
        let with_pw = pg_dump_command(Path::new("pg_dump"), Path::new("f"), Some(b"pw "));
        let pw = with_pw
            .as_std()
            .get_envs()
            .find(|(k, _)| *k == "PGPASSWORD")
            .and_then(|(_, v)| v);
        assert_eq!(pw, Some(std::ffi::OsStr::new("pw ")));
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
