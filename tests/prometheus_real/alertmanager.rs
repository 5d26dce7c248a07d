//! The Alertmanager client against a real Alertmanager: pushed alerts,
//! silences created and expired (checked with amtool), and alerts sent by
//! a real Prometheus.

use std::time::{Duration, SystemTime};

use opsboard::clients::alertmanager::AmClient;
use opsboard::clients::prometheus::ApiError;
use opsboard::model::{AlertSource, AlertState, Matcher, Severity, SilenceState};

use super::{RULES, WAIT, spec};
use crate::prom::{
    ALERTMANAGER_RECEIVER, Alertmanager, Amtool, Prometheus, dead_port, eventually,
    prometheus_config,
};

fn push_alert_body(name: &str) -> String {
    let starts = chrono::DateTime::<chrono::Utc>::from(SystemTime::now() - Duration::from_secs(60));
    serde_json::json!([{
        "labels": {"alertname": name, "severity": "critical", "service": "web"},
        "annotations": {"description": "pushed by the test"},
        "startsAt": starts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }])
    .to_string()
}

#[tokio::test]
async fn alertmanager_alerts_and_silences() {
    let Some(am) = Alertmanager::start() else {
        return;
    };
    let amtool = Amtool::find();
    let pushed = reqwest::Client::new()
        .post(format!("{}api/v2/alerts", am.url()))
        .header("content-type", "application/json")
        .body(push_alert_body("OpsboardPushed"))
        .send()
        .await
        .unwrap();
    assert!(
        pushed.status().is_success(),
        "{}",
        pushed.text().await.unwrap()
    );

    let client = AmClient::new(&spec("am", &am.url())).unwrap();
    let c = &client;
    let state_of = move |want: AlertState| async move {
        let a = c.alerts().await.map_err(|e| e.to_string())?;
        match a.into_iter().find(|a| a.name == "OpsboardPushed") {
            Some(a) if a.state == want => Ok(a),
            other => Err(format!("{other:?}")),
        }
    };
    let alert = eventually("the pushed alert is active", WAIT, move || {
        state_of(AlertState::Firing)
    })
    .await;
    assert_eq!(alert.source, AlertSource::Alertmanager);
    assert_eq!(alert.origin, "am");
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.summary, "pushed by the test");
    assert_eq!(alert.labels["service"], "web");
    assert_eq!(alert.receivers, [ALERTMANAGER_RECEIVER]);
    assert!(alert.fingerprint.as_deref().is_some_and(|f| !f.is_empty()));
    assert!(alert.silenced_by.is_empty() && alert.inhibited_by.is_empty());
    let age = SystemTime::now()
        .duration_since(alert.since.unwrap())
        .unwrap();
    assert!(
        age >= Duration::from_secs(59) && age < Duration::from_secs(120),
        "{age:?}"
    );

    let now = SystemTime::now();
    let matchers = [Matcher::equal("alertname", "OpsboardPushed")];
    let id = client
        .create_silence(
            &matchers,
            now,
            now + Duration::from_secs(3600),
            "opsboard-test",
            "quiet, please",
        )
        .await
        .unwrap();
    assert!(!id.is_empty());
    // A negative regex matcher that does not cover the alert.
    let others = Matcher {
        name: "service".into(),
        value: "web|api".into(),
        is_regex: true,
        is_equal: false,
    };
    let other_id = client
        .create_silence(
            std::slice::from_ref(&others),
            now,
            now + Duration::from_secs(600),
            "opsboard-test",
            "others",
        )
        .await
        .unwrap();

    let silences = client.silences().await.unwrap();
    let s = silences
        .iter()
        .find(|s| s.id == id)
        .expect("the new silence is listed");
    assert_eq!(s.state, SilenceState::Active);
    assert_eq!(s.created_by, "opsboard-test");
    assert_eq!(s.comment, "quiet, please");
    assert_eq!(s.matchers, matchers);
    assert_eq!(s.origin, "am");
    let ends_in = s.ends_at.duration_since(now).unwrap();
    assert!(
        ends_in.abs_diff(Duration::from_secs(3600)) < Duration::from_secs(2),
        "{ends_in:?}"
    );
    let o = silences.iter().find(|s| s.id == other_id).unwrap();
    assert_eq!(o.matchers, [others]);

    let silenced_ids = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s["id"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(t) = &amtool {
        let listed = t.silences(&am.url(), false);
        assert!(silenced_ids(&listed).contains(&id), "{listed}");
        let entry = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id.as_str())
            .unwrap();
        assert_eq!(entry["createdBy"], "opsboard-test");
        assert_eq!(entry["comment"], "quiet, please");
    }

    let suppressed = eventually("the alert is silenced", WAIT, move || {
        state_of(AlertState::Suppressed)
    })
    .await;
    assert_eq!(suppressed.silenced_by, std::slice::from_ref(&id));

    client.expire_silence(&id).await.unwrap();
    let i = &id;
    eventually("the silence is expired", WAIT, move || async move {
        let s = c.silences().await.map_err(|e| e.to_string())?;
        match s.iter().find(|s| &s.id == i) {
            Some(s) if s.state == SilenceState::Expired => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    if let Some(t) = &amtool {
        assert!(!silenced_ids(&t.silences(&am.url(), false)).contains(&id));
        assert!(silenced_ids(&t.silences(&am.url(), true)).contains(&id));
    }
    let active = eventually("the alert is active again", WAIT, move || {
        state_of(AlertState::Firing)
    })
    .await;
    assert!(active.silenced_by.is_empty());

    // Alertmanager's own complaints come through as text.
    let e = client
        .create_silence(
            &matchers,
            now + Duration::from_secs(60),
            now,
            "t",
            "backwards",
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Http { status: 400, .. }), "{e:?}");
    assert!(
        e.to_string().contains("start time must be before end time"),
        "{e}"
    );
    let e = client
        .create_silence(&[], now, now + Duration::from_secs(60), "t", "no matchers")
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Http { status: 422, .. }), "{e:?}");
    assert!(e.to_string().contains("matchers"), "{e}");
    let e = client.expire_silence("not-a-uuid/../x").await.unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::Http {
                status: 422 | 404,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn prometheus_alerts_reach_alertmanager() {
    let Some(am) = Alertmanager::start() else {
        return;
    };
    let dead = dead_port();
    let config = prometheus_config(
        &[("dead", vec![format!("127.0.0.1:{dead}")])],
        true,
        Some(am.port()),
    );
    let Some(_prom) = Prometheus::start(&config, Some(RULES)) else {
        return;
    };
    let client = AmClient::new(&spec("am", &am.url())).unwrap();
    let c = &client;
    let alert = eventually(
        "TargetDown in Alertmanager",
        Duration::from_secs(45),
        move || async move {
            let a = c.alerts().await.map_err(|e| e.to_string())?;
            a.into_iter()
                .find(|a| a.name == "TargetDown")
                .ok_or_else(|| "not yet".to_string())
        },
    )
    .await;
    assert_eq!(alert.state, AlertState::Firing);
    assert_eq!(alert.source, AlertSource::Alertmanager);
    assert_eq!(alert.labels["job"], "dead");
    assert_eq!(alert.labels["instance"], format!("127.0.0.1:{dead}"));
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(
        alert.summary,
        format!("127.0.0.1:{dead} of job dead is down")
    );
    assert_eq!(alert.receivers, [ALERTMANAGER_RECEIVER]);
    assert!(alert.since.is_some());
}
