//! Follow-up checks: an action proves it worked, e.g. the service's health
//! returns to Up within N seconds, probed independently of the board.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clients::probe::{ProbeSpec, run_once};
use crate::model::{FollowUp, FollowUpResult, Health};

/// How often a follow-up re-probes.
const EVERY: Duration = Duration::from_secs(1);

pub async fn check(
    follow: &FollowUp,
    probes: &[ProbeSpec],
    cancel: &CancellationToken,
) -> FollowUpResult {
    match follow {
        FollowUp::HealthUp { service, within } => health_up(service, probes, *within, cancel).await,
    }
}

async fn health_up(
    service: &str,
    probes: &[ProbeSpec],
    within: Duration,
    cancel: &CancellationToken,
) -> FollowUpResult {
    if probes.is_empty() {
        return FollowUpResult {
            passed: false,
            detail: format!("{service} has no health probes to check"),
        };
    }
    let started = tokio::time::Instant::now();
    let deadline = started + within;
    let mut last;
    loop {
        match run_once(probes, probes.len()).await {
            Ok(outcomes) => {
                let failing: Vec<String> = outcomes
                    .iter()
                    .filter_map(|(_, o)| match &o.result {
                        Ok(Health::Up) => None,
                        Ok(h) => Some(format!("says {h}")),
                        Err(f) => Some(f.to_string()),
                    })
                    .collect();
                if failing.is_empty() {
                    return FollowUpResult {
                        passed: true,
                        detail: format!(
                            "{service} health Up after {}",
                            crate::model::fmt_duration(started.elapsed())
                        ),
                    };
                }
                last = failing.join("; ");
            }
            Err(e) => last = e,
        }
        if tokio::time::Instant::now() + EVERY > deadline {
            return FollowUpResult {
                passed: false,
                detail: format!(
                    "{service} not Up within {}: {last}",
                    humantime::format_duration(within)
                ),
            };
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = cancel.cancelled() => {
                return FollowUpResult { passed: false, detail: "follow-up cancelled".into() };
            }
        }
    }
}
