//! End to end: the real `opsboard` binary in a pseudo-terminal, read back
//! through a vt100 emulator, the way a person at an 80×24 terminal sees it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use opsboard::app::Keymap;
use opsboard::app::bindings::BINDINGS;
use pty::{Pty, TIMEOUT};
use unicode_width::UnicodeWidthStr;

const COLS: u16 = 80;
const ROWS: u16 = 24;

/// The services of `opsboard demo` that the tests look for.
const DEMO_SERVICES: &[&str] = &["worker", "api", "ml-service", "redis", "web-client"];

fn demo(env: &[(&str, &str)]) -> Pty {
    Pty::spawn(&["demo"], env, COLS, ROWS)
}

/// Names in the services table: rows that start with a status glyph and
/// badge (`✖ DOWN worker …`). Popup borders and the footer do not.
fn service_names(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let glyph = words.next()?;
            let badge = words.next()?;
            let ok = matches!(
                (glyph, badge),
                ("●", "UP") | ("◐", "DEGR") | ("✖", "DOWN") | ("?", "UNKN")
            );
            ok.then(|| words.next().map(str::to_string)).flatten()
        })
        .collect()
}

fn row(screen: &str, r: usize) -> &str {
    screen.lines().nth(r).unwrap_or("")
}

fn footer(screen: &str) -> &str {
    row(screen, ROWS as usize - 1)
}

fn has_all_demo_services(screen: &str) -> bool {
    let names = service_names(screen);
    DEMO_SERVICES.iter().all(|s| names.iter().any(|n| n == s))
}

/// Waits for the first full frame of the demo board.
fn first_frame(pty: &Pty) -> String {
    pty.wait_for(TIMEOUT, |s| {
        has_all_demo_services(s) && footer(s).contains("q quit")
    })
    .expect("the demo board's first frame")
}

/// Cells with a colour other than the terminal's default.
fn coloured_cells(screen: &vt100::Screen) -> Vec<(u16, u16, String)> {
    let (rows, cols) = screen.size();
    let mut out = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let Some(cell) = screen.cell(r, c) else {
                continue;
            };
            if cell.fgcolor() != vt100::Color::Default || cell.bgcolor() != vt100::Color::Default {
                out.push((
                    r,
                    c,
                    format!(
                        "{:?} fg {:?} bg {:?}",
                        cell.contents(),
                        cell.fgcolor(),
                        cell.bgcolor()
                    ),
                ));
            }
        }
    }
    out
}

/// `HH:MM:SSZ` in the cells of row `r` ending just before the last column
/// (the header pads its right end with one blank).
fn clock_at_right_edge(screen: &vt100::Screen, r: u16) -> bool {
    let (_, cols) = screen.size();
    let text: String = (cols - 10..cols - 1)
        .map(|c| screen.cell(r, c).map_or("", |cell| cell.contents()))
        .collect::<Vec<_>>()
        .concat();
    let shape = text.chars().enumerate().all(|(i, ch)| match i {
        2 | 5 => ch == ':',
        8 => ch == 'Z',
        _ => ch.is_ascii_digit(),
    });
    text.chars().count() == 9 && shape
}

/// The terminal is back to normal: after the last switch to the alternate
/// screen the program left it and showed the cursor again, and raw mode is
/// off.
fn assert_restored(pty: &Pty) {
    let raw = pty.raw();
    let enter = b"\x1b[?1049h";
    let start = raw
        .windows(enter.len())
        .rposition(|w| w == enter)
        .unwrap_or_else(|| panic!("never entered the alternate screen:\n{}", pty.screen_text()));
    let tail = &raw[start..];
    let tail_text = String::from_utf8_lossy(tail);
    assert!(
        tail_text.contains("\x1b[?1049l"),
        "the alternate screen was not left; output after entering it ends with {:?}",
        last_chars(&tail_text, 300)
    );
    assert!(
        tail_text.contains("\x1b[?25h"),
        "the cursor was not shown again; output after entering the alternate screen ends with {:?}",
        last_chars(&tail_text, 300)
    );
    pty.with_screen(|s| {
        assert!(!s.alternate_screen(), "still on the alternate screen");
        assert!(!s.hide_cursor(), "the cursor is still hidden");
    });
    if let Some(cooked) = pty.tty_cooked() {
        assert!(cooked, "the tty was left in raw mode (no ICANON/ECHO)");
    }
}

fn last_chars(s: &str, n: usize) -> String {
    let count = s.chars().count();
    s.chars().skip(count.saturating_sub(n)).collect()
}

#[test]
fn demo_first_frame_has_header_rows_and_footer() {
    let pty = demo(&[]);
    let screen = first_frame(&pty);
    let header = row(&screen, 0);
    assert!(header.contains("opsboard"), "header: {header:?}");
    assert!(header.contains("DEMO"), "header: {header:?}");
    assert!(footer(&screen).contains("q quit"), "footer: {screen}");
    // While the board runs, the tty is in raw mode (checked here so that
    // the restore checks below are known to be able to fail).
    if let Some(cooked) = pty.tty_cooked() {
        assert!(!cooked, "the board runs without raw mode");
    }
    // The default theme is coloured: the NO_COLOR test's check can fail.
    assert!(
        !pty.with_screen(coloured_cells).is_empty(),
        "the default theme drew no colour at all:\n{screen}"
    );
}

#[test]
fn filter_narrows_rows_and_esc_restores_them() {
    let mut pty = demo(&[]);
    first_frame(&pty);
    pty.send("/web");
    let screen = pty
        .wait_for(TIMEOUT, |s| {
            service_names(s) == ["web-client"] && footer(s).contains("web")
        })
        .expect("only web-client left after typing /web, and the filter in the footer");
    assert!(!service_names(&screen).iter().any(|n| n == "api"));
    pty.send_esc();
    pty.wait_for(TIMEOUT, |s| {
        has_all_demo_services(s) && !footer(s).contains("filter:") && !footer(s).contains("web")
    })
    .expect("every row back and the filter gone after Esc");
}

#[test]
fn help_popup_lists_the_keymap_and_toggles() {
    let mut pty = demo(&[]);
    first_frame(&pty);
    let keymap = Keymap::default();
    pty.send("?");
    let title = "Keys — ? or Esc to close";
    let screen = pty
        // The legend is the popup's last line: wait for the whole popup,
        // not just its first row.
        .wait_for(TIMEOUT, |s| {
            s.contains(title) && s.contains("TLS unverified")
        })
        .expect("the help popup after ?");
    // Every binding's keys and help text, as generated from the keymap,
    // on screen at 80×24 (a popup taller than the screen loses its end).
    // The pane keys share one line, in tab order.
    let panes: Vec<String> = opsboard::app::Pane::ALL
        .iter()
        .map(|p| {
            let b = BINDINGS
                .iter()
                .find(|b| b.help == format!("{} pane", p.title()))
                .expect("a key per pane");
            keymap.keys_label(b.action)
        })
        .collect();
    assert!(
        screen
            .lines()
            .any(|l| l.contains(&panes.join(" ")) && l.contains("the panes, as tabbed")),
        "{screen}"
    );
    let missing: Vec<String> = BINDINGS
        .iter()
        .filter(|b| !b.help.ends_with(" pane"))
        // A pane's or view's own section may not fit at 80×24: the help
        // names it ("More keys in the help of the …") and shows it when
        // opened there (tests/e2e_logs.rs, tests/e2e_describe.rs).
        .filter(|b| {
            let more = screen
                .lines()
                .find(|l| l.contains("More keys in the help of"))
                .unwrap_or_default();
            let title = b.section.title();
            !more.contains(title.split(':').next().unwrap_or(title))
        })
        .filter(|b| {
            !matches!(
                b.action,
                opsboard::app::Action::Describe
                    | opsboard::app::Action::Yaml
                    | opsboard::app::Action::Inspect
            )
        })
        // Keys that share a line: that line, with both keys.
        .filter(|b| {
            !opsboard::ui::help::JOINED
                .iter()
                .any(|(a, o, _)| *a == b.action || *o == b.action)
        })
        .filter_map(|b| {
            let keys = keymap.keys_label(b.action);
            let shown = screen
                .lines()
                .any(|l| l.contains(&format!("  {keys}")) && l.contains(b.help));
            (!shown).then(|| format!("{:?} ({keys}: {:?})", b.action, b.help))
        })
        .collect();
    for (a, o, words) in opsboard::ui::help::JOINED {
        let keys = format!("{} {}", keymap.keys_label(*a), keymap.keys_label(*o));
        assert!(
            screen
                .lines()
                .any(|l| l.contains(&format!("  {keys}")) && l.contains(words)),
            "help lacks `{keys}  {words}`\n{screen}"
        );
    }
    assert!(
        missing.is_empty(),
        "help lacks {} binding(s): {}\n{screen}",
        missing.len(),
        missing.join(", ")
    );
    assert!(screen.contains("filter the list or log"), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("  l x") && l.contains("follow logs, shell")),
        "{screen}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.contains("  d y i") && l.contains("describe, YAML, inspect")),
        "{screen}"
    );
    assert!(
        screen
            .lines()
            .any(|l| l.contains("  q") && l.contains("quit")),
        "{screen}"
    );
    pty.send("?");
    pty.wait_for(TIMEOUT, |s| {
        !s.contains(title) && !s.contains("filter the list or log") && has_all_demo_services(s)
    })
    .expect("the help popup gone after ? again");
}

#[test]
fn enter_opens_detail_and_esc_returns() {
    let mut pty = demo(&[]);
    first_frame(&pty);
    pty.send("/api");
    pty.wait_for(TIMEOUT, |s| service_names(s) == ["api"])
        .expect("only api left after /api");
    pty.send("\r");
    pty.wait_for(TIMEOUT, |s| {
        service_names(s) == ["api"] && footer(s).contains("“api”") && !footer(s).contains("filter:")
    })
    .expect("the filter kept (not editing) after Enter");
    pty.send("\r");
    let screen = pty
        .wait_for(TIMEOUT, |s| {
            s.contains("probe 1") && s.contains("http://127.0.0.1:") && s.contains("version")
        })
        .expect("api's detail view after Enter");
    // The detail's title line: the name, then its status badge.
    assert!(
        screen.lines().any(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some("api") && matches!(words.next(), Some("●" | "◐" | "✖" | "?"))
        }),
        "detail of the wrong service:\n{screen}"
    );
    assert!(
        !screen.contains("STATUS SERVICE"),
        "still on the table:\n{screen}"
    );
    pty.send_esc();
    pty.wait_for(TIMEOUT, |s| {
        s.contains("STATUS SERVICE") && service_names(s) == ["api"] && !s.contains("probe 1")
    })
    .expect("back on the (filtered) table after Esc");
}

#[test]
fn q_quits_with_status_0_and_restores_the_terminal() {
    let mut pty = demo(&[]);
    first_frame(&pty);
    pty.send("q");
    let status = pty.wait_exit(TIMEOUT).expect("exit after q");
    assert!(status.success(), "exit status after q: {status}");
    assert_restored(&pty);
}

#[test]
fn ctrl_c_quits_while_filtering_and_restores_the_terminal() {
    let mut pty = demo(&[]);
    first_frame(&pty);
    pty.send("/wor");
    pty.wait_for(TIMEOUT, |s| service_names(s) == ["worker"])
        .expect("filtering");
    // In raw mode Ctrl-C is a key, not SIGINT: a clean exit, status 0.
    pty.send(b"\x03");
    let status = pty.wait_exit(TIMEOUT).expect("exit after Ctrl-C");
    assert!(status.success(), "exit status after Ctrl-C: {status}");
    assert_restored(&pty);
}

fn signal_quits_cleanly(signal: &str) {
    let mut pty = demo(&[]);
    first_frame(&pty);
    pty.signal(signal);
    let status = pty
        .wait_exit(TIMEOUT)
        .unwrap_or_else(|e| panic!("exit after SIG{signal}: {e}"));
    // Handled (a clean return), not killed by the signal.
    assert!(status.success(), "exit status after SIG{signal}: {status}");
    assert_restored(&pty);
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    signal_quits_cleanly("TERM");
}

#[test]
fn sighup_quits_and_restores_the_terminal() {
    signal_quits_cleanly("HUP");
}

#[test]
fn no_color_draws_no_colour_but_status_reads() {
    let pty = demo(&[("NO_COLOR", "1")]);
    first_frame(&pty);
    // Wait for probe results, not just the first (all unknown) frame.
    let screen = pty
        .wait_for(TIMEOUT, |s| {
            let rows: Vec<&str> = s.lines().collect();
            rows.iter().any(|l| l.starts_with("✖ DOWN"))
                && rows.iter().any(|l| l.starts_with("● UP"))
        })
        .expect("DOWN and UP badges under NO_COLOR");
    let coloured = pty.with_screen(coloured_cells);
    assert!(
        coloured.is_empty(),
        "NO_COLOR=1 yet {} cells have colour, first: {:?}\n{screen}",
        coloured.len(),
        &coloured[..coloured.len().min(5)]
    );
    // Emphasis without colour comes from the app's mono theme (reverse
    // video header), not merely from crossterm dropping colour codes,
    // which it also does under NO_COLOR.
    pty.with_screen(|s| {
        let cell = s.cell(0, 1).expect("header cell");
        assert_eq!(
            cell.contents(),
            "o",
            "header starts \" opsboard\":\n{screen}"
        );
        assert!(
            cell.inverse(),
            "the header is not in reverse video under NO_COLOR"
        );
    });
}

#[test]
fn layout_fits_80x24_and_reflows_on_resize() {
    let mut pty = demo(&[]);
    let screen = first_frame(&pty);
    assert!(
        row(&screen, ROWS as usize - 1).contains("q quit"),
        "footer not on row 24:\n{screen}"
    );
    pty.with_screen(|s| {
        // contents() joins a row that wrapped into the next one.
        for l in s.contents().lines() {
            assert!(l.width() <= COLS as usize, "line wider than {COLS}: {l:?}");
        }
        for r in 0..ROWS {
            assert!(!s.row_wrapped(r), "row {} wrapped:\n{screen}", r + 1);
        }
    });
    pty.wait_for_screen(TIMEOUT, |s| clock_at_right_edge(s, 0))
        .expect("the header clock at the right edge of 80 columns");

    pty.resize(120, 40);
    pty.wait_for_screen(TIMEOUT, |s| {
        let text = pty::screen_text(s);
        clock_at_right_edge(s, 0)
            && row(&text, 39).contains("q quit")
            && has_all_demo_services(&text)
            && (0..40).all(|r| !s.row_wrapped(r))
    })
    .expect("the header clock at the right edge of 120 columns and the footer on row 40");
}

#[test]
fn config_typo_exits_2_with_a_located_suggestion() {
    let home = tempfile::tempdir().expect("temp home");
    let config = pty::write_file(
        home.path(),
        "typo.toml",
        "[defaults]\nintervall = \"10s\"\n",
    );
    let path = pty::path_str(&config).to_string();
    let mut pty = Pty::spawn_in(home, &["--config", &path], &[], COLS, ROWS);
    let status = pty.wait_exit(TIMEOUT).expect("exit on a bad config");
    let out = pty.raw_text();
    assert_eq!(
        status.exit_code(),
        2,
        "exit status {status}; output:\n{out}"
    );
    assert!(status.signal().is_none(), "killed: {status}");
    for needle in [path.as_str(), ":2:", "intervall", "did you mean `interval`"] {
        assert!(out.contains(needle), "output lacks {needle:?}:\n{out}");
    }
    assert!(
        !out.contains("\x1b[?1049h"),
        "entered the alternate screen for a bad config:\n{out:?}"
    );
    pty.with_screen(|s| assert!(!s.alternate_screen()));
}

/// Help opened in a pane lists that pane's own keys first, even when the
/// 80×24 help cannot hold every section.
#[test]
fn help_in_a_pane_lists_its_keys() {
    let mut pty = demo(&[]);
    first_frame(&pty);
    for (pane, section, key, help) in [
        ("2", "Fleet pane", "G", "next grouping"),
        ("7", "Events pane", "w", "only warnings / all"),
        ("3", "Alerts pane", "S", "silence the alert"),
    ] {
        pty.send(pane);
        pty.send("?");
        let screen = pty
            .wait_for(TIMEOUT, |s| {
                s.contains("Keys — ? or Esc to close") && s.contains("TLS unverified")
            })
            .expect("the help popup");
        assert!(screen.contains(section), "{section}: {screen}");
        assert!(
            screen
                .lines()
                .any(|l| l.contains(&format!("  {key} ")) && l.contains(help)),
            "{key} {help}: {screen}"
        );
        pty.send("?");
        pty.wait_for(TIMEOUT, |s| !s.contains("Keys — ? or Esc to close"))
            .expect("help closed");
    }
}
