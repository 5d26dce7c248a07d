//! A simulated process in a container, for `pods/exec`: deterministic, no
//! real process is started. A [`Session`] is a state machine: it is
//! started with the command and the stream options of the request, then
//! fed what the client types (stdin), its end (stdin closed) and terminal
//! sizes, and answers with output and, once, an exit code.
//!
//! What is simulated:
//! - the image's userland: BusyBox (`/bin/sh` is ash) for the demo's own
//!   services, Prometheus and Alpine/BusyBox images; Debian (`sh` is dash,
//!   `bash` too) for nginx, Redis, PostgreSQL, Python, Node images;
//! - programs: `sh`/`ash`/`dash`/`bash`, `cat`, `echo`, `printf`, `env`,
//!   `printenv`, `hostname`, `pwd`, `ls`, `ps`, `date`, `uname`, `id`,
//!   `whoami`, `stty`, `grep` (fixed strings), `head`, `tail`, `wc`,
//!   `which`, `sleep` (returns at once), `true`, `false`, `clear`;
//!   anything else is not on the `PATH`: exec'd directly, the runtime
//!   refuses it (`executable file not found in $PATH`); typed into a
//!   shell, the shell says `not found` and `$?` is 127;
//! - shell syntax: quoting, `$VAR`, `$?`, `$(…)`, `;`, `&&`, `||`, `|`,
//!   `>`, `>>`, `<`, `2>`, `2>&1`; builtins `cd`, `exit`, `export`,
//!   `unset`, `exec`; each shell's own prompt and error wording;
//! - files: the image's directories, `/etc/hostname`, `/etc/hosts`,
//!   `/etc/resolv.conf`, `/etc/os-release`, the service account namespace,
//!   a few of the program's own; what the session writes is kept until it
//!   ends;
//! - the environment: `PATH`, `HOSTNAME`, `TERM` (with a terminal), the
//!   pod spec's literal `env`, the `KUBERNETES_*` service variables, `HOME`;
//! - a terminal (`tty=true`): echo, Backspace, Ctrl-U, Ctrl-C, Ctrl-D,
//!   Up/Down history at a prompt, `\n` written as `\r\n`, stderr merged
//!   into stdout, `stty size` following resizes.
//!
//! Not simulated: globs, control flow (`if`, `for`, `while`), functions,
//! subshells, background jobs, signals other than Ctrl-C, word splitting
//! of expansions, `valueFrom` environment variables, programs that keep
//! running (everything but `cat` and the shells ends at once), cursor
//! movement within a line.

mod builtins;
mod ctx;
mod files;
mod image;
mod line;
mod listing;
mod programs;
mod run;
mod script;
#[cfg(test)]
mod tests;

pub use image::Container;

use super::clock::SimTime;
use image::ShellKind;
use image::shell_kind;
use line::{LineEditor, Typed};
use run::Sh;

/// The streams the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    pub stdin: bool,
    pub tty: bool,
}

/// What one step of the session wrote, and its exit code once it ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: Vec<u8>,
    /// Empty with a terminal: the terminal merges it into `stdout`.
    pub stderr: Vec<u8>,
    pub exit: Option<u8>,
}

/// The runtime could not start the command (the program is not there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound {
    /// The runtime's words, e.g. `exec: "bash": executable file not found in $PATH`.
    pub detail: String,
}

enum Mode {
    Ended,
    /// An interactive shell at its prompt.
    Prompt,
    /// A shell reading commands from a pipe.
    Script {
        pending: Vec<u8>,
    },
    /// `cat` copying its input.
    Cat,
    /// A program that reads all its input, then runs (`grep x`, `wc -l`).
    Collect {
        argv: Vec<String>,
        input: Vec<u8>,
    },
}

pub struct Session {
    sh: Sh,
    mode: Mode,
    editor: Option<LineEditor>,
}

impl Session {
    /// Starts `argv` (not empty) in `container` as PID `pid`; its first
    /// output (a prompt, or all a short command writes).
    pub fn start(
        container: Container,
        argv: &[String],
        streams: Streams,
        now: SimTime,
        pid: u32,
    ) -> Result<(Session, Output), NotFound> {
        let name = argv.first().map(String::as_str).unwrap_or("");
        let distro = container.distro();
        let Some(program) = programs::find(distro, name) else {
            let detail = if name.contains('/') {
                format!("exec: \"{name}\": stat {name}: no such file or directory")
            } else {
                format!("exec: \"{name}\": executable file not found in $PATH")
            };
            return Err(NotFound { detail });
        };
        let tty = streams.tty;
        let mut s = Session {
            sh: Sh::new(container, argv, tty, now, pid),
            mode: Mode::Ended,
            editor: None,
        };
        let args = &argv[1..];
        let mut out = Output::default();
        if let Some(kind) = shell_kind(distro, program) {
            s.sh.become_shell(kind, name);
            let operands = args.iter().any(|a| !a.starts_with('-'));
            let reads_input = !operands && !args.iter().any(|a| a == "-c");
            match (reads_input, streams.stdin, tty) {
                (true, true, true) => {
                    s.sh.interactive = true;
                    s.editor = Some(LineEditor::new(true));
                    s.mode = Mode::Prompt;
                    out.stdout = s.sh.prompt().into_bytes();
                    return Ok((s, out));
                }
                (true, true, false) => {
                    s.mode = Mode::Script {
                        pending: Vec::new(),
                    };
                    return Ok((s, out));
                }
                _ => {}
            }
        } else if streams.stdin && reads_input(program, args) {
            s.editor = tty.then(|| LineEditor::new(false));
            s.mode = if program == "cat" {
                Mode::Cat
            } else {
                Mode::Collect {
                    argv: argv.to_vec(),
                    input: Vec::new(),
                }
            };
            return Ok((s, out));
        }
        // Runs to its end now, its input empty (or closed) — unless a
        // script `exec`s an interactive shell on the terminal
        // (`sh -c '… exec bash || exec sh'`, as k9s and opsboard open one).
        s.sh.terminal = streams.stdin && tty;
        let ran = s.sh.run_argv(argv, &[]);
        s.write(&mut out, &ran.0, &ran.1);
        if std::mem::take(&mut s.sh.exec_prompt) {
            s.editor = Some(LineEditor::new(true));
            s.mode = Mode::Prompt;
            out.stdout.extend_from_slice(s.sh.prompt().as_bytes());
            return Ok((s, out));
        }
        out.exit = Some(ran.2);
        Ok((s, out))
    }

    pub fn ended(&self) -> bool {
        matches!(self.mode, Mode::Ended)
    }

    /// The terminal is now `cols` × `rows`.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.sh.size = (cols.max(1), rows.max(1));
    }

    /// What the client sent on stdin, at simulated time `now`.
    pub fn input(&mut self, bytes: &[u8], now: SimTime) -> Output {
        self.sh.now = now;
        let mut out = Output::default();
        let typed = match &mut self.editor {
            Some(e) => e.feed(bytes),
            None => {
                self.raw(bytes, &mut out);
                return out;
            }
        };
        for t in typed {
            if self.ended() {
                break;
            }
            match t {
                Typed::Echo(b) => out.stdout.extend_from_slice(&b),
                Typed::Line(line) => self.line(line, &mut out),
                Typed::Interrupt => match self.mode {
                    Mode::Prompt => {
                        out.stdout.extend_from_slice(self.sh.prompt().as_bytes());
                    }
                    _ => self.end(130, &mut out),
                },
                Typed::EndOfInput => self.end_of_input_into(&mut out, true),
            }
        }
        out
    }

    /// The client closed stdin.
    pub fn close_stdin(&mut self, now: SimTime) -> Output {
        self.sh.now = now;
        let mut out = Output::default();
        self.end_of_input_into(&mut out, false);
        out
    }

    fn raw(&mut self, bytes: &[u8], out: &mut Output) {
        match &mut self.mode {
            Mode::Cat => out.stdout.extend_from_slice(bytes),
            Mode::Collect { input, .. } => input.extend_from_slice(bytes),
            Mode::Script { pending } => {
                pending.extend_from_slice(bytes);
                while let Mode::Script { pending } = &mut self.mode {
                    let Some(nl) = pending.iter().position(|&b| b == b'\n') else {
                        break;
                    };
                    let line: Vec<u8> = pending.drain(..=nl).collect();
                    let line = String::from_utf8_lossy(&line[..nl]).into_owned();
                    self.line(line, out);
                }
            }
            Mode::Prompt | Mode::Ended => {}
        }
    }

    /// A whole line of input for the running program.
    fn line(&mut self, line: String, out: &mut Output) {
        match &mut self.mode {
            Mode::Prompt | Mode::Script { .. } => {
                self.sh.line += 1;
                let o = self.sh.run_script(&line, &[]);
                self.write(out, &o.out, &o.err);
                match o.exit {
                    Some(code) => self.end(code, out),
                    None if matches!(self.mode, Mode::Prompt) => {
                        out.stdout.extend_from_slice(self.sh.prompt().as_bytes());
                    }
                    None => {}
                }
            }
            Mode::Cat => {
                let text = format!("{line}\n");
                self.write(out, text.as_bytes(), &[]);
            }
            Mode::Collect { input, .. } => {
                input.extend_from_slice(line.as_bytes());
                input.push(b'\n');
            }
            Mode::Ended => {}
        }
    }

    fn end_of_input_into(&mut self, out: &mut Output, typed: bool) {
        match std::mem::replace(&mut self.mode, Mode::Ended) {
            Mode::Prompt => {
                if typed {
                    let bye: &[u8] = if self.sh.kind == Some(ShellKind::Bash) {
                        b"exit\r\n"
                    } else {
                        b"\r\n"
                    };
                    out.stdout.extend_from_slice(bye);
                }
                self.end(self.sh.status, out);
            }
            Mode::Script { pending } => {
                self.mode = Mode::Script {
                    pending: Vec::new(),
                };
                if !pending.is_empty() {
                    let line = String::from_utf8_lossy(&pending).into_owned();
                    self.line(line, out);
                }
                if !self.ended() {
                    self.end(self.sh.status, out);
                }
            }
            Mode::Cat => self.end(0, out),
            Mode::Collect { argv, input } => {
                let (o, e, code) = self.sh.run_argv(&argv, &input);
                self.write(out, &o, &e);
                self.end(code, out);
            }
            Mode::Ended => {}
        }
    }

    fn end(&mut self, code: u8, out: &mut Output) {
        self.mode = Mode::Ended;
        out.exit = Some(code);
    }

    /// Program output as the client receives it: through the terminal
    /// (`\n` → `\r\n`, stderr merged) or on its two streams.
    fn write(&self, out: &mut Output, stdout: &[u8], stderr: &[u8]) {
        if self.sh.tty {
            for b in stdout.iter().chain(stderr) {
                if *b == b'\n' {
                    out.stdout.push(b'\r');
                }
                out.stdout.push(*b);
            }
        } else {
            out.stdout.extend_from_slice(stdout);
            out.stderr.extend_from_slice(stderr);
        }
    }
}

/// Whether `program` with `args` reads its standard input (a filter
/// without file operands).
fn reads_input(program: &str, args: &[String]) -> bool {
    let mut operands = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-n" {
            it.next();
        } else if !a.starts_with('-') || a == "-" {
            operands.push(a.as_str());
        }
    }
    match program {
        "cat" | "head" | "tail" | "wc" => operands.iter().all(|o| *o == "-"),
        "grep" => operands.len() == 1,
        _ => false,
    }
}
