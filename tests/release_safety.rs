//! Release safety on the board's state: the change timeline, the hint an
//! alert gets after a release, the RolloutRegressed rule and its act
//! mode, blue-green pairs as one row, and the keys that undo a release.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::release::{ROLLED_OUT_AT, state_after_release};
use support::{fixtures, key};

use crossterm::event::KeyCode;
use opsboard::app::msg::Effect;
use opsboard::app::state::View;
use opsboard::app::timeline::{after_change, timeline};
use opsboard::model::{ActionRequest, ChangeKind, RollbackMode};

/// The fixture's worker also regressed (its stalled rollout left it
/// Down); these tests look at api's.
fn api_only(c: Vec<opsboard::rules::Candidate>) -> Vec<opsboard::rules::Candidate> {
    c.into_iter()
        .filter(|c| c.alert.service.as_deref() == Some("api"))
        .collect()
}

fn service(s: &opsboard::app::State, name: &str) -> usize {
    s.services.iter().position(|x| x.name == name).unwrap()
}

#[test]
fn the_timeline_is_newest_first_and_names_who_rolled_out() {
    let s = state_after_release(80, 24);
    let api = &s.services[service(&s, "api")];
    let changes = timeline(&s, api);
    assert!(
        changes.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );
    let first = &changes[0];
    assert_eq!(first.kind, ChangeKind::Rollout);
    assert!(first.what.starts_with("rev 4 api:1.4.3"), "{}", first.what);
    assert_eq!(first.who.as_deref(), Some("kubectl-set"));
    let revs = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Rollout)
        .count();
    assert_eq!(revs, 4, "every revision is a change");
}

#[test]
fn an_alert_after_a_release_says_so_and_names_the_undo() {
    let s = state_after_release(80, 24);
    let api = &s.services[service(&s, "api")];
    let row = s
        .alerts
        .rows
        .iter()
        .find(|r| r.alert.name == "ErrorRateHigh")
        .unwrap();
    assert_eq!(
        after_change(&s, api, &row.alert).as_deref(),
        Some("ErrorRateHigh started 2m after api rolled out 1.4.3 (rev 4) — u rolls back to 1.4.2")
    );
    // Outside the window (30 min by default) it blames nothing.
    let mut late = row.alert.clone();
    late.since = Some(fixtures::t(195) + std::time::Duration::from_secs(3600));
    assert_eq!(after_change(&s, api, &late), None);
    // Soon after an earlier release: that one is named, and no undo key,
    // since it is no longer what runs.
    let mut early = row.alert.clone();
    early.since = Some(fixtures::t(0) - std::time::Duration::from_secs(7000));
    assert_eq!(
        after_change(&s, api, &early).as_deref(),
        Some("ErrorRateHigh started 5s after api rolled out 1.4.2 (rev 3)")
    );
}

#[test]
fn a_regressed_rollout_raises_a_critical_alert_with_its_evidence() {
    let s = state_after_release(80, 24);
    let c = api_only(opsboard::rules::release::regressed(
        &s.services,
        fixtures::t(195),
    ));
    assert_eq!(c.len(), 1, "{c:?}");
    let a = &c[0].alert;
    assert_eq!(a.name, "RolloutRegressed");
    assert_eq!(a.severity, opsboard::model::Severity::Critical);
    assert_eq!(a.labels.get("revision").map(String::as_str), Some("4"));
    assert!(
        a.summary.contains("api rollout 1.4.3 (rev 4) regressed"),
        "{}",
        a.summary
    );
    assert!(a.summary.contains("u rolls back to 1.4.2"), "{}", a.summary);
    assert!(
        a.annotations["evidence"].starts_with("errors 16"),
        "{:?}",
        a.annotations
    );
    // Off: nothing; after the window: nothing.
    let mut off = s.services.clone();
    for x in &mut off {
        x.rollback_on.mode = RollbackMode::Off;
    }
    assert!(opsboard::rules::release::regressed(&off, fixtures::t(195)).is_empty());
    let later = fixtures::t(195) + std::time::Duration::from_secs(3600);
    assert!(api_only(opsboard::rules::release::regressed(&s.services, later)).is_empty());
}

#[test]
fn the_latency_baseline_is_what_came_before_the_rollout() {
    let mut s = state_after_release(80, 24);
    let i = service(&s, "api");
    let m = s.services[i].metrics.as_mut().unwrap();
    for p in m.points.iter_mut() {
        let after = i64::from(p.at_s) - 1_795_251_600 >= ROLLED_OUT_AT;
        p.error_ratio = 0.001;
        p.p95 = if after { 0.5 } else { 0.12 };
    }
    let c = api_only(opsboard::rules::release::regressed(
        &s.services,
        fixtures::t(195),
    ));
    let evidence = &c[0].alert.annotations["evidence"];
    assert!(
        evidence.contains("p95 500ms > 2× baseline 120ms"),
        "{evidence}"
    );
}

#[test]
fn act_mode_asks_the_action_layer_once_per_revision() {
    let mut s = state_after_release(80, 24);
    let i = service(&s, "api");
    s.services[i].rollback_on.mode = RollbackMode::Act;
    let c = api_only(opsboard::rules::release::regressed(
        &s.services,
        fixtures::t(195),
    ));
    let mut alert = c[0].alert.clone();
    alert.state = opsboard::model::AlertState::Firing;
    alert.since = Some(fixtures::t(190));
    let mut msgs = Vec::new();
    for _ in 0..3 {
        s.alerts.local = vec![alert.clone()];
        // Any alert source's update rebuilds the rows.
        msgs.extend(opsboard::app::update(
            &mut s,
            opsboard::app::Msg::RemoteAlerts {
                source: opsboard::model::AlertSource::Prometheus,
                server: "main".into(),
                at: fixtures::t(195),
                alerts: Ok(vec![]),
            },
        ));
    }
    let asked: Vec<&Effect> = msgs
        .iter()
        .filter(|e| matches!(e, Effect::AutoRollback { .. }))
        .collect();
    assert_eq!(asked.len(), 1, "{msgs:?}");
    let Effect::AutoRollback {
        workload,
        revision,
        evidence,
    } = asked[0]
    else {
        unreachable!()
    };
    assert_eq!((workload.name.as_str(), *revision), ("api", 4));
    assert!(evidence.starts_with("errors 16"), "{evidence}");
}

#[test]
fn a_blue_green_pair_is_one_row_whose_workload_is_the_live_slot() {
    let s = state_after_release(80, 24);
    let d = &s.services[service(&s, "doorbell")];
    let p = d.blue_green.as_ref().unwrap();
    assert_eq!(
        (p.live.name.as_str(), p.idle.name.as_str()),
        ("blue", "green")
    );
    assert_eq!(d.workload.as_ref().unwrap().id.name, "doorbell-blue");
    assert!(
        !s.services.iter().any(|x| x.name.starts_with("doorbell-")),
        "the slots have no rows of their own"
    );
}

#[test]
fn b_switches_the_pair_to_its_idle_slot() {
    let mut s = state_after_release(80, 24);
    let d = service(&s, "doorbell");
    s.view = View::Detail {
        service: d,
        scroll: 0,
    };
    let effects = key(&mut s, KeyCode::Char('B'));
    let Some(Effect::Plan(ActionRequest::Switch {
        service,
        to,
        key: label,
        slot,
    })) = effects.first()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(service.to_string(), "prod/shop/service/doorbell");
    assert_eq!(
        (to.name.as_str(), label.as_str(), slot.as_str()),
        ("doorbell-green", "slot", "green")
    );
    // On a service that is no pair, B says why.
    s.view = View::Detail {
        service: service_index(&s, "api"),
        scroll: 0,
    };
    assert!(key(&mut s, KeyCode::Char('B')).is_empty());
    assert!(
        s.flash
            .as_ref()
            .unwrap()
            .text
            .contains("not a blue-green pair")
    );
}

fn service_index(s: &opsboard::app::State, name: &str) -> usize {
    service(s, name)
}

#[test]
fn u_on_an_alert_rolls_back_the_service_it_blames() {
    let mut s = state_after_release(80, 24);
    s.view = View::Alerts;
    let effects = key(&mut s, KeyCode::Char('u'));
    let Some(Effect::Plan(ActionRequest::Rollback {
        workload,
        to_revision,
    })) = effects.first()
    else {
        panic!("{effects:?}")
    };
    assert_eq!((workload.name.as_str(), *to_revision), ("api", None));
}

#[test]
fn an_image_change_seen_on_docker_is_on_the_timeline() {
    use opsboard::model::DockerSnapshot;
    let mut s = fixtures::state(80, 24);
    let mut c = support::release::container("web", "shop/web:1.0");
    let first = DockerSnapshot {
        host: "local".into(),
        containers: vec![c.clone()],
        error: None,
    };
    opsboard::app::update(&mut s, opsboard::app::Msg::Docker(Box::new(first)));
    c.image = "shop/web:1.1".into();
    let second = DockerSnapshot {
        host: "local".into(),
        containers: vec![c],
        error: None,
    };
    opsboard::app::update(&mut s, opsboard::app::Msg::Docker(Box::new(second)));
    let web = &s.services[service(&s, "web")];
    let changes = timeline(&s, web);
    assert_eq!(changes[0].kind, ChangeKind::Image);
    assert_eq!(changes[0].what, "web: shop/web:1.0 → shop/web:1.1");
    assert_eq!(
        changes[0].release.as_deref(),
        Some("web changed image to 1.1")
    );
}
