//! The shell's builtins (`cd`, `exit`, `export`, `unset`, `exec`, `:`),
//! shells started from the shell, finding and running programs, and
//! redirections.

use super::ctx::{Ctx, Ran};
use super::files::{FsError, Node};
use super::image::{ShellKind, shell_kind};
use super::programs;
use super::run::{Saved, Sh};
use super::script::{Command, RedirKind};

/// Names the shell runs itself.
const BUILTINS: &[&str] = &["cd", "exit", "export", "unset", "exec", ":", "command"];

impl Sh {
    /// Whether `args` starts an interactive shell: a shell with no script
    /// (no `-c`, no file operand).
    fn interactive_shell_call(&self, args: &[String]) -> bool {
        let distro = self.container.distro();
        programs::find(distro, &args[0])
            .and_then(|p| shell_kind(distro, p))
            .is_some()
            && !args[1..].iter().any(|a| a == "-c" || !a.starts_with('-'))
    }

    /// Runs the exec'd command itself to its end with `input`: a shell's
    /// `-c` script or script file, or a program. Its stdout, stderr and
    /// exit code.
    pub fn run_argv(&mut self, argv: &[String], input: &[u8]) -> (Vec<u8>, Vec<u8>, u8) {
        let Some(kind) = self.kind else {
            let (ran, exit) = self.invoke(argv, input);
            return (ran.out, ran.err, exit.unwrap_or(ran.code));
        };
        let args = &argv[1..];
        let script = match args.iter().position(|a| a == "-c") {
            Some(i) => {
                let Some(script) = args.get(i + 1) else {
                    let ran =
                        Ran::fail(2, format!("{}: -c: option requires an argument", self.name));
                    return (ran.out, ran.err, ran.code);
                };
                if let Some(zero) = args.get(i + 2) {
                    self.name = zero.clone();
                }
                script.clone()
            }
            None => match args.iter().find(|a| !a.starts_with('-')) {
                Some(file) => match self.files.get(&self.path(file)).map(|e| &e.node) {
                    Some(Node::File(b)) => String::from_utf8_lossy(b).into_owned(),
                    _ => {
                        let ran = cannot_open(kind, &argv[0], file);
                        return (ran.out, ran.err, ran.code);
                    }
                },
                None => String::from_utf8_lossy(input).into_owned(),
            },
        };
        self.line = 1;
        let o = self.run_script(&script, &[]);
        (o.out, o.err, o.exit.unwrap_or(self.status))
    }

    /// Runs a builtin, a nested shell or a program.
    pub(super) fn invoke(&mut self, words: &[String], input: &[u8]) -> (Ran, Option<u8>) {
        let name = words[0].as_str();
        let args = &words[1..];
        match name {
            "cd" => return (self.cd(args), None),
            "exit" => return self.exit(args),
            ":" => return (Ran::default(), None),
            "export" if args.is_empty() => {
                let mut out = String::new();
                for (k, v) in &self.env {
                    match self.kind {
                        Some(ShellKind::Bash) => out.push_str(&format!("declare -x {k}=\"{v}\"\n")),
                        _ => out.push_str(&format!("export {k}='{v}'\n")),
                    }
                }
                return (Ran::ok(out), None);
            }
            "export" => {
                for a in args {
                    if let Some((k, v)) = a.split_once('=') {
                        self.set(k, v);
                    }
                }
                return (Ran::default(), None);
            }
            "unset" => {
                self.env.retain(|(k, _)| !args.contains(k));
                return (Ran::default(), None);
            }
            "exec" if args.is_empty() => return (Ran::default(), None),
            "exec" if self.terminal && self.interactive_shell_call(args) => {
                // The process becomes that shell, reading the terminal.
                let distro = self.container.distro();
                if let Some(kind) =
                    programs::find(distro, &args[0]).and_then(|p| shell_kind(distro, p))
                {
                    self.become_shell(kind, &args[0]);
                    self.interactive = true;
                    self.exec_prompt = true;
                }
                return (Ran::default(), Some(0));
            }
            "command" if args.first().is_some_and(|a| a == "-v" || a == "-V") => {
                let distro = self.container.distro();
                let mut out = String::new();
                let mut code = 0;
                for name in &args[1..] {
                    match programs::find(distro, name) {
                        _ if BUILTINS.contains(&name.as_str()) => {
                            out.push_str(&format!("{name}\n"));
                        }
                        Some(p) => out.push_str(&format!("/usr/bin/{p}\n")),
                        None => code = 1,
                    }
                }
                return (
                    Ran {
                        code,
                        ..Ran::ok(out)
                    },
                    None,
                );
            }
            "exec" => {
                let (ran, exit) = self.invoke(args, input);
                let code = exit.unwrap_or(ran.code);
                return (ran, Some(code));
            }
            _ => {}
        }
        let distro = self.container.distro();
        let Some(program) = programs::find(distro, name) else {
            let why = match self.kind {
                Some(ShellKind::Bash) if name.contains('/') => "No such file or directory",
                Some(ShellKind::Bash) => "command not found",
                _ => "not found",
            };
            return (Ran::fail(127, format!("{}{name}: {why}", self.who())), None);
        };
        if let Some(kind) = shell_kind(distro, program) {
            return self.nested(kind, words, input);
        }
        if program == "env"
            && let Some(i) = args
                .iter()
                .position(|a| !a.contains('=') && !a.starts_with('-'))
        {
            let saved = self.env.clone();
            if args[..i].iter().any(|a| a == "-i") {
                self.env.clear();
            }
            for a in &args[..i] {
                if let Some((k, v)) = a.split_once('=') {
                    self.set(k, v);
                }
            }
            let r = self.invoke(&args[i..], input);
            self.env = saved;
            return r;
        }
        let mut procs = self.procs.clone();
        // A program run by a shell is a new process; exec'd alone, it is
        // the session's own.
        if self.kind.is_some() {
            self.next_pid += 1;
            procs.push((self.next_pid, words.join(" ")));
        }
        let ctx = Ctx {
            container: &self.container,
            files: &self.files,
            env: &self.env,
            cwd: &self.cwd,
            tty: self.tty,
            size: self.size,
            now: self.now,
            procs: &procs,
        };
        (programs::run(&ctx, program, args, input), None)
    }

    /// `sh -c SCRIPT`, `sh FILE`, `sh` reading its input, or (at a prompt)
    /// a shell in the shell.
    fn nested(&mut self, kind: ShellKind, words: &[String], input: &[u8]) -> (Ran, Option<u8>) {
        let args = &words[1..];
        let script = match args.iter().position(|a| a == "-c") {
            Some(i) => match args.get(i + 1) {
                Some(s) => Some(s.clone()),
                None => {
                    return (
                        Ran::fail(2, format!("{}: -c: option requires an argument", words[0])),
                        None,
                    );
                }
            },
            None => match args.iter().find(|a| !a.starts_with('-')) {
                Some(file) => match self.files.get(&self.path(file)).map(|e| &e.node) {
                    Some(Node::File(b)) => Some(String::from_utf8_lossy(b).into_owned()),
                    _ => return (cannot_open(kind, &words[0], file), None),
                },
                None if self.interactive => {
                    self.outer.push(Saved {
                        kind: self.kind,
                        name: self.name.clone(),
                        env: self.env.clone(),
                        cwd: self.cwd.clone(),
                    });
                    self.next_pid += 1;
                    self.procs.push((self.next_pid, words.join(" ")));
                    self.become_shell(kind, &words[0]);
                    return (Ran::default(), None);
                }
                None => Some(String::from_utf8_lossy(input).into_owned()),
            },
        };
        let script = script.unwrap_or_default();
        let saved = (
            self.kind,
            self.name.clone(),
            self.env.clone(),
            self.cwd.clone(),
            self.interactive,
            self.line,
        );
        self.next_pid += 1;
        self.procs.push((self.next_pid, words.join(" ")));
        self.become_shell(kind, &words[0]);
        self.interactive = false;
        self.line = 1;
        let o = self.run_script(&script, &[]);
        let code = o.exit.unwrap_or(self.status);
        self.procs.pop();
        (
            self.kind,
            self.name,
            self.env,
            self.cwd,
            self.interactive,
            self.line,
        ) = saved;
        (
            Ran {
                out: o.out,
                err: o.err,
                code,
            },
            None,
        )
    }

    fn cd(&mut self, args: &[String]) -> Ran {
        let home = self.var("HOME").unwrap_or("/root").to_string();
        let (target, show) = match args.first().map(String::as_str) {
            None => (home, false),
            Some("-") => (self.var("OLDPWD").unwrap_or(&self.cwd).to_string(), true),
            Some(p) => (p.to_string(), false),
        };
        let abs = self.path(&target);
        let why = match self.files.get(&abs).map(|e| &e.node) {
            Some(Node::Dir) => {
                let old = std::mem::replace(&mut self.cwd, abs.clone());
                self.set("OLDPWD", &old);
                self.set("PWD", &abs);
                return if show {
                    Ran::ok(format!("{abs}\n"))
                } else {
                    Ran::default()
                };
            }
            Some(Node::File(_)) => "Not a directory",
            None => "No such file or directory",
        };
        match self.kind {
            Some(ShellKind::Bash) => Ran::fail(1, format!("{}cd: {target}: {why}", self.who())),
            Some(ShellKind::Dash) => {
                Ran::fail(2, format!("{}cd: can't cd to {target}", self.who()))
            }
            _ => Ran::fail(2, format!("{}: cd: can't cd to {target}: {why}", self.name)),
        }
    }

    fn exit(&mut self, args: &[String]) -> (Ran, Option<u8>) {
        let code = match args.first() {
            None => self.status,
            Some(a) => match a.parse::<i64>() {
                Ok(n) => (n & 0xff) as u8,
                Err(_) => {
                    let msg = match self.kind {
                        Some(ShellKind::Bash) => {
                            format!("{}exit: {a}: numeric argument required", self.who())
                        }
                        _ => format!("{}exit: Illegal number: {a}", self.who()),
                    };
                    return (Ran::fail(2, msg), None);
                }
            },
        };
        let mut ran = Ran {
            code,
            ..Ran::default()
        };
        if self.interactive && self.kind == Some(ShellKind::Bash) {
            ran.err = b"exit\n".to_vec();
        }
        if let Some(s) = self.outer.pop() {
            self.procs.pop();
            (self.kind, self.name, self.env, self.cwd) = (s.kind, s.name, s.env, s.cwd);
            self.status = code;
            return (ran, None);
        }
        (ran, Some(code))
    }

    /// Sends the output where the redirections say, in their order.
    pub(super) fn redirect(&mut self, cmd: &Command, ran: Ran) -> Ran {
        #[derive(Clone)]
        enum To {
            Out,
            Err,
            File(String, bool),
        }
        let (mut one, mut two) = (To::Out, To::Err);
        let mut scratch = Vec::new();
        for r in &cmd.redirs {
            let file = |sh: &mut Sh, scratch: &mut Vec<u8>, append| {
                let name = r
                    .target
                    .as_ref()
                    .map(|t| sh.expand(t, scratch))
                    .unwrap_or_default();
                To::File(name, append)
            };
            match r.kind {
                RedirKind::Out { append } => one = file(self, &mut scratch, append),
                RedirKind::Err { append } => two = file(self, &mut scratch, append),
                RedirKind::ErrToOut => two = one.clone(),
                RedirKind::OutToErr => one = two.clone(),
                RedirKind::In => {}
            }
        }
        let mut result = Ran {
            code: ran.code,
            err: scratch,
            ..Ran::default()
        };
        for (bytes, to) in [(ran.out, one), (ran.err, two)] {
            match to {
                To::Out => result.out.extend_from_slice(&bytes),
                To::Err => result.err.extend_from_slice(&bytes),
                To::File(name, append) => {
                    let path = self.path(&name);
                    if let Err(e) = self.files.write(&path, &bytes, append, self.now) {
                        let msg = match (self.kind, e) {
                            (Some(ShellKind::Bash), e) => {
                                format!("{}{name}: {}", self.who(), e.text())
                            }
                            (Some(ShellKind::Dash), FsError::IsADirectory) => {
                                format!("{}cannot create {name}: Is a directory", self.who())
                            }
                            (Some(ShellKind::Dash), _) => {
                                format!("{}cannot create {name}: Directory nonexistent", self.who())
                            }
                            (_, FsError::IsADirectory) => {
                                format!("{}: can't create {name}: Is a directory", self.name)
                            }
                            _ => {
                                format!("{}: can't create {name}: nonexistent directory", self.name)
                            }
                        };
                        result.err.extend_from_slice(format!("{msg}\n").as_bytes());
                        result.code = 1;
                    }
                }
            }
        }
        result
    }
}

/// A shell given a script file that is not there.
fn cannot_open(kind: ShellKind, shell: &str, file: &str) -> Ran {
    match kind {
        ShellKind::Ash => Ran::fail(
            2,
            format!("{shell}: can't open '{file}': No such file or directory"),
        ),
        ShellKind::Dash => Ran::fail(2, format!("{shell}: 0: cannot open {file}: No such file")),
        ShellKind::Bash => Ran::fail(127, format!("{shell}: {file}: No such file or directory")),
    }
}
