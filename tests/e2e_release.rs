//! End to end on the demo, the real binary in a pty at 80×24, with the
//! real kubectl as the judge of the simulated cluster:
//! - api's 1.4.3 (rolled out four minutes before the demo starts) fails
//!   16 % of its requests: the board raises RolloutRegressed, and `u` on
//!   that alert rolls api back to 1.4.2, followed to completion;
//! - with `--rollback act` the board rolls it back by itself, once,
//!   audited as automatic with the evidence;
//! - `B` on the doorbell pair moves its Service to green and back, and
//!   `kubectl get endpoints` lists the live slot's pods after each.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::pty;

use std::time::{Duration, Instant};

use support::demo::{Kubectl, SLOW, audit, confirm, start};

/// What these tests ask kubectl.
trait Asks {
    fn api_image(&self) -> String;
    fn slot_ips(&self, slot: &str) -> Vec<String>;
    fn endpoint_ips(&self) -> Vec<String>;
}

impl Asks for Kubectl {
    /// api's container image as kubectl sees it.
    fn api_image(&self) -> String {
        self.run(&[
            "get",
            "deployment",
            "api",
            "-n",
            "shop",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
    }

    /// The IPs of the ready pods of one doorbell slot, sorted.
    fn slot_ips(&self, slot: &str) -> Vec<String> {
        let pods = self.json(&[
            "get",
            "pods",
            "-n",
            "shop",
            "-l",
            &format!("app=doorbell,slot={slot}"),
        ]);
        let mut ips: Vec<String> = pods["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.pointer("/status/podIP")?.as_str().map(str::to_string))
            .collect();
        ips.sort();
        ips
    }

    /// The ready addresses of doorbell's Endpoints, sorted.
    fn endpoint_ips(&self) -> Vec<String> {
        let ep = self.json(&["get", "endpoints", "doorbell", "-n", "shop"]);
        let mut ips: Vec<String> = ep["subsets"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| a["ip"].as_str().map(str::to_string))
            .collect();
        ips.sort();
        ips
    }
}

/// Polls `check` for up to `within`; the last value when it never holds.
fn eventually<T>(within: Duration, mut check: impl FnMut() -> (bool, T)) -> T {
    let start = Instant::now();
    loop {
        let (ok, v) = check();
        if ok || start.elapsed() > within {
            return v;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_regressed_rollout_is_suggested_and_rolled_back_with_one_key() {
    let Some((mut b, k)) = start(&["demo"]) else {
        return;
    };
    assert_eq!(k.api_image(), "registry.local/api:1.4.3");
    b.send("3");
    b.wait_for(SLOW, |s| {
        s.lines()
            .any(|l| l.contains("RolloutRegressed") && l.contains("api") && l.contains("firing"))
    })
    .unwrap();
    // Down to the alert: the line under the list is the selected alert's
    // hint, naming the release and the key.
    // From the top, one row at a time, each step given time to draw.
    b.send("g");
    let mut hint = String::new();
    for _ in 0..20 {
        match b.wait_for(Duration::from_secs(1), |s| {
            s.contains("↳ RolloutRegressed started")
        }) {
            Ok(s) => {
                hint = s;
                break;
            }
            Err(_) => b.send("j"),
        }
    }
    assert!(
        hint.contains("after api rolled out 1.4.3 (rev 4)") && hint.contains("u rolls back"),
        "{hint}"
    );
    b.send("u");
    let plan = b.wait_for(SLOW, |s| s.contains("Confirm")).unwrap();
    assert!(plan.contains("api:1.4.3 → api:1.4.2"), "{plan}");
    confirm(&mut b, &plan, "api");
    b.wait_for(SLOW, |s| s.contains("roll back api succeeded"))
        .unwrap();
    assert_eq!(k.api_image(), "registry.local/api:1.4.2");
    // With the bad pods gone the errors go, and the alert resolves.
    b.wait_for(SLOW, |s| {
        !s.lines()
            .any(|l| l.contains("RolloutRegressed") && l.contains("firing"))
    })
    .unwrap();
    let done = audit(&b)
        .into_iter()
        .find(|e| e["verb"] == "roll back" && e["outcome"] == "succeeded")
        .expect("the rollback's outcome is audited");
    assert!(done["parameters"].get("automatic").is_none(), "{done}");
    b.send("q");
    let _ = b.wait_exit(pty::TIMEOUT);
}

#[test]
fn in_act_mode_the_board_rolls_back_by_itself_once() {
    let Some((mut b, k)) = start(&["demo", "--rollback", "act"]) else {
        return;
    };
    b.send("5");
    b.wait_for(SLOW, |s| s.contains("roll back api") && s.contains("✔ ok"))
        .unwrap();
    assert_eq!(k.api_image(), "registry.local/api:1.4.2");
    // Once: however long the alert lingers, no second rollback of api.
    std::thread::sleep(Duration::from_secs(8));
    let entries = audit(&b);
    let api: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["target"] == "k8s/demo/shop/deployment/api" && e["verb"] == "roll back")
        .collect();
    let outcomes: Vec<&str> = api.iter().filter_map(|e| e["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["confirmed", "succeeded"], "{api:?}");
    let p = &api[1]["parameters"];
    assert_eq!(p["automatic"], "yes", "{p}");
    assert_eq!(p["regressed_revision"], "4", "{p}");
    assert!(
        p["evidence"].as_str().unwrap().starts_with("errors "),
        "{p}"
    );
    b.send("q");
    let _ = b.wait_exit(pty::TIMEOUT);
}

#[test]
fn blue_green_switch_and_back_with_endpoints_following() {
    let Some((mut b, k)) = start(&["demo"]) else {
        return;
    };
    let (blue, green) = (k.slot_ips("blue"), k.slot_ips("green"));
    assert_eq!((blue.len(), green.len()), (2, 2));
    assert_eq!(k.endpoint_ips(), blue);
    b.send("/doorbell\r\r");
    b.wait_for(SLOW, |s| s.contains("slot=blue live")).unwrap();
    for (to, ips, from) in [("green", &green, "blue"), ("blue", &blue, "green")] {
        b.send("B");
        let plan = b.wait_for(SLOW, |s| s.contains("Confirm")).unwrap();
        assert!(plan.contains(&format!("from {from} to {to}")), "{plan}");
        confirm(&mut b, &plan, "doorbell");
        // The job ends once the endpoints are the new slot's pods (until
        // then the Service is busy and a second switch is refused).
        b.wait_for(SLOW, |s| {
            s.contains(&format!("switch doorbell to {to} succeeded"))
        })
        .unwrap();
        let now = eventually(Duration::from_secs(20), || {
            let now = k.endpoint_ips();
            (now == *ips, now)
        });
        assert_eq!(now, *ips, "endpoints after the switch to {to}");
        b.wait_for(SLOW, |s| s.contains(&format!("slot={to} live")))
            .unwrap();
    }
    let switches: Vec<serde_json::Value> = audit(&b)
        .into_iter()
        .filter(|e| e["target"] == "k8s/demo/shop/service/doorbell" && e["outcome"] == "succeeded")
        .collect();
    assert_eq!(switches.len(), 2, "{switches:?}");
    b.send("q");
    let _ = b.wait_exit(pty::TIMEOUT);
}
