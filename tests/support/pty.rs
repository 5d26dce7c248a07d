//! A pseudo-terminal harness for end-to-end tests of the real binary.
//!
//! [`Pty::spawn`] starts `opsboard` in a fresh pty with a throw-away home
//! (`HOME` and the XDG dirs point inside a temp dir; nothing else of the
//! caller's environment is passed on except `PATH`), and a reader thread
//! feeds every byte it prints into a `vt100` parser and a raw byte log.
//!
//! Waiting is always by polling with a deadline; a failed wait returns a
//! [`WaitError`] that prints the screen as it was, so a failure shows what
//! the user would have seen.
//!
//! ```ignore
//! let mut pty = Pty::spawn(&["demo"], &[], 80, 24);
//! pty.wait_for(TIMEOUT, |s| s.contains("q quit")).expect("first frame");
//! pty.send("q");
//! assert!(pty.wait_exit(TIMEOUT).expect("exit").success());
//! ```

#![allow(dead_code)]

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};
use tempfile::TempDir;

/// A generous deadline for anything the board does "at once". Waits poll
/// and return as soon as the condition holds; this only bounds a failure.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// How often waits look at the screen.
const POLL: Duration = Duration::from_millis(20);

/// Pause after a lone Esc, so the terminal parser does not read Esc and
/// the next key as Alt+key.
const ESC_PAUSE: Duration = Duration::from_millis(150);

/// What the reader thread has seen so far.
struct Output {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// The pty reported end of output (every slave fd closed).
    closed: bool,
}

/// A child process running in a pseudo-terminal.
pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    output: Arc<Mutex<Output>>,
    status: Option<ExitStatus>,
    home: TempDir,
}

/// A wait that timed out, with the screen at that moment.
pub struct WaitError {
    pub what: String,
    pub screen: String,
    pub output_closed: bool,
    pub exit: Option<ExitStatus>,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.what)?;
        match &self.exit {
            Some(s) => writeln!(f, "(process exited: {s})")?,
            None if self.output_closed => writeln!(f, "(pty output closed)")?,
            None => {}
        }
        writeln!(f, "--- screen ---")?;
        for (i, line) in self.screen.lines().enumerate() {
            writeln!(f, "{:>2}|{line}", i + 1)?;
        }
        write!(f, "--------------")
    }
}

impl fmt::Debug for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for WaitError {}

impl Pty {
    /// Starts `opsboard ARGS` in a `cols`×`rows` pty with a fresh temp home,
    /// `TERM=xterm-256color`, and `env` on top. Panics if the pty or the
    /// process cannot be set up (a broken test environment, not a finding).
    pub fn spawn(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Pty {
        let home = tempfile::tempdir().expect("create a temp home");
        Pty::spawn_in(home, args, env, cols, rows)
    }

    /// Like [`Pty::spawn`], with a home the caller prepared (e.g. with a
    /// config file in it). The pty owns the dir and deletes it on drop.
    pub fn spawn_in(
        home: TempDir,
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> Pty {
        let program = Path::new(env!("CARGO_BIN_EXE_opsboard"));
        Pty::spawn_program(home, program, args, env, cols, rows)
    }

    /// Like [`Pty::spawn_in`], for another program (`kubectl` in a
    /// terminal, say).
    pub fn spawn_program(
        home: TempDir,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> Pty {
        let pair = native_pty_system()
            .openpty(size(cols, rows))
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.cwd(home.path());
        // Nothing of the caller's environment leaks in (OPSBOARD_CONFIG,
        // NO_COLOR, OPSBOARD_LOG, COLUMNS...) except PATH.
        cmd.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        let h = home.path();
        cmd.env("HOME", h);
        cmd.env("XDG_CONFIG_HOME", h.join(".config"));
        cmd.env("XDG_STATE_HOME", h.join(".local/state"));
        cmd.env("XDG_DATA_HOME", h.join(".local/share"));
        cmd.env("XDG_CACHE_HOME", h.join(".cache"));
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn the program");
        // Our copy of the slave must go, or the reader never sees the end.
        drop(pair.slave);

        let output = Arc::new(Mutex::new(Output {
            parser: vt100::Parser::new(rows, cols, 0),
            raw: Vec::new(),
            closed: false,
        }));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let sink = Arc::clone(&output);
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    // EOF, or EIO once the child side is closed.
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut out = lock(&sink);
                        out.parser.process(&buf[..n]);
                        out.raw.extend_from_slice(&buf[..n]);
                    }
                }
            }
            lock(&sink).closed = true;
        });
        Pty {
            master: pair.master,
            writer,
            child,
            output,
            status: None,
            home,
        }
    }

    /// The temp home the process runs with.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("child pid")
    }

    /// Types bytes into the terminal.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.writer
            .write_all(bytes.as_ref())
            .and_then(|()| self.writer.flush())
            .expect("write to the pty");
    }

    /// Confirms a dialog as a person does: after reading it. opsboard
    /// ignores a confirming key that comes within a moment of the dialog
    /// being drawn (a double Enter meant for the dialog before).
    pub fn confirm(&mut self, bytes: impl AsRef<[u8]>) {
        thread::sleep(Duration::from_millis(400));
        self.send(bytes);
    }

    /// Presses Esc alone: a short pause before and after keeps it from
    /// being read together with a neighbouring key as Alt+key.
    pub fn send_esc(&mut self) {
        thread::sleep(ESC_PAUSE);
        self.send(b"\x1b");
        thread::sleep(ESC_PAUSE);
    }

    /// Sends a signal by name (`TERM`, `HUP`, `INT`) with `kill(1)`.
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// Resizes the pty (the child gets SIGWINCH) and the emulated screen.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        // Hold the parser while resizing so every byte drawn for the new
        // size is parsed at the new size.
        let mut out = lock(&self.output);
        out.parser.screen_mut().set_size(rows, cols);
        self.master
            .resize(size(cols, rows))
            .expect("resize the pty");
    }

    /// The screen as text: one line per row (so `lines().nth(r)` is row
    /// `r`), trailing blanks trimmed.
    pub fn screen_text(&self) -> String {
        screen_text(lock(&self.output).parser.screen())
    }

    /// Runs `f` on the emulated screen (cells, colours, cursor, modes).
    pub fn with_screen<R>(&self, f: impl FnOnce(&vt100::Screen) -> R) -> R {
        f(lock(&self.output).parser.screen())
    }

    /// Every byte the process has written to the terminal so far.
    /// Sends `key` and returns how long until the first byte of the
    /// answer reached the pty (polled every 0.5 ms), or `None` if nothing
    /// came within `timeout`. The key must change the screen.
    pub fn key_latency(&mut self, key: &str, timeout: Duration) -> Option<Duration> {
        let before = lock(&self.output).raw.len();
        let start = Instant::now();
        self.send(key);
        while start.elapsed() < timeout {
            if lock(&self.output).raw.len() > before {
                return Some(start.elapsed());
            }
            thread::sleep(Duration::from_micros(500));
        }
        None
    }

    pub fn raw(&self) -> Vec<u8> {
        lock(&self.output).raw.clone()
    }

    /// [`Pty::raw`] as text, with `\r` removed (the tty turns `\n` into
    /// `\r\n`), for reading plain output that may be wider than the screen.
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw()).replace('\r', "")
    }

    /// Polls until `pred` holds for the screen text; returns that text.
    pub fn wait_for(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> bool,
    ) -> Result<String, WaitError> {
        let mut last = String::new();
        self.wait_for_screen(timeout, |s| {
            last = screen_text(s);
            pred(&last)
        })
        .map(|()| last)
    }

    /// Polls until `pred` holds for the emulated screen.
    pub fn wait_for_screen(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&vt100::Screen) -> bool,
    ) -> Result<(), WaitError> {
        let deadline = Instant::now() + timeout;
        loop {
            let (ok, closed) = {
                let out = lock(&self.output);
                (pred(out.parser.screen()), out.closed)
            };
            if ok {
                return Ok(());
            }
            // Output that has ended will not change any more.
            if closed || Instant::now() >= deadline {
                return Err(self.error(format!(
                    "the screen did not reach the expected state within {timeout:?}"
                )));
            }
            thread::sleep(POLL);
        }
    }

    /// Waits for the process to exit and for the pty to report the end of
    /// its output, so [`Pty::raw`] is complete afterwards.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, WaitError> {
        let deadline = Instant::now() + timeout;
        while self.status.is_none() {
            match self.child.try_wait() {
                Ok(Some(status)) => self.status = Some(status),
                Ok(None) if Instant::now() >= deadline => {
                    return Err(self.error(format!("the process did not exit within {timeout:?}")));
                }
                Ok(None) => thread::sleep(POLL),
                Err(e) => return Err(self.error(format!("waiting for the process failed: {e}"))),
            }
        }
        while !lock(&self.output).closed {
            if Instant::now() >= deadline {
                return Err(self.error(format!(
                    "the process exited but the pty output did not end within {timeout:?}"
                )));
            }
            thread::sleep(POLL);
        }
        Ok(self.status.clone().expect("status set above"))
    }

    /// Whether the tty is in canonical (cooked) mode with echo, i.e. not in
    /// raw mode; `None` where that cannot be read. Still answers after the
    /// child has exited, since we hold the master side open.
    pub fn tty_cooked(&self) -> Option<bool> {
        #[cfg(target_os = "linux")]
        {
            const ICANON: u32 = 0o2;
            const ECHO: u32 = 0o10;
            let flags = self.master.get_termios()?.local_flags.bits();
            Some(flags & ICANON != 0 && flags & ECHO != 0)
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }

    fn error(&self, what: String) -> WaitError {
        let out = lock(&self.output);
        WaitError {
            what,
            screen: screen_text(out.parser.screen()),
            output_closed: out.closed,
            exit: self.status.clone(),
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.status.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            // SIGHUP, then SIGKILL after a grace period.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The screen as text, one line per row, trailing blanks trimmed.
pub fn screen_text(screen: &vt100::Screen) -> String {
    let (_, cols) = screen.size();
    screen
        .rows(0, cols)
        .map(|r| r.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A path as a `&str`, for arguments.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// A file inside `dir` holding `text`.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a test file");
    path
}

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

fn lock(m: &Mutex<Output>) -> MutexGuard<'_, Output> {
    // A panicking waiter must not hide the output from the next one.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The services-table row of `name` (its third word, after the status
/// glyph and badge), if on screen.
pub fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some(name))
}
