//! Text from outside never reaches the terminal raw: escape sequences in
//! container names, labels, health bodies, alert annotations and job output
//! are removed by opsboard's own code before anything is drawn; an id that
//! is not ASCII cannot panic the board.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::fixtures;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsboard::app::{Msg, OpsEvent, State, update};
use opsboard::model::text::is_unsafe_char;
use opsboard::model::{ContainerInfo, DockerSnapshot};
use opsboard::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// OSC 52 (write the clipboard), a screen clear, a C1 CSI and a bidi
/// override: what a hostile name or body would carry.
const HOSTILE: &str = "x\x1b]52;c;cHduZWQ=\x07\x1b[2J\u{9b}31m\u{202e}y";

/// Every cell of the frame, checked for control characters.
fn assert_frame_clean(state: &State, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| ui::render(f, state, &Theme::default()))
        .unwrap();
    let buf = term.backend().buffer();
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(is_unsafe_char),
            "a control character reached the frame: {:?}",
            cell.symbol()
        );
    }
    ui::text::buffer_to_text(buf)
}

fn container(id: &str, name: &str) -> ContainerInfo {
    ContainerInfo {
        host: "local".into(),
        id: id.into(),
        name: name.into(),
        image: format!("img{HOSTILE}:1"),
        image_id: "sha256:0".into(),
        state: "running".into(),
        status_text: format!("Up 3 minutes {HOSTILE}"),
        ..Default::default()
    }
}

#[test]
fn hostile_container_names_and_non_ascii_ids_are_drawn_safely() {
    let mut s = fixtures::state(100, 30);
    // Configured services already hold the names a discovered container
    // named `web` would get, so the board falls back to host:name:short-id,
    // which must cut any characters safely.
    s.services.push(opsboard::model::Service::new("web"));
    s.services.push(opsboard::model::Service::new("local:web"));
    s.reorder();
    let snap = DockerSnapshot {
        host: "local".into(),
        containers: vec![
            // Byte 12 falls inside a character: a byte slice would panic.
            container("aéééééééééééééé", "web"),
            container("日本語日本語日本語日本語日本語", &format!("api{HOSTILE}")),
        ],
        error: None,
    };
    update(&mut s, Msg::Docker(Box::new(snap)));
    let screen = assert_frame_clean(&s, 100, 30);
    assert!(screen.contains("web"), "{screen}");
    // The detail view of each shows image and status text: clean too.
    let i = s
        .order
        .iter()
        .position(|&o| s.services[o].name.starts_with("web"))
        .unwrap();
    s.list.selected = i;
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_frame_clean(&s, 100, 30);
}

#[test]
fn hostile_job_output_and_refusals_are_cleaned_before_they_are_kept() {
    let mut s = fixtures::state_with_actions(100, 30);
    let job = s.jobs.iter().find(|j| j.is_running()).unwrap().id;
    update(
        &mut s,
        Msg::Ops(OpsEvent::JobOutput {
            job,
            line: format!("out {HOSTILE}"),
        }),
    );
    update(
        &mut s,
        Msg::Ops(OpsEvent::Refused {
            what: "backup x".into(),
            reason: format!("because {HOSTILE}"),
        }),
    );
    let kept = s.jobs.iter().find(|j| j.id == job).unwrap();
    assert!(
        kept.output.iter().all(|l| !l.chars().any(is_unsafe_char)),
        "{:?}",
        kept.output
    );
    let flash = s.flash.as_ref().unwrap();
    assert!(!flash.text.chars().any(is_unsafe_char), "{:?}", flash.text);
    assert_frame_clean(&s, 100, 30);
    // A line of a megabyte is cut, not kept whole.
    update(
        &mut s,
        Msg::Ops(OpsEvent::JobOutput {
            job,
            line: "z".repeat(1 << 20),
        }),
    );
    let kept = s.jobs.iter().find(|j| j.id == job).unwrap();
    let longest = kept.output.iter().map(String::len).max().unwrap();
    assert!(longest < 8192, "{longest}");
}

#[test]
fn hostile_alert_annotations_and_labels_are_drawn_safely() {
    let mut s = fixtures::state_with_alerts(100, 30);
    let mut a = opsboard::model::Alert::local(
        &format!("Evil{HOSTILE}"),
        opsboard::model::Severity::Critical,
        format!("summary {HOSTILE}"),
    );
    a.labels
        .insert(format!("k{HOSTILE}"), format!("v{HOSTILE}"));
    a.annotations
        .insert("description".into(), format!("d {HOSTILE}"));
    let at = s.now;
    update(
        &mut s,
        Msg::RemoteAlerts {
            source: opsboard::model::AlertSource::Prometheus,
            server: "main".into(),
            at,
            alerts: Ok(vec![a]),
        },
    );
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE)),
    );
    let screen = assert_frame_clean(&s, 100, 30);
    assert!(screen.contains("Evil"), "{screen}");
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_frame_clean(&s, 100, 30);
}
