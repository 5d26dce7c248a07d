//! The shell's interpreter ([`Sh`]): runs parsed command lines against the
//! container — expansions, `&&`/`||`, pipes, redirections, the builtins
//! (`cd`, `exit`, `export`, `unset`, `exec`), nested shells (`sh -c …`,
//! or `bash` typed at a prompt) — with each shell's own wording of errors.

use super::super::clock::SimTime;
use super::ctx::Ran;
use super::files::{Files, Node};
use super::image::{Container, ShellKind};
use super::script::{self, Command, Part, RedirKind, SyntaxError, Then, Word};

/// What running a line gave, and whether the shell exits (with the code).
#[derive(Debug, Default)]
pub struct Outcome {
    pub out: Vec<u8>,
    pub err: Vec<u8>,
    pub exit: Option<u8>,
}

/// A shell (or, with `kind` `None`, a lone program) in the container.
pub struct Sh {
    pub container: Container,
    pub files: Files,
    pub env: Vec<(String, String)>,
    pub cwd: String,
    /// `$?`
    pub status: u8,
    pub kind: Option<ShellKind>,
    /// `$0`, as the shell was invoked (`sh`, `/bin/bash`).
    pub name: String,
    pub interactive: bool,
    /// Lines read so far (dash and bash number their errors).
    pub line: u32,
    pub tty: bool,
    pub size: (u16, u16),
    pub now: SimTime,
    /// The processes of the session: the exec'd one, then nested shells.
    pub procs: Vec<(u32, String)>,
    pub(super) next_pid: u32,
    /// Shells started from this one (`bash` typed at a prompt): what to
    /// return to on their `exit`.
    pub(super) outer: Vec<Saved>,
    /// stdin is a terminal (`-it`): `exec sh` in a `-c` script makes the
    /// session an interactive shell, as in a real container.
    pub terminal: bool,
    /// Set when a script `exec`'d an interactive shell: the session goes on
    /// at its prompt rather than ending.
    pub exec_prompt: bool,
}

pub(super) struct Saved {
    pub(super) kind: Option<ShellKind>,
    pub(super) name: String,
    pub(super) env: Vec<(String, String)>,
    pub(super) cwd: String,
}

const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl Sh {
    /// The exec'd process `argv` (PID `pid`) in `container`.
    pub fn new(container: Container, argv: &[String], tty: bool, now: SimTime, pid: u32) -> Sh {
        let mut env = vec![
            ("PATH".to_string(), PATH.to_string()),
            ("HOSTNAME".to_string(), container.pod.clone()),
        ];
        if tty {
            env.push(("TERM".into(), "xterm".into()));
        }
        let k8s = [
            ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
            ("KUBERNETES_SERVICE_PORT", "443"),
            ("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
            ("KUBERNETES_PORT", "tcp://10.96.0.1:443"),
            ("KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443"),
            ("KUBERNETES_PORT_443_TCP_PROTO", "tcp"),
            ("KUBERNETES_PORT_443_TCP_PORT", "443"),
            ("KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1"),
        ];
        let mut sh = Sh {
            files: Files::of(&container),
            container,
            env: Vec::new(),
            cwd: "/".into(),
            status: 0,
            kind: None,
            name: argv.first().cloned().unwrap_or_default(),
            interactive: false,
            line: 0,
            tty,
            size: (80, 24),
            now,
            procs: vec![(pid, argv.join(" "))],
            next_pid: pid + 6,
            outer: Vec::new(),
            terminal: false,
            exec_prompt: false,
        };
        for (k, v) in env {
            sh.set(&k, &v);
        }
        for (k, v) in sh.container.env.clone() {
            sh.set(&k, &v);
        }
        for (k, v) in k8s {
            sh.set(k, v);
        }
        sh.set("HOME", "/root");
        sh
    }

    /// Makes this the shell `kind` invoked as `name`.
    pub fn become_shell(&mut self, kind: ShellKind, name: &str) {
        self.kind = Some(kind);
        self.name = name.to_string();
        if kind != ShellKind::Dash {
            let level = self
                .var("SHLVL")
                .and_then(|l| l.parse::<u32>().ok())
                .unwrap_or(0);
            self.set("SHLVL", &(level + 1).to_string());
        }
        let cwd = self.cwd.clone();
        self.set("PWD", &cwd);
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set(&mut self, name: &str, value: &str) {
        match self.env.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value.to_string(),
            None => self.env.push((name.to_string(), value.to_string())),
        }
    }

    /// The prompt of the shell at its current directory.
    pub fn prompt(&self) -> String {
        let home = self.var("HOME").unwrap_or("/root");
        let here = if self.cwd == home {
            "~".to_string()
        } else if let Some(rest) = self.cwd.strip_prefix(&format!("{home}/")) {
            format!("~/{rest}")
        } else {
            self.cwd.clone()
        };
        match self.kind {
            Some(ShellKind::Bash) => format!("root@{}:{here}# ", self.container.pod),
            Some(ShellKind::Dash) => "# ".into(),
            _ => format!("{here} # "),
        }
    }

    /// `name: ` or `name: LINE: ` or `name: line LINE: `, as the shell
    /// prefixes an error.
    pub(super) fn who(&self) -> String {
        match self.kind {
            Some(ShellKind::Dash) => format!("{}: {}: ", self.name, self.line.max(1)),
            Some(ShellKind::Bash) if !self.interactive => {
                format!("{}: line {}: ", self.name, self.line.max(1))
            }
            _ => format!("{}: ", self.name),
        }
    }

    pub(super) fn syntax_error(&self, e: &SyntaxError) -> String {
        match (self.kind, e) {
            (Some(ShellKind::Dash), SyntaxError::Unterminated(_)) => {
                format!("{}Syntax error: Unterminated quoted string", self.who())
            }
            (Some(ShellKind::Dash), SyntaxError::Unexpected(t)) => {
                format!("{}Syntax error: \"{t}\" unexpected", self.who())
            }
            (Some(ShellKind::Bash), SyntaxError::Unterminated(q)) => {
                let close = if *q == '(' { ')' } else { *q };
                format!(
                    "{}: -c: line {}: unexpected EOF while looking for matching `{close}'",
                    self.name,
                    self.line.max(1)
                )
            }
            (Some(ShellKind::Bash), SyntaxError::Unexpected(t)) => {
                format!("{}: syntax error near unexpected token `{t}'", self.name)
            }
            (_, SyntaxError::Unterminated(_)) => {
                format!("{}: syntax error: unterminated quoted string", self.name)
            }
            (_, SyntaxError::Unexpected(t)) => {
                format!("{}: syntax error: unexpected \"{t}\"", self.name)
            }
        }
    }

    /// Runs one line (or a `-c` script) with `stdin` for its commands.
    pub fn run_script(&mut self, src: &str, stdin: &[u8]) -> Outcome {
        let items = match script::parse(src) {
            Ok(items) => items,
            Err(e) => {
                self.status = 2;
                return Outcome {
                    err: format!("{}\n", self.syntax_error(&e)).into_bytes(),
                    exit: (!self.interactive).then_some(2),
                    ..Outcome::default()
                };
            }
        };
        let mut done = Outcome::default();
        let mut skip = false;
        for item in items {
            if !skip {
                // A command of a longer pipeline runs in a subshell: its
                // `exit` ends only itself.
                let alone = item.pipeline.len() == 1;
                let mut input = stdin.to_vec();
                let mut last = Ran::default();
                for cmd in &item.pipeline {
                    let (ran, exit) = self.command(cmd, &input);
                    done.err.extend_from_slice(&ran.err);
                    match exit {
                        Some(code) if alone => {
                            done.out.extend_from_slice(&ran.out);
                            done.exit = Some(code);
                            self.status = code;
                            return done;
                        }
                        Some(code) => {
                            last = Ran { code, ..ran };
                        }
                        None => last = ran,
                    }
                    input = std::mem::take(&mut last.out);
                }
                self.status = last.code;
                done.out.extend_from_slice(&input);
            }
            skip = match item.then {
                Then::Seq => false,
                Then::And => self.status != 0,
                Then::Or => self.status == 0,
            };
        }
        done
    }

    /// One simple command: expansions, assignments, `<`, the command,
    /// then `>`/`2>`/`2>&1`. The second value is set when the shell exits.
    fn command(&mut self, cmd: &Command, stdin: &[u8]) -> (Ran, Option<u8>) {
        let mut err = Vec::new();
        let mut assigns = Vec::new();
        let mut words = Vec::new();
        for w in &cmd.words {
            let text = self.expand(w, &mut err);
            match assignment(w, &text) {
                Some(kv) if words.is_empty() => assigns.push(kv),
                _ => words.push(text),
            }
        }
        if words.is_empty() {
            for (k, v) in assigns {
                self.set(&k, &v);
            }
            return (
                Ran {
                    err,
                    ..Ran::default()
                },
                None,
            );
        }
        let mut input = stdin.to_vec();
        for r in cmd.redirs.iter().filter(|r| r.kind == RedirKind::In) {
            let name = r
                .target
                .as_ref()
                .map(|t| self.expand(t, &mut err))
                .unwrap_or_default();
            let path = self.path(&name);
            match self.files.get(&path).map(|e| &e.node) {
                Some(Node::File(b)) => input = b.clone(),
                _ => {
                    let why = match self.kind {
                        Some(ShellKind::Dash) => {
                            format!("{}cannot open {name}: No such file", self.who())
                        }
                        Some(ShellKind::Bash) => {
                            format!("{}{name}: No such file or directory", self.who())
                        }
                        _ => format!(
                            "{}: can't open '{name}': No such file or directory",
                            self.name
                        ),
                    };
                    err.extend_from_slice(format!("{why}\n").as_bytes());
                    return (
                        Ran {
                            err,
                            code: 1,
                            ..Ran::default()
                        },
                        None,
                    );
                }
            }
        }
        let saved = (!assigns.is_empty()).then(|| self.env.clone());
        for (k, v) in &assigns {
            self.set(k, v);
        }
        let (mut ran, exit) = self.invoke(&words, &input);
        if let Some(env) = saved {
            self.env = env;
        }
        err.append(&mut ran.err);
        ran.err = err;
        (self.redirect(cmd, ran), exit)
    }

    pub(super) fn path(&self, p: &str) -> String {
        super::files::resolve(&self.cwd, self.var("HOME").unwrap_or("/root"), p)
    }

    pub(super) fn expand(&mut self, w: &Word, err: &mut Vec<u8>) -> String {
        let mut out = String::new();
        for part in &w.parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Var(name) => out.push_str(&self.value(name)),
                Part::Subst(src) => {
                    let (env, cwd, interactive) =
                        (self.env.clone(), self.cwd.clone(), self.interactive);
                    self.interactive = false;
                    let o = self.run_script(src, &[]);
                    if let Some(code) = o.exit {
                        self.status = code;
                    }
                    (self.env, self.cwd, self.interactive) = (env, cwd, interactive);
                    err.extend_from_slice(&o.err);
                    let text = String::from_utf8_lossy(&o.out).into_owned();
                    out.push_str(text.trim_end_matches('\n'));
                }
            }
        }
        out
    }

    fn value(&self, name: &str) -> String {
        match name {
            "?" => self.status.to_string(),
            "$" => self.procs.first().map_or(1, |p| p.0).to_string(),
            "0" => self.name.clone(),
            "#" => "0".into(),
            _ => self.var(name).unwrap_or("").to_string(),
        }
    }
}

/// `NAME=value` at the start of a command: an assignment.
fn assignment(w: &Word, text: &str) -> Option<(String, String)> {
    let Some(Part::Lit(first)) = w.parts.first() else {
        return None;
    };
    let eq = first.find('=')?;
    let name = &first[..eq];
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return None;
    }
    let (k, v) = text.split_once('=')?;
    Some((k.to_string(), v.to_string()))
}
