//! One round over a device fleet, for the one-shot commands: every
//! endpoint device polled once (as many at a time as the fleet allows, no
//! spreading), or the fleet's query run once. The same messages as the
//! board's poller.

use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

use super::fleet::{BATCH_MAX, DevicePoller, poll_round};
use super::fleet_query::query_once;
use crate::app::Msg;
use crate::clients::prometheus::ServerSpec;
use crate::model::Health;
use crate::model::fleet::DevicePoll;
use crate::model::fleet_spec::{FleetSource, FleetSpec};

/// Polls fleet number `fleet` once, sending its results to `tx` in batches
/// as they come (so a round cut short still shows what answered).
pub async fn poll_once(
    spec: &FleetSpec<ServerSpec>,
    fleet: usize,
    generation: u64,
    tx: mpsc::Sender<Msg>,
) {
    let send = |results: Vec<DevicePoll>| {
        let tx = tx.clone();
        async move {
            tx.send(Msg::DevicePolls {
                fleet,
                generation,
                results,
            })
            .await
            .is_ok()
        }
    };
    match &spec.source {
        FleetSource::Query(q) => {
            let _ = tx.send(query_once(fleet, q, generation).await).await;
        }
        FleetSource::Endpoints(e) => match DevicePoller::new(e) {
            Ok(poller) => {
                poll_round(&poller, &e.devices, Duration::ZERO, send).await;
            }
            Err(why) => {
                // No client, no polls: every device down, with why.
                let at = SystemTime::now();
                let all: Vec<DevicePoll> = (0..e.devices.len())
                    .map(|i| DevicePoll {
                        device: u32::try_from(i).unwrap_or(u32::MAX),
                        status: Health::Down,
                        reason: Some(why.clone()),
                        at,
                    })
                    .collect();
                for chunk in all.chunks(BATCH_MAX) {
                    if !send(chunk.to_vec()).await {
                        return;
                    }
                }
            }
        },
    }
}
