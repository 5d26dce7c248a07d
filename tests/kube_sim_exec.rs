//! `pods/exec` of the simulated API server judged by the real `kubectl
//! exec` (WebSocket, `v5.channel.k8s.io`) and by kube-rs's own client (as
//! the board opens a session): commands and their exit codes, stdin and
//! its end, container selection, refusals, a terminal with resizes, and a
//! session ended by its pod going away.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;
use support::pty::{Pty, TIMEOUT};

use std::time::Duration;

use futures::SinkExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams, AttachedProcess, DeleteParams, TerminalSize};
use kube_support::{Kubectl, eventually, start};
use opsboard::sim::kube::{Crash, Res, SimCluster, World};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(30);

async fn setup(world: World) -> Option<(SimCluster, Kubectl)> {
    let sim = start(world).await;
    let k = Kubectl::find(&sim)?;
    Some((sim, k))
}

fn world() -> World {
    World::empty()
        .node("n1")
        .deployment("shop", "api", 1, "registry.local/api:1.4.2")
        .port(8080)
        .age(Duration::from_secs(3600))
}

/// The name of the running pod whose name starts with `prefix`.
async fn running_pod(sim: &SimCluster, ns: &str, prefix: &str) -> String {
    eventually(WAIT, "a running pod", || async {
        sim.objects("pods", Some(ns))
            .into_iter()
            .find(|p: &Value| {
                p["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with(prefix)
                    && p["status"]["containerStatuses"][0]["state"]["running"].is_object()
            })
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_run_and_exit_codes_come_back() {
    let Some((sim, k)) = setup(world()).await else {
        return;
    };
    let api = running_pod(&sim, "shop", "api-").await;
    let ok = k
        .run(&["exec", "-n", "shop", &api, "--", "echo", "ok"])
        .await;
    assert_eq!((ok.code, ok.stdout.as_str()), (0, "ok\n"), "{}", ok.stderr);
    let host = k.ok(&["exec", "-n", "shop", &api, "--", "hostname"]).await;
    assert_eq!(host, format!("{api}\n"));
    let three = k
        .run(&["exec", "-n", "shop", &api, "--", "sh", "-c", "exit 3"])
        .await;
    assert_eq!(three.code, 3, "{three:?}");
    assert!(
        three.stderr.contains("command terminated with exit code 3"),
        "{}",
        three.stderr
    );
    let split = k
        .run(&[
            "exec",
            "-n",
            "shop",
            &api,
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 1",
        ])
        .await;
    assert_eq!(
        (split.code, split.stdout.as_str()),
        (1, "out\n"),
        "{}",
        split.stderr
    );
    assert!(split.stderr.starts_with("err\n"), "{}", split.stderr);
    // Typed into a shell, an unknown command is the shell's 127 …
    let missing = k
        .run(&["exec", "-n", "shop", &api, "--", "sh", "-c", "nosuch"])
        .await;
    assert_eq!(missing.code, 127, "{missing:?}");
    assert!(
        missing.stderr.contains("sh: nosuch: not found"),
        "{}",
        missing.stderr
    );
    // … exec'd directly, the container runtime refuses it.
    let direct = k.run(&["exec", "-n", "shop", &api, "--", "nosuch"]).await;
    assert_eq!(direct.code, 1, "{direct:?}");
    assert!(
        direct
            .stderr
            .starts_with("error: Internal error occurred: ")
            && direct
                .stderr
                .contains("exec: \"nosuch\": executable file not found in $PATH: unknown"),
        "{}",
        direct.stderr
    );
    let env = k.ok(&["exec", "-n", "shop", &api, "--", "env"]).await;
    assert!(env.contains(&format!("HOSTNAME={api}\n")), "{env}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_reaches_the_command_and_its_end_ends_it() {
    let Some((sim, k)) = setup(world()).await else {
        return;
    };
    let api = running_pod(&sim, "shop", "api-").await;
    let cat = k
        .run_with_stdin(&["exec", "-i", "-n", "shop", &api, "--", "cat"], b"hello\n")
        .await;
    assert_eq!(
        (cat.code, cat.stdout.as_str()),
        (0, "hello\n"),
        "{}",
        cat.stderr
    );
    let script = k
        .run_with_stdin(
            &["exec", "-i", "-n", "shop", &api, "--", "sh"],
            b"echo from a pipe\nexit 4\necho never\n",
        )
        .await;
    assert_eq!(
        (script.code, script.stdout.as_str()),
        (4, "from a pipe\n"),
        "{}",
        script.stderr
    );
    let counted = k
        .run_with_stdin(
            &["exec", "-i", "-n", "shop", &api, "--", "wc", "-l"],
            b"a\nb\nc\n",
        )
        .await;
    assert_eq!(counted.stdout, "3\n", "{}", counted.stderr);
}

fn duo() -> World {
    World::empty().node("n1").object(
        Res::Pods,
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "duo", "namespace": "default"},
            "spec": {"containers": [
                {"name": "app", "image": "registry.local/api:1.0",
                 "env": [{"name": "GREETING", "value": "hello from the spec"}]},
                {"name": "proxy", "image": "nginx:1.25"}
            ]}
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_are_chosen_and_refusals_read_like_kubectl() {
    let Some((sim, k)) = setup(duo()).await else {
        return;
    };
    running_pod(&sim, "default", "duo").await;
    let out = k.run(&["exec", "duo", "--", "printenv", "GREETING"]).await;
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "hello from the spec\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("Defaulted container \"app\" out of: app, proxy"),
        "{}",
        out.stderr
    );
    let proxy = k
        .ok(&["exec", "duo", "-c", "proxy", "--", "cat", "/etc/os-release"])
        .await;
    assert!(proxy.contains("Debian GNU/Linux 12 (bookworm)"), "{proxy}");
    let bad = k.run(&["exec", "duo", "-c", "nope", "--", "true"]).await;
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("Error from server (BadRequest): container nope is not valid for pod duo"),
        "{}",
        bad.stderr
    );
    let gone = k.run(&["exec", "nope", "--", "true"]).await;
    assert_eq!(gone.code, 1);
    assert!(
        gone.stderr
            .contains("Error from server (NotFound): pods \"nope\" not found"),
        "{}",
        gone.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_container_cannot_be_entered() {
    let crashing = World::empty()
        .node("n1")
        .deployment("ml", "ml-service", 1, "registry.local/ml-service:0.9.0")
        .age(Duration::from_secs(3000))
        .crash(Crash::OomKilled);
    let Some((sim, k)) = setup(crashing).await else {
        return;
    };
    // Stop the clock while the container waits in its back-off.
    let pod = eventually(WAIT, "a container in back-off", || async {
        sim.set_time_scale(kube_support::TIME_SCALE);
        let waiting = |p: &Value| {
            p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        };
        let found = sim.objects("pods", Some("ml")).into_iter().find(waiting)?;
        sim.set_time_scale(0.0);
        let name = found["metadata"]["name"].as_str()?.to_string();
        let again = sim.object("pods", Some("ml"), &name)?;
        waiting(&again).then_some(name)
    })
    .await;
    let out = k.run(&["exec", "-n", "ml", &pod, "--", "true"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(
            "error: Internal error occurred: unable to upgrade connection: container not found (\"ml-service\")"
        ),
        "{}",
        out.stderr
    );
}

/// Reads `from` until what was read contains `want`.
async fn read_until(from: &mut (impl AsyncRead + Unpin), seen: &mut String, want: &str) {
    let mut buf = [0u8; 1024];
    let found = tokio::time::timeout(WAIT, async {
        while !seen.contains(want) {
            let n = from.read(&mut buf).await.expect("read stdout");
            assert!(n > 0, "stdout ended before {want:?}: {seen:?}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
    .await;
    assert!(found.is_ok(), "no {want:?} in {seen:?}");
}

async fn kube_client(sim: &SimCluster, dir: &tempfile::TempDir) -> kube::Client {
    let path = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&path, "sim").unwrap();
    let kc = kube::config::Kubeconfig::read_from(&path).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

fn exit_code(s: &Status) -> Option<String> {
    s.details
        .as_ref()?
        .causes
        .as_ref()?
        .iter()
        .find(|c| c.reason.as_deref() == Some("ExitCode"))?
        .message
        .clone()
}

async fn status_of(process: &mut AttachedProcess) -> Status {
    let status = process.take_status().expect("a status future");
    tokio::time::timeout(WAIT, status)
        .await
        .expect("the status in time")
        .expect("a status")
}

/// What the board does on `x`: kube-rs's exec with a terminal and `/bin/sh`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_drives_a_terminal_shell() {
    let sim = start(world()).await;
    let api = running_pod(&sim, "shop", "api-").await;
    let dir = tempfile::tempdir().unwrap();
    let pods: Api<Pod> = Api::namespaced(kube_client(&sim, &dir).await, "shop");
    let mut process = pods
        .exec(&api, ["/bin/sh"], &AttachParams::interactive_tty())
        .await
        .expect("exec opens");
    let mut stdin = process.stdin().expect("stdin");
    let mut stdout = process.stdout().expect("stdout");
    let mut resize = process.terminal_size().expect("a terminal");
    let status = process.take_status().expect("a status future");
    let mut seen = String::new();
    read_until(&mut stdout, &mut seen, "/ # ").await;
    stdin.write_all(b"hostname\r").await.unwrap();
    read_until(
        &mut stdout,
        &mut seen,
        &format!("hostname\r\n{api}\r\n/ # "),
    )
    .await;
    resize
        .send(TerminalSize {
            width: 100,
            height: 30,
        })
        .await
        .unwrap();
    // The resize and the keys travel separately: let the resize go first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stdin.write_all(b"stty size\r").await.unwrap();
    read_until(&mut stdout, &mut seen, "stty size\r\n30 100\r\n/ # ").await;
    stdin.write_all(b"exit 4\r").await.unwrap();
    let status = tokio::time::timeout(WAIT, status)
        .await
        .expect("the status in time")
        .expect("a status");
    assert_eq!(
        status.reason.as_deref(),
        Some("NonZeroExitCode"),
        "{status:?}"
    );
    assert_eq!(exit_code(&status).as_deref(), Some("4"), "{status:?}");
    assert_eq!(
        status.message.as_deref(),
        Some("command terminated with non-zero exit code: command terminated with exit code 4")
    );
    process.join().await.expect("the connection ends cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_sees_refusals_and_the_end_of_a_pod() {
    let sim = start(world()).await;
    let api = running_pod(&sim, "shop", "api-").await;
    let dir = tempfile::tempdir().unwrap();
    let pods: Api<Pod> = Api::namespaced(kube_client(&sim, &dir).await, "shop");
    let err = pods
        .exec("nope", ["/bin/sh"], &AttachParams::interactive_tty())
        .await
        .err()
        .expect("no such pod");
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 404),
        "{err:?}"
    );
    // bash is not on a BusyBox image: the runtime's refusal, after the upgrade.
    let mut bash = pods
        .exec(&api, ["bash"], &AttachParams::interactive_tty())
        .await
        .expect("the upgrade happens");
    let refused = status_of(&mut bash).await;
    assert_eq!(
        refused.reason.as_deref(),
        Some("InternalError"),
        "{refused:?}"
    );
    assert!(
        refused
            .message
            .as_deref()
            .unwrap_or("")
            .contains("exec: \"bash\": executable file not found in $PATH"),
        "{refused:?}"
    );
    // A session whose pod goes: its processes are killed (137).
    let mut cat = pods
        .exec(
            &api,
            ["cat"],
            &AttachParams::default().stdin(true).stderr(false),
        )
        .await
        .expect("exec opens");
    let mut stdin = cat.stdin().expect("stdin");
    let mut stdout = cat.stdout().expect("stdout");
    stdin.write_all(b"still here\n").await.unwrap();
    let mut seen = String::new();
    read_until(&mut stdout, &mut seen, "still here\n").await;
    pods.delete(&api, &DeleteParams::default().grace_period(0))
        .await
        .expect("delete the pod");
    let killed = status_of(&mut cat).await;
    assert_eq!(exit_code(&killed).as_deref(), Some("137"), "{killed:?}");
}

/// `kubectl exec -it` in a real terminal: the prompt, a command, a resize
/// that `stty size` sees, and the exit code of `exit 5`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_exec_it_in_a_terminal() {
    let Some((sim, k)) = setup(world()).await else {
        return;
    };
    let api = running_pod(&sim, "shop", "api-").await;
    let kubeconfig = k.kubeconfig().to_string_lossy().into_owned();
    let bin = k.bin.clone();
    let result = tokio::task::spawn_blocking(move || {
        let args = [
            "--kubeconfig",
            kubeconfig.as_str(),
            "exec",
            "-it",
            "-n",
            "shop",
            api.as_str(),
            "--",
            "sh",
        ];
        let home = tempfile::tempdir().unwrap();
        let mut pty = Pty::spawn_program(home, &bin, &args, &[], 80, 24);
        // The screen's rows lose their trailing blanks: "/ # " is "/ #".
        pty.wait_for(TIMEOUT, |s| s.lines().any(|l| l == "/ #"))
            .map_err(|e| e.to_string())?;
        pty.send("hostname\r");
        pty.wait_for(TIMEOUT, |s| s.lines().any(|l| l.trim_end() == api))
            .map_err(|e| e.to_string())?;
        pty.resize(100, 30);
        std::thread::sleep(Duration::from_millis(300));
        pty.send("stty size\r");
        pty.wait_for(TIMEOUT, |s| s.lines().any(|l| l.trim_end() == "30 100"))
            .map_err(|e| e.to_string())?;
        pty.send("exit 5\r");
        let status = pty.wait_exit(TIMEOUT).map_err(|e| e.to_string())?;
        Ok::<_, String>((status.exit_code(), pty.raw_text()))
    })
    .await
    .unwrap();
    let (code, raw) = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code, 5, "{raw}");
    assert!(raw.contains("command terminated with exit code 5"), "{raw}");
}

/// A bare WebSocket exec request offering `protocols`.
fn ws_request(
    sim: &SimCluster,
    pod: &str,
    query: &str,
    protocols: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!(
        "ws://{}/api/v1/namespaces/shop/pods/{pod}/exec?{query}",
        sim.addr()
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", protocols.parse().unwrap());
    req
}

/// Every binary frame until the server closes: `(stream, payload)`.
async fn frames(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Vec<(u8, String)> {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut out = Vec::new();
    let read = tokio::time::timeout(WAIT, async {
        while let Some(Ok(m)) = ws.next().await {
            match m {
                Message::Binary(b) => {
                    out.push((b[0], String::from_utf8_lossy(&b[1..]).into_owned()));
                }
                Message::Close(frame) => {
                    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1000));
                    break;
                }
                _ => {}
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server closes: {out:?}");
    out
}

/// The v4 protocol (the kubelet's, for clients without v5): frames, the
/// runtime's wording of a non-zero exit, and its refusal of a container
/// that is not running before any upgrade. Protocols not spoken, plain
/// and SPDY requests are refused with a `Status`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v4_protocol_and_refused_upgrades() {
    let sim = start(world()).await;
    let api = running_pod(&sim, "shop", "api-").await;
    let query = "command=sh&command=-c&command=echo+hi%3B+exit+3&stdout=true&stderr=true";
    let (mut ws, resp) =
        tokio_tungstenite::connect_async(ws_request(&sim, &api, query, "v4.channel.k8s.io"))
            .await
            .expect("upgraded");
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "v4.channel.k8s.io"
    );
    let got = frames(&mut ws).await;
    assert_eq!(
        got,
        [
            (1, String::new()),
            (1, "hi\n".to_string()),
            (
                3,
                r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#
                    .to_string()
            )
        ]
    );
    // Both offered: v5 is chosen.
    let (_, resp) = tokio_tungstenite::connect_async(ws_request(
        &sim,
        &api,
        "command=true&stdout=true",
        "v4.channel.k8s.io, v5.channel.k8s.io",
    ))
    .await
    .expect("upgraded");
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "v5.channel.k8s.io"
    );
    let refused = |protocols: &'static str| {
        let req = ws_request(&sim, &api, "command=true&stdout=true", protocols);
        async move {
            match tokio_tungstenite::connect_async(req).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => (
                    r.status().as_u16(),
                    String::from_utf8_lossy(r.body().as_deref().unwrap_or_default()).into_owned(),
                ),
                other => panic!("not refused: {other:?}"),
            }
        }
    };
    let (code, body) = refused("base64.channel.k8s.io").await;
    assert_eq!(code, 400);
    assert!(
        body.contains("requested protocol(s) are not supported: [base64.channel.k8s.io]"),
        "{body}"
    );
    let plain = reqwest::get(format!(
        "http://{}/api/v1/namespaces/shop/pods/{api}/exec?command=true&stdout=true",
        sim.addr()
    ))
    .await
    .unwrap();
    assert_eq!(plain.status().as_u16(), 400);
    let status: Value = serde_json::from_str(&plain.text().await.unwrap()).unwrap();
    assert_eq!(status["message"], "Upgrade request required");
    assert_eq!(status["kind"], "Status");
}

/// A container that is not running, over v4: the kubelet's plain-text 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v4_is_refused_by_the_kubelet_for_a_stopped_container() {
    let sim = start(
        World::empty()
            .node("n1")
            .deployment("shop", "ml", 1, "registry.local/ml-service:0.9.0")
            .age(Duration::from_secs(3000))
            .crash(Crash::OomKilled),
    )
    .await;
    let pod = eventually(WAIT, "a container in back-off", || async {
        sim.set_time_scale(kube_support::TIME_SCALE);
        let waiting =
            |p: &Value| p["status"]["containerStatuses"][0]["state"]["waiting"].is_object();
        let found = sim
            .objects("pods", Some("shop"))
            .into_iter()
            .find(waiting)?;
        sim.set_time_scale(0.0);
        let name = found["metadata"]["name"].as_str()?.to_string();
        waiting(&sim.object("pods", Some("shop"), &name)?).then_some(name)
    })
    .await;
    let req = ws_request(&sim, &pod, "command=true&stdout=true", "v4.channel.k8s.io");
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status().as_u16(), 500);
            assert_eq!(
                r.body().as_deref(),
                Some(&b"container not found (\"ml\")"[..])
            );
        }
        other => panic!("not refused: {other:?}"),
    }
}

/// An upgrade on POST is served like one on GET.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_upgrade_is_served() {
    use tokio::io::AsyncBufReadExt;
    let sim = start(world()).await;
    let api = running_pod(&sim, "shop", "api-").await;
    let mut tcp = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let request = format!(
        "POST /api/v1/namespaces/shop/pods/{api}/exec?command=true&stdout=true HTTP/1.1\r\n\
         Host: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\
         Content-Length: 0\r\n\r\n",
        sim.addr()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut first = String::new();
    tokio::time::timeout(
        WAIT,
        tokio::io::BufReader::new(&mut tcp).read_line(&mut first),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(first.trim_end(), "HTTP/1.1 101 Switching Protocols");
}
