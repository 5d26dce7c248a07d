//! `pods/log` of the simulated API server judged by the real `kubectl logs`:
//! a running container, the previous one of a crash-looping pod, `--tail`,
//! `--since`, `--timestamps`, a pod with two containers, and `-f`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::time::Duration;

use kube_support::{Kubectl, Lines, eventually, start};
use opsboard::sim::kube::{ANN_LOG_RATE, Crash, SimCluster, World};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

async fn setup(world: World) -> Option<(SimCluster, Kubectl)> {
    let sim = start(world).await;
    let k = Kubectl::find(&sim)?;
    Some((sim, k))
}

fn pod_of(sim: &SimCluster, ns: &str, prefix: &str) -> String {
    sim.objects("pods", Some(ns))
        .into_iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap_or("").to_string())
        .find(|n| n.starts_with(prefix))
        .expect("a pod")
}

fn world() -> World {
    World::empty()
        .node("n1")
        .deployment("shop", "api", 1, "registry.local/api:1.4.2")
        .port(8080)
        .age(Duration::from_secs(3600))
        .deployment("ml", "ml-service", 1, "registry.local/ml-service:0.9.0")
        .port(8000)
        .age(Duration::from_secs(3000))
        .crash(Crash::OomKilled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_tail_since_and_timestamps() {
    let Some((sim, k)) = setup(world()).await else {
        return;
    };
    // Time stands still: every answer is about the same log.
    sim.set_time_scale(0.0);
    let api = pod_of(&sim, "shop", "api-");
    let all = k.ok(&["logs", "-n", "shop", &api]).await;
    let lines: Vec<&str> = all.lines().collect();
    assert!(lines.len() > 100, "an hour of requests: {}", lines.len());
    assert!(
        lines.iter().any(|l| l.contains("GET /api/")),
        "{}",
        &all[..400.min(all.len())]
    );
    let tail = k.ok(&["logs", "-n", "shop", &api, "--tail=5"]).await;
    assert_eq!(tail.lines().count(), 5, "{tail}");
    assert_eq!(
        tail.lines().last(),
        lines.last().copied(),
        "the tail is the end of the log"
    );
    let stamped = k
        .ok(&["logs", "-n", "shop", &api, "--tail=3", "--timestamps"])
        .await;
    for l in stamped.lines() {
        let (ts, _) = l.split_once(' ').expect("a timestamp");
        assert!(
            chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.len() == 30,
            "RFC 3339 with nanoseconds: {l}"
        );
    }
    let recent = k.ok(&["logs", "-n", "shop", &api, "--since=10s"]).await;
    let n = recent.lines().count();
    // 20× simulated time: 10 s of an API's log at ~1.4 lines/s.
    assert!(
        (5..=30).contains(&n),
        "{n} lines in the last 10 s: {recent}"
    );
    let limited = k
        .ok(&["logs", "-n", "shop", &api, "--limit-bytes=100"])
        .await;
    assert!(limited.len() <= 101, "{}", limited.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_container_of_a_crash_loop() {
    let Some((sim, k)) = setup(world()).await else {
        return;
    };
    let ml = pod_of(&sim, "ml", "ml-service-");
    let previous = k.ok(&["logs", "-n", "ml", &ml, "--previous"]).await;
    assert!(
        previous.contains("loading model resnet50-v3 onto cuda:0"),
        "{previous}"
    );
    assert!(
        previous.trim_end().ends_with("rss=3.9GiB limit=4GiB"),
        "the run ends where it was killed: {previous}"
    );
    let api = pod_of(&sim, "shop", "api-");
    let out = k.run(&["logs", "-n", "shop", &api, "--previous"]).await;
    assert!(!out.ok());
    assert!(
        out.stderr.contains(&format!(
            "previous terminated container \"api\" in pod \"{api}\" not found"
        )),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_containers_need_a_name() {
    let two = World::empty().node("n1").object(
        opsboard::sim::kube::Res::Pods,
        serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "duo", "namespace": "default"},
            "spec": {"containers": [
                {"name": "app", "image": "registry.local/api:1.0"},
                {"name": "proxy", "image": "nginx:1.25"}
            ]}
        }),
    );
    let Some((sim, k)) = setup(two).await else {
        return;
    };
    eventually(WAIT, "duo running", || async {
        sim.object("pods", Some("default"), "duo")
            .filter(|p| p["status"]["phase"] == "Running")
    })
    .await;
    // kubectl picks the first container and says so.
    let out = k.run(&["logs", "duo"]).await;
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Defaulted container \"app\" out of: app, proxy"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("INFO starting app"), "{}", out.stdout);
    let proxy = k.ok(&["logs", "duo", "-c", "proxy"]).await;
    assert!(proxy.contains("Configuration complete"), "{proxy}");
    let both = k.ok(&["logs", "duo", "--all-containers", "--prefix"]).await;
    assert!(
        both.contains("[pod/duo/app]") && both.contains("[pod/duo/proxy]"),
        "{both}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_streams_new_lines_until_the_pod_goes() {
    let chatty = World::empty()
        .node("n1")
        .deployment("default", "chatty", 1, "busybox")
        .template_annotation(ANN_LOG_RATE, "50");
    let Some((sim, k)) = setup(chatty).await else {
        return;
    };
    let pod = eventually(WAIT, "chatty running", || async {
        sim.objects("pods", Some("default"))
            .into_iter()
            .find(|p: &Value| p["status"]["phase"] == "Running")
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
    })
    .await;
    let mut child = k.spawn(&["logs", "-f", &pod, "--tail=1"]);
    let mut out = Lines::of(&mut child);
    assert!(
        out.until(WAIT, |ls| ls.len() >= 200).await,
        "lines keep coming: {}",
        out.seen.len()
    );
    k.ok(&["delete", "pod", &pod, "--wait=false"]).await;
    let ended = tokio::time::timeout(WAIT, child.wait()).await;
    assert!(
        ended.is_ok(),
        "kubectl logs -f ends once the pod is gone ({} lines)",
        out.seen.len()
    );
}
