//! Shells on a terminal: prompts, echo, line editing, resizes, nesting,
//! and a script that execs a shell.

use super::*;

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
