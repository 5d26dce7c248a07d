//! The Prometheus and Alertmanager clients against the real servers
//! (Debian's prometheus, prometheus-alertmanager, prometheus-node-exporter)
//! on loopback: scrape targets up and down, alerts that really fire, rules,
//! queries with NaN and ±Inf, TLS with a private CA and basic auth,
//! silences checked with amtool, Prometheus feeding Alertmanager, and the
//! exposition parser against what Prometheus itself stored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::prom;

#[path = "prometheus_real/alertmanager.rs"]
mod alertmanager;
#[path = "prometheus_real/exposition.rs"]
mod exposition;
#[path = "prometheus_real/secured.rs"]
mod secured;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use opsboard::clients::alertmanager::AmClient;
use opsboard::clients::prometheus::{ApiError, Auth, PromClient, ServerSpec};
use opsboard::model::{AlertSource, AlertState, Health, Severity};
use prom::{NodeExporter, Prometheus, dead_port, eventually, prometheus_config};

const RULES: &str = r#"
groups:
  - name: opsboard-test
    rules:
      - alert: TargetDown
        expr: up == 0
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.instance }} of job {{ $labels.job }} is down"
          runbook_url: https://runbooks.example/target-down
      - alert: LoadObserved
        expr: node_load1 >= 0
        for: 1s
        labels:
          severity: warning
        annotations:
          description: "load is {{ $value }}"
      - alert: NeverFires
        expr: vector(1)
        for: 1h
      - record: job:up:sum
        expr: sum by (job) (up)
"#;

const WAIT: Duration = Duration::from_secs(30);

fn spec(name: &str, url: &str) -> ServerSpec {
    ServerSpec {
        name: name.into(),
        url: url::Url::parse(url).unwrap(),
        auth: Auth::None,
        ca_pem: None,
        timeout: Duration::from_secs(5),
    }
}

/// node_exporter and a dead port, scraped every second.
fn scrape_world(rules: Option<&str>) -> Option<(NodeExporter, Prometheus, u16)> {
    let ne = NodeExporter::start()?;
    let dead = dead_port();
    let config = prometheus_config(
        &[
            ("node", vec![ne.address()]),
            ("dead", vec![format!("127.0.0.1:{dead}")]),
        ],
        rules.is_some(),
        None,
    );
    let prom = Prometheus::start(&config, rules)?;
    Some((ne, prom, dead))
}

#[tokio::test]
async fn targets_alerts_and_rules_from_a_real_prometheus() {
    let Some((ne, prom, dead)) = scrape_world(Some(RULES)) else {
        return;
    };
    let client = PromClient::new(&spec("lab", &prom.url())).unwrap();
    assert_eq!(client.name(), "lab");
    let c = &client;

    let targets = eventually("both targets scraped", WAIT, move || async move {
        let t = c.targets().await.map_err(|e| e.to_string())?;
        if t.len() == 2 && t.iter().all(|t| t.health != Health::Unknown) {
            Ok(t)
        } else {
            Err(format!("{t:?}"))
        }
    })
    .await;
    let by_job: BTreeMap<&str, _> = targets.iter().map(|t| (t.job.as_str(), t)).collect();
    let node = by_job["node"];
    assert_eq!(node.health, Health::Up, "{node:?}");
    assert_eq!(node.instance, ne.address());
    assert_eq!(node.scrape_url, format!("{}metrics", ne.url()));
    assert_eq!(node.last_error, None);
    assert_eq!(node.origin, "lab");
    assert!(node.last_scrape.is_some_and(|t| t <= SystemTime::now()));
    let down = by_job["dead"];
    assert_eq!(down.health, Health::Down);
    assert_eq!(down.instance, format!("127.0.0.1:{dead}"));
    assert_eq!(down.labels.get("job").map(String::as_str), Some("dead"));
    let err = down.last_error.as_deref().unwrap_or_default();
    assert!(err.contains("connection refused"), "{err}");

    let alerts = eventually(
        "TargetDown and LoadObserved firing",
        WAIT,
        move || async move {
            let a = c.alerts().await.map_err(|e| e.to_string())?;
            let firing = |n: &str| {
                a.iter()
                    .any(|x| x.name == n && x.state == AlertState::Firing)
            };
            if firing("TargetDown") && firing("LoadObserved") {
                Ok(a)
            } else {
                Err(format!("{a:?}"))
            }
        },
    )
    .await;
    let down = alerts.iter().find(|a| a.name == "TargetDown").unwrap();
    assert_eq!(down.source, AlertSource::Prometheus);
    assert_eq!(down.origin, "lab");
    assert_eq!(down.severity, Severity::Critical);
    assert_eq!(down.labels["alertname"], "TargetDown");
    assert_eq!(down.labels["job"], "dead");
    assert_eq!(down.labels["instance"], format!("127.0.0.1:{dead}"));
    let summary = format!("127.0.0.1:{dead} of job dead is down");
    assert_eq!(down.summary, summary);
    assert_eq!(down.annotations["summary"], summary);
    assert_eq!(
        down.annotations["runbook_url"],
        "https://runbooks.example/target-down"
    );
    assert_eq!(down.value.as_deref().map(str::parse::<f64>), Some(Ok(0.0)));
    assert!(down.since.is_some_and(|t| t <= SystemTime::now()));
    assert_eq!(down.service, None);
    assert_eq!(down.fingerprint, None);

    let load = alerts.iter().find(|a| a.name == "LoadObserved").unwrap();
    assert_eq!(load.severity, Severity::Warning);
    assert_eq!(load.labels["job"], "node");
    assert!(load.summary.starts_with("load is "), "{}", load.summary);
    let v: f64 = load.value.as_deref().unwrap_or("x").parse().unwrap();
    assert!(v >= 0.0);

    let never = alerts.iter().find(|a| a.name == "NeverFires").unwrap();
    assert_eq!(never.state, AlertState::Pending);
    assert_eq!(never.severity, Severity::Info);
    assert_eq!(never.summary, "NeverFires");

    let rules = eventually("every rule evaluated", WAIT, move || async move {
        let r = c.rules().await.map_err(|e| e.to_string())?;
        if r.len() == 4 && r.iter().all(|r| r.health == "ok") {
            Ok(r)
        } else {
            Err(format!("{r:?}"))
        }
    })
    .await;
    let kinds: Vec<(&str, &str)> = rules
        .iter()
        .map(|r| (r.name.as_str(), r.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("TargetDown", "alerting"),
            ("LoadObserved", "alerting"),
            ("NeverFires", "alerting"),
            ("job:up:sum", "recording"),
        ]
    );
    assert!(
        rules
            .iter()
            .all(|r| r.group == "opsboard-test" && r.origin == "lab" && r.last_error.is_none())
    );
}

#[tokio::test]
async fn queries_against_a_real_prometheus() {
    let Some((_ne, prom, _dead)) = scrape_world(None) else {
        return;
    };
    let client = PromClient::new(&spec("lab", &prom.url())).unwrap();
    let c = &client;

    let up = eventually("up for both targets", WAIT, move || async move {
        let r = c.query("up", None).await.map_err(|e| e.to_string())?;
        if r.series.len() == 2 {
            Ok(r)
        } else {
            Err(format!("{r:?}"))
        }
    })
    .await;
    assert!(up.warnings.is_empty());
    let values: BTreeMap<&str, f64> = up
        .series
        .iter()
        .map(|s| (s.labels["job"].as_str(), s.points[0].1))
        .collect();
    assert_eq!(values, BTreeMap::from([("dead", 0.0), ("node", 1.0)]));
    assert!(
        up.series
            .iter()
            .all(|s| s.labels["__name__"] == "up" && s.points.len() == 1)
    );

    // `time` is honoured: `time()` at a given instant is that instant.
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
    let t = client.query("time()", Some(at)).await.unwrap();
    assert_eq!(t.series.len(), 1);
    assert!(t.series[0].labels.is_empty());
    assert_eq!(t.series[0].points, vec![(at, 1_700_000_000.25)]);

    let range = eventually("a few seconds of history", WAIT, move || async move {
        let end = SystemTime::now();
        let start = end - Duration::from_secs(10);
        let r = c
            .query_range(r#"up{job="node"}"#, start, end, Duration::from_secs(1))
            .await
            .map_err(|e| e.to_string())?;
        match r.series.first() {
            Some(s) if s.points.len() >= 4 => Ok(r),
            _ => Err(format!("{r:?}")),
        }
    })
    .await;
    assert_eq!(range.series.len(), 1);
    let points = &range.series[0].points;
    assert!(points.iter().all(|(_, v)| *v == 1.0));
    assert!(
        points
            .windows(2)
            .all(|w| w[1].0.duration_since(w[0].0).ok() == Some(Duration::from_secs(1)))
    );

    let nan = client.query("0/0", None).await.unwrap();
    assert!(nan.series[0].points[0].1.is_nan());
    let inf = client.query("1/0", None).await.unwrap();
    assert_eq!(inf.series[0].points[0].1, f64::INFINITY);
    let neg = client.query("-1/0", None).await.unwrap();
    assert_eq!(neg.series[0].points[0].1, f64::NEG_INFINITY);
    let vec_inf = client.query(r#"up{job="node"} / 0"#, None).await.unwrap();
    assert_eq!(vec_inf.series[0].points[0].1, f64::INFINITY);

    let bad = client.query("up[", None).await.unwrap_err();
    match &bad {
        ApiError::Api { error_type, error } => {
            assert_eq!(error_type, "bad_data");
            assert!(error.contains("parse error"), "{error}");
        }
        other => panic!("expected bad_data, got {other:?}"),
    }
    assert!(bad.to_string().starts_with("bad_data: "), "{bad}");

    let zero_step = client
        .query_range("up", SystemTime::now(), SystemTime::now(), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(&zero_step, ApiError::Api { error_type, .. } if error_type == "bad_data"),
        "{zero_step:?}"
    );

    let text = client.query(r#""just text""#, None).await.unwrap_err();
    assert!(matches!(text, ApiError::Decode(_)), "{text:?}");
}

#[tokio::test]
async fn unreachable_silent_and_wrong_servers_give_short_errors() {
    let refused =
        PromClient::new(&spec("p", &format!("http://127.0.0.1:{}/", dead_port()))).unwrap();
    let e = refused.query("up", None).await.unwrap_err();
    assert_eq!(e, ApiError::Connect("connection refused".into()));
    assert_eq!(e.to_string(), "connection refused");
    let am = AmClient::new(&spec("a", &format!("http://127.0.0.1:{}/", dead_port()))).unwrap();
    assert_eq!(
        am.silences().await.unwrap_err().to_string(),
        "connection refused"
    );

    // Accepts connections (the kernel does) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut s = spec(
        "p",
        &format!("http://127.0.0.1:{}/", silent.local_addr().unwrap().port()),
    );
    s.timeout = Duration::from_secs(1);
    let e = PromClient::new(&s).unwrap().alerts().await.unwrap_err();
    assert_eq!(
        e,
        ApiError::Timeout {
            after: Duration::from_secs(1)
        }
    );
    assert_eq!(e.to_string(), "timed out after 1s");

    let bad_ca = ServerSpec {
        ca_pem: Some(b"not a certificate".to_vec()),
        ..spec("p", "https://127.0.0.1:1/")
    };
    assert!(matches!(PromClient::new(&bad_ca), Err(ApiError::Tls(_))));

    // A real server that is not Prometheus: node_exporter answers every
    // path with its HTML landing page.
    let Some(ne) = NodeExporter::start() else {
        return;
    };
    let e = PromClient::new(&spec("p", &ne.url()))
        .unwrap()
        .alerts()
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Decode(_)), "{e:?}");
    let text = e.to_string();
    eprintln!("not Prometheus: {text}");
    assert!(
        text.starts_with("unexpected response: not JSON: \"<html>"),
        "{text}"
    );
    assert!(!text.contains('\n') && text.chars().count() < 300, "{text}");
}
