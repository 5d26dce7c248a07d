//! One look at a Docker host, for the one-shot commands: connect as the
//! board's watcher does, list and inspect once. A host that cannot be
//! reached is said the way the board says it: a snapshot with the fault.

use std::time::SystemTime;

use super::lost::Lost;
use super::reporter::stale_snapshot;
use super::watch::connect;
use crate::clients::docker::HostSpec;
use crate::model::DockerSnapshot;

/// The host's containers now, or (with no containers) why they cannot be had.
pub async fn snapshot_once(spec: &HostSpec) -> DockerSnapshot {
    let lost = match connect(spec).await {
        Ok(docker) => match super::snapshot(&docker, &spec.name).await {
            Ok(snap) => return snap,
            Err(raw) => Lost {
                words: crate::model::fault::words(&raw),
                raw,
            },
        },
        Err(lost) => lost,
    };
    stale_snapshot(&spec.name, &[], lost.fault(None, SystemTime::now()))
}
