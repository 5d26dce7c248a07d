//! The Docker backend against the REAL engine and the real docker-compose:
//! snapshots (Compose labels, health, ports), events, stats, scaling that
//! Compose recognises, rolling restarts, rollback from the image history,
//! stop/start, and endpoint selection. (A daemon socket that goes away,
//! a cut event stream and other faults: tests/faults_docker.rs.)
//! Images are built locally (`docker import` of a busybox-static rootfs);
//! every project, container, network, volume and image is removed again.
//! Without a daemon or docker-compose: SKIPPED (a failure under CI=true).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::docker;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use docker::{Images, Labelled, PORT, Project, Proxy, WEB1, WEB2, docker, images, inspect};
use opsboard::app::Msg;
use opsboard::clients::docker::{self as client, HostSpec};
use opsboard::model::{
    ActionRequest, ComposeRef, ContainerInfo, DockerSnapshot, DockerTarget, Health, LogRequest,
    LogSource, LogTarget, Outcome, Progress, Risk,
};
use opsboard::ops::docker::{self as ops, DockerChange, ImageHistory};
use opsboard::sources::docker::{self as src, DockerSource};
use opsboard::sources::logs::LogFeed;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const HOST: &str = "local";

fn host_spec() -> HostSpec {
    HostSpec {
        name: HOST.into(),
        endpoint: Some(docker::socket_endpoint()),
        tls_cert_path: None,
    }
}

fn client() -> bollard::Docker {
    client::connect(&host_spec()).expect("connect to the test daemon")
}

/// A web service on the test image: ephemeral port on 127.0.0.1, tini as
/// PID 1 so SIGTERM stops it at once.
const WEB: &str = r#"
version: "2.4"
services:
  web:
    image: opsboard-test/web:${WEB_TAG:-1}
    init: true
    ports:
      - "127.0.0.1::8080"
"#;

fn svc(p: &Project, service: &str) -> ComposeRef {
    ComposeRef {
        host: HOST.into(),
        project: p.name.clone(),
        service: service.into(),
    }
}

fn container_target(p: &Project, service: &str, n: u32) -> DockerTarget {
    let name = p.replica(service, n);
    DockerTarget::Container {
        host: HOST.into(),
        id: inspect(&name)["Id"].as_str().unwrap().to_string(),
        name,
    }
}

/// Containers of `p` in a snapshot.
fn of<'a>(s: &'a DockerSnapshot, p: &Project) -> Vec<&'a ContainerInfo> {
    s.containers
        .iter()
        .filter(|c| c.compose.as_ref().is_some_and(|l| l.project == p.name))
        .collect()
}

/// Receives snapshots until `pred` holds for one (returned), or panics
/// after `within` with the last one seen.
async fn wait_snapshot(
    rx: &mut mpsc::Receiver<Msg>,
    within: Duration,
    what: &str,
    mut pred: impl FnMut(&DockerSnapshot) -> bool,
) -> DockerSnapshot {
    let end = tokio::time::Instant::now() + within;
    let mut last = None;
    loop {
        match tokio::time::timeout_at(end, rx.recv()).await {
            Ok(Some(Msg::Docker(s))) => {
                if pred(&s) {
                    return *s;
                }
                last = Some(s);
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("the source stopped while waiting for {what}"),
            Err(_) => panic!("no snapshot with {what} within {within:?}; last: {last:#?}"),
        }
    }
}

/// Health of the named containers via the daemon: (running and healthy?)
/// per name.
async fn healthy(d: &bollard::Docker, names: &[String]) -> Vec<bool> {
    let mut out = vec![];
    for n in names {
        let ok = match d.inspect_container(n, None).await {
            Ok(c) => c.state.is_some_and(|s| {
                s.running == Some(true)
                    && s.health
                        .and_then(|h| h.status)
                        .is_some_and(|h| h.to_string() == "healthy")
            }),
            Err(_) => false,
        };
        out.push(ok);
    }
    out
}

async fn wait_all_healthy(d: &bollard::Docker, names: &[String]) {
    let end = Instant::now() + Duration::from_secs(40);
    loop {
        if healthy(d, names).await.iter().all(|h| *h) {
            return;
        }
        assert!(
            Instant::now() < end,
            "{names:?} not healthy in 40 s: {:?}",
            healthy(d, names).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn started_at(name: &str) -> String {
    inspect(name)["State"]["StartedAt"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Collects what a job reports.
#[derive(Clone, Default)]
struct Report {
    output: Arc<Mutex<Vec<String>>>,
    progress: Arc<Mutex<Vec<Progress>>>,
}

impl Report {
    async fn run(&self, d: &bollard::Docker, change: &DockerChange) -> (Outcome, String) {
        let (o, p) = (self.output.clone(), self.progress.clone());
        let out = move |l: String| o.lock().unwrap().push(l);
        let prog = move |x: Progress| p.lock().unwrap().push(x);
        ops::run(d, change, &prog, &out, &CancellationToken::new()).await
    }

    fn lines(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }
}

async fn plan_of(
    d: &bollard::Docker,
    r: ActionRequest,
    h: &ImageHistory,
) -> (Vec<String>, BTreeMap<String, String>, Risk, DockerChange) {
    ops::plan(d, &r, h)
        .await
        .unwrap_or_else(|e| panic!("plan {} refused: {e}", r.summary()))
}

fn empty_history() -> (tempfile::TempDir, ImageHistory) {
    let dir = tempfile::tempdir().unwrap();
    let h = ImageHistory::open(dir.path().join("docker-images.jsonl"));
    (dir, h)
}

fn prepare() -> Option<Images> {
    docker::prerequisites()?;
    Some(images())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_shows_compose_labels_health_and_ports() {
    let Some(_img) = prepare() else { return };
    let p = Project::new(
        r#"
version: "2.4"
services:
  web:
    image: opsboard-test/web:1
    init: true
    ports:
      - "127.0.0.1::8080"
  sick:
    image: opsboard-test/web:1
    init: true
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/nope"]
      interval: 1s
      timeout: 1s
      retries: 2
"#,
    );
    let (tx, mut rx) = mpsc::channel(256);
    let _source = DockerSource::spawn(vec![host_spec()], tx);
    wait_snapshot(&mut rx, Duration::from_secs(10), "the first list", |s| {
        s.error.is_none()
    })
    .await;
    p.compose(&["up", "-d"]);
    let web_name = p.replica("web", 1);
    let mut web_states = vec![];
    let s = wait_snapshot(
        &mut rx,
        // Well before the 30 s resync: health_status events bring these.
        Duration::from_secs(15),
        "web healthy and sick unhealthy",
        |s| {
            let cs = of(s, &p);
            let web = cs.iter().find(|c| c.name == web_name);
            if let Some(h) = web.and_then(|c| c.health.as_ref()) {
                web_states.push(h.status.clone());
            }
            let sick = cs.iter().find(|c| c.name == p.replica("sick", 1));
            web.and_then(|c| c.health.as_ref())
                .is_some_and(|h| h.status == "healthy")
                && sick
                    .and_then(|c| c.health.as_ref())
                    .is_some_and(|h| h.status == "unhealthy")
        },
    )
    .await;
    assert_eq!(
        web_states.first().map(String::as_str),
        Some("starting"),
        "web was seen starting before healthy: {web_states:?}"
    );
    let cs = of(&s, &p);
    let web = cs.iter().find(|c| c.name == web_name).unwrap();
    let labels = web.compose.as_ref().unwrap();
    assert_eq!(
        (
            labels.project.as_str(),
            labels.service.as_str(),
            labels.number,
            labels.oneoff
        ),
        (p.name.as_str(), "web", 1, false)
    );
    assert!(labels.config_hash.as_ref().is_some_and(|h| h.len() >= 32));
    assert_eq!(web.state, "running");
    assert_eq!(web.image, WEB1);
    assert_eq!(web.image_id, _img.web1_id);
    assert!(web.started_at.is_some());
    assert_eq!(web.exit_code, None);
    assert_eq!(web.host, HOST);
    assert_eq!(web.health_verdict(), Health::Up);
    let port = inspect(&web_name)["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(web.ports, vec![format!("127.0.0.1:{port}->8080/tcp")]);
    assert!(web.status_text.starts_with("Up"), "{}", web.status_text);
    let sick = cs.iter().find(|c| c.name == p.replica("sick", 1)).unwrap();
    let h = sick.health.as_ref().unwrap();
    assert!(h.failing_streak >= 2, "{h:?}");
    assert!(
        h.last_output.as_deref().unwrap_or("").contains("404"),
        "the last probe's output: {h:?}"
    );
    assert_eq!(sick.health_verdict(), Health::Down);
    assert_eq!(sick.ports, vec!["8080/tcp".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_stop_brings_a_snapshot_through_events() {
    let Some(_img) = prepare() else { return };
    let p = Project::new(WEB);
    p.compose(&["up", "-d"]);
    let name = p.replica("web", 1);
    let (tx, mut rx) = mpsc::channel(256);
    let _source = DockerSource::spawn(vec![host_spec()], tx);
    wait_snapshot(&mut rx, Duration::from_secs(30), "web healthy", |s| {
        of(s, &p)
            .iter()
            .any(|c| c.health.as_ref().is_some_and(|h| h.status == "healthy"))
    })
    .await;
    // Only events can bring this well before the 30 s resync.
    let t0 = Instant::now();
    docker(&["stop", "-t", "5", &name]);
    let s = wait_snapshot(&mut rx, Duration::from_secs(5), "web exited", |s| {
        of(s, &p)
            .iter()
            .any(|c| c.name == name && c.state == "exited")
    })
    .await;
    let after_stop = t0.elapsed();
    assert!(after_stop < Duration::from_secs(5), "{after_stop:?}");
    let c = of(&s, &p).into_iter().find(|c| c.name == name).unwrap();
    assert!(c.exit_code.is_some(), "{c:?}");
    assert_eq!(c.health_verdict(), Health::Down);
    // And a removal takes it off the board.
    docker(&["rm", &name]);
    wait_snapshot(&mut rx, Duration::from_secs(5), "web gone", |s| {
        of(s, &p).is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_for_visible_running_containers_only() {
    let Some(_img) = prepare() else { return };
    let p = Project::new(WEB);
    p.compose(&["up", "-d", "--scale", "web=2"]);
    let (one, two) = (p.replica("web", 1), p.replica("web", 2));
    let id1 = inspect(&one)["Id"].as_str().unwrap().to_string();
    let (tx, mut rx) = mpsc::channel(256);
    let source = DockerSource::spawn(vec![host_spec()], tx);
    wait_snapshot(&mut rx, Duration::from_secs(10), "both replicas", |s| {
        of(s, &p).len() == 2
    })
    .await;
    source.set_visible(vec![id1.clone()]);
    // Keep one core busy in the visible one for a few seconds.
    docker(&[
        "exec",
        "-d",
        &one,
        "timeout",
        "-s",
        "KILL",
        "8",
        "sh",
        "-c",
        "while :; do :; done",
    ]);
    let s = wait_snapshot(&mut rx, Duration::from_secs(12), "busy CPU stats", |s| {
        of(s, &p).iter().any(|c| {
            c.name == one
                && c.stats
                    .is_some_and(|st| st.cpu_percent > 20.0 && st.mem_bytes > 0)
        })
    })
    .await;
    let cs = of(&s, &p);
    let st = cs.iter().find(|c| c.name == one).unwrap().stats.unwrap();
    assert!(st.mem_limit >= st.mem_bytes, "{st:?}");
    // 100 % is one core: a single busy loop cannot exceed ~one core.
    assert!(st.cpu_percent < 150.0, "{st:?}");
    assert!(
        cs.iter().find(|c| c.name == two).unwrap().stats.is_none(),
        "an invisible container has no stats"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_follows_compose_conventions() {
    let Some(_img) = prepare() else { return };
    let p = Project::new(
        r#"
version: "2.4"
services:
  web:
    image: opsboard-test/web:1
    init: true
    restart: unless-stopped
    environment:
      FOO: bar
    labels:
      team: payments
    ports:
      - "127.0.0.1::8080"
    volumes:
      - data:/data
    networks:
      front:
        aliases: [www]
      back: {}
volumes:
  data: {}
networks:
  front: {}
  back: {}
"#,
    );
    p.compose(&["up", "-d"]);
    let d = client();
    let (_dir, h) = empty_history();
    let one = p.replica("web", 1);
    wait_all_healthy(&d, std::slice::from_ref(&one)).await;

    let (what, params, risk, change) = plan_of(
        &d,
        ActionRequest::DockerScale {
            service: svc(&p, "web"),
            replicas: 3,
        },
        &h,
    )
    .await;
    eprintln!("plan: {what:#?}");
    let text = what.join("\n");
    assert!(
        text.contains(&p.replica("web", 2)) && text.contains(&p.replica("web", 3)),
        "{text}"
    );
    assert!(text.contains(&format!("copies of {one}")), "{text}");
    assert!(text.contains("healthy"), "{text}");
    assert_eq!(params["replicas"], "1 → 3");
    assert_eq!(risk, Risk::Medium);
    assert_eq!(
        change,
        DockerChange::Scale {
            service: svc(&p, "web"),
            to: 3
        }
    );
    let r = Report::default();
    let (outcome, msg) = r.run(&d, &change).await;
    assert_eq!(outcome, Outcome::Succeeded, "{msg}\n{:?}", r.lines());
    assert!(msg.contains("running and healthy"), "{msg}");

    // The real CLI lists three replicas.
    let ids = p.ps_ids("web");
    assert_eq!(ids.len(), 3, "docker-compose ps -q: {ids:?}");
    let ps = p.compose(&["ps"]);
    for n in 1..=3 {
        assert!(ps.contains(&p.replica("web", n)), "{ps}");
    }
    // A copy carries the original's config.
    let orig = inspect(&one);
    let copy = inspect(&p.replica("web", 3));
    let labels = &copy["Config"]["Labels"];
    assert_eq!(labels["com.docker.compose.container-number"], "3");
    for l in [
        "com.docker.compose.config-hash",
        "com.docker.compose.project",
        "com.docker.compose.service",
        "com.docker.compose.oneoff",
        "com.docker.compose.version",
        "team",
    ] {
        assert_eq!(labels[l], orig["Config"]["Labels"][l], "label {l}");
    }
    assert!(
        copy["Config"]["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "FOO=bar")
    );
    assert_eq!(
        copy["HostConfig"]["RestartPolicy"]["Name"],
        "unless-stopped"
    );
    assert_eq!(copy["HostConfig"]["Init"], true);
    assert_eq!(copy["Config"]["Healthcheck"], orig["Config"]["Healthcheck"]);
    assert_eq!(
        copy["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostIp"],
        "127.0.0.1"
    );
    let mount = &copy["Mounts"][0];
    assert_eq!(
        (mount["Name"].as_str(), mount["Destination"].as_str()),
        (Some(format!("{}_data", p.name).as_str()), Some("/data"))
    );
    let short = &copy["Id"].as_str().unwrap()[..12];
    eprintln!(
        "docker-compose {}: original {} labels {} networks {}\ncopy {} labels {} networks {}",
        docker::compose_version(),
        one,
        orig["Config"]["Labels"],
        orig["NetworkSettings"]["Networks"],
        p.replica("web", 3),
        copy["Config"]["Labels"],
        copy["NetworkSettings"]["Networks"]
    );
    for net in ["front", "back"] {
        let key = format!("{}_{net}", p.name);
        let aliases: Vec<String> = copy["NetworkSettings"]["Networks"][&key]["Aliases"]
            .as_array()
            .unwrap_or_else(|| panic!("{key} missing: {}", copy["NetworkSettings"]))
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        assert!(aliases.contains(&"web".to_string()), "{net}: {aliases:?}");
        // What this daemon does for Compose v1's replicas: the short id too.
        let orig_aliases = orig["NetworkSettings"]["Networks"][&key]["Aliases"].to_string();
        if orig_aliases.contains(&orig["Id"].as_str().unwrap()[..12]) {
            assert!(aliases.contains(&short.to_string()), "{net}: {aliases:?}");
        }
        if net == "front" {
            assert!(aliases.contains(&"www".to_string()), "{aliases:?}");
        }
    }
    // The network alias resolves to the new replicas too.
    let peers = docker(&[
        "exec",
        &one,
        "wget",
        "-q",
        "-O-",
        &format!("http://{}:{PORT}/health", p.replica("web", 3)),
    ]);
    assert_eq!(peers, "web:1");

    // Compose sees them as its own: `up` with the same scale changes nothing.
    p.compose(&["up", "-d", "--scale", "web=3"]);
    assert_eq!(
        p.ps_ids("web"),
        ids,
        "docker-compose up recreated or removed replicas"
    );

    // Down to 1: the highest numbers go, in that order.
    let (what, params, risk, change) = plan_of(
        &d,
        ActionRequest::DockerScale {
            service: svc(&p, "web"),
            replicas: 1,
        },
        &h,
    )
    .await;
    eprintln!("plan: {what:#?}");
    let text = what.join("\n");
    let (n3, n2) = (p.replica("web", 3), p.replica("web", 2));
    assert!(
        text.find(&n3).unwrap() < text.find(&n2).unwrap(),
        "highest first: {text}"
    );
    assert_eq!(params["replicas"], "3 → 1");
    assert_eq!(risk, Risk::Medium);
    let (outcome, msg) = Report::default().run(&d, &change).await;
    assert_eq!(outcome, Outcome::Succeeded, "{msg}");
    let left = p.ps_ids("web");
    assert_eq!(left.len(), 1);
    assert!(orig["Id"].as_str().unwrap().starts_with(&left[0]));
    assert!(docker::docker_try(&["inspect", &n2]).is_err());
    assert!(docker::docker_try(&["inspect", &n3]).is_err());
    // The named volume is still there.
    docker(&["volume", "inspect", &format!("{}_data", p.name)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_refuses_fixed_names_and_fixed_ports() {
    let Some(_img) = prepare() else { return };
    let port = docker::free_port();
    let p = Project::new(&format!(
        r#"
version: "2.4"
services:
  fixed:
    image: opsboard-test/web:1
    init: true
    container_name: {{project}}-the-one
  pinned:
    image: opsboard-test/web:1
    init: true
    ports:
      - "127.0.0.1:{port}:8080"
"#
    ));
    p.compose(&["up", "-d"]);
    let d = client();
    let (_dir, h) = empty_history();
    let scale = |service: &str, n| ActionRequest::DockerScale {
        service: svc(&p, service),
        replicas: n,
    };
    let err = ops::plan(&d, &scale("fixed", 2), &h).await.unwrap_err();
    assert!(err.contains("fixed container_name"), "{err}");
    assert!(err.contains(&format!("{}-the-one", p.name)), "{err}");
    let err = ops::plan(&d, &scale("pinned", 3), &h).await.unwrap_err();
    assert!(
        err.contains(&format!("fixed host port 127.0.0.1:{port}")),
        "{err}"
    );
    let err = ops::plan(&d, &scale("pinned", 1), &h).await.unwrap_err();
    assert!(err.contains("already has 1"), "{err}");
    let err = ops::plan(&d, &scale("nothing", 2), &h).await.unwrap_err();
    assert!(err.contains("no containers"), "{err}");
    // Scaling a fixed-port service down to 0 is allowed, and High risk.
    let (_, _, risk, _) = plan_of(&d, scale("pinned", 0), &h).await;
    assert_eq!(risk, Risk::High);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_keeps_n_minus_1_healthy() {
    let Some(_img) = prepare() else { return };
    let p = Project::new(WEB);
    p.compose(&["up", "-d", "--scale", "web=3"]);
    let d = client();
    let names: Vec<String> = (1..=3).map(|n| p.replica("web", n)).collect();
    wait_all_healthy(&d, &names).await;
    let before: Vec<String> = names.iter().map(|n| started_at(n)).collect();
    let (_dir, h) = empty_history();
    let (what, params, risk, change) = plan_of(
        &d,
        ActionRequest::DockerRestart {
            target: DockerTarget::Compose(svc(&p, "web")),
        },
        &h,
    )
    .await;
    eprintln!("plan: {what:#?}");
    let text = what.join("\n");
    assert!(text.contains(&names.join(", ")), "the order: {text}");
    assert!(text.contains("HEALTHCHECK"), "what healthy means: {text}");
    assert_eq!(params["order"], names.join(", "));
    assert_eq!(risk, Risk::Medium);
    let DockerChange::Restart { ids } = &change else {
        panic!("{change:?}")
    };
    assert_eq!(ids.len(), 3);

    // Sample health every 200 ms while it runs.
    let done = Arc::new(AtomicBool::new(false));
    let min_healthy = Arc::new(AtomicUsize::new(usize::MAX));
    let samples = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (d, names, done, min_healthy, samples) = (
            d.clone(),
            names.clone(),
            done.clone(),
            min_healthy.clone(),
            samples.clone(),
        );
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let n = healthy(&d, &names).await.iter().filter(|h| **h).count();
                min_healthy.fetch_min(n, Ordering::SeqCst);
                samples.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let r = Report::default();
    let (outcome, msg) = r.run(&d, &change).await;
    done.store(true, Ordering::SeqCst);
    sampler.await.unwrap();
    assert_eq!(outcome, Outcome::Succeeded, "{msg}\n{:?}", r.lines());
    let samples = samples.load(Ordering::SeqCst);
    assert!(samples >= 5, "only {samples} samples");
    let min = min_healthy.load(Ordering::SeqCst);
    assert!(
        min >= 2,
        "at some point only {min} of 3 replicas were healthy"
    );
    let after: Vec<String> = names.iter().map(|n| started_at(n)).collect();
    for (k, n) in names.iter().enumerate() {
        assert_ne!(before[k], after[k], "{n} was not restarted");
    }
    // One at a time, in order.
    assert!(after[0] < after[1] && after[1] < after[2], "{after:?}");
    let steps = r
        .progress
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| p.step)
        .max();
    assert_eq!(steps, Some((3, 3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_stops_at_the_first_unhealthy_replica() {
    let Some(_img) = prepare() else { return };
    let p = Project::new(WEB);
    p.compose(&["up", "-d", "--scale", "web=3"]);
    let d = client();
    let names: Vec<String> = (1..=3).map(|n| p.replica("web", n)).collect();
    wait_all_healthy(&d, &names).await;
    let before: Vec<String> = names.iter().map(|n| started_at(n)).collect();
    // Replica 2 will fail its probe (its /health is gone, and stays gone
    // across a restart).
    docker(&["exec", &names[1], "rm", "/www/health"]);
    let (_dir, h) = empty_history();
    let (_, _, _, change) = plan_of(
        &d,
        ActionRequest::DockerRestart {
            target: DockerTarget::Compose(svc(&p, "web")),
        },
        &h,
    )
    .await;
    let (outcome, msg) = Report::default().run(&d, &change).await;
    eprintln!("outcome: {msg}");
    assert_eq!(outcome, Outcome::Failed, "{msg}");
    assert!(msg.contains(&names[1]), "names the replica: {msg}");
    assert!(msg.contains("unhealthy"), "{msg}");
    assert!(msg.contains("404"), "quotes the last probe output: {msg}");
    assert!(msg.contains(&format!("not done: {}", names[2])), "{msg}");
    assert_ne!(started_at(&names[0]), before[0]);
    assert_ne!(started_at(&names[1]), before[1]);
    assert_eq!(
        started_at(&names[2]),
        before[2],
        "replica 3 was restarted anyway"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_returns_to_the_previous_image() {
    let Some(img) = prepare() else { return };
    let p = Project::new(
        r#"
version: "2.4"
services:
  web:
    image: opsboard-test/web:${WEB_TAG:-1}
    init: true
    ports:
      - "127.0.0.1::8080"
    volumes:
      - data:/data
volumes:
  data: {}
"#,
    );
    let d = client();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/docker-images.jsonl");
    let mut h = ImageHistory::open(path.clone());
    let names: Vec<String> = (1..=2).map(|n| p.replica("web", n)).collect();
    let target = DockerTarget::Compose(svc(&p, "web"));

    p.compose_env(&["up", "-d", "--scale", "web=2"], &[("WEB_TAG", "1")]);
    wait_all_healthy(&d, &names).await;
    // Nothing earlier known yet: a clear refusal.
    h.observe(&src::snapshot(&d, HOST).await.unwrap()).unwrap();
    let err = ops::plan(
        &d,
        &ActionRequest::DockerRollback {
            target: target.clone(),
        },
        &h,
    )
    .await
    .unwrap_err();
    assert!(err.contains("no earlier image known"), "{err}");

    docker(&["exec", &names[0], "sh", "-c", "echo kept > /data/marker"]);
    let nets_before = inspect(&names[0])["NetworkSettings"]["Networks"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<Vec<_>>();
    p.compose_env(&["up", "-d", "--scale", "web=2"], &[("WEB_TAG", "2")]);
    wait_all_healthy(&d, &names).await;
    for n in &names {
        assert_eq!(
            inspect(n)["Image"],
            img.web2_id.as_str(),
            "compose moved {n} to web:2"
        );
    }
    h.observe(&src::snapshot(&d, HOST).await.unwrap()).unwrap();

    let (what, params, risk, change) = plan_of(
        &d,
        ActionRequest::DockerRollback {
            target: target.clone(),
        },
        &h,
    )
    .await;
    eprintln!("plan: {what:#?} {params:?}");
    let short = |id: &str| format!("sha256:{}", &id["sha256:".len()..][..12]);
    let expected = format!(
        "{WEB2} ({}) → {WEB1} ({})",
        short(&img.web2_id),
        short(&img.web1_id)
    );
    assert!(what[0].contains(&expected), "{what:#?}");
    assert!(what.join("\n").contains(&names.join(", ")), "{what:#?}");
    assert_eq!(
        params["image_to"],
        format!("{WEB1} ({})", short(&img.web1_id))
    );
    assert_eq!(risk, Risk::Medium);
    assert!(
        matches!(&change, DockerChange::Rollback { ids, image } if ids.len() == 2 && image == WEB1)
    );

    let r = Report::default();
    let (outcome, msg) = r.run(&d, &change).await;
    assert_eq!(outcome, Outcome::Succeeded, "{msg}\n{:?}", r.lines());
    for n in &names {
        let c = inspect(n);
        assert_eq!(c["Image"], img.web1_id.as_str(), "{n} runs web:1 again");
        assert_eq!(c["Config"]["Image"], WEB1);
        assert_eq!(c["State"]["Health"]["Status"], "healthy");
        let nets: Vec<String> = c["NetworkSettings"]["Networks"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(nets, nets_before, "{n} keeps its networks");
        let aliases = c["NetworkSettings"]["Networks"][&nets[0]]["Aliases"].to_string();
        assert!(aliases.contains("\"web\""), "{aliases}");
        let body = docker(&[
            "exec",
            n,
            "wget",
            "-q",
            "-O-",
            &format!("http://127.0.0.1:{PORT}/health"),
        ]);
        assert_eq!(body, "web:1");
    }
    // Same names, same volume (with its data), nothing left aside.
    assert_eq!(p.ps_ids("web").len(), 2);
    assert_eq!(p.containers().len(), 2, "{:?}", p.containers());
    assert_eq!(docker(&["exec", &names[0], "cat", "/data/marker"]), "kept");
    // Compose v1 keeps them as they are on a plain `up` (the config-hash
    // is unchanged), as the plan says.
    if docker::compose_separator() == '_' {
        let ids = p.ps_ids("web");
        p.compose_env(&["up", "-d", "--scale", "web=2"], &[("WEB_TAG", "2")]);
        assert_eq!(p.ps_ids("web"), ids);
        assert_eq!(inspect(&names[0])["Image"], img.web1_id.as_str());
    }
    // The history sees the rollback; rolling back again goes to web:2.
    h.observe(&src::snapshot(&d, HOST).await.unwrap()).unwrap();
    let key = format!("{}/web", p.name);
    assert_eq!(
        h.previous(&key, &img.web1_id),
        Some((WEB2.to_string(), img.web2_id.clone()))
    );
    let reopened = ImageHistory::open(path);
    assert_eq!(reopened.records().len(), h.records().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_of_a_plain_container_keeps_its_name_config_and_volume() {
    let Some(img) = prepare() else { return };
    let guard = Labelled::new();
    let name = docker::unique_name();
    let run_web = |image: &str| {
        docker(&[
            "run",
            "-d",
            "--init",
            "--name",
            &name,
            "--label",
            &guard.label,
            "-e",
            "MODE=plain",
            "-v",
            "/data",
            "-p",
            "127.0.0.1::8080",
            image,
        ])
    };
    let target = || DockerTarget::Container {
        host: HOST.into(),
        id: inspect(&name)["Id"].as_str().unwrap().to_string(),
        name: name.clone(),
    };
    run_web(WEB1);
    let d = client();
    wait_all_healthy(&d, std::slice::from_ref(&name)).await;
    let (_dir, mut h) = empty_history();
    h.observe(&src::snapshot(&d, HOST).await.unwrap()).unwrap();
    let err = ops::plan(&d, &ActionRequest::DockerRollback { target: target() }, &h)
        .await
        .unwrap_err();
    assert!(err.contains("no earlier image known"), "{err}");
    assert!(err.contains(&name), "names the container: {err}");
    assert!(err.contains(WEB1), "names the image it runs: {err}");

    // Redeployed by hand with web:2; data written to its anonymous volume.
    docker(&["rm", "-f", "-v", &name]);
    run_web(WEB2);
    wait_all_healthy(&d, std::slice::from_ref(&name)).await;
    h.observe(&src::snapshot(&d, HOST).await.unwrap()).unwrap();
    docker(&["exec", &name, "sh", "-c", "echo kept > /data/marker"]);
    let volume = inspect(&name)["Mounts"][0]["Name"].clone();
    let (what, params, _, change) =
        plan_of(&d, ActionRequest::DockerRollback { target: target() }, &h).await;
    assert!(what[0].contains(&format!("{WEB2} (sha256:")), "{what:#?}");
    assert!(what[0].contains(&format!("→ {WEB1} (sha256:")), "{what:#?}");
    assert_eq!(params["container"], name);
    let r = Report::default();
    let (outcome, msg) = r.run(&d, &change).await;
    assert_eq!(outcome, Outcome::Succeeded, "{msg}\n{:?}", r.lines());
    let c = inspect(&name);
    assert_eq!(c["Image"], img.web1_id.as_str());
    assert_eq!(c["Config"]["Image"], WEB1);
    assert_eq!(c["State"]["Health"]["Status"], "healthy");
    assert!(
        c["Config"]["Env"].to_string().contains("MODE=plain"),
        "{}",
        c["Config"]["Env"]
    );
    assert!(c["NetworkSettings"]["Networks"]["bridge"].is_object());
    assert_eq!(
        c["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostIp"],
        "127.0.0.1"
    );
    assert_eq!(
        c["Mounts"][0]["Name"], volume,
        "the anonymous volume is reused"
    );
    assert_eq!(docker(&["exec", &name, "cat", "/data/marker"]), "kept");
    let body = docker(&[
        "exec",
        &name,
        "wget",
        "-q",
        "-O-",
        &format!("http://127.0.0.1:{PORT}/health"),
    ]);
    assert_eq!(body, "web:1");
    let left = docker(&["ps", "-aq", "--filter", &format!("label={}", guard.label)]);
    assert_eq!(left.lines().count(), 1, "the old container is gone: {left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_start_follow_up_and_risk() {
    let Some(_img) = prepare() else { return };
    let p = Project::new(WEB);
    p.compose(&["up", "-d", "--scale", "web=2"]);
    let d = client();
    let (one, two) = (p.replica("web", 1), p.replica("web", 2));
    wait_all_healthy(&d, &[one.clone(), two.clone()]).await;
    let (_dir, h) = empty_history();

    let stop = |n: u32| ActionRequest::DockerStop {
        target: container_target(&p, "web", n),
    };
    let (what, params, risk, change) = plan_of(&d, stop(2), &h).await;
    assert_eq!(risk, Risk::Medium, "{what:?}");
    assert_eq!(params["container"], two);
    let (outcome, msg) = Report::default().run(&d, &change).await;
    assert_eq!(outcome, Outcome::Succeeded, "{msg}");
    assert!(msg.contains("stopped"), "{msg}");
    assert_eq!(inspect(&two)["State"]["Status"], "exited");
    // Now web_1 is the last one running: stopping it is High risk.
    let (what, _, risk, _) = plan_of(&d, stop(1), &h).await;
    assert_eq!(risk, Risk::High);
    eprintln!("plan: {what:#?}");
    assert!(what.join("\n").contains("last running replica"), "{what:?}");
    // Stopping a stopped one, or a whole service, is refused.
    let err = ops::plan(&d, &stop(2), &h).await.unwrap_err();
    assert!(err.contains("not running"), "{err}");
    let err = ops::plan(
        &d,
        &ActionRequest::DockerStop {
            target: DockerTarget::Compose(svc(&p, "web")),
        },
        &h,
    )
    .await
    .unwrap_err();
    assert!(err.contains("one container"), "{err}");

    let start = ActionRequest::DockerStart {
        target: container_target(&p, "web", 2),
    };
    let (what, _, _, change) = plan_of(&d, start.clone(), &h).await;
    assert!(what.join("\n").contains("healthy"), "{what:?}");
    let (outcome, msg) = Report::default().run(&d, &change).await;
    assert_eq!(outcome, Outcome::Succeeded, "{msg}");
    assert!(msg.contains("healthy"), "{msg}");
    assert_eq!(inspect(&two)["State"]["Health"]["Status"], "healthy");
    let err = ops::plan(&d, &start, &h).await.unwrap_err();
    assert!(err.contains("already running"), "{err}");

    // A single restart follows up the same way.
    let before = started_at(&one);
    let (_, _, _, change) = plan_of(
        &d,
        ActionRequest::DockerRestart {
            target: container_target(&p, "web", 1),
        },
        &h,
    )
    .await;
    let (outcome, msg) = Report::default().run(&d, &change).await;
    assert_eq!(outcome, Outcome::Succeeded, "{msg}");
    assert_ne!(started_at(&one), before);

    // A container that is gone: the error names it and quotes the daemon.
    let gone = DockerChange::Stop {
        id: "0000000000000000dead".into(),
    };
    let (outcome, msg) = Report::default().run(&d, &gone).await;
    assert_eq!(outcome, Outcome::Failed);
    assert!(msg.contains("000000000000"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_honours_docker_host_and_an_explicit_endpoint() {
    if docker::prerequisites().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::unix(&dir.path().join("d.sock"));
    let env_of = |pairs: Vec<(&'static str, String)>| {
        let m: HashMap<&'static str, String> = pairs.into_iter().collect();
        move |k: &str| m.get(k).cloned()
    };
    let local = HostSpec {
        name: "h".into(),
        endpoint: None,
        tls_cert_path: None,
    };
    // DOCKER_HOST names the proxy: the traffic goes through it.
    let env = env_of(vec![("DOCKER_HOST", proxy.endpoint())]);
    let d = client::connect_with(&local, &env).unwrap();
    let before = proxy.connections();
    let s = src::snapshot(&d, "h").await.unwrap();
    assert!(s.error.is_none());
    assert!(proxy.connections() > before);
    // DOCKER_HOST naming nothing: an error that names it.
    let env = env_of(vec![(
        "DOCKER_HOST",
        "unix:///nonexistent/docker.sock".into(),
    )]);
    let err = client::connect_with(&local, &env).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/docker.sock"), "{err}");
    assert!(err.contains("DOCKER_HOST"), "{err}");
    // An explicit endpoint wins over DOCKER_HOST.
    let explicit = HostSpec {
        endpoint: Some(proxy.endpoint()),
        ..local.clone()
    };
    let d = client::connect_with(&explicit, &env).unwrap();
    let before = proxy.connections();
    client::negotiate(&d).await.unwrap();
    assert!(proxy.connections() > before);
    // tcp:// without TLS.
    let tcp = Proxy::tcp().await;
    let env = env_of(vec![("DOCKER_HOST", tcp.endpoint())]);
    let d = client::connect_with(&local, &env).unwrap();
    src::snapshot(&d, "h").await.unwrap();
    assert!(tcp.connections() > 0);
    // tcp:// with TLS and a client certificate: DOCKER_TLS_VERIFY and
    // DOCKER_CERT_PATH, or the host's tls_cert_path.
    let certs = dir.path().join("certs");
    let tls = Proxy::tls(&certs).await;
    let env = env_of(vec![
        ("DOCKER_HOST", tls.endpoint()),
        ("DOCKER_TLS_VERIFY", "1".into()),
        ("DOCKER_CERT_PATH", certs.display().to_string()),
    ]);
    let d = client::connect_with(&local, &env).unwrap();
    src::snapshot(&d, "h").await.unwrap();
    assert!(tls.connections() > 0, "no TLS handshake passed");
    let with_certs = HostSpec {
        endpoint: Some(tls.endpoint()),
        tls_cert_path: Some(certs.clone()),
        ..local.clone()
    };
    let before = tls.connections();
    client::negotiate(&client::connect_with(&with_certs, &env_of(vec![])).unwrap())
        .await
        .unwrap();
    assert!(tls.connections() > before);
    // Without the client certificate the TLS daemon refuses: an error, not
    // a hang or a panic.
    let plain = env_of(vec![("DOCKER_HOST", tls.endpoint())]);
    let err = client::negotiate(&client::connect_with(&local, &plain).unwrap())
        .await
        .unwrap_err();
    assert!(!err.is_empty());
    // The process's own environment (no DOCKER_HOST here, or the test's).
    client::negotiate(&client::connect(&local).unwrap())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_interleave_containers_by_time() {
    let Some(_img) = prepare() else { return };
    let guard = Labelled::new();
    let a = docker(&[
        "run",
        "-d",
        "--init",
        "--label",
        &guard.label,
        WEB1,
        "sh",
        "-c",
        "for i in 1 2 3 4 5 6; do echo out-$i; sleep 0.3; done; sleep 60",
    ]);
    let b = docker(&[
        "run",
        "-d",
        "--init",
        "--label",
        &guard.label,
        WEB1,
        "sh",
        "-c",
        "sleep 0.15; for i in 1 2 3 4 5 6; do echo err-$i >&2; sleep 0.3; done; sleep 60",
    ]);
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let target = |id: &str, prefix: &str| LogTarget {
        source: LogSource::Container {
            host: HOST.into(),
            id: id.into(),
        },
        prefix: prefix.into(),
    };
    let (tx, mut rx) = mpsc::channel(64);
    let request = LogRequest {
        targets: vec![target(&a, "a"), target(&b, "b")],
        ..Default::default()
    };
    let feed = LogFeed::spawn(request, vec![host_spec()], Default::default(), tx);
    // The tails come first, as one batch sorted by time.
    let lines = match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(Msg::LogLines(lines))) => lines,
        other => panic!("no lines: {other:?}"),
    };
    assert_eq!(lines.len(), 12, "{lines:#?}");
    assert!(
        lines.windows(2).all(|w| w[0].at <= w[1].at),
        "sorted by time: {lines:#?}"
    );
    let prefixes: String = lines.iter().map(|l| l.prefix.as_str()).collect();
    // The two containers write alternately: so must the lines come.
    let switches = prefixes
        .as_bytes()
        .windows(2)
        .filter(|w| w[0] != w[1])
        .count();
    assert!(switches >= 6, "interleaved: {prefixes}");
    assert!(lines.iter().all(|l| l.at.is_some() && !l.note));
    let b1 = lines.iter().find(|l| l.line == "err-1").unwrap();
    assert!(b1.stderr && b1.prefix == "b");
    assert!(!lines.iter().find(|l| l.line == "out-1").unwrap().stderr);
    // A stream that leaves says so.
    feed.set_targets(vec![target(&a, "a")]);
    let gone = match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(Msg::LogLines(lines))) => lines,
        other => panic!("no note: {other:?}"),
    };
    assert!(
        gone[0].note && gone[0].prefix == "b" && gone[0].line.contains("is gone"),
        "{gone:#?}"
    );
    drop(feed);
    // Following: the tail first, then new lines as they come.
    let x = docker(&[
        "run",
        "-d",
        "--init",
        "--label",
        &guard.label,
        WEB1,
        "sh",
        "-c",
        "echo first; sleep 1; echo second; sleep 60",
    ]);
    let (tx, mut rx) = mpsc::channel(64);
    let request = LogRequest {
        targets: vec![target(&x, "x")],
        ..Default::default()
    };
    let _feed = LogFeed::spawn(request, vec![host_spec()], Default::default(), tx);
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(Msg::LogLines(lines))) => seen.extend(lines.into_iter().map(|l| l.line)),
            other => panic!("after {seen:?}: {other:?}"),
        }
    }
    assert_eq!(seen, ["first", "second"]);
}
