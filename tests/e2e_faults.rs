//! End to end: the real binary, with zero configuration, watching a
//! demo-sized simulated cluster (through `KUBECONFIG`) while the API server
//! goes away and comes back. The rows turn `? STALE` and the header names
//! the source that is down; after the server is back the rows are fresh by
//! themselves; and a key press is answered promptly throughout, measured
//! from the pty.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{kube as kube_support, pty};

use std::time::Duration;

use opsboard::sim::kube::World;
use pty::Pty;

const WAIT: Duration = Duration::from_secs(60);

/// Presses j/k alternately for `samples` rounds, `gap` apart; returns the
/// latencies (a key that got no answer within a second counts as a second).
fn latencies(p: &mut Pty, samples: usize, gap: Duration) -> Vec<Duration> {
    let mut out = Vec::new();
    for i in 0..samples {
        let key = if i % 2 == 0 { "j" } else { "k" };
        let l = p
            .key_latency(key, Duration::from_secs(1))
            .unwrap_or(Duration::from_secs(1));
        out.push(l);
        std::thread::sleep(gap);
    }
    out
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

#[test]
fn the_api_server_away_and_back_with_keys_answered_throughout() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut sim = rt.block_on(kube_support::start(World::demo()));
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig, "sim").unwrap();
    let kc = kubeconfig.to_str().unwrap().to_string();
    let mut p = Pty::spawn_in(home, &[], &[("KUBECONFIG", kc.as_str())], 160, 40);
    p.wait_for(WAIT, |s| s.contains("● UP") && s.contains("PODS"))
        .unwrap();
    let mut all = latencies(&mut p, 10, Duration::from_millis(50));

    rt.block_on(sim.go_away());
    let away = p
        .wait_for(WAIT, |s| {
            s.contains("? STALE") && s.contains("k8s sim down") && !s.contains("● UP")
        })
        .unwrap();
    assert!(!away.contains("tcp connect"), "no raw chain: {away}");
    // Each watcher finds the port closed on its own retry; once all have,
    // the notice says it once for the API server, in words.
    p.wait_for(WAIT, |s| s.contains("API server sim: connection refused"))
        .unwrap();
    // Keys while it is away (the watchers retry in the background).
    all.extend(latencies(&mut p, 20, Duration::from_millis(100)));

    rt.block_on(sim.come_back()).unwrap();
    let back = p
        .wait_for(WAIT, |s| {
            !s.contains("STALE") && !s.contains("k8s sim down") && s.contains("● UP")
        })
        .unwrap();
    assert!(!back.contains("connection refused"), "{back}");
    all.extend(latencies(&mut p, 10, Duration::from_millis(50)));

    let worst = all.iter().max().copied().unwrap_or_default();
    eprintln!(
        "key latency over {} presses: median {:?}, worst {worst:?}",
        all.len(),
        median(&all)
    );
    assert!(
        median(&all) < Duration::from_millis(50),
        "keys are answered within 50 ms: {all:?}"
    );
    assert!(
        worst < Duration::from_secs(1),
        "no key waits on the API server: {all:?}"
    );
    p.send("q");
    assert!(p.wait_exit(Duration::from_secs(15)).unwrap().success());
}
