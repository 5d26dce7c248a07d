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
