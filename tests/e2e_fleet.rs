//! End to end: the real binary polls 1,200 simulated devices over real
//! loopback HTTP (some down, some degraded, some flapping, one location's
//! uplink lost so its devices never answer). At 80×24 the Fleet pane
//! collapses locations to summary lines; the operator expands the lost
//! location, opens a device, and finds the FleetGroupOffline alert for
//! that location in the Alerts pane.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use std::time::Duration;

use opsboard::sim::devices::{self, DevicePlan, LocationPlan, Uplink};
use pty::Pty;

const LOCATIONS: [&str; 8] = [
    "ams-1", "ber-1", "cdg-1", "dub-1", "fra-1", "gva-1", "hel-1", "hkg-1",
];

fn plan() -> DevicePlan {
    DevicePlan {
        seed: 11,
        locations: LOCATIONS
            .iter()
            .map(|l| LocationPlan {
                location: l.to_string(),
                prefix: format!("{l}-"),
                count: 150,
                region: if *l == "hkg-1" { "ap" } else { "eu" }.into(),
                uplink: if *l == "hkg-1" {
                    Uplink::Flaky {
                        up: Duration::from_secs(3600),
                        down: Duration::from_secs(3600),
                        first_loss_after: Duration::ZERO,
                    }
                } else {
                    Uplink::Steady
                },
            })
            .collect(),
    }
}

/// Serves the devices from a runtime of its own for the test's lifetime.
fn serve(plan: DevicePlan) -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let running = rt.block_on(devices::serve(plan)).unwrap();
    (running.addr, rt)
}

#[test]
fn lost_location_is_expanded_opened_and_alerted() {
    let plan = plan();
    let (addr, _rt) = serve(plan.clone());
    let home = tempfile::tempdir().unwrap();
    let toml = devices::fleet_toml(&plan, addr, "edge", 5, 1);
    let cfg = pty::write_file(home.path(), "config.toml", &toml);
    let cfg = cfg.display().to_string();
    let mut b = Pty::spawn_in(home, &["--config", &cfg], &[("NO_COLOR", "1")], 80, 24);
    b.wait_for(pty::TIMEOUT, |s| s.contains("1 Services"))
        .unwrap();
    b.send("2");
    // By location: service → node/host → namespace → location.
    b.send("GGG");
    let lost = |s: &str| {
        s.lines()
            .any(|l| l.contains("▸ hkg-1") && l.contains("⚠ ") && l.contains("offline"))
    };
    let screen = b
        .wait_for(Duration::from_secs(30), lost)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(screen.contains("by location"), "{screen}");
    // Collapsed: one line per location, each with its count.
    for l in LOCATIONS {
        assert!(
            screen
                .lines()
                .any(|x| x.contains(&format!("▸ {l}")) && x.contains("150")),
            "{l}:\n{screen}"
        );
    }
    // Down to the last location, expand it.
    b.send("jjjjjjj");
    b.send("\r");
    let screen = b
        .wait_for(pty::TIMEOUT, |s| {
            s.contains("▾ hkg-1") && s.contains("hkg-1 · 150 instances · Enter collapses")
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(screen.contains("✖ ✖ ✖"), "{screen}");
    // Into its first cell, open it.
    b.send("l");
    b.send("\r");
    let screen = b
        .wait_for(pty::TIMEOUT, |s| {
            s.contains("hkg-1-001") && s.contains("Why")
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(screen.contains("DOWN"), "{screen}");
    assert!(screen.contains("no answer"), "{screen}");
    assert!(screen.contains("Location    hkg-1"), "{screen}");
    b.send_esc();
    b.wait_for(pty::TIMEOUT, |s| s.contains("▾ hkg-1")).unwrap();
    // The alert: that location, and only that one.
    b.send("3");
    let screen = b
        .wait_for(Duration::from_secs(15), |s| {
            s.lines()
                .any(|l| l.contains("FleetGroupOffline") && l.contains("location hk"))
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        screen
            .lines()
            .filter(|l| l.contains("FleetGroupOffline"))
            .count(),
        1,
        "{screen}"
    );
    b.send("q");
    b.wait_exit(pty::TIMEOUT).unwrap();
}
