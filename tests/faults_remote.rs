//! The fault matrix for the remote alert sources, with real parts: Debian's
//! `prometheus` and `prometheus-alertmanager` on loopback, polled by the
//! board's own tasks (`RemoteSource::spawn`) into the real reducer, looked
//! at on the rendered screen. Each test injects a fault, checks what the
//! user sees while it lasts (the fault in words on the notice line, the
//! alerts kept but marked last known, the raw error in the detail), and
//! checks that the board recovers by itself once the fault ends.
//!
//! Faults: the process stopped and started again on the same port; a
//! proxy answering 503; a proxy slower than the timeout (while another
//! source keeps updating); refused connections until the last known
//! alerts age out.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{prom, proxy, remote_board};

use std::time::{Duration, SystemTime};

use opsboard::app::View;
use opsboard::app::alerts::AgeOut;
use opsboard::model::{AlertSource, AlertState};
use prom::{Alertmanager, Prometheus, dead_port, prometheus_config};
use proxy::{Mode, Proxy};
use remote_board::{Board, polled};

/// Generous: a loaded two-core machine starts Prometheus slowly.
const WAIT: Duration = Duration::from_secs(90);
const EVERY: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_secs(2);

const RULES: &str = r#"
groups:
  - name: faults
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels:
          severity: critical
        annotations:
          summary: fires from the first evaluation on
"#;

/// A Prometheus firing `AlwaysFiring`, scraping one dead target, sending
/// its alerts to `alertmanager` when given.
fn prometheus(alertmanager: Option<u16>) -> Option<Prometheus> {
    let config = prometheus_config(
        &[("dead", vec![format!("127.0.0.1:{}", dead_port())])],
        true,
        alertmanager,
    );
    Prometheus::start(&config, Some(RULES))
}

/// Blocking work (stopping, starting a server) without stalling the
/// runtime the board's tasks run on.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// `AlwaysFiring` is firing, current (not last known), reported by the
/// given sources, and no source fails.
fn fresh(b: &mut Board, sources: &[AlertSource]) -> Result<(), String> {
    let errors = b.errors();
    if !errors.is_empty() {
        return Err(format!("errors: {errors:?}"));
    }
    let Some(r) = b.row("AlwaysFiring") else {
        return Err("no AlwaysFiring row".into());
    };
    let from: Vec<AlertSource> = r.sources.iter().map(|s| s.0).collect();
    if r.stale.is_some() || !r.is_firing() || sources.iter().any(|s| !from.contains(s)) {
        return Err(format!("{:?} from {from:?}", r.stale));
    }
    Ok(())
}

/// The notice names exactly these faults, and `AlwaysFiring` is kept
/// but marked last known.
fn faulty(b: &mut Board, want: &[&str]) -> Result<(), String> {
    let errors = b.errors();
    if errors != want {
        return Err(format!("errors: {errors:?}"));
    }
    match b.row("AlwaysFiring") {
        Some(r) if r.stale.is_some() && r.is_firing() => Ok(()),
        other => Err(format!("row: {other:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_stopped_and_started_again_turn_stale_then_fresh() {
    let Some(mut am) = Alertmanager::start() else {
        return;
    };
    let Some(mut prom) = prometheus(Some(am.port())) else {
        return;
    };
    let mut b = Board::start(
        vec![polled("main", &prom.url(), EVERY, TIMEOUT)],
        vec![polled("am", &am.url(), EVERY, TIMEOUT)],
    );
    let both = [AlertSource::Prometheus, AlertSource::Alertmanager];
    b.until("firing from both", WAIT, |b| fresh(b, &both)).await;

    blocking(|| {
        prom.stop();
        am.stop();
    });
    b.until("both down, the alert last known", WAIT, |b| {
        faulty(
            b,
            &[
                "Prometheus main: connection refused",
                "Alertmanager am: connection refused",
            ],
        )
    })
    .await;
    assert_eq!(
        b.state.alerts.sources_down(),
        ["prometheus main", "alertmanager am"]
    );
    let notice = b.state.notice().unwrap_or_default();
    assert!(
        notice.contains("Prometheus main: connection refused")
            && notice.contains("Alertmanager am: connection refused"),
        "{notice}"
    );
    let list = b.screen(View::Alerts);
    let line = list
        .lines()
        .find(|l| l.contains("AlwaysFiring"))
        .unwrap_or_default();
    assert!(
        line.contains("? stale") && !line.contains("firing"),
        "{list}"
    );
    let detail = b.detail("AlwaysFiring");
    assert!(detail.contains("firing · last known"), "{detail}");
    assert!(
        detail.contains("from Prometheus main and Alertmanager am, unreachable since "),
        "{detail}"
    );
    assert!(detail.contains("— last known state"), "{detail}");
    assert!(detail.contains("dropped at "), "{detail}");

    let back = SystemTime::now();
    blocking(|| {
        am.start_again();
        prom.start_again();
    });
    b.until("fresh again, nothing restarted", WAIT, |b| {
        fresh(b, &both)?;
        let feed = &b.state.alerts.remote[&(AlertSource::Prometheus, "main".to_string())];
        match feed.updated {
            Some(t) if t >= back => Ok(()),
            t => Err(format!("updated {t:?}")),
        }
    })
    .await;
    assert!(b.state.alerts.sources_down().is_empty());
    assert!(b.state.notice().is_none(), "{:?}", b.state.notice());
    let list = b.screen(View::Alerts);
    assert!(!list.contains("stale"), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_is_said_in_words_while_it_lasts() {
    let Some(prom) = prometheus(None) else {
        return;
    };
    let proxy = Proxy::in_front_of(prom.port()).await;
    let mut b = Board::start(vec![polled("main", &proxy.url(), EVERY, TIMEOUT)], vec![]);
    let p = [AlertSource::Prometheus];
    b.until("firing", WAIT, |b| fresh(b, &p)).await;
    b.until("targets known", WAIT, |b| {
        let t = b.state.alerts.targets();
        (t.len() == 1).then_some(()).ok_or(format!("{t:?}"))
    })
    .await;

    proxy.set(Mode::Status(503));
    b.until("HTTP 503", WAIT, |b| {
        faulty(b, &["Prometheus main: HTTP 503"])
    })
    .await;
    let targets = b.screen(View::Targets);
    assert!(
        targets.contains("✖ Prometheus main unreachable since ")
            && targets.contains(": HTTP 503: Service Unavailable"),
        "the raw error where the server state is shown:\n{targets}"
    );
    assert!(
        targets.contains("1 last known alert(s) kept, dimmed, until "),
        "{targets}"
    );
    let dead = targets.lines().find(|l| l.contains("dead")).unwrap_or("");
    assert!(dead.contains("? stale"), "{targets}");
    let detail = b.detail("AlwaysFiring");
    assert!(
        detail.contains("Prometheus main failing since ")
            && detail.contains("HTTP 503: Service Unavailable"),
        "{detail}"
    );

    proxy.set(Mode::Pass);
    b.until("recovered", WAIT, |b| fresh(b, &p)).await;
    let targets = b.screen(View::Targets);
    assert!(!targets.contains("stale") && !targets.contains("✖ Prometheus main"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_slower_than_the_timeout_time_out_and_block_nobody() {
    let Some(prom) = prometheus(None) else {
        return;
    };
    let proxy = Proxy::in_front_of(prom.port()).await;
    let mut b = Board::start(
        vec![
            polled("main", &proxy.url(), EVERY, TIMEOUT),
            polled("direct", &prom.url(), EVERY, TIMEOUT),
        ],
        vec![],
    );
    let p = [AlertSource::Prometheus];
    b.until("firing", WAIT, |b| fresh(b, &p)).await;

    // Far past the timeout: a request that waited for it would hold the
    // board's view of `direct` back too.
    proxy.set(Mode::Delay(TIMEOUT * 10));
    b.until("timed out", WAIT, |b| {
        let e = b.errors();
        (e == ["Prometheus main: timed out"])
            .then_some(())
            .ok_or(format!("{e:?}"))
    })
    .await;
    let key = |n: &str| (AlertSource::Prometheus, n.to_string());
    let main = &b.state.alerts.remote[&key("main")];
    let raw = main
        .fault
        .as_ref()
        .map(|f| f.raw.clone())
        .unwrap_or_default();
    assert_eq!(raw, "timed out after 2s");
    assert_eq!(main.alerts.len(), 1, "kept as last known");
    let r = b.row("AlwaysFiring").expect("the row");
    assert_eq!(r.stale, None, "`direct` still reports it: current");
    assert!(
        r.sources
            .contains(&(AlertSource::Prometheus, "main".into(), AlertState::Firing))
    );

    // `direct` keeps updating while `main` keeps timing out.
    let seen = b.state.alerts.remote[&key("direct")].updated;
    for round in 0..3 {
        b.until(&format!("direct updated again ({round})"), WAIT, |b| {
            let d = &b.state.alerts.remote[&key("direct")];
            let m = &b.state.alerts.remote[&key("main")];
            if m.error() != Some("timed out") {
                return Err(format!("main: {:?}", m.fault));
            }
            (d.fault.is_none() && d.updated > seen)
                .then_some(())
                .ok_or(format!("direct: {:?} {:?}", d.fault, d.updated))
        })
        .await;
    }

    proxy.set(Mode::Pass);
    b.until("recovered", WAIT, |b| fresh(b, &p)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_known_alerts_age_out_and_come_back_fresh() {
    let Some(prom) = prometheus(None) else {
        return;
    };
    let proxy = Proxy::in_front_of(prom.port()).await;
    let mut b = Board::start(vec![polled("main", &proxy.url(), EVERY, TIMEOUT)], vec![]);
    // Shortened for the test; the board keeps them STALE_ALERTS_AGE_OUT.
    b.state.alerts.age_out = AgeOut(Duration::from_secs(4));
    let p = [AlertSource::Prometheus];
    b.until("firing", WAIT, |b| fresh(b, &p)).await;

    proxy.set(Mode::Close);
    b.until("closed unanswered", WAIT, |b| {
        faulty(b, &["Prometheus main: connection closed by the server"])
    })
    .await;
    proxy.set(Mode::Refuse);
    b.until("refused, then aged out", WAIT, |b| {
        let e = b.errors();
        if e != ["Prometheus main: connection refused"] {
            return Err(format!("{e:?}"));
        }
        match b.row("AlwaysFiring") {
            None => Ok(()),
            Some(r) => Err(format!("still there: {:?}", r.stale)),
        }
    })
    .await;
    let list = b.screen(View::Alerts);
    assert!(
        list.contains("No alerts known")
            && list.contains("Prometheus main unreachable since ")
            && !list.contains("✔ No alerts"),
        "not all clear while the source is down:\n{list}"
    );
    assert!(
        list.contains("its last known alerts were dropped at "),
        "{list}"
    );

    proxy.set(Mode::Pass);
    b.until("back", WAIT, |b| fresh(b, &p)).await;
}
