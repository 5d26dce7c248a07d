//! The session state machine driven byte by byte, as the exec endpoint
//! drives it: commands run once (`commands`), and shells on a terminal
//! (`terminal`). The helpers both use are here.

mod commands;
mod terminal;

use super::*;

pub(super) const POD: &str = "api-7d9f8-x2x4q";
/// 2026-12-03 14:53:28 UTC.
pub(super) const NOW: SimTime = 1_796_309_608_000;

pub(super) fn container(image: &str) -> Container {
    Container {
        pod: POD.into(),
        namespace: "shop".into(),
        image: image.into(),
        pod_ip: "10.244.1.7".into(),
        env: vec![
            ("MODE".into(), "production".into()),
            ("DB_HOST".into(), "postgres.shop".into()),
        ],
        main: "/app/api --listen=:8080".into(),
        port: Some(8080),
        started: NOW - 3_600_000,
    }
}

pub(super) const ALPINE: &str = "registry.local/api:1.4.2";
pub(super) const DEBIAN: &str = "nginx:1.25.3";

pub(super) fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

pub(super) fn start(image: &str, words: &[&str], stdin: bool, tty: bool) -> (Session, Output) {
    Session::start(
        container(image),
        &argv(words),
        Streams { stdin, tty },
        NOW,
        7,
    )
    .unwrap_or_else(|e| panic!("{words:?} did not start: {e:?}"))
}

/// Runs a command without input; (stdout, stderr, exit code).
pub(super) fn run(image: &str, words: &[&str]) -> (String, String, u8) {
    let (_, out) = start(image, words, false, false);
    let exit = out
        .exit
        .unwrap_or_else(|| panic!("{words:?} should end at once"));
    (text(&out.stdout), text(&out.stderr), exit)
}

pub(super) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(super) fn sh(image: &str, script: &str) -> (String, String, u8) {
    run(image, &["sh", "-c", script])
}
