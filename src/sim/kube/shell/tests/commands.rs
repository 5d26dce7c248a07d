//! Commands run once: output, errors and exit codes, input, the
//! environment, shell syntax and files.

use super::*;

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
