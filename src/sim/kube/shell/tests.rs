//! The session state machine driven byte by byte, as the exec endpoint
//! drives it.

use super::*;

const POD: &str = "api-7d9f8-x2x4q";
/// 2026-12-03 14:53:28 UTC.
const NOW: SimTime = 1_796_309_608_000;

fn container(image: &str) -> Container {
    Container {
        pod: POD.into(),
        namespace: "shop".into(),
        image: image.into(),
        pod_ip: "10.244.1.7".into(),
        env: vec![
            ("MODE".into(), "production".into()),
            ("DB_HOST".into(), "postgres.shop".into()),
        ],
        main: "/app/api --listen=:8080".into(),
        port: Some(8080),
        started: NOW - 3_600_000,
    }
}

const ALPINE: &str = "registry.local/api:1.4.2";
const DEBIAN: &str = "nginx:1.25.3";

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn start(image: &str, words: &[&str], stdin: bool, tty: bool) -> (Session, Output) {
    Session::start(
        container(image),
        &argv(words),
        Streams { stdin, tty },
        NOW,
        7,
    )
    .unwrap_or_else(|e| panic!("{words:?} did not start: {e:?}"))
}

/// Runs a command without input; (stdout, stderr, exit code).
fn run(image: &str, words: &[&str]) -> (String, String, u8) {
    let (_, out) = start(image, words, false, false);
    let exit = out
        .exit
        .unwrap_or_else(|| panic!("{words:?} should end at once"));
    (text(&out.stdout), text(&out.stderr), exit)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sh(image: &str, script: &str) -> (String, String, u8) {
    run(image, &["sh", "-c", script])
}

#[test]
fn a_command_runs_once_and_exits() {
    assert_eq!(run(ALPINE, &["echo", "ok"]), ("ok\n".into(), "".into(), 0));
    assert_eq!(run(ALPINE, &["hostname"]).0, format!("{POD}\n"));
    assert_eq!(run(ALPINE, &["true"]).2, 0);
    assert_eq!(run(ALPINE, &["false"]).2, 1);
    assert_eq!(sh(ALPINE, "exit 3").2, 3);
    assert_eq!(sh(ALPINE, "exit 259").2, 3, "exit codes wrap like a byte");
    assert_eq!(run(ALPINE, &["pwd"]).0, "/\n");
    assert_eq!(run(ALPINE, &["whoami"]).0, "root\n");
    assert_eq!(
        run(ALPINE, &["date"]).0,
        "Thu Dec  3 14:53:28 UTC 2026\n",
        "the simulated clock"
    );
    assert_eq!(run(ALPINE, &["date", "+%s"]).0, "1796309608\n");
}

#[test]
fn unknown_commands_are_refused_by_the_runtime_or_the_shell() {
    let err = Session::start(
        container(ALPINE),
        &argv(&["nosuch"]),
        Streams {
            stdin: false,
            tty: false,
        },
        NOW,
        7,
    )
    .err()
    .map(|e| e.detail);
    assert_eq!(
        err.as_deref(),
        Some("exec: \"nosuch\": executable file not found in $PATH")
    );
    let bash = Session::start(
        container(ALPINE),
        &argv(&["/bin/bash"]),
        Streams {
            stdin: true,
            tty: true,
        },
        NOW,
        7,
    )
    .err()
    .map(|e| e.detail);
    assert_eq!(
        bash.as_deref(),
        Some("exec: \"/bin/bash\": stat /bin/bash: no such file or directory"),
        "Alpine has no bash"
    );
    assert_eq!(
        sh(ALPINE, "nosuch"),
        ("".into(), "sh: nosuch: not found\n".into(), 127)
    );
    assert_eq!(sh(DEBIAN, "nosuch").1, "sh: 1: nosuch: not found\n");
    assert_eq!(
        run(DEBIAN, &["bash", "-c", "nosuch"]).1,
        "bash: line 1: nosuch: command not found\n"
    );
    assert_eq!(
        run(ALPINE, &["/bin/sh", "-c", "nosuch"]).1,
        "/bin/sh: nosuch: not found\n",
        "the shell names itself as invoked"
    );
}

#[test]
fn cat_copies_its_input_until_it_ends() {
    let (mut s, first) = start(ALPINE, &["cat"], true, false);
    assert_eq!(first, Output::default());
    assert_eq!(s.input(b"hel", NOW).stdout, b"hel");
    assert_eq!(s.input(b"lo\n", NOW).stdout, b"lo\n");
    let end = s.close_stdin(NOW);
    assert_eq!(end.exit, Some(0));
    assert!(s.ended());
    // Without stdin, cat reads an empty input.
    assert_eq!(run(ALPINE, &["cat"]), ("".into(), "".into(), 0));
}

#[test]
fn filters_read_all_their_input_then_run() {
    let (mut s, _) = start(ALPINE, &["grep", "b"], true, false);
    assert_eq!(s.input(b"a\nb\nab\n", NOW), Output::default());
    let end = s.close_stdin(NOW);
    assert_eq!(text(&end.stdout), "b\nab\n");
    assert_eq!(end.exit, Some(0));
    let (mut s, _) = start(ALPINE, &["wc", "-l"], true, false);
    s.input(b"1\n2\n3\n", NOW);
    assert_eq!(text(&s.close_stdin(NOW).stdout), "3\n");
}

#[test]
fn a_shell_reads_commands_from_a_pipe() {
    let (mut s, first) = start(ALPINE, &["sh"], true, false);
    assert!(first.stdout.is_empty(), "no prompt without a terminal");
    let o = s.input(b"echo a\necho ", NOW);
    assert_eq!(text(&o.stdout), "a\n");
    let o = s.input(b"b\nnosuch\n", NOW);
    assert_eq!(text(&o.stdout), "b\n");
    assert_eq!(text(&o.stderr), "sh: nosuch: not found\n");
    let end = s.close_stdin(NOW);
    assert_eq!(end.exit, Some(127), "the last command's status");
    let (mut s, _) = start(ALPINE, &["sh"], true, false);
    let o = s.input(b"exit 5\necho never\n", NOW);
    assert_eq!((o.exit, o.stdout.len()), (Some(5), 0));
}

#[test]
fn the_environment_comes_from_the_spec() {
    let (env, _, _) = run(ALPINE, &["env"]);
    let lines: Vec<&str> = env.lines().collect();
    assert_eq!(
        lines[0],
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    );
    assert_eq!(lines[1], format!("HOSTNAME={POD}"));
    assert!(lines.contains(&"MODE=production"), "{env}");
    assert!(
        lines.contains(&"KUBERNETES_SERVICE_HOST=10.96.0.1"),
        "{env}"
    );
    assert_eq!(lines.last(), Some(&"HOME=/root"));
    assert!(!env.contains("TERM="), "no terminal, no TERM");
    assert_eq!(sh(ALPINE, "echo $DB_HOST").0, "postgres.shop\n");
    assert_eq!(run(ALPINE, &["printenv", "MODE"]).0, "production\n");
    assert_eq!(run(ALPINE, &["printenv", "NOPE"]).2, 1);
    let (in_sh, _, _) = sh(ALPINE, "env");
    assert!(
        in_sh.contains("PWD=/\n") && in_sh.contains("SHLVL=1\n"),
        "{in_sh}"
    );
}

#[test]
fn shell_syntax_people_type() {
    assert_eq!(
        sh(ALPINE, "env | grep HOSTNAME").0,
        format!("HOSTNAME={POD}\n")
    );
    assert_eq!(sh(ALPINE, "echo hi > /tmp/x; cat /tmp/x").0, "hi\n");
    assert_eq!(
        sh(ALPINE, "echo a >> /tmp/x; echo b >> /tmp/x; wc -l < /tmp/x").0,
        "2\n"
    );
    assert_eq!(
        sh(ALPINE, "nosuch 2>/dev/null || echo fallback"),
        ("fallback\n".into(), "".into(), 0)
    );
    assert_eq!(sh(ALPINE, "nosuch 2>&1").0, "sh: nosuch: not found\n");
    assert_eq!(sh(ALPINE, "echo $(hostname)-x").0, format!("{POD}-x\n"));
    assert_eq!(sh(ALPINE, "false && echo no; echo $?").0, "1\n");
    assert_eq!(
        sh(ALPINE, "A=1; export B=2; echo \"$A $B\" '$A'").0,
        "1 2 $A\n"
    );
    assert_eq!(
        sh(ALPINE, "cd /etc && pwd && cd - && pwd").0,
        "/etc\n/\n/\n"
    );
    assert_eq!(
        sh(ALPINE, "echo one; # a comment\necho two").0,
        "one\ntwo\n"
    );
    assert_eq!(
        sh(ALPINE, "exit 3 | cat; echo $?").0,
        "0\n",
        "exit in a pipeline ends a subshell"
    );
    assert_eq!(sh(ALPINE, "sh -c 'exit 4'; echo $?").0, "4\n");
    assert_eq!(
        sh(ALPINE, "echo 'open"),
        (
            "".into(),
            "sh: syntax error: unterminated quoted string\n".into(),
            2
        )
    );
    assert_eq!(
        sh(ALPINE, "cd /nope"),
        (
            "".into(),
            "sh: cd: can't cd to /nope: No such file or directory\n".into(),
            2
        )
    );
    assert_eq!(
        run(DEBIAN, &["bash", "-c", "cd /nope"]).1,
        "bash: line 1: cd: /nope: No such file or directory\n"
    );
}

#[test]
fn files_are_plausible() {
    assert_eq!(run(ALPINE, &["cat", "/etc/hostname"]).0, format!("{POD}\n"));
    assert!(
        run(ALPINE, &["cat", "/etc/os-release"])
            .0
            .contains("Alpine Linux")
    );
    assert!(
        run(DEBIAN, &["cat", "/etc/os-release"])
            .0
            .contains("Debian GNU/Linux 12 (bookworm)")
    );
    assert!(
        run(ALPINE, &["cat", "/etc/hosts"])
            .0
            .contains(&format!("10.244.1.7\t{POD}"))
    );
    assert!(
        run(ALPINE, &["cat", "/etc/resolv.conf"])
            .0
            .contains("search shop.svc.cluster.local")
    );
    assert_eq!(
        run(ALPINE, &["cat", "/nope"]),
        (
            "".into(),
            "cat: can't open '/nope': No such file or directory\n".into(),
            1
        )
    );
    assert_eq!(
        run(DEBIAN, &["cat", "/nope"]).1,
        "cat: /nope: No such file or directory\n"
    );
    let (root, _, _) = run(ALPINE, &["ls", "/"]);
    assert!(
        root.lines().any(|l| l == "etc") && root.lines().any(|l| l == "app"),
        "{root}"
    );
    assert_eq!(run(ALPINE, &["ls", "/app"]).0, "api\nconfig.yaml\n");
    assert_eq!(
        run(ALPINE, &["ls", "/nope"]),
        (
            "".into(),
            "ls: /nope: No such file or directory\n".into(),
            1
        )
    );
    assert_eq!(
        run(DEBIAN, &["ls", "/nope"]),
        (
            "".into(),
            "ls: cannot access '/nope': No such file or directory\n".into(),
            2
        )
    );
    let (long, _, _) = run(ALPINE, &["ls", "-l", "/etc/hostname"]);
    assert_eq!(
        long,
        "-rw-r--r--    1 root     root            16 Dec  3 13:53 /etc/hostname\n"
    );
    let (ps, _, _) = sh(ALPINE, "ps");
    assert!(
        ps.starts_with(
            "PID   USER     TIME  COMMAND\n    1 root      0:00 /app/api --listen=:8080\n"
        ),
        "{ps}"
    );
    assert!(ps.contains("    7 root      0:00 sh -c ps\n"), "{ps}");
}

/// A `/bin/sh` with a terminal, after its first prompt.
fn terminal(image: &str, shell: &str) -> Session {
    let (s, first) = start(image, &[shell], true, true);
    assert!(first.exit.is_none());
    s
}

#[test]
fn a_terminal_shell_prompts_echoes_and_runs_lines() {
    let (_, first) = start(ALPINE, &["/bin/sh"], true, true);
    assert_eq!(text(&first.stdout), "/ # ");
    let mut s = terminal(ALPINE, "/bin/sh");
    let o = s.input(b"hostname\r", NOW);
    assert_eq!(text(&o.stdout), format!("hostname\r\n{POD}\r\n/ # "));
    assert!(o.stderr.is_empty(), "a terminal has one stream");
    // Typed a key at a time, Enter as "\r\n" counts once.
    let mut all = Vec::new();
    for b in b"pwd\r\n" {
        all.extend(s.input(&[*b], NOW).stdout);
    }
    assert_eq!(text(&all), "pwd\r\n/\r\n/ # ");
    let o = s.input(b"nosuch\r", NOW);
    assert_eq!(
        text(&o.stdout),
        "nosuch\r\n/bin/sh: nosuch: not found\r\n/ # ",
        "ash names itself as invoked"
    );
    let o = s.input(b"cd /etc\r", NOW);
    assert_eq!(text(&o.stdout), "cd /etc\r\n/etc # ");
    let o = s.input(b"exit 4\r", NOW);
    assert_eq!((text(&o.stdout).as_str(), o.exit), ("exit 4\r\n", Some(4)));
    assert!(s.ended());
    assert_eq!(
        s.input(b"more\r", NOW),
        Output::default(),
        "nothing after the end"
    );
}

#[test]
fn line_editing_keys() {
    let mut s = terminal(ALPINE, "sh");
    let o = s.input(b"hostx\x7fname\r", NOW);
    assert_eq!(
        text(&o.stdout),
        format!("hostx\x08 \x08name\r\n{POD}\r\n/ # ")
    );
    let o = s.input(b"echo abc\x03", NOW);
    assert_eq!(
        text(&o.stdout),
        "echo abc^C\r\n/ # ",
        "Ctrl-C drops the line"
    );
    let o = s.input(b"ab\x15echo x\r", NOW);
    assert_eq!(
        text(&o.stdout),
        "ab\x08 \x08\x08 \x08echo x\r\nx\r\n/ # ",
        "Ctrl-U"
    );
    let o = s.input(b"\x1b[A", NOW);
    assert_eq!(text(&o.stdout), "echo x", "Up recalls the last line");
    let o = s.input(b"\x1b[B\x1b[D\t", NOW);
    assert_eq!(
        text(&o.stdout),
        "\x08 \x08".repeat(6),
        "Down returns to the new line; Left and Tab do nothing"
    );
    let o = s.input(b"ab\x04", NOW);
    assert_eq!(
        text(&o.stdout),
        "ab",
        "Ctrl-D on a line with text does nothing"
    );
    s.input(b"\x15", NOW);
    let o = s.input(b"\x04", NOW);
    assert_eq!(
        (text(&o.stdout).as_str(), o.exit),
        ("\r\n", Some(0)),
        "Ctrl-D on an empty line"
    );
}

#[test]
fn resizes_change_stty_size() {
    let mut s = terminal(ALPINE, "sh");
    let o = s.input(b"stty size\r", NOW);
    assert_eq!(text(&o.stdout), "stty size\r\n24 80\r\n/ # ");
    s.resize(100, 30);
    let o = s.input(b"stty size\r", NOW);
    assert_eq!(text(&o.stdout), "stty size\r\n30 100\r\n/ # ");
    assert_eq!(
        sh(ALPINE, "stty size").1,
        "stty: standard input: Not a tty\n"
    );
}

#[test]
fn debian_shells_prompt_and_nest() {
    let (_, first) = start(DEBIAN, &["bash"], true, true);
    assert_eq!(text(&first.stdout), format!("root@{POD}:/# "));
    let mut s = terminal(DEBIAN, "sh");
    let o = s.input(b"nosuch\rnosuch\r", NOW);
    assert_eq!(
        text(&o.stdout),
        "nosuch\r\nsh: 1: nosuch: not found\r\n# nosuch\r\nsh: 2: nosuch: not found\r\n# ",
        "dash numbers its lines"
    );
    let o = s.input(b"bash\r", NOW);
    assert_eq!(text(&o.stdout), format!("bash\r\nroot@{POD}:/# "));
    let o = s.input(b"cd ~\rnosuch\r", NOW);
    assert_eq!(
        text(&o.stdout),
        format!(
            "cd ~\r\nroot@{POD}:~# nosuch\r\nbash: nosuch: command not found\r\nroot@{POD}:~# "
        )
    );
    let o = s.input(b"exit\r", NOW);
    assert_eq!(
        (text(&o.stdout), o.exit),
        ("exit\r\nexit\r\n# ".to_string(), None),
        "back in dash"
    );
    let o = s.input(b"exit 2\r", NOW);
    assert_eq!(o.exit, Some(2));
}

#[test]
fn a_terminal_program_is_cooked() {
    let (_, o) = start(ALPINE, &["ls", "/app"], false, true);
    assert_eq!(
        (text(&o.stdout), o.exit),
        ("api  config.yaml\r\n".to_string(), Some(0))
    );
    let (mut cat, _) = start(ALPINE, &["cat"], true, true);
    let o = cat.input(b"hi\r", NOW);
    assert_eq!(text(&o.stdout), "hi\r\nhi\r\n", "the echo, then cat's copy");
    let o = cat.input(b"\x03", NOW);
    assert_eq!((text(&o.stdout).as_str(), o.exit), ("^C\r\n", Some(130)));
}

#[test]
fn a_closed_terminal_ends_the_shell() {
    let mut s = terminal(ALPINE, "sh");
    s.input(b"false\r", NOW);
    let o = s.close_stdin(NOW);
    assert_eq!(o.exit, Some(1), "with the last status");
}

#[test]
fn a_script_that_execs_a_shell_on_the_terminal_becomes_that_shell() {
    // What opsboard's `x` and k9s run: bash where the image has it, else sh.
    let pick = "command -v bash >/dev/null 2>&1 && exec bash || exec sh";
    let (s, first) = start(DEBIAN, &["/bin/sh", "-c", pick], true, true);
    assert_eq!(
        (text(&first.stdout), first.exit),
        (format!("root@{POD}:/# "), None)
    );
    assert!(!s.ended());
    let (mut s, first) = start(ALPINE, &["/bin/sh", "-c", pick], true, true);
    assert_eq!(
        (text(&first.stdout), first.exit),
        ("/ # ".to_string(), None)
    );
    let o = s.input(b"exit 4\r", NOW);
    assert_eq!(o.exit, Some(4));
    // Without a terminal the script runs to its end as before.
    assert_eq!(
        run(
            ALPINE,
            &["/bin/sh", "-c", "command -v sh; command -v nosuch"]
        )
        .2,
        1
    );
    assert_eq!(
        run(ALPINE, &["/bin/sh", "-c", "command -v cat"]).0,
        "/usr/bin/cat\n"
    );
}
