//! End to end: the real binary at 80×24 on a kubeconfig with two
//! simulated clusters (`main`: scope-web in shop, scope-nginx in default;
//! `other`: invoicer in billing). `:ns shop` narrows the board and the
//! header to main/shop, `:ns all` widens it again, `:ctx other` shows the
//! other cluster only, and an unknown context is refused naming the known
//! ones.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::{kube as kube_support, pty};

use std::time::Duration;

use opsboard::sim::kube::{SimCluster, World};
use pty::{Pty, row};

const WAIT: Duration = Duration::from_secs(45);

/// The top line: the header.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

#[test]
fn ns_and_ctx_switch_the_board_and_the_header() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let main = rt.block_on(kube_support::start(
        World::empty()
            .node("main-1")
            .namespace("shop")
            .deployment("shop", "scope-web", 1, "registry.local/web:1.0")
            .deployment("default", "scope-nginx", 1, "nginx:1.25.3"),
    ));
    let other = rt.block_on(kube_support::start(
        World::empty()
            .node("other-1")
            .namespace("billing")
            .deployment("billing", "invoicer", 1, "registry.local/invoicer:2.0"),
    ));
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    SimCluster::write_shared_kubeconfig(&kubeconfig, &[(&main, "main"), (&other, "other")])
        .unwrap();
    // Only what this test starts: not the machine's Docker engine.
    let cfg = pty::write_file(home.path(), "config.toml", "[docker]\ndisabled = true\n");
    let (cfg, kc) = (cfg.display().to_string(), kubeconfig.display().to_string());
    let mut p = Pty::spawn_in(home, &["--config", &cfg, "--kubeconfig", &kc], &[], 80, 24);

    let all = p
        .wait_for(WAIT, |s| {
            row(s, "scope-web").is_some() && row(s, "scope-nginx").is_some()
        })
        .unwrap();
    assert!(header(&all).contains("⎈ main/*"), "{all}");

    // `:ns` lists "all namespaces" first, then the cluster's.
    p.send(":ns");
    let palette = p
        .wait_for(pty::TIMEOUT, |s| {
            s.contains("Namespaces") && s.contains("ns shop")
        })
        .unwrap();
    let listed: Vec<&str> = palette
        .lines()
        .filter_map(|l| l.split('│').nth(1))
        .map(str::trim)
        .filter(|l| l.starts_with("ns "))
        .collect();
    assert!(listed[0].starts_with("ns all all namespaces"), "{palette}");
    assert!(
        listed.iter().any(|l| l.starts_with("ns default")),
        "{palette}"
    );
    p.send(" shop\r");
    let shop = p
        .wait_for(WAIT, |s| {
            header(s).contains("⎈ main/shop")
                && row(s, "scope-web").is_some()
                && row(s, "scope-nginx").is_none()
        })
        .unwrap();
    assert!(!shop.contains("Namespaces"), "the palette closed: {shop}");

    p.send(":ns all\r");
    p.wait_for(WAIT, |s| {
        header(s).contains("⎈ main/*")
            && row(s, "scope-web").is_some()
            && row(s, "scope-nginx").is_some()
    })
    .unwrap();

    p.send(":ctx other\r");
    let other_screen = p
        .wait_for(WAIT, |s| {
            header(s).contains("⎈ other/*") && row(s, "invoicer").is_some()
        })
        .unwrap();
    assert!(row(&other_screen, "scope-web").is_none(), "{other_screen}");
    assert!(
        row(&other_screen, "scope-nginx").is_none(),
        "{other_screen}"
    );
    p.send("6");
    p.wait_for(pty::TIMEOUT, |s| {
        s.contains("KUBELET") && s.contains("other-1") && !s.contains("main-1")
    })
    .unwrap();

    p.send(":ctx nope\r");
    p.wait_for(pty::TIMEOUT, |s| {
        s.contains("no context `nope` in the kubeconfig (has: main, other)")
    })
    .unwrap();
    p.send("q");
    assert!(p.wait_exit(pty::TIMEOUT).unwrap().success());
}
