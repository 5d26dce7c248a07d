//! The Fleet pane through the reducer and the renderer: a mixed fleet
//! (pods and nodes of a cluster, devices of three locations, one of which
//! lost its uplink) at 80×24 and 160×48, navigated by keys.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{fixtures, key};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsboard::app::fleet::FleetState;
use opsboard::app::{Msg, State, View, update};
use opsboard::model::Health;
use opsboard::model::fleet::DevicePoll;
use opsboard::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn text(state: &State) -> String {
    let mut term = Terminal::new(TestBackend::new(state.width, state.height)).unwrap();
    term.draw(|f| ui::render(f, state, &Theme::default()))
        .unwrap();
    ui::text::buffer_to_text(term.backend().buffer())
}

fn ch(state: &mut State, c: char) {
    key(state, KeyCode::Char(c));
}

/// `locations`: name, device count. The last location has lost its
/// uplink; elsewhere every 17th device is degraded, every 23rd down and
/// every 31st not polled yet.
fn with_devices(width: u16, height: u16, locations: &[(&str, usize)]) -> State {
    let mut s = fixtures::state_with_kube(width, height);
    let mut toml = String::from(
        "[[fleet]]\nname = \"edge\"\nurl = \"http://{host}:9100/health\"\nservice = \"edge-agent\"\n",
    );
    for (loc, n) in locations {
        toml += &format!(
            "[[fleet.groups]]\nlocation = \"{loc}\"\nhosts = [\"{loc}-{{001..{n:03}}}\"]\n"
        );
    }
    let config: opsboard::config::Config = toml::from_str(&toml).unwrap();
    s.fleet = FleetState::from_plan(&opsboard::assemble::fleet::plan(&config).unwrap());
    let lost = locations.last().unwrap().0;
    let results = s.fleet.fleets[0]
        .devices
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 31 != 30)
        .map(|(i, d)| {
            let (status, reason) = if d.location.as_deref() == Some(lost) || i % 23 == 22 {
                (Health::Down, Some("no answer in 2s".to_string()))
            } else if i % 17 == 16 {
                (Health::Degraded, Some("sensor: degraded".to_string()))
            } else {
                (Health::Up, None)
            };
            DevicePoll {
                device: i as u32,
                status,
                reason,
                at: fixtures::t(1_000),
            }
        })
        .collect();
    let generation = s.generation;
    update(
        &mut s,
        Msg::DevicePolls {
            fleet: 0,
            generation,
            results,
        },
    );
    s
}

fn small() -> State {
    with_devices(80, 24, &[("ams-1", 120), ("fra-1", 80), ("sin-1", 60)])
}

#[test]
fn fleet_80x24_shows_a_few_hundred_cells_expanded() {
    let mut s = small();
    ch(&mut s, '2');
    let screen = text(&s);
    assert!(!screen.contains('▸'), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn fleet_80x24_collapses_blocks_to_summary_lines() {
    let mut s = with_devices(80, 24, &[("ams-1", 500), ("fra-1", 400), ("sin-1", 300)]);
    ch(&mut s, '2');
    assert_eq!(s.view, View::Fleet);
    let screen = text(&s);
    assert!(screen.contains("▸ edge-agent"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn fleet_80x24_grouped_by_location_with_one_block_expanded() {
    let mut s = with_devices(80, 24, &[("ams-1", 500), ("fra-1", 400), ("sin-1", 300)]);
    ch(&mut s, '2');
    // service → node/host → namespace → location
    for _ in 0..3 {
        ch(&mut s, 'G');
    }
    assert_eq!(s.fleet.group_by.title(), "location");
    // Down to sin-1 (the uplink loss), expand it.
    for _ in 0..2 {
        key(&mut s, KeyCode::Down);
    }
    let header = s.fleet.blocks[s.fleet.cursor.block].key.clone();
    assert_eq!(header, "sin-1");
    key(&mut s, KeyCode::Enter);
    let screen = text(&s);
    assert!(screen.contains("▾ sin-1"), "{screen}");
    assert!(screen.contains("97% offline"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// Fleet pane grouped by location; ams-1 (expanded: the grid fits): into
/// its cells, right to the 23rd device (down).
fn to_ams_1_023(s: &mut State) {
    ch(s, '2');
    for _ in 0..3 {
        ch(s, 'G');
    }
    key(s, KeyCode::Right);
    for _ in 0..22 {
        ch(s, 'l');
    }
}

#[test]
fn fleet_instance_detail_80x24() {
    let mut s = small();
    to_ams_1_023(&mut s);
    let i = s.fleet.selected_instance().unwrap();
    assert_eq!((i.name.as_str(), i.status), ("ams-1-023", Health::Down));
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.view, View::FleetInstance { .. }));
    let screen = text(&s);
    assert!(screen.contains("no answer in 2s"), "{screen}");
    insta::assert_snapshot!(screen);
    // ← walks to the neighbour without leaving the detail; Esc goes back.
    key(&mut s, KeyCode::Left);
    assert_eq!(s.fleet.selected_instance().unwrap().name, "ams-1-022");
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.view, View::Fleet);
}

#[test]
fn fleet_instance_detail_160x48() {
    let mut s = with_devices(160, 48, &[("ams-1", 120), ("fra-1", 80), ("sin-1", 60)]);
    to_ams_1_023(&mut s);
    assert_eq!(s.fleet.selected_instance().unwrap().name, "ams-1-023");
    key(&mut s, KeyCode::Enter);
    insta::assert_snapshot!(text(&s));
}

#[test]
fn two_thousand_instances_fit_160x48() {
    let locations: Vec<(String, usize)> = (1..=8).map(|n| (format!("site-{n}"), 250)).collect();
    let refs: Vec<(&str, usize)> = locations.iter().map(|(l, n)| (l.as_str(), *n)).collect();
    let mut s = with_devices(160, 48, &refs);
    ch(&mut s, '2');
    for _ in 0..3 {
        ch(&mut s, 'G');
    }
    assert!(s.fleet.len() >= 2_000, "{}", s.fleet.len());
    let screen = text(&s);
    assert!(!screen.contains('▸'), "every block expanded:\n{screen}");
    let cells: usize = screen
        .chars()
        .filter(|c| ['●', '◐', '✖', '?'].contains(c))
        .count();
    assert!(cells >= 2_000, "{cells} cells drawn:\n{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn mixed_fleet_160x48_by_host() {
    let mut s = with_devices(160, 48, &[("ams-1", 120), ("fra-1", 80), ("sin-1", 60)]);
    ch(&mut s, '2');
    ch(&mut s, 'G');
    insta::assert_snapshot!(text(&s));
}

#[test]
fn filter_narrows_across_every_block() {
    let mut s = small();
    ch(&mut s, '2');
    ch(&mut s, '/');
    for c in "sin-1-00".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.fleet.totals().total(), 9);
    // Esc clears the filter before it leaves the pane.
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.view, View::Fleet);
    assert!(s.fleet.totals().total() > 250);
}

#[test]
fn an_offline_location_raises_the_fleet_alert() {
    let mut s = small();
    update(&mut s, Msg::Tick(fixtures::t(1_001)));
    let a = s
        .alerts
        .rows
        .iter()
        .find(|r| r.alert.name == "FleetGroupOffline")
        .expect("FleetGroupOffline fires");
    assert_eq!(a.alert.labels["fleet"], "edge");
    assert_eq!(a.alert.labels["group"], "location sin-1");
    // Two of its devices were not polled yet: unknown is not offline.
    assert!(
        a.alert
            .summary
            .contains("58/60 of edge location sin-1 offline"),
        "{}",
        a.alert.summary
    );
    // ams-1 has a few down devices, below 20 %: no alert for it.
    assert_eq!(
        s.alerts
            .rows
            .iter()
            .filter(|r| r.alert.name == "FleetGroupOffline")
            .count(),
        1
    );
}

#[test]
fn restart_on_a_device_explains_instead_of_acting() {
    let mut s = small();
    ch(&mut s, '2');
    ch(&mut s, '/');
    for c in "ams-1-001".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Right);
    assert_eq!(s.fleet.selected_instance().unwrap().name, "ams-1-001");
    let effects = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE)),
    );
    assert!(effects.is_empty());
    assert!(s.flash.as_ref().unwrap().text.contains("runbook"));
}

#[test]
fn restart_on_a_pod_plans_deleting_it() {
    let mut s = small();
    ch(&mut s, '2');
    ch(&mut s, 'G');
    // By node, pods only: the first block is a node's pods.
    ch(&mut s, '/');
    for c in "pod".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Right);
    let pod = s.fleet.selected_instance().unwrap().clone();
    assert_eq!(
        pod.kind,
        opsboard::model::fleet::InstanceKind::Pod,
        "{pod:?}"
    );
    let effects = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE)),
    );
    match effects.as_slice() {
        [
            opsboard::app::Effect::Plan(opsboard::model::ActionRequest::DeletePod {
                pod: p, ..
            }),
        ] => {
            assert_eq!(*p, pod.name)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_host_runbook_from_the_palette_runs_against_the_selected_device() {
    let mut s = small();
    s.runbooks = vec![
        opsboard::app::RunbookEntry {
            name: "ping".into(),
            description: Some("ping the host".into()),
            service: None,
            dangerous: false,
            uses_host: true,
        },
        opsboard::app::RunbookEntry {
            name: "disk-usage".into(),
            description: None,
            service: None,
            dangerous: false,
            uses_host: false,
        },
    ];
    ch(&mut s, '2');
    ch(&mut s, '/');
    for c in "ams-1-007".chars() {
        ch(&mut s, c);
    }
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Right);
    ch(&mut s, ':');
    let screen = text(&s);
    assert!(screen.contains("run ping on host ams-1-007"), "{screen}");
    assert!(!screen.contains("disk-usage on host"), "{screen}");
    for c in "ping".chars() {
        ch(&mut s, c);
    }
    let effects = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    match effects.as_slice() {
        [
            opsboard::app::Effect::Plan(opsboard::model::ActionRequest::Runbook {
                runbook,
                host,
                ..
            }),
        ] => {
            assert_eq!(runbook, "ping");
            assert_eq!(host.as_deref(), Some("ams-1-007"));
        }
        other => panic!("{other:?}"),
    }
}
