//! The fault matrix for HTTP health endpoints and device fleets: real
//! loopback servers that hang, reset, trickle, answer garbage or 10 MB,
//! present a certificate nobody trusts, or whose name does not resolve.
//! Each test runs the real source (HealthSource, FleetSource), checks what
//! the board would say while the fault lasts, ends the fault, and checks
//! that the same running source reports the endpoint healthy again.
//!
//! Nothing leaves loopback: servers bind 127.0.0.1, and every host name is
//! resolved by [`TestDns`], an in-process resolver handed to the prober
//! (`ProbeNet`), never by the system resolver, whose nameserver here is
//! off the machine.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

#[path = "../support/mod.rs"]
mod support;
use support::misbehaving;

mod fleet;
mod probes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use opsboard::clients::probe::ProbeNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long a test waits for a state it expects (a loaded 2-core machine
/// may be slow; a correct source gets there in a few seconds).
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Resolves `*.test` names to 127.0.0.1 while `up`, and fails every
/// lookup as the system resolver does while not; anything else always
/// fails. Counts lookups, so a test can tell the hook was used.
#[derive(Clone, Default)]
pub struct TestDns {
    pub up: Arc<AtomicBool>,
    pub lookups: Arc<AtomicUsize>,
}

impl TestDns {
    pub fn new(up: bool) -> TestDns {
        let d = TestDns::default();
        d.up.store(up, Ordering::SeqCst);
        d
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }

    /// Probes reaching their targets through this resolver, trusting
    /// `ca_pem` too when given.
    pub fn net(&self, ca_pem: Option<&str>) -> ProbeNet {
        ProbeNet {
            resolver: Some(Arc::new(self.clone())),
            extra_roots: ca_pem
                .map(|pem| reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
                .into_iter()
                .collect(),
        }
    }
}

impl Resolve for TestDns {
    fn resolve(&self, name: Name) -> Resolving {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let known = self.up.load(Ordering::SeqCst) && name.as_str().ends_with(".test");
        Box::pin(async move {
            if known {
                // The port is the URL's; hyper sets it.
                let addrs: Addrs = Box::new(std::iter::once(SocketAddr::from(([127, 0, 0, 1], 0))));
                Ok(addrs)
            } else {
                let e = std::io::Error::other(
                    "failed to lookup address information: Name or service not known",
                );
                Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
            }
        })
    }
}
