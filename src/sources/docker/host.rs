//! One Docker host, forever. A session ([`super::watch`]) lists, follows
//! events and resyncs until it loses the daemon; it is then started again
//! (a fresh list and a new subscription, so nothing that changed meanwhile
//! is missed) after a capped, jittered backoff. While the host cannot be
//! reached the board gets its last known containers marked stale, with the
//! fault in words; the first list after it answers again replaces them.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::reporter::Reporter;
use super::watch::{End, session};
use crate::app::Msg;
use crate::clients::docker::HostSpec;
use crate::sources::backoff::Backoff;

/// A session that stayed connected this long broke for a reason of its
/// own (a cut event stream, a daemon restart): it is made again at once,
/// and the backoff starts from the beginning. One that broke sooner waits
/// its turn, so a flapping daemon is not hammered.
const STEADY: Duration = Duration::from_secs(10);

/// Watches `spec` until the board is gone: a session after another,
/// waiting a capped, jittered backoff after each failure.
pub(super) async fn run_host(
    spec: HostSpec,
    tx: mpsc::Sender<Msg>,
    mut visible: watch::Receiver<HashSet<String>>,
) {
    let mut reporter = Reporter::new(spec.name.clone(), tx);
    let mut backoff = Backoff::default();
    loop {
        let began = Instant::now();
        let mut connected = false;
        let lost = match session(&spec, &mut reporter, &mut visible, &mut connected).await {
            Ok(()) => return,
            Err(End::Closed) => return,
            Err(End::Lost(lost)) => lost,
        };
        if connected {
            tracing::warn!(
                host = %spec.name,
                error = %lost.raw,
                "docker: connection lost ({}); listing and subscribing again",
                lost.words
            );
            if began.elapsed() >= STEADY {
                backoff.reset();
                continue;
            }
        } else if reporter
            .unreachable(&lost, SystemTime::now())
            .await
            .is_err()
        {
            return;
        }
        let wait = backoff.next_delay();
        if !connected {
            tracing::warn!(
                host = %spec.name,
                error = %lost.raw,
                "docker: unreachable ({}); trying again in {wait:?}",
                lost.words
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = reporter.closed() => return,
        }
    }
}
