//! The Alerts pane's keys through the reducer: silencing plans a silence
//! with the alert's labels, expiring plans the expiry of the silence that
//! suppresses it, `o` opens the service, and the bell rings once per new
//! critical alert when asked to.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{fixtures, key};

use crossterm::event::KeyCode;
use opsboard::app::{Dialog, Effect, Msg, State, View, update};
use opsboard::model::{ActionRequest, Alert, AlertSource, AlertState, Severity};

fn select(s: &mut State, name: &str) {
    let i = s
        .alerts
        .rows
        .iter()
        .position(|r| r.alert.name == name)
        .unwrap_or_else(|| panic!("no {name} row"));
    key(s, KeyCode::Char('g'));
    for _ in 0..i {
        key(s, KeyCode::Down);
    }
    assert_eq!(s.alerts.selected().unwrap().alert.name, name);
}

#[test]
fn silence_dialog_plans_a_silence_with_the_alert_labels() {
    let mut s = fixtures::state_with_alerts(80, 24);
    key(&mut s, KeyCode::Char('3'));
    select(&mut s, "HighErrorRate");
    key(&mut s, KeyCode::Char('S'));
    let Some(Dialog::Silence {
        server, matchers, ..
    }) = &s.dialog
    else {
        panic!("no silence dialog: {:?}", s.dialog);
    };
    assert_eq!(server, "main");
    assert!(
        matchers.contains("alertname=\"HighErrorRate\""),
        "{matchers}"
    );
    assert!(matchers.contains("job=\"web-client\""), "{matchers}");
    // A broken matcher list is refused in the dialog, which stays open.
    key(&mut s, KeyCode::Char(','));
    key(&mut s, KeyCode::Char('x'));
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    let Some(Dialog::Silence { error: Some(e), .. }) = &s.dialog else {
        panic!("expected an error: {:?}", s.dialog);
    };
    assert!(e.contains("expected name=\"value\""), "{e}");
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Backspace);
    // Duration field: replace 2h with 30m.
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Backspace);
    for c in "30m".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    let fx = key(&mut s, KeyCode::Enter);
    let [
        Effect::Plan(ActionRequest::Silence {
            server,
            matchers,
            duration,
            comment,
        }),
    ] = fx.as_slice()
    else {
        panic!("expected a silence plan: {fx:?}");
    };
    assert_eq!(server, "main");
    assert_eq!(duration.as_secs(), 1800);
    assert!(
        matchers
            .iter()
            .any(|m| m.name == "alertname" && m.value == "HighErrorRate")
    );
    assert!(comment.contains("silenced from opsboard"), "{comment}");
    assert!(s.dialog.is_none());
}

#[test]
fn expire_plans_the_silence_that_suppresses_the_alert() {
    let mut s = fixtures::state_with_alerts(80, 24);
    key(&mut s, KeyCode::Char('3'));
    select(&mut s, "HighErrorRate");
    assert!(key(&mut s, KeyCode::Char('E')).is_empty(), "not silenced");
    assert!(s.flash.as_ref().unwrap().text.contains("not silenced"));
    select(&mut s, "RedisMemoryHigh");
    let fx = key(&mut s, KeyCode::Char('E'));
    let [Effect::Plan(ActionRequest::ExpireSilence { server, id, .. })] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!((server.as_str(), id.as_str()), ("main", "a1b2c3"));
}

#[test]
fn o_and_enter_in_the_detail_open_the_service() {
    let mut s = fixtures::state_with_alerts(80, 24);
    key(&mut s, KeyCode::Char('3'));
    select(&mut s, "HighErrorRate");
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.view, View::AlertDetail { .. }));
    key(&mut s, KeyCode::Enter);
    let View::Detail { service, .. } = s.view else {
        panic!("{:?}", s.view);
    };
    assert_eq!(s.services[service].name, "web-client");
    key(&mut s, KeyCode::Char('3'));
    select(&mut s, "DiskFilling");
    key(&mut s, KeyCode::Char('o'));
    assert_eq!(s.view, View::Alerts, "job=node names no service");
    assert!(s.flash.is_some());
}

fn critical(name: &str) -> Alert {
    let mut a = Alert::local(name, Severity::Critical, name.into());
    a.source = AlertSource::Prometheus;
    a.origin = "main".into();
    a.state = AlertState::Firing;
    a
}

#[test]
fn bell_rings_once_per_new_critical_when_on() {
    let mut s = fixtures::state(80, 24);
    let push = |s: &mut State, alerts: Vec<Alert>| {
        update(
            s,
            Msg::RemoteAlerts {
                source: AlertSource::Prometheus,
                server: "main".into(),
                at: fixtures::t(195),
                alerts: Ok(alerts),
            },
        )
    };
    assert!(
        push(&mut s, vec![critical("A")]).is_empty(),
        "bell is off by default"
    );
    s.rules.settings.bell = true;
    assert!(
        push(&mut s, vec![critical("A")]).is_empty(),
        "A was announced"
    );
    assert_eq!(
        push(&mut s, vec![critical("A"), critical("B")]),
        vec![Effect::Bell]
    );
    assert!(push(&mut s, vec![critical("A"), critical("B")]).is_empty());
    // A source failing keeps the last alerts: no "all clear", no new bell.
    let fx = update(
        &mut s,
        Msg::RemoteAlerts {
            source: AlertSource::Prometheus,
            server: "main".into(),
            at: fixtures::t(196),
            alerts: Err("connection refused".into()),
        },
    );
    assert!(fx.is_empty());
    assert_eq!(s.alerts.firing_counts()[0], 2);
    assert_eq!(
        s.alerts.last_known_firing(),
        2,
        "counted, marked last known"
    );
    assert!(
        s.notice()
            .unwrap()
            .contains("Prometheus main: connection refused")
    );
    assert_eq!(s.alerts.sources_down(), ["prometheus main"]);
    // Back with the same alerts: current again, and no second bell.
    assert!(push(&mut s, vec![critical("A"), critical("B")]).is_empty());
    assert_eq!(s.alerts.last_known_firing(), 0);
    assert!(s.alerts.sources_down().is_empty());
}
