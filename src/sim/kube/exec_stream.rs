//! The remote-command channel protocol over an upgraded WebSocket, as the
//! API server (`v5.channel.k8s.io`, its stream translator) and the
//! kubelet's runtime (`v4.channel.k8s.io`) speak it.
//!
//! Every binary frame starts with its stream: 0 stdin (client → server),
//! 1 stdout, 2 stderr, 3 error (one JSON `Status` from the server at the
//! end), 4 resize (client → server, `{"Width":80,"Height":24}`). In v5 the
//! client may also send `[255, stream]`: that stream is closed (stdin's
//! end of file). The server first sends an empty frame on the lowest
//! stream it writes (stdout, else stderr, else error), and after the
//! status a close frame (1000), which ends the client's readers.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::clock::{SimTime, parse_time};
use super::resources::Res;
use super::shell::{Output, Session};
use super::state::Shared;
use super::util;

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
const RESIZE: u8 = 4;
/// v5: `[CLOSE, stream]` says the client closed that stream.
const CLOSE: u8 = 255;

/// Largest frame sent (the client's read buffer is 32 KiB).
const FRAME: usize = 32 * 1024;

/// How often a session looks whether its container still runs (wall time).
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// How long the server waits for the client's close frame after its own.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    V4,
    V5,
}

/// What the connection is to do once upgraded.
pub enum Plan {
    /// Run the session (its first output already made).
    Run(Box<Session>, Output),
    /// Report this `Status` and close (the container is not running, the
    /// command cannot be started).
    Fail(Vec<u8>),
}

/// Where the session runs, to end it when its container stops.
pub struct Running {
    pub shared: Arc<Shared>,
    pub cancel: CancellationToken,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub started: SimTime,
}

/// One exec connection.
pub struct Call {
    pub protocol: Protocol,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    pub argv: Vec<String>,
    pub running: Running,
}

#[derive(Serialize)]
struct Status {
    metadata: Empty,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Details>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Details {
    causes: Vec<Cause>,
}

#[derive(Serialize)]
struct Cause {
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    message: String,
}

fn json(s: &Status) -> Vec<u8> {
    serde_json::to_vec(s).unwrap_or_default()
}

/// The status of a command that exited with `code`: the translator's words
/// for a v5 client, the container runtime's for v4.
pub fn exit_status(protocol: Protocol, code: u8, argv: &[String]) -> Vec<u8> {
    if code == 0 {
        return json(&Status {
            metadata: Empty {},
            status: "Success",
            message: None,
            reason: None,
            details: None,
            code: None,
        });
    }
    let inner = match protocol {
        Protocol::V5 => format!("command terminated with exit code {code}"),
        Protocol::V4 => format!(
            "error executing command [{}], exit code {code}",
            argv.join(" ")
        ),
    };
    json(&Status {
        metadata: Empty {},
        status: "Failure",
        message: Some(format!(
            "command terminated with non-zero exit code: {inner}"
        )),
        reason: Some("NonZeroExitCode"),
        details: Some(Details {
            causes: vec![Cause {
                reason: Some("ExitCode"),
                message: code.to_string(),
            }],
        }),
        code: None,
    })
}

/// An `InternalError` status about `err`, as `NewInternalError` builds it.
pub fn internal_error(err: &str) -> Vec<u8> {
    json(&Status {
        metadata: Empty {},
        status: "Failure",
        message: Some(format!("Internal error occurred: {err}")),
        reason: Some("InternalError"),
        details: Some(Details {
            causes: vec![Cause {
                reason: None,
                message: err.to_string(),
            }],
        }),
        code: Some(500),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Size {
    width: u16,
    height: u16,
}

/// A frame from the client, read.
enum FromClient {
    Stdin(Bytes),
    Resize(u16, u16),
    Closed(u8),
    Other,
}

fn read(frame: Bytes, protocol: Protocol) -> FromClient {
    match frame.first().copied() {
        Some(STDIN) => FromClient::Stdin(frame.slice(1..)),
        Some(RESIZE) => {
            // The last complete size in the frame wins.
            let last = serde_json::Deserializer::from_slice(&frame[1..])
                .into_iter::<Size>()
                .map_while(Result::ok)
                .last();
            last.map_or(FromClient::Other, |s| FromClient::Resize(s.width, s.height))
        }
        Some(CLOSE) if protocol == Protocol::V5 && frame.len() == 2 => FromClient::Closed(frame[1]),
        _ => FromClient::Other,
    }
}

async fn send(socket: &mut WebSocket, stream: u8, data: &[u8]) -> bool {
    let mut frame = Vec::with_capacity(data.len() + 1);
    frame.push(stream);
    frame.extend_from_slice(data);
    socket.send(Message::Binary(frame.into())).await.is_ok()
}

/// Sends what the session wrote; its exit code once it ended.
async fn emit(socket: &mut WebSocket, call: &Call, out: Output) -> Result<Option<u8>, ()> {
    for (stream, wanted, bytes) in [
        (STDOUT, call.stdout, &out.stdout),
        (STDERR, call.stderr && !call.tty, &out.stderr),
    ] {
        if !wanted {
            continue;
        }
        for chunk in bytes.chunks(FRAME) {
            if !send(socket, stream, chunk).await {
                return Err(());
            }
        }
    }
    Ok(out.exit)
}

/// The status, then the close handshake.
async fn finish(mut socket: WebSocket, status: &[u8]) {
    if !send(&mut socket, ERROR, status).await {
        return;
    }
    let close = CloseFrame {
        code: 1000,
        reason: "".into(),
    };
    if socket.send(Message::Close(Some(close))).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Whether the container still runs the run the session started in.
fn still_running(r: &Running) -> bool {
    let st = r.shared.lock();
    let Some(pod) = st.store.get(Res::Pods, &r.namespace, &r.pod) else {
        return false;
    };
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| util::s(c, "/name") == r.container))
        .and_then(|c| parse_time(util::s(c, "/state/running/startedAt")))
        == Some(r.started)
}

/// Serves one upgraded exec connection to its end.
pub async fn serve(mut socket: WebSocket, call: Call, plan: Plan) {
    let first = if call.stdout {
        STDOUT
    } else if call.stderr && !call.tty {
        STDERR
    } else {
        ERROR
    };
    if !send(&mut socket, first, &[]).await {
        return;
    }
    let (mut session, out) = match plan {
        Plan::Fail(status) => return finish(socket, &status).await,
        Plan::Run(s, out) => (s, out),
    };
    let status = |code| exit_status(call.protocol, code, &call.argv);
    match emit(&mut socket, &call, out).await {
        Err(()) => return,
        Ok(Some(code)) => return finish(socket, &status(code)).await,
        Ok(None) => {}
    }
    let mut watch = tokio::time::interval(WATCH_EVERY);
    watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let now = || call.running.shared.clock.now();
        let out = tokio::select! {
            _ = call.running.cancel.cancelled() => return,
            _ = watch.tick() => {
                if still_running(&call.running) {
                    continue;
                }
                // The container stopped: its processes were killed.
                return finish(socket, &status(137)).await;
            }
            msg = socket.recv() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(Message::Binary(frame))) => match read(frame, call.protocol) {
                    FromClient::Stdin(data) if call.stdin => session.input(&data, now()),
                    FromClient::Closed(STDIN) if call.stdin => session.close_stdin(now()),
                    FromClient::Resize(w, h) if call.tty => {
                        session.resize(w, h);
                        continue;
                    }
                    _ => continue,
                },
                Some(Ok(_)) => continue,
            },
        };
        match emit(&mut socket, &call, out).await {
            Err(()) => return,
            Ok(Some(code)) => return finish(socket, &status(code)).await,
            Ok(None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn statuses_read_like_the_real_ones() {
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap_or_default();
        assert_eq!(
            text(exit_status(Protocol::V5, 0, &argv("true"))),
            r#"{"metadata":{},"status":"Success"}"#
        );
        assert_eq!(
            text(exit_status(Protocol::V4, 3, &argv("sh -c exit 3"))),
            r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#
        );
        assert_eq!(
            text(exit_status(Protocol::V5, 3, &argv("sh -c exit 3"))),
            r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: command terminated with exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#
        );
        assert_eq!(
            text(internal_error(
                "unable to upgrade connection: container not found (\"app\")"
            )),
            r#"{"metadata":{},"status":"Failure","message":"Internal error occurred: unable to upgrade connection: container not found (\"app\")","reason":"InternalError","details":{"causes":[{"message":"unable to upgrade connection: container not found (\"app\")"}]},"code":500}"#
        );
    }

    #[test]
    fn client_frames() {
        let r = |b: &[u8], p| read(Bytes::copy_from_slice(b), p);
        assert!(matches!(r(b"\x00ls\r", Protocol::V5), FromClient::Stdin(d) if &d[..] == b"ls\r"));
        assert!(matches!(
            r(b"\x04{\"Width\":100,\"Height\":30}", Protocol::V4),
            FromClient::Resize(100, 30)
        ));
        assert!(matches!(r(&[255, 0], Protocol::V5), FromClient::Closed(0)));
        assert!(
            matches!(r(&[255, 0], Protocol::V4), FromClient::Other),
            "v4 has no close signal"
        );
        assert!(matches!(r(b"\x04{bad", Protocol::V5), FromClient::Other));
    }
}
