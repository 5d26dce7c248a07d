//! End to end on the demo at 80×24: `d` describes the `api` deployment
//! (read from the simulated API server in a task), `y` shows its YAML
//! without managedFields, `/` finds and highlights a string, `Esc` goes
//! back; `d` on the Nodes pane describes a node.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use pty::{Pty, TIMEOUT, row};

#[test]
fn describe_yaml_and_search_on_the_demo() {
    let mut p = Pty::spawn(&["demo"], &[], 80, 24);
    p.wait_for(TIMEOUT, |s| {
        row(s, "api").is_some_and(|r| r.contains("3/3"))
    })
    .unwrap();
    p.send("/api\r");
    p.send("d");
    let described = p
        .wait_for(TIMEOUT, |s| {
            s.contains("describe deployment api") && s.contains("Conditions")
        })
        .unwrap();
    assert!(described.contains("Replicas:"), "{described}");
    assert!(described.contains("Available"), "{described}");

    p.send("y");
    let yaml = p
        .wait_for(TIMEOUT, |s| {
            s.contains("yaml deployment api") && s.contains("apiVersion: apps/v1")
        })
        .unwrap();
    assert!(!yaml.contains("managedFields"), "{yaml}");
    // Not anywhere in the document either: searching finds nothing.
    p.send("/managedFields\r");
    p.wait_for(TIMEOUT, |s| s.contains("/managedFields 0 matches"))
        .unwrap();
    p.send("/");
    p.send([0x15]); // Ctrl-U clears the search
    p.send("progressDeadline\r");
    let found = p
        .wait_for(TIMEOUT, |s| {
            s.contains("1 match") && s.contains("progressDeadlineSeconds: 600")
        })
        .unwrap();
    // The match is drawn highlighted (reversed).
    let highlighted = p.with_screen(|screen| {
        let (rows, cols) = screen.size();
        (0..rows).any(|r| {
            let line: String = (0..cols)
                .map(|c| match screen.cell(r, c).map(|x| x.contents()) {
                    Some(t) if !t.is_empty() => t.chars().next().unwrap_or(' '),
                    _ => ' ',
                })
                .collect();
            let Some(at) = line.find("progressDeadlineSeconds") else {
                return false;
            };
            let col = line[..at].chars().count() as u16;
            screen.cell(r, col).is_some_and(|c| c.inverse())
        })
    });
    assert!(highlighted, "{found}");

    // Help opened here lists the viewer's own keys.
    p.send("?");
    let help = p
        .wait_for(TIMEOUT, |s| s.contains("Viewer: / searches, Esc back"))
        .unwrap();
    let keymap = opsboard::app::Keymap::default();
    for b in opsboard::app::bindings::BINDINGS
        .iter()
        .filter(|b| b.section == opsboard::app::bindings::Section::Viewer)
    {
        let keys = keymap.keys_label(b.action);
        assert!(
            help.lines()
                .any(|l| l.contains(&format!("  {keys}")) && l.contains(b.help)),
            "{:?} missing\n{help}",
            b.action
        );
    }
    p.send("?");
    p.wait_for(TIMEOUT, |s| !s.contains("Viewer: / searches"))
        .unwrap();

    p.send_esc();
    p.wait_for(TIMEOUT, |s| {
        row(s, "api").is_some() && !s.contains("yaml deployment")
    })
    .unwrap();

    p.send("6");
    p.wait_for(TIMEOUT, |s| s.contains("node-1")).unwrap();
    p.send("d");
    let node = p
        .wait_for(TIMEOUT, |s| {
            s.contains("describe node node-1") && s.contains("Conditions")
        })
        .unwrap();
    assert!(node.contains("Unschedulable:"), "{node}");
    p.send("q");
    assert!(p.wait_exit(TIMEOUT).unwrap().success());
}
