//! Health probes against real, deliberately misbehaving servers on
//! 127.0.0.1. Each test asserts the exact classification an on-call
//! engineer would see. Only loopback addresses are used; no name is ever
//! resolved through DNS.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::misbehaving;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use misbehaving::{
    Conn, InFlight, closed_port, fixed, hang, json_ok, redirect, response, routes, serve,
    tls_healthy,
};
use opsboard::app::Msg;
use opsboard::clients::probe::{MAX_REDIRECTS, ProbeSpec, Prober, run_once};
use opsboard::model::ProbeId;
use opsboard::model::ProbeUrl;
use opsboard::model::secret::Secret;
use opsboard::model::{Health, ProbeFailure, ProbeOutcome, ProbeState};
use opsboard::sources::health::HealthSource;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const ID: ProbeId = ProbeId {
    service: 0,
    probe: 0,
};

fn spec(url: &str, timeout: Duration) -> ProbeSpec {
    ProbeSpec::simple(
        ID,
        ProbeUrl::parse(url).unwrap(),
        Duration::from_secs(10),
        timeout,
    )
}

async fn probe(spec: &ProbeSpec) -> ProbeOutcome {
    Prober::new().unwrap().probe(spec).await
}

async fn probe_url(url: &str) -> ProbeOutcome {
    probe(&spec(url, Duration::from_secs(5))).await
}

fn detail_of(o: &ProbeOutcome) -> String {
    o.result
        .as_ref()
        .err()
        .and_then(|f| f.detail())
        .unwrap_or_default()
        .to_string()
}

const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];
const TEXT: &[(&str, &str)] = &[("Content-Type", "text/plain")];

// 1. Healthy JSON.

#[tokio::test]
async fn healthy_json_is_up_with_version_checks_and_latency() {
    let srv = fixed(
        "200 OK",
        JSON,
        br#"{"status":"healthy","checks":{"database":"healthy"},"version":"1.2.3"}"#,
    )
    .await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.http_status, Some(200));
    let r = o.report.as_ref().expect("report parsed");
    assert_eq!(r.stated, Some(Health::Up));
    assert_eq!(r.version.as_deref(), Some("1.2.3"));
    assert_eq!(r.checks.len(), 1);
    assert_eq!(r.checks[0].name, "database");
    assert_eq!(r.checks[0].status, Health::Up);
    assert!(o.latency > Duration::ZERO, "{o:?}");
    assert!(o.latency < Duration::from_secs(5), "{o:?}");
    assert_eq!(srv.accepted(), 1);
    assert!(srv.heads()[0].starts_with("GET /health HTTP/1.1\r\n"));
}

// 2. Slow within the timeout, and slower than the timeout.

#[tokio::test]
async fn slow_within_timeout_is_up_and_latency_includes_the_delay() {
    let delay = Duration::from_millis(250);
    let srv = serve(move |mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        tokio::time::sleep(delay).await;
        let _ = c
            .write(&response("200 OK", JSON, br#"{"status":"ok"}"#))
            .await;
    })
    .await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert!(o.latency >= delay, "latency {:?} < delay", o.latency);
}

#[tokio::test]
async fn slower_than_timeout_is_timeout_and_returns_at_the_timeout() {
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
        let _ = c
            .write(&response("200 OK", JSON, br#"{"status":"ok"}"#))
            .await;
    })
    .await;
    let started = Instant::now();
    let o = probe(&spec(&srv.url("/health"), Duration::from_millis(300))).await;
    let elapsed = started.elapsed();
    assert_eq!(
        o.result,
        Err(ProbeFailure::Timeout { after_ms: 300 }),
        "{o:?}"
    );
    assert_eq!(o.http_status, None);
    assert_eq!(o.report, None);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert!(o.latency >= Duration::from_millis(300), "{o:?}");
}

// 3. Hang: accept and never write.

#[tokio::test]
async fn accept_and_never_write_is_timeout() {
    let srv = serve(|c| async move {
        let _keep = c;
        hang().await;
    })
    .await;
    let started = Instant::now();
    let o = probe(&spec(&srv.url("/health"), Duration::from_millis(400))).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::Timeout { after_ms: 400 }),
        "{o:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(srv.accepted(), 1);
}

#[tokio::test]
async fn headers_then_body_that_never_arrives_is_timeout() {
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        let _ = c
            .write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"sta")
            .await;
        hang().await;
    })
    .await;
    let o = probe(&spec(&srv.url("/health"), Duration::from_millis(400))).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::Timeout { after_ms: 400 }),
        "{o:?}"
    );
}

// 4. Resets and connections closed mid-answer.

#[tokio::test]
async fn rst_after_reading_request_is_reset() {
    let srv = serve(|mut c| async move {
        let _ = c.read_head().await;
        c.stream.set_zero_linger().unwrap();
        drop(c.stream);
    })
    .await;
    let o = probe_url(&srv.url("/health")).await;
    let Err(ProbeFailure::Reset { detail }) = &o.result else {
        panic!("expected Reset, got {o:?}");
    };
    assert!(
        detail.contains("Connection reset by peer"),
        "detail should name the reset: {detail}"
    );
    assert_eq!(o.http_status, None);
}

#[tokio::test]
async fn rst_right_after_accept_is_reset() {
    let srv = serve(|c| async move {
        c.stream.set_zero_linger().unwrap();
        drop(c.stream);
    })
    .await;
    let o = probe_url(&srv.url("/health")).await;
    // hyper reports this one as a cancelled request whose cause is the
    // reset; it must still read as a reset, not "error".
    let Err(ProbeFailure::Reset { detail }) = &o.result else {
        panic!("expected Reset, got {o:?}");
    };
    assert!(
        detail.contains("Connection reset by peer"),
        "detail should name the reset: {detail}"
    );
}

#[tokio::test]
async fn half_a_status_line_then_close_is_reset() {
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        let _ = c.write(b"HTTP/1.1 20").await;
        let _ = c.stream.shutdown().await;
    })
    .await;
    let o = probe_url(&srv.url("/health")).await;
    let Err(ProbeFailure::Reset { detail }) = &o.result else {
        panic!("expected Reset, got {o:?}");
    };
    assert!(
        detail.contains("connection closed before message completed"),
        "{detail}"
    );
}

#[tokio::test]
async fn body_cut_short_of_content_length_is_reset() {
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        let _ = c
            .write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"status\":")
            .await;
        let _ = c.stream.shutdown().await;
    })
    .await;
    let o = probe_url(&srv.url("/health")).await;
    let Err(ProbeFailure::Reset { detail }) = &o.result else {
        panic!("expected Reset, got {o:?}");
    };
    assert!(
        detail.contains("end of file before message length reached"),
        "{detail}"
    );
    assert_eq!(o.http_status, Some(200));
    assert_eq!(o.report, None);
}

// 5. 503 with a body naming the broken dependency.

const DOWN_503: &[u8] = br#"{"status":"unhealthy","checks":{"database":{"status":"down","error":"connection refused"},"cache":"healthy"}}"#;

#[tokio::test]
async fn http_503_keeps_the_body_naming_the_down_check() {
    let srv = fixed("503 Service Unavailable", JSON, DOWN_503).await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::HttpStatus { code: 503 }),
        "{o:?}"
    );
    assert_eq!(o.http_status, Some(503));
    let r = o.report.as_ref().expect("503 body kept");
    assert_eq!(r.stated, Some(Health::Down));
    let failing: Vec<(&str, Health, Option<&str>)> = r
        .failing_checks()
        .map(|c| (c.name.as_str(), c.status, c.detail.as_deref()))
        .collect();
    assert_eq!(
        failing,
        [("database", Health::Down, Some("error: connection refused"))]
    );

    // What the board shows once the probe is Down.
    let mut st = ProbeState::new(srv.url("/health"), Duration::from_secs(10), 1);
    st.apply(o);
    assert_eq!(st.status, Health::Down);
    assert_eq!(st.reason().as_deref(), Some("HTTP 503 · database down"));
}

#[tokio::test]
async fn expected_503_with_unhealthy_body_is_body_unhealthy() {
    let srv = fixed("503 Service Unavailable", JSON, DOWN_503).await;
    let mut s = spec(&srv.url("/health"), Duration::from_secs(5));
    s.expect_status = vec![503];
    let o = probe(&s).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::BodyUnhealthy {
            stated: Health::Down
        }),
        "{o:?}"
    );
    assert_eq!(o.http_status, Some(503));
    assert_eq!(o.report.as_ref().unwrap().failing_checks().count(), 1);
}

#[tokio::test]
async fn expect_status_excludes_a_200_not_listed() {
    let srv = fixed("200 OK", JSON, br#"{"status":"ok"}"#).await;
    let mut s = spec(&srv.url("/health"), Duration::from_secs(5));
    s.expect_status = vec![204];
    let o = probe(&s).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::HttpStatus { code: 200 }),
        "{o:?}"
    );
}

// 6. Body verdicts on a 200.

#[tokio::test]
async fn ok_status_with_unhealthy_body_is_body_unhealthy() {
    let srv = fixed("200 OK", JSON, br#"{"status":"unhealthy"}"#).await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::BodyUnhealthy {
            stated: Health::Down
        }),
        "{o:?}"
    );
    assert_eq!(o.http_status, Some(200));
}

#[tokio::test]
async fn ok_status_with_degraded_body_is_degraded() {
    let srv = fixed(
        "200 OK",
        JSON,
        br#"{"status":"degraded","checks":{"gpu":{"status":"degraded"}}}"#,
    )
    .await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(o.result, Ok(Health::Degraded), "{o:?}");
    let r = o.report.as_ref().unwrap();
    assert_eq!(r.checks[0].name, "gpu");
    assert_eq!(r.checks[0].status, Health::Degraded);
}

#[tokio::test]
async fn healthy_body_with_a_down_dependency_is_degraded() {
    let srv = fixed(
        "200 OK",
        JSON,
        br#"{"status":"healthy","checks":{"database":"healthy","redis":"unhealthy"}}"#,
    )
    .await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(o.result, Ok(Health::Degraded), "{o:?}");
}

// 7. Garbage.

#[tokio::test]
async fn invalid_json_is_unparsable_with_the_reason() {
    let srv = fixed("200 OK", JSON, br#"{"status": hea"#).await;
    let o = probe_url(&srv.url("/health")).await;
    let Err(ProbeFailure::UnparsableBody { detail }) = &o.result else {
        panic!("expected UnparsableBody, got {o:?}");
    };
    assert!(detail.starts_with("invalid JSON"), "{detail}");
    assert!(detail.contains(r#"{"status": hea"#), "{detail}");
    assert_eq!(o.report, None);
}

#[tokio::test]
async fn binary_body_is_unparsable_not_utf8() {
    let srv = fixed(
        "200 OK",
        &[("Content-Type", "application/octet-stream")],
        &[0xff, 0xfe, 0x00, 0x01, 0x80, 0x81],
    )
    .await;
    let o = probe_url(&srv.url("/health")).await;
    let Err(ProbeFailure::UnparsableBody { detail }) = &o.result else {
        panic!("expected UnparsableBody, got {o:?}");
    };
    assert!(detail.contains("not UTF-8"), "{detail}");
    assert!(detail.contains("6 bytes"), "{detail}");
}

#[tokio::test]
async fn text_with_control_bytes_is_unparsable() {
    let srv = fixed("200 OK", TEXT, b"ok\x01\x02\x03").await;
    let o = probe_url(&srv.url("/health")).await;
    let Err(ProbeFailure::UnparsableBody { detail }) = &o.result else {
        panic!("expected UnparsableBody, got {o:?}");
    };
    assert!(detail.contains("not readable text"), "{detail}");
}

#[tokio::test]
async fn non_http_answer_is_not_http() {
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        let _ = c
            .write(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage garbage\r\n\r\n")
            .await;
        let _ = c.stream.shutdown().await;
    })
    .await;
    let o = probe_url(&srv.url("/health")).await;
    // There is no "protocol error" variant: a garbage status line is
    // reported as an unparsable answer, with hyper's reason verbatim.
    let Err(ProbeFailure::NotHttp { detail }) = &o.result else {
        panic!("expected NotHttp, got {o:?}");
    };
    assert!(detail.contains("invalid HTTP version parsed"), "{detail}");
    assert_eq!(o.http_status, None);
}

// 8. Huge bodies.

#[tokio::test]
async fn content_length_over_limit_is_too_large_without_reading_it() {
    // Announces 10 MB and then sends nothing: the probe must refuse on the
    // header alone, not wait for the body (which would time out).
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        let _ = c
            .write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n")
            .await;
        hang().await;
    })
    .await;
    let mut s = spec(&srv.url("/health"), Duration::from_secs(5));
    s.body_limit = 1024;
    let started = Instant::now();
    let o = probe(&s).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::BodyTooLarge { limit: 1024 }),
        "{o:?}"
    );
    assert_eq!(o.http_status, Some(200));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "waited for the body"
    );
}

#[tokio::test]
async fn body_exactly_at_limit_is_accepted_one_more_byte_is_not() {
    let limit = 4096;
    let srv = serve(move |mut c| async move {
        // First connection: exactly `limit` bytes; second: one more.
        let n = if c.index == 0 { limit } else { limit + 1 };
        let body = vec![b'a'; n];
        c.answer("200 OK", TEXT, &body).await;
    })
    .await;
    let mut s = spec(&srv.url("/health"), Duration::from_secs(5));
    s.body_limit = limit;
    let prober = Prober::new().unwrap();
    let at = prober.probe(&s).await;
    assert_eq!(at.result, Ok(Health::Up), "{at:?}");
    let over = prober.probe(&s).await;
    assert_eq!(
        over.result,
        Err(ProbeFailure::BodyTooLarge { limit }),
        "{over:?}"
    );
}

#[tokio::test]
async fn endless_chunked_body_is_too_large_quickly() {
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        if c.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .is_err()
        {
            return;
        }
        let mut chunk = b"2000\r\n".to_vec();
        chunk.extend(std::iter::repeat_n(b'x', 0x2000));
        chunk.extend_from_slice(b"\r\n");
        // Streams until the client hangs up.
        while c.write(&chunk).await.is_ok() {}
    })
    .await;
    let mut s = spec(&srv.url("/health"), Duration::from_secs(20));
    s.body_limit = 64 * 1024;
    let started = Instant::now();
    let o = probe(&s).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::BodyTooLarge { limit: 64 * 1024 }),
        "{o:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn small_body_limit_is_shown_truthfully() {
    let srv = fixed("200 OK", TEXT, &[b'a'; 2000]).await;
    let mut s = spec(&srv.url("/health"), Duration::from_secs(5));
    s.body_limit = 1000;
    let o = probe(&s).await;
    let f = o.result.unwrap_err();
    assert_eq!(f, ProbeFailure::BodyTooLarge { limit: 1000 });
    let shown = f.short();
    assert!(!shown.contains(" 0 KiB"), "{shown}");
}

// 9. TLS.

#[tokio::test]
async fn self_signed_certificate_is_tls_when_verifying() {
    let srv = tls_healthy().await;
    let url = format!("https://127.0.0.1:{}/health", srv.addr.port());
    let o = probe_url(&url).await;
    let Err(ProbeFailure::Tls { detail }) = &o.result else {
        panic!("expected Tls, got {o:?}");
    };
    assert!(detail.contains("certificate"), "{detail}");
    assert!(detail.contains("UnknownIssuer"), "{detail}");
    assert_eq!(o.http_status, None);
}

#[tokio::test]
async fn self_signed_certificate_is_up_when_not_verifying() {
    let srv = tls_healthy().await;
    let url = format!("https://127.0.0.1:{}/health", srv.addr.port());
    let mut s = spec(&url, Duration::from_secs(5));
    s.tls_verify = false;
    let o = probe(&s).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.report.unwrap().stated, Some(Health::Up));
    assert!(srv.heads()[0].starts_with("GET /health HTTP/1.1\r\n"));
}

#[tokio::test]
async fn plain_http_to_a_tls_server_is_not_up() {
    let srv = tls_healthy().await;
    let o = probe_url(&srv.url("/health")).await;
    // The server's TLS alert record is read as a broken status line.
    let Err(ProbeFailure::NotHttp { detail }) = &o.result else {
        panic!("expected NotHttp, got {o:?}");
    };
    assert!(detail.contains("invalid HTTP version parsed"), "{detail}");
}

// 10. Refused, and TCP probes.

#[tokio::test]
async fn closed_port_is_refused() {
    let port = closed_port().await;
    let o = probe_url(&format!("http://127.0.0.1:{port}/health")).await;
    let Err(ProbeFailure::Refused { detail }) = &o.result else {
        panic!("expected Refused, got {o:?}");
    };
    assert!(detail.to_ascii_lowercase().contains("refused"), "{detail}");
}

#[tokio::test]
async fn tcp_probe_to_listener_is_up_and_to_closed_port_refused() {
    let srv = serve(|c| async move {
        let _keep = c;
        hang().await;
    })
    .await;
    let o = probe_url(&format!("tcp://127.0.0.1:{}", srv.addr.port())).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.http_status, None);
    assert_eq!(o.report, None);

    let port = closed_port().await;
    let o = probe_url(&format!("tcp://127.0.0.1:{port}")).await;
    let Err(ProbeFailure::Refused { detail }) = &o.result else {
        panic!("expected Refused, got {o:?}");
    };
    assert!(detail.to_ascii_lowercase().contains("refused"), "{detail}");
}

// 11. Redirects: followed within the host, as Kubernetes probes and the
// blackbox exporter do, and said so; refused elsewhere, with the reason.

/// What the detail view of a one-probe service shows after `outcome`.
fn detail_view(target: &str, outcome: ProbeOutcome) -> String {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut st = ProbeState::new(target.into(), Duration::from_secs(10), 1);
    st.apply(outcome);
    let mut svc = opsboard::model::Service::new("api");
    svc.probes = vec![st];
    let now = std::time::SystemTime::now();
    let mut state = opsboard::app::State::new(
        vec![svc],
        opsboard::app::Keymap::default(),
        opsboard::app::Banner::default(),
        now,
    );
    state.width = 120;
    state.height = 40;
    opsboard::app::update(
        &mut state,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(
        state.width,
        state.height,
    ))
    .unwrap();
    term.draw(|f| opsboard::ui::render(f, &state, &opsboard::ui::Theme::default()))
        .unwrap();
    opsboard::ui::text::buffer_to_text(term.backend().buffer())
}

#[tokio::test]
async fn redirect_to_the_services_own_healthy_health_is_up_and_says_so() {
    let srv = routes(|path| match path {
        "/healthz" => redirect("302 Found", "/health"),
        _ => json_ok(r#"{"status":"ok"}"#),
    })
    .await;
    let mut s = spec(&srv.url("/healthz"), Duration::from_secs(5));
    s.bearer = Some(Secret::literal_for_tests("tok-redirect-s3cr3t"));
    let o = probe(&s).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.http_status, Some(200));
    let report = o.report.clone().expect("the hops are kept with the body");
    assert_eq!(report.redirects(), Some("302 → /health"));
    assert_eq!(report.stated, Some(Health::Up));
    let heads = srv.heads();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(
        heads[1].starts_with("GET /health HTTP/1.1\r\n"),
        "{heads:?}"
    );
    // Its own host: the credentials go along.
    assert!(
        heads[1]
            .to_ascii_lowercase()
            .contains("authorization: bearer tok-redirect-s3cr3t"),
        "{heads:?}"
    );
    let screen = detail_view(&srv.url("/healthz"), o);
    assert!(screen.contains("redirected 302 → /health"), "{screen}");
    assert!(screen.contains("UP"), "{screen}");
}

#[tokio::test]
async fn redirect_to_another_host_is_not_followed_and_names_it() {
    let other = fixed("200 OK", JSON, br#"{"status":"ok"}"#).await;
    let elsewhere = other.url("/health");
    let srv = routes(move |path| match path {
        "/evil" => redirect("302 Found", "http://evil/health"),
        _ => redirect("301 Moved Permanently", &elsewhere),
    })
    .await;
    // A name that is never resolved: the hop is refused before any lookup.
    let o = probe_url(&srv.url("/evil")).await;
    let Err(f @ ProbeFailure::Redirect { .. }) = &o.result else {
        panic!("expected a refused redirect, got {o:?}");
    };
    assert_eq!(f.short(), "redirect to other host evil:80 not followed");
    assert_eq!(f.detail(), Some("302 → http://evil/health"));
    assert_eq!(o.http_status, Some(302));

    // Another port on the same address is another host too.
    let o = probe_url(&srv.url("/health")).await;
    let f = o.result.clone().unwrap_err();
    let want = format!("redirect to other host {} not followed", other.addr);
    assert_eq!(f.short(), want);
    assert_eq!(other.accepted(), 0, "the redirect was followed");
    let mut st = ProbeState::new(srv.url("/health"), Duration::from_secs(10), 1);
    st.apply(o);
    assert_eq!(st.status, Health::Down);
    assert_eq!(st.reason(), Some(want));
}

#[tokio::test]
async fn a_listed_host_is_followed_without_the_credentials() {
    let other = fixed("200 OK", JSON, br#"{"status":"ok"}"#).await;
    let elsewhere = other.url("/health");
    let srv = routes(move |_| redirect("307 Temporary Redirect", &elsewhere)).await;
    let mut s = spec(&srv.url("/health"), Duration::from_secs(5));
    s.bearer = Some(Secret::literal_for_tests("tok-stays-home"));
    s.follow_redirects_to =
        vec![opsboard::model::RedirectHost::parse(&other.addr.to_string()).unwrap()];
    let o = probe(&s).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    let hops = o.report.as_ref().and_then(|r| r.redirects()).unwrap();
    assert_eq!(hops, format!("307 → {}", other.url("/health")));
    let head = other.heads()[0].to_ascii_lowercase();
    assert!(!head.contains("authorization"), "{head}");
}

#[tokio::test]
async fn redirect_loops_and_endless_chains_stop_with_a_reason() {
    let srv = routes(|path| {
        if let Some(n) = path.strip_prefix("/n/") {
            let n: u32 = n.parse().unwrap_or(0);
            return redirect("302 Found", &format!("/n/{}", n + 1));
        }
        match path {
            "/a" => redirect("302 Found", "/b"),
            _ => redirect("302 Found", "/a"),
        }
    })
    .await;
    let o = probe_url(&srv.url("/a")).await;
    let f = o.result.unwrap_err();
    assert_eq!(f.short(), "redirect loop back to /a");
    assert_eq!(
        f.to_string(),
        "redirect loop back to /a: 302 → /b · 302 → /a"
    );

    let before = srv.accepted();
    let o = probe_url(&srv.url("/n/0")).await;
    let f = o.result.unwrap_err();
    assert_eq!(f.short(), "too many redirects (more than 5)");
    assert_eq!(srv.accepted() - before, 1 + MAX_REDIRECTS);
}

#[tokio::test]
async fn an_expected_redirect_is_the_answer_and_not_followed() {
    let srv = routes(|path| match path {
        "/login" => redirect("302 Found", "/health"),
        _ => json_ok(r#"{"status":"down"}"#),
    })
    .await;
    let mut s = spec(&srv.url("/login"), Duration::from_secs(5));
    s.expect_status = vec![302];
    let o = probe(&s).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.http_status, Some(302));
    assert_eq!(srv.accepted(), 1);
}

// 11b. A dependency down deep in the body is not UP.

#[tokio::test]
async fn a_failing_leaf_deep_in_the_body_degrades_and_is_named_by_its_path() {
    let srv = routes(|path| match path {
        "/spring" => json_ok(
            r#"{"status":"UP","components":{"db":{"status":"UP","components":{"replica":{"status":"DOWN"},"primary":{"status":"UP"}}}}}"#,
        ),
        _ => json_ok(
            r#"{"status":"ok","checks":{"db":{"status":"ok","details":{"replica":"down"}}}}"#,
        ),
    })
    .await;
    for path in ["/spring", "/checks"] {
        let o = probe_url(&srv.url(path)).await;
        assert_eq!(o.result, Ok(Health::Degraded), "{path}: {o:?}");
        let mut st = ProbeState::new(srv.url(path), Duration::from_secs(10), 1);
        st.apply(o.clone());
        assert_eq!(st.status, Health::Degraded, "{path}");
        assert_eq!(st.reason().as_deref(), Some("db.replica down"), "{path}");
        let screen = detail_view(&srv.url(path), o);
        assert!(screen.contains("db.replica"), "{screen}");
    }
}

#[tokio::test]
async fn interim_100_continue_before_the_answer_is_up() {
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        let mut bytes = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
        bytes.extend(response("200 OK", JSON, br#"{"status":"ok"}"#));
        let _ = c.write(&bytes).await;
    })
    .await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.http_status, Some(200));
}

// 12. Auth and headers.

#[tokio::test]
async fn bearer_basic_and_custom_headers_arrive_and_secrets_stay_out_of_debug() {
    let srv = fixed("200 OK", JSON, br#"{"status":"ok"}"#).await;
    let mut s = spec(&srv.url("/health"), Duration::from_secs(5));
    s.bearer = Some(Secret::literal_for_tests("tok-s3cr3t-bearer"));
    s.headers
        .insert("x-probe-from", "opsboard-test".parse().unwrap());
    let o = probe(&s).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");

    let mut b = spec(&srv.url("/health"), Duration::from_secs(5));
    b.basic = Some((
        "ops".to_string(),
        Secret::literal_for_tests("pw-s3cr3t-basic"),
    ));
    let o = probe(&b).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");

    let heads = srv.heads();
    assert_eq!(heads.len(), 2);
    let lines = |h: &str| -> Vec<String> { h.lines().map(|l| l.to_ascii_lowercase()).collect() };
    let first = lines(&heads[0]);
    assert!(
        first.contains(&"authorization: bearer tok-s3cr3t-bearer".to_string()),
        "{heads:?}"
    );
    assert!(
        first.contains(&"x-probe-from: opsboard-test".to_string()),
        "{heads:?}"
    );
    assert!(
        first.iter().any(|l| l.starts_with("user-agent: opsboard/")),
        "{heads:?}"
    );
    // base64("ops:pw-s3cr3t-basic")
    use base64::Engine as _;
    let want = base64::engine::general_purpose::STANDARD.encode("ops:pw-s3cr3t-basic");
    assert!(
        heads[1]
            .lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("authorization: Basic {want}"))),
        "{heads:?}"
    );

    let dbg = format!("{s:?} {b:?}");
    assert!(!dbg.contains("tok-s3cr3t-bearer"), "{dbg}");
    assert!(!dbg.contains("pw-s3cr3t-basic"), "{dbg}");
}

/// A `ProbeConfig` read from TOML whose secrets live in files under `dir`.
fn config_with_secrets(
    dir: &std::path::Path,
    url: &str,
    auth: &str,
) -> opsboard::config::ProbeConfig {
    for (name, value) in [
        ("token", "cfg-bearer-s3cr3t\n"),
        ("pw", "cfg-pw-s3cr3t"),
        ("key", "cfg-key-s3cr3t"),
    ] {
        std::fs::write(dir.join(name), value).unwrap();
    }
    let d = dir.display();
    let auth = auth.replace("DIR", &d.to_string());
    let toml = format!(
        r#"
url = "{url}"
headers = {{ "X-Api-Key" = "file:{d}/key", "X-Plain" = "visible" }}
{auth}
"#
    );
    toml::from_str(&toml).unwrap()
}

#[tokio::test]
async fn secrets_from_config_reach_the_server_but_not_debug() {
    let srv = fixed("200 OK", JSON, br#"{"status":"ok"}"#).await;
    let dir = tempfile::tempdir().unwrap();
    let defaults = opsboard::config::Defaults::default();

    let cfg = config_with_secrets(
        dir.path(),
        &srv.url("/health"),
        r#"bearer = "file:DIR/token""#,
    );
    let bearer = opsboard::assemble::probes::probe_spec(ID, &cfg, &defaults).unwrap();
    let cfg = config_with_secrets(
        dir.path(),
        &srv.url("/health"),
        r#"basic = { username = "ops", password = "file:DIR/pw" }"#,
    );
    let basic = opsboard::assemble::probes::probe_spec(ID, &cfg, &defaults).unwrap();

    assert_eq!(probe(&bearer).await.result, Ok(Health::Up));
    assert_eq!(probe(&basic).await.result, Ok(Health::Up));
    let heads: Vec<String> = srv.heads().iter().map(|h| h.to_ascii_lowercase()).collect();
    assert_eq!(heads.len(), 2);
    for head in &heads {
        assert!(head.contains("\r\nx-api-key: cfg-key-s3cr3t\r\n"), "{head}");
        assert!(head.contains("\r\nx-plain: visible\r\n"), "{head}");
        assert_eq!(head.matches("authorization:").count(), 1, "{head}");
    }
    // The trailing newline of the token file is not part of the token.
    assert!(
        heads[0].contains("\r\nauthorization: bearer cfg-bearer-s3cr3t\r\n"),
        "{}",
        heads[0]
    );
    use base64::Engine as _;
    let want = base64::engine::general_purpose::STANDARD
        .encode("ops:cfg-pw-s3cr3t")
        .to_ascii_lowercase();
    assert!(
        heads[1].contains(&format!("\r\nauthorization: basic {want}\r\n")),
        "{}",
        heads[1]
    );

    let dbg = format!("{bearer:?} {basic:?}");
    for secret in ["cfg-bearer-s3cr3t", "cfg-pw-s3cr3t", "cfg-key-s3cr3t"] {
        assert!(!dbg.contains(secret), "{secret} leaked into {dbg}");
    }
    assert!(
        dbg.contains("visible"),
        "plain header should stay visible: {dbg}"
    );
}

#[tokio::test]
async fn bearer_and_basic_together_send_one_authorization_header() {
    let srv = fixed("200 OK", JSON, br#"{"status":"ok"}"#).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with_secrets(
        dir.path(),
        &srv.url("/health"),
        "bearer = \"file:DIR/token\"\nbasic = { username = \"ops\", password = \"file:DIR/pw\" }",
    );
    let s =
        opsboard::assemble::probes::probe_spec(ID, &cfg, &opsboard::config::Defaults::default())
            .unwrap();
    let _ = probe(&s).await;
    let head = srv.heads()[0].to_ascii_lowercase();
    assert_eq!(head.matches("authorization:").count(), 1, "{head}");
}

// 13. Plain text and empty bodies.

#[tokio::test]
async fn plain_text_ok_is_up_with_stated_up() {
    let srv = fixed("200 OK", TEXT, b"OK\n").await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.report.unwrap().stated, Some(Health::Up));
}

#[tokio::test]
async fn pong_is_up_without_a_report() {
    let srv = fixed("200 OK", TEXT, b"pong").await;
    let o = probe_url(&srv.url("/ping")).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.report, None);
}

#[tokio::test]
async fn text_unhealthy_on_200_is_body_unhealthy() {
    let srv = fixed("200 OK", TEXT, b"unhealthy: db down").await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::BodyUnhealthy {
            stated: Health::Down
        }),
        "{o:?}"
    );
}

#[tokio::test]
async fn empty_204_is_up() {
    let srv = serve(|mut c| async move {
        if c.read_head().await.is_none() {
            return;
        }
        let _ = c
            .write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            .await;
    })
    .await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    assert_eq!(o.http_status, Some(204));
    assert_eq!(o.report, None);
}

#[tokio::test]
async fn empty_500_is_http_status() {
    let srv = fixed("500 Internal Server Error", &[], b"").await;
    let o = probe_url(&srv.url("/health")).await;
    assert_eq!(
        o.result,
        Err(ProbeFailure::HttpStatus { code: 500 }),
        "{o:?}"
    );
    assert_eq!(o.http_status, Some(500));
    assert_eq!(o.report, None);
}

// 14. A hanging endpoint delays nobody else.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_probe_does_not_delay_the_others() {
    let hanging = serve(|c| async move {
        let _keep = c;
        hang().await;
    })
    .await;
    let fast = fixed("200 OK", JSON, br#"{"status":"ok"}"#).await;

    let slow_id = ProbeId {
        service: 0,
        probe: 0,
    };
    let fast_id = ProbeId {
        service: 1,
        probe: 0,
    };
    let slow_spec = ProbeSpec::simple(
        slow_id,
        ProbeUrl::parse(&hanging.url("/health")).unwrap(),
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    let fast_spec = ProbeSpec::simple(
        fast_id,
        ProbeUrl::parse(&fast.url("/health")).unwrap(),
        Duration::from_millis(100),
        Duration::from_secs(2),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let _src = HealthSource::spawn(vec![slow_spec, fast_spec], 2, 7, 4, tx).unwrap();

    let started = Instant::now();
    let mut fast_before_slow = 0;
    let slow_outcome = loop {
        let msg = tokio::time::timeout(Duration::from_secs(15), rx.recv())
            .await
            .expect("no message within 15 s")
            .expect("channel closed");
        let Msg::Probe {
            id,
            generation,
            outcome,
        } = msg
        else {
            panic!("unexpected message {msg:?}");
        };
        assert_eq!(generation, 7);
        if id == slow_id {
            break outcome;
        }
        assert_eq!(id, fast_id);
        assert_eq!(outcome.result, Ok(Health::Up), "{outcome:?}");
        fast_before_slow += 1;
    };
    assert_eq!(
        slow_outcome.result,
        Err(ProbeFailure::Timeout { after_ms: 5000 })
    );
    assert!(started.elapsed() >= Duration::from_secs(4));
    // ~50 expected at a 100 ms interval; 5 is a generous floor.
    assert!(
        fast_before_slow >= 5,
        "only {fast_before_slow} fast results before the hanging probe reported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_now_probes_a_service_before_its_interval() {
    let srv = fixed("200 OK", JSON, br#"{"status":"ok"}"#).await;
    let s = ProbeSpec::simple(
        ID,
        ProbeUrl::parse(&srv.url("/health")).unwrap(),
        Duration::from_secs(600),
        Duration::from_secs(2),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let src = HealthSource::spawn(vec![s], 1, 1, 4, tx).unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(first, Msg::Probe { .. }));
    assert_eq!(srv.accepted(), 1);
    // Waking an out-of-range service is a no-op, not a panic.
    src.poll_now(Some(&[5]));
    // The task may not be waiting yet right after sending; repeat the
    // wake-up until it lands (bounded).
    let second = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            src.poll_now(Some(&[0]));
            if let Ok(m) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                return m;
            }
        }
    })
    .await
    .expect("poll_now did not trigger a probe");
    let Some(Msg::Probe { outcome, .. }) = second else {
        panic!("{second:?}");
    };
    assert_eq!(outcome.result, Ok(Health::Up));
    assert_eq!(srv.accepted(), 2);
}

// 15. The concurrency cap holds.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_once_respects_the_concurrency_cap() {
    let inflight = Arc::new(InFlight::default());
    let counter = inflight.clone();
    let srv = serve(move |mut c: Conn<TcpStream>| {
        let counter = counter.clone();
        async move {
            if c.read_head().await.is_none() {
                return;
            }
            {
                // Counted only while the request is certainly inside the
                // client's permit: from the head arriving until just
                // before the answer leaves (the client cannot have its
                // response, and so cannot have released its permit, yet).
                let _guard = counter.enter();
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            let _ = c
                .write(&response("200 OK", JSON, br#"{"status":"ok"}"#))
                .await;
        }
    })
    .await;
    let specs: Vec<ProbeSpec> = (0..12)
        .map(|i| {
            ProbeSpec::simple(
                ProbeId {
                    service: i,
                    probe: 0,
                },
                ProbeUrl::parse(&srv.url(&format!("/health/{i}"))).unwrap(),
                Duration::from_secs(10),
                Duration::from_secs(10),
            )
        })
        .collect();
    let out = run_once(&specs, 3).await.unwrap();
    assert_eq!(out.len(), 12);
    for (i, (id, o)) in out.iter().enumerate() {
        assert_eq!(id.service, i, "outcomes are in spec order");
        assert_eq!(o.result, Ok(Health::Up), "{o:?}");
    }
    let max = inflight.max.load(Ordering::SeqCst);
    assert_eq!(inflight.total.load(Ordering::SeqCst), 12);
    assert!(max <= 3, "{max} requests in flight with a cap of 3");
    // The counter really counts: with 300 ms per request, permits overlap.
    assert!(max >= 2, "max in flight {max}: probes ran one at a time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_source_respects_the_concurrency_cap() {
    let inflight = Arc::new(InFlight::default());
    let counter = inflight.clone();
    let srv = serve(move |mut c: Conn<TcpStream>| {
        let counter = counter.clone();
        async move {
            if c.read_head().await.is_none() {
                return;
            }
            {
                let _guard = counter.enter();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let _ = c
                .write(&response("200 OK", JSON, br#"{"status":"ok"}"#))
                .await;
        }
    })
    .await;
    let specs: Vec<ProbeSpec> = (0..6)
        .map(|i| {
            ProbeSpec::simple(
                ProbeId {
                    service: i,
                    probe: 0,
                },
                ProbeUrl::parse(&srv.url("/health")).unwrap(),
                Duration::from_secs(60),
                Duration::from_secs(10),
            )
        })
        .collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let _src = HealthSource::spawn(specs, 6, 1, 2, tx).unwrap();
    let mut seen = std::collections::HashSet::new();
    while seen.len() < 6 {
        let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("all six probes should report within 10 s")
            .unwrap();
        let Msg::Probe { id, outcome, .. } = msg else {
            panic!("{msg:?}");
        };
        assert_eq!(outcome.result, Ok(Health::Up), "{outcome:?}");
        seen.insert(id.service);
    }
    let max = inflight.max.load(Ordering::SeqCst);
    assert!(max <= 2, "{max} requests in flight with a cap of 2");
    assert!(max >= 2, "max in flight {max}: probes ran one at a time");
}

// 16. The state machine fed with real outcomes from a flapping server.

#[tokio::test]
async fn flapping_server_through_the_failure_threshold() {
    let srv = serve(|mut c| async move {
        // ok, fail, fail, ok
        let (status, body): (&str, &[u8]) = match c.index {
            1 | 2 => (
                "503 Service Unavailable",
                br#"{"status":"down","checks":{"db":"down"}}"#,
            ),
            _ => ("200 OK", br#"{"status":"up"}"#),
        };
        c.answer(status, JSON, body).await;
    })
    .await;
    let s = spec(&srv.url("/health"), Duration::from_secs(5));
    let prober = Prober::new().unwrap();
    let mut st = ProbeState::new(srv.url("/health"), Duration::from_secs(10), 2);
    assert_eq!(st.status, Health::Unknown);

    st.apply(prober.probe(&s).await);
    assert_eq!(st.status, Health::Up);
    assert_eq!(st.reason(), None);

    st.apply(prober.probe(&s).await);
    assert_eq!(st.status, Health::Up, "one failure must not page");
    assert_eq!(st.consecutive_failures, 1);
    assert_eq!(st.reason().as_deref(), Some("HTTP 503 (1/2)"));

    st.apply(prober.probe(&s).await);
    assert_eq!(st.status, Health::Down);
    assert_eq!(st.consecutive_failures, 2);
    assert_eq!(st.reason().as_deref(), Some("HTTP 503 · db down"));

    st.apply(prober.probe(&s).await);
    assert_eq!(st.status, Health::Up);
    assert_eq!(st.consecutive_failures, 0);
    assert_eq!(st.failing, None);
    assert_eq!(
        st.last_failure.as_ref().map(|(_, f)| f.clone()),
        Some(ProbeFailure::HttpStatus { code: 503 })
    );
    assert_eq!(st.history.len(), 4);
    assert_eq!(st.uptime_percent(), Some(50.0));
    assert_eq!(srv.accepted(), 4);
}

// Classification must not depend on the words in the URL.

#[tokio::test]
async fn reset_on_a_url_mentioning_tls_is_still_reset() {
    let srv = serve(|mut c| async move {
        let _ = c.read_head().await;
        c.stream.set_zero_linger().unwrap();
        drop(c.stream);
    })
    .await;
    let o = probe_url(&srv.url("/tls-terminator/health")).await;
    assert!(
        matches!(o.result, Err(ProbeFailure::Reset { .. })),
        "plain-HTTP reset classified as {:?}",
        o.result
    );
}

#[tokio::test]
async fn failure_display_carries_the_verbatim_detail() {
    // A failure's Display carries its verbatim detail after the short reason.
    let port = closed_port().await;
    let o = probe_url(&format!("tcp://127.0.0.1:{port}")).await;
    let shown = o.result.as_ref().unwrap_err().to_string();
    assert!(shown.starts_with("connection refused: "), "{shown}");
    assert_eq!(shown, format!("connection refused: {}", detail_of(&o)));
}
