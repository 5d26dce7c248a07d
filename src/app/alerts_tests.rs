use std::time::Duration;

use super::*;

fn remote(src: AlertSource, name: &str, sev: &str, state: AlertState) -> Alert {
    let mut a = Alert::local(name, Severity::from_label(Some(sev)), format!("{name}!"));
    a.source = src;
    a.origin = "main".into();
    a.state = state;
    a.labels.insert("job".into(), "web".into());
    a.labels.insert("severity".into(), sev.into());
    a
}

#[test]
fn same_labels_from_two_sources_is_one_row() {
    let mut b = AlertBoard::default();
    let mut p = remote(
        AlertSource::Prometheus,
        "Down",
        "critical",
        AlertState::Firing,
    );
    p.value = Some("0".into());
    let mut am = remote(
        AlertSource::Alertmanager,
        "Down",
        "critical",
        AlertState::Firing,
    );
    am.annotations
        .insert("runbook_url".into(), "http://rb".into());
    b.remote.insert(
        (AlertSource::Prometheus, "main".into()),
        RemoteFeed {
            alerts: vec![p],
            ..Default::default()
        },
    );
    b.remote.insert(
        (AlertSource::Alertmanager, "main".into()),
        RemoteFeed {
            alerts: vec![am],
            ..Default::default()
        },
    );
    let services = vec![Service::new("web")];
    assert!(b.rebuild(&services), "a new critical rings");
    assert_eq!(b.rows.len(), 1);
    let r = &b.rows[0];
    assert_eq!(r.sources.len(), 2);
    assert_eq!(r.alert.value.as_deref(), Some("0"));
    assert_eq!(r.alert.annotations["runbook_url"], "http://rb");
    assert_eq!(r.service, Some(0), "job=web names the service");
    assert_eq!(b.firing_counts(), [1, 0, 0]);
    assert!(!b.rebuild(&services), "announced once");
}

#[test]
fn cursor_follows_its_alert_when_the_list_reranks() {
    let mut b = AlertBoard::default();
    let w = remote(AlertSource::Prometheus, "W", "warning", AlertState::Firing);
    b.remote.insert(
        (AlertSource::Prometheus, "main".into()),
        RemoteFeed {
            alerts: vec![w.clone()],
            ..Default::default()
        },
    );
    b.rebuild(&[]);
    assert_eq!(b.selected().unwrap().alert.name, "W");
    let c = remote(AlertSource::Prometheus, "C", "critical", AlertState::Firing);
    b.remote.insert(
        (AlertSource::Prometheus, "main".into()),
        RemoteFeed {
            alerts: vec![w, c],
            ..Default::default()
        },
    );
    b.rebuild_following(&[], true);
    assert_eq!(b.rows[0].alert.name, "C", "critical ranks first");
    assert_eq!(b.selected().unwrap().alert.name, "W", "cursor stayed on W");
    assert!(b.still_there);
    b.remote.clear();
    b.rebuild_following(&[], true);
    assert!(!b.still_there);
}

#[test]
fn ranked_and_sectioned() {
    let mut b = AlertBoard::default();
    let t = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
    let mut w_old = remote(AlertSource::Prometheus, "W1", "warning", AlertState::Firing);
    w_old.since = Some(t(100));
    let mut w_new = remote(AlertSource::Prometheus, "W2", "warning", AlertState::Firing);
    w_new.since = Some(t(200));
    let c = remote(AlertSource::Prometheus, "C", "critical", AlertState::Firing);
    let pend = remote(
        AlertSource::Prometheus,
        "P",
        "critical",
        AlertState::Pending,
    );
    let sil = remote(
        AlertSource::Alertmanager,
        "S",
        "critical",
        AlertState::Suppressed,
    );
    let mut res = remote(AlertSource::Local, "R", "critical", AlertState::Resolved);
    res.origin = String::new();
    b.local = vec![res];
    b.remote.insert(
        (AlertSource::Prometheus, "main".into()),
        RemoteFeed {
            alerts: vec![w_old, w_new, c, pend],
            ..Default::default()
        },
    );
    b.remote.insert(
        (AlertSource::Alertmanager, "main".into()),
        RemoteFeed {
            alerts: vec![sil],
            ..Default::default()
        },
    );
    b.rebuild(&[]);
    let names: Vec<&str> = b.rows.iter().map(|r| r.alert.name.as_str()).collect();
    assert_eq!(names, ["C", "P", "W2", "W1", "S", "R"]);
    assert_eq!(b.rows[4].section, RowSection::Silenced);
    assert_eq!(b.rows[5].section, RowSection::Resolved);
    assert_eq!(
        b.firing_counts(),
        [1, 2, 0],
        "pending, silenced, resolved not counted"
    );
}

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(50_000 + s)
}

fn poll(b: &mut AlertBoard, src: AlertSource, t: u64, alerts: Result<Vec<Alert>, &str>) {
    b.apply_remote(src, "main".into(), at(t), alerts.map_err(str::to_string));
    b.rebuild(&[]);
}

#[test]
fn a_failing_server_keeps_its_alerts_as_last_known_and_names_the_fault() {
    let mut b = AlertBoard::default();
    let c = remote(AlertSource::Prometheus, "C", "critical", AlertState::Firing);
    poll(&mut b, AlertSource::Prometheus, 0, Ok(vec![c.clone()]));
    assert_eq!(b.rows[0].stale, None);
    assert!(b.errors().is_empty() && b.sources_down().is_empty());

    poll(
        &mut b,
        AlertSource::Prometheus,
        10,
        Err("HTTP 503: Service Unavailable"),
    );
    poll(
        &mut b,
        AlertSource::Prometheus,
        40,
        Err("timed out after 5s"),
    );
    assert_eq!(b.errors(), ["Prometheus main: timed out"]);
    assert_eq!(b.sources_down(), ["prometheus main"]);
    let feed = &b.remote[&(AlertSource::Prometheus, "main".to_string())];
    let fault = feed.fault.as_ref().unwrap();
    assert_eq!(fault.raw, "timed out after 5s");
    assert_eq!(fault.since, at(10), "the fault began at the first failure");
    let row = &b.rows[0];
    let stale = row.stale.as_ref().expect("marked last known");
    assert_eq!(stale.source, "Prometheus main");
    assert_eq!(stale.since, at(10));
    assert_eq!(
        b.firing_counts(),
        [1, 0, 0],
        "last known firing still counts"
    );
    assert_eq!(b.last_known_firing(), 1);

    poll(&mut b, AlertSource::Prometheus, 50, Ok(vec![c]));
    assert_eq!(b.rows[0].stale, None, "fresh again");
    assert!(b.errors().is_empty() && b.sources_down().is_empty());
    assert_eq!(b.last_known_firing(), 0);
}

#[test]
fn a_row_another_server_still_confirms_is_current() {
    let mut b = AlertBoard::default();
    let p = remote(AlertSource::Prometheus, "C", "critical", AlertState::Firing);
    let am = remote(
        AlertSource::Alertmanager,
        "C",
        "critical",
        AlertState::Firing,
    );
    poll(&mut b, AlertSource::Prometheus, 0, Ok(vec![p]));
    poll(&mut b, AlertSource::Alertmanager, 0, Ok(vec![am]));
    poll(
        &mut b,
        AlertSource::Prometheus,
        10,
        Err("connection refused"),
    );
    assert_eq!(b.rows[0].stale, None, "Alertmanager still says so");
    poll(
        &mut b,
        AlertSource::Alertmanager,
        10,
        Err("connection refused"),
    );
    assert_eq!(
        b.rows[0].stale.as_ref().map(|s| s.source.as_str()),
        Some("Prometheus main and Alertmanager main")
    );
    assert_eq!(
        b.errors(),
        [
            "Prometheus main: connection refused",
            "Alertmanager main: connection refused"
        ]
    );
}

#[test]
fn last_known_alerts_age_out_after_the_stated_time() {
    assert_eq!(STALE_ALERTS_AGE_OUT, Duration::from_secs(15 * 60));
    let mut b = AlertBoard::default();
    let w = remote(AlertSource::Prometheus, "W", "warning", AlertState::Firing);
    poll(&mut b, AlertSource::Prometheus, 0, Ok(vec![w.clone()]));
    poll(
        &mut b,
        AlertSource::Prometheus,
        100,
        Err("connection refused"),
    );
    poll(
        &mut b,
        AlertSource::Prometheus,
        100 + 15 * 60 - 1,
        Err("connection refused"),
    );
    assert_eq!(b.rows.len(), 1, "kept just before the age-out");
    poll(
        &mut b,
        AlertSource::Prometheus,
        100 + 15 * 60,
        Err("connection refused"),
    );
    assert!(b.rows.is_empty(), "dropped at the age-out");
    assert_eq!(b.errors(), ["Prometheus main: connection refused"]);
    poll(&mut b, AlertSource::Prometheus, 2000, Ok(vec![w]));
    assert_eq!(b.rows.len(), 1);
    assert_eq!(b.rows[0].stale, None);

    // Shorter when asked (tests).
    b.age_out = AgeOut(Duration::from_secs(5));
    poll(&mut b, AlertSource::Prometheus, 3000, Err("HTTP 503"));
    poll(&mut b, AlertSource::Prometheus, 3005, Err("HTTP 503"));
    assert!(b.rows.is_empty());
}

#[test]
fn the_bell_rings_for_what_is_current_only() {
    let mut b = AlertBoard::default();
    let c = remote(AlertSource::Prometheus, "C", "critical", AlertState::Firing);
    b.apply_remote(
        AlertSource::Prometheus,
        "main".into(),
        at(0),
        Ok(vec![c.clone()]),
    );
    assert!(b.rebuild(&[]));
    b.apply_remote(
        AlertSource::Prometheus,
        "main".into(),
        at(10),
        Err("connection refused".into()),
    );
    assert!(!b.rebuild(&[]), "last known: no ring");
    b.apply_remote(AlertSource::Prometheus, "main".into(), at(20), Ok(vec![c]));
    assert!(
        !b.rebuild(&[]),
        "announced before the outage: no second ring"
    );
}

#[test]
fn silence_errors_are_said_in_words_unless_the_server_is_down() {
    let mut b = AlertBoard::default();
    b.silences.insert(
        "am".into(),
        SilenceFeed {
            silences: vec![],
            error: Some("HTTP 503: Service Unavailable".into()),
        },
    );
    assert_eq!(b.errors(), ["Alertmanager am silences: HTTP 503"]);
    b.apply_remote(
        AlertSource::Alertmanager,
        "am".into(),
        at(0),
        Err("HTTP 503: Service Unavailable".into()),
    );
    assert_eq!(b.errors(), ["Alertmanager am: HTTP 503"]);
    assert_eq!(b.sources_down(), ["alertmanager am"]);
}
