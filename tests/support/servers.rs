//! Real servers for tests: `redis-server` and PostgreSQL on free loopback
//! ports, each in its own temp dir, stopped when the guard is dropped.
//!
//! Use with `mod support; use support::servers;`.
//!
//! A missing prerequisite (binary, `postgres` user) makes a helper return
//! `None` after printing a loud `SKIPPED:` line, or panic when `CI=true`.

#![allow(dead_code)]

pub use super::{free_port, missing};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `name` on PATH, else in the newest `/usr/lib/postgresql/<v>/bin`.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| is_executable(p))
    });
    on_path.or_else(|| {
        newest_pg_bin_dir()
            .map(|d| d.join(name))
            .filter(|p| is_executable(p))
    })
}

fn newest_pg_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| d.is_dir())
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, d)| d)
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Sends SIGTERM (or `signal`) to `pid`, waits up to `grace`, then kills.
fn stop(child: &mut Child, signal: &str, grace: Duration) {
    let _ = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

// --- redis -------------------------------------------------------------------

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b.clone(),
            other => panic!("expected a bulk string, got {other:?}"),
        }
    }

    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(n) => *n,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    pub fn array(&self) -> Vec<Reply> {
        match self {
            Reply::Array(Some(v)) => v.clone(),
            other => panic!("expected an array, got {other:?}"),
        }
    }
}

/// A blocking RESP client for setting up and checking data.
pub struct RedisConn {
    r: BufReader<TcpStream>,
}

impl RedisConn {
    pub fn connect(port: u16, password: Option<&str>) -> std::io::Result<RedisConn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut c = RedisConn {
            r: BufReader::new(s),
        };
        if let Some(pw) = password {
            let r = c.cmd(&["AUTH", pw])?;
            if r != Reply::Status("OK".into()) {
                return Err(std::io::Error::other(format!("AUTH: {r:?}")));
            }
        }
        Ok(c)
    }

    pub fn cmd(&mut self, args: &[&str]) -> std::io::Result<Reply> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        Ok(self.pipeline(&[args])?.remove(0))
    }

    /// Sends every command, then reads every reply.
    pub fn pipeline(&mut self, cmds: &[Vec<&[u8]>]) -> std::io::Result<Vec<Reply>> {
        let mut req = Vec::new();
        for args in cmds {
            req.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in args {
                req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                req.extend_from_slice(a);
                req.extend_from_slice(b"\r\n");
            }
        }
        self.r.get_mut().write_all(&req)?;
        cmds.iter().map(|_| self.reply()).collect()
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut l = String::new();
        if self.r.read_line(&mut l)? == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        Ok(l.trim_end_matches("\r\n").to_string())
    }

    fn reply(&mut self) -> std::io::Result<Reply> {
        let l = self.line()?;
        let (kind, rest) = l.split_at(1);
        let bad = || std::io::Error::other(format!("bad reply line {l:?}"));
        Ok(match kind {
            "+" => Reply::Status(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(rest.parse().map_err(|_| bad())?),
            "$" => {
                let n: i64 = rest.parse().map_err(|_| bad())?;
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut b = vec![0; n as usize + 2];
                    self.r.read_exact(&mut b)?;
                    b.truncate(n as usize);
                    Reply::Bulk(Some(b))
                }
            }
            "*" => {
                let n: i64 = rest.parse().map_err(|_| bad())?;
                if n < 0 {
                    Reply::Array(None)
                } else {
                    Reply::Array(Some(
                        (0..n).map(|_| self.reply()).collect::<Result<_, _>>()?,
                    ))
                }
            }
            _ => return Err(bad()),
        })
    }
}

/// A `redis-server` on 127.0.0.1 with its own data dir, killed on drop.
pub struct Redis {
    pub port: u16,
    pub password: Option<String>,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Redis {
    /// An empty server; `None` (after SKIPPED) when redis-server is missing.
    pub fn start(password: Option<&str>) -> Option<Redis> {
        Redis::start_in(tempfile::tempdir().unwrap(), password)
    }

    /// A server that loads `dump` (an RDB file) at start.
    pub fn start_with_dump(dump: &Path, password: Option<&str>) -> Option<Redis> {
        let dir = tempfile::tempdir().unwrap();
        fs::copy(dump, dir.path().join("dump.rdb")).unwrap();
        Redis::start_in(dir, password)
    }

    fn start_in(dir: tempfile::TempDir, password: Option<&str>) -> Option<Redis> {
        let Some(bin) = find_binary("redis-server") else {
            return missing("redis-server is not installed (apt-get install redis-server)");
        };
        let mut last_log = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = dir.path().join("redis.log");
            let mut cmd = Command::new(&bin);
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .arg("--dir")
                .arg(dir.path())
                .args([
                    "--dbfilename",
                    "dump.rdb",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .args(["--logfile", ""])
                .stdin(Stdio::null())
                .stdout(Stdio::from(fs::File::create(&log).unwrap()))
                .stderr(Stdio::from(
                    fs::File::create(dir.path().join("redis.err")).unwrap(),
                ));
            if let Some(pw) = password {
                cmd.args(["--requirepass", pw]);
            }
            let mut child = cmd.spawn().expect("spawn redis-server");
            if redis_ready(&mut child, port, password, Duration::from_secs(15)) {
                return Some(Redis {
                    port,
                    password: password.map(str::to_owned),
                    dir,
                    child,
                });
            }
            last_log = log_tail(&log);
            stop(&mut child, "-TERM", Duration::from_secs(2));
        }
        panic!("redis-server did not start; log:\n{last_log}");
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn conn(&self) -> RedisConn {
        RedisConn::connect(self.port, self.password.as_deref()).expect("connect to redis")
    }
}

fn redis_ready(child: &mut Child, port: u16, password: Option<&str>, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut c) = RedisConn::connect(port, password)
            && c.cmd(&["PING"]).ok() == Some(Reply::Status("PONG".into()))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- postgres ----------------------------------------------------------------

/// A PostgreSQL server on 127.0.0.1 (password auth, scram-sha-256) with
/// its data dir and socket dir in a temp dir; run as the `postgres` user
/// when the tests run as root. Stopped on drop.
pub struct Postgres {
    pub port: u16,
    pub user: String,
    pub password: String,
    pub bin: PathBuf,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Postgres {
    pub const USER: &'static str = "opsboard";
    /// Needs percent-encoding in a URL.
    pub const PASSWORD: &'static str = "p@ss w:rd/%&?";

    pub fn start() -> Option<Postgres> {
        let Some(initdb) = find_binary("initdb") else {
            return missing("PostgreSQL is not installed (apt-get install postgresql): no initdb");
        };
        let bin = fs::canonicalize(&initdb)
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        for tool in ["postgres", "psql", "pg_restore"] {
            if !is_executable(&bin.join(tool)) {
                return missing(&format!("no {tool} beside {}", initdb.display()));
            }
        }
        let root = run_text("id", &["-u"]).trim() == "0";
        let as_postgres: Vec<String> = if root {
            if id_of("-u").is_none() {
                return missing("running as root but there is no `postgres` user to run initdb");
            }
            if find_binary("setpriv").is_none() {
                return missing("setpriv (util-linux) is needed to run PostgreSQL as `postgres`");
            }
            [
                "setpriv",
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ]
            .map(String::from)
            .to_vec()
        } else {
            Vec::new()
        };

        let mut dir = tempfile::tempdir().unwrap();
        let pwfile = dir.path().join("pw");
        fs::write(&pwfile, format!("{}\n", Self::PASSWORD)).unwrap();
        fs::create_dir(dir.path().join("sock")).unwrap();
        if root {
            let (uid, gid) = (id_of("-u").unwrap(), id_of("-g").unwrap());
            for p in [dir.path(), &pwfile, &dir.path().join("sock")] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
            }
        }
        let data = dir.path().join("data");
        let init_log = dir.path().join("initdb.log");
        let status = sudo(&as_postgres, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", Self::USER, "--auth=scram-sha-256", "--no-sync"])
            .args(["--encoding=UTF8", "--locale=C"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(fs::File::create(&init_log).unwrap()))
            .stderr(Stdio::from(
                fs::File::create(dir.path().join("initdb.err")).unwrap(),
            ))
            .status()
            .expect("run initdb");
        assert!(
            status.success(),
            "initdb failed ({status}):\n{}",
            log_tail(&dir.path().join("initdb.err"))
        );

        let mut last_log = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = dir.path().join("postgres.log");
            let child = sudo(&as_postgres, &bin.join("postgres"))
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-k"])
                .arg(dir.path().join("sock"))
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
                .args(["-c", "full_page_writes=off", "-c", "synchronous_commit=off"])
                .args(["-c", "max_connections=20", "-c", "shared_buffers=16MB"])
                .args(["-c", "dynamic_shared_memory_type=mmap"])
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(fs::File::create(&log).unwrap()))
                .spawn()
                .expect("spawn postgres");
            let mut pg = Postgres {
                port,
                user: Self::USER.into(),
                password: Self::PASSWORD.into(),
                bin: bin.clone(),
                dir,
                child,
            };
            if pg.wait_ready(Duration::from_secs(30)) {
                return Some(pg);
            }
            last_log = log_tail(&log);
            stop(&mut pg.child, "-QUIT", Duration::from_secs(3));
            dir = pg.dir_out();
        }
        panic!("postgres did not start; log:\n{last_log}");
    }

    fn wait_ready(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if self
                .try_psql("postgres", "select 1")
                .is_ok_and(|o| o.trim() == "1")
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Takes the temp dir out of a server that failed to start.
    fn dir_out(mut self) -> tempfile::TempDir {
        let spare = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, spare)
    }

    /// `postgres://opsboard:<encoded password>@127.0.0.1:PORT/<db>`.
    pub fn url(&self, db: &str) -> String {
        self.url_with_password(db, &self.password)
    }

    pub fn url_with_password(&self, db: &str, password: &str) -> String {
        let enc: String = password
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!(
            "postgres://{}:{enc}@127.0.0.1:{}/{db}",
            self.user, self.port
        )
    }

    /// Runs SQL with `psql -At` over TCP with password auth; panics on error.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        self.try_psql(db, sql)
            .unwrap_or_else(|e| panic!("psql failed on {db}: {e}\nSQL: {sql}"))
    }

    pub fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = self
            .tool("psql")
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A client tool of the server's version with host, port, user and
    /// `PGPASSWORD` set.
    pub fn tool(&self, name: &str) -> Command {
        let mut c = Command::new(self.bin.join(name));
        c.env("PGHOST", "127.0.0.1")
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", &self.user)
            .env("PGPASSWORD", &self.password)
            .env_remove("PGDATABASE")
            .stdin(Stdio::null());
        c
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGQUIT: immediate shutdown; children exit with the postmaster.
        stop(&mut self.child, "-QUIT", Duration::from_secs(5));
    }
}

fn sudo(prefix: &[String], program: &Path) -> Command {
    match prefix.split_first() {
        None => Command::new(program),
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(program);
            c
        }
    }
}

fn run_text(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// `id -u postgres` / `id -g postgres`.
fn id_of(flag: &str) -> Option<u32> {
    run_text("id", &[flag, "postgres"]).trim().parse().ok()
}
