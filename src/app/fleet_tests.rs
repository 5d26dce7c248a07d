use std::time::{Duration, SystemTime};

use super::*;
use crate::model::fleet::DevicePoll;

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(s)
}

fn plan(text: &str) -> FleetState {
    let config: crate::config::Config = toml::from_str(text).unwrap();
    FleetState::from_plan(&crate::assemble::fleet::plan(&config).unwrap())
}

fn edge() -> FleetState {
    plan(
        r#"
[[fleet]]
name = "edge"
url = "http://{host}/health"
service = "edge-agent"
[[fleet.groups]]
location = "ams-1"
hosts = ["rpi-{1..10}"]
[[fleet.groups]]
location = "sin-1"
hosts = ["rpi-{11..15}"]
offline_threshold = 0.5
"#,
    )
}

fn poll(f: &mut FleetState, down: &[u32]) {
    let results = (0..15)
        .map(|d| DevicePoll {
            device: d,
            status: if down.contains(&d) {
                Health::Down
            } else {
                Health::Up
            },
            reason: down.contains(&d).then(|| "no answer in 2s".into()),
            at: at(100),
        })
        .collect();
    f.apply_polls(0, results);
}

#[test]
fn devices_start_unknown_and_take_their_polls() {
    let mut f = edge();
    f.refresh();
    assert_eq!(f.len(), 15);
    assert_eq!(f.totals().get(Health::Unknown), 15);
    poll(&mut f, &[10, 11, 12]);
    f.refresh();
    assert_eq!(f.totals().get(Health::Down), 3);
    assert_eq!(f.totals().get(Health::Up), 12);
}

#[test]
fn group_counts_per_location_with_their_thresholds() {
    let mut f = edge();
    poll(&mut f, &[10, 11, 12]);
    let g = f.group_counts();
    assert_eq!(g.len(), 2);
    assert_eq!(
        (g[0].group.as_str(), g[0].total, g[0].offline),
        ("location ams-1", 10, 0)
    );
    assert_eq!(
        (g[1].group.as_str(), g[1].total, g[1].offline),
        ("location sin-1", 5, 3)
    );
    assert_eq!(g[1].threshold, Some(0.5));
    assert_eq!(g[0].threshold, None);
    assert_eq!(g[1].service.as_deref(), Some("edge-agent"));
}

#[test]
fn grouping_by_location_sorts_blocks_and_members_naturally() {
    let mut f = edge();
    f.group_by = GroupBy::Location;
    f.refresh();
    let keys: Vec<&str> = f.blocks.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(keys, ["ams-1", "sin-1"]);
    let names: Vec<&str> = f.blocks[0]
        .members
        .iter()
        .map(|r| f.get(*r).unwrap().name.as_str())
        .collect();
    assert_eq!(names[..3], ["rpi-1", "rpi-2", "rpi-3"]);
    assert_eq!(names[9], "rpi-10");
}

#[test]
fn the_cursor_stays_on_its_instance_across_regrouping_and_filtering() {
    let mut f = edge();
    f.group_by = GroupBy::Location;
    f.refresh();
    f.cursor = Cursor {
        block: 1,
        cell: Some(2),
    };
    assert_eq!(f.selected_instance().unwrap().name, "rpi-13");
    f.group_by = GroupBy::Service;
    f.refresh();
    assert_eq!(f.selected_instance().unwrap().name, "rpi-13");
    f.filter.text = "rpi-1".into();
    f.refresh();
    assert_eq!(f.selected_instance().unwrap().name, "rpi-13");
    f.filter.text = "down".into();
    poll(&mut f, &[12]);
    f.refresh();
    assert_eq!(f.len(), 15);
    assert_eq!(f.totals().total(), 1, "filtered to the one down device");
}

#[test]
fn status_only_changes_recount_without_regrouping() {
    let mut f = edge();
    f.refresh();
    let before = f.blocks[0].members.clone();
    poll(&mut f, &[0]);
    f.refresh();
    assert_eq!(f.blocks[0].members, before);
    assert_eq!(f.blocks[0].counts.get(Health::Down), 1);
}

#[test]
fn a_query_fleet_keeps_devices_that_vanish_as_unknown() {
    let mut f = plan(
        r#"
[[prometheus]]
name = "main"
url = "http://127.0.0.1:9"
[[fleet]]
name = "edge"
prometheus = "main"
query = 'up{job="edge"}'
"#,
    );
    let dev = |name: &str, status| QueriedDevice {
        name: name.into(),
        location: Some("ams".into()),
        labels: vec![],
        status,
        value: if status == Health::Up { 1.0 } else { 0.0 },
    };
    f.apply_query(
        0,
        at(1),
        Ok(vec![dev("a:9100", Health::Up), dev("b:9100", Health::Down)]),
    );
    f.refresh();
    assert_eq!(f.totals().get(Health::Down), 1);
    assert_eq!(f.fleets[0].devices[0].host.as_deref(), Some("a"));
    f.apply_query(0, at(2), Ok(vec![dev("a:9100", Health::Up)]));
    f.refresh();
    let b = &f.fleets[0].devices[1];
    assert_eq!(
        (b.status, b.reason.as_deref()),
        (Health::Unknown, Some("absent from the query's answer"))
    );
    f.apply_query(0, at(3), Err("connection refused".into()));
    assert_eq!(f.errors(), ["fleet edge: connection refused"]);
    // While the query fails, no device looks current: `a` was up.
    f.refresh();
    let a = &f.fleets[0].devices[0];
    assert_eq!(a.status, Health::Unknown);
    let why = a.reason.as_deref().unwrap_or_default();
    assert!(
        why.contains("fleet edge unreachable since") && why.contains("(was up)"),
        "{why}"
    );
    assert_eq!(f.totals().get(Health::Up), 0);
    // A second failure keeps the first's start and the last known word.
    f.apply_query(0, at(4), Err("timed out".into()));
    assert!(
        f.fleets[0].devices[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("(was up)")
    );
    // Back: current again.
    f.apply_query(0, at(5), Ok(vec![dev("a:9100", Health::Up)]));
    f.refresh();
    assert_eq!(f.fleets[0].devices[0].status, Health::Up);
    assert!(f.errors().is_empty());
}

#[test]
fn natural_order_and_hosts_of_instances() {
    let mut v = vec!["rpi-10", "rpi-2", "rpi-1", "gw", "rpi-02"];
    v.sort_by(|a, b| natural_cmp(a, b));
    assert_eq!(v, ["gw", "rpi-1", "rpi-2", "rpi-02", "rpi-10"]);
    assert_eq!(host_of("rpi-1:9100"), "rpi-1");
    assert_eq!(host_of("rpi-1"), "rpi-1");
    assert_eq!(host_of("[::1]:9100"), "[::1]");
}

#[test]
fn a_name_filter_recounts_on_status_changes_and_a_status_filter_regroups() {
    let mut f = edge();
    f.filter.text = "rpi-1".into();
    f.refresh();
    let shown = f.totals().total();
    poll(&mut f, &[0, 10]);
    f.refresh();
    assert_eq!(f.totals().total(), shown);
    assert_eq!(f.totals().get(Health::Down), 2, "rpi-1 and rpi-11 down");
    f.filter.text = "down".into();
    f.refresh();
    assert_eq!(f.totals().total(), 2);
    poll(&mut f, &[0]);
    f.refresh();
    assert_eq!(f.totals().total(), 1, "rpi-11 came back: out of the grid");
}
