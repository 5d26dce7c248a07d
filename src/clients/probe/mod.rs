//! The health probe client: one HTTP(S) or TCP probe run to its outcome
//! (`Prober`), what it is handed (`ProbeSpec`), and one bounded round of
//! many (`run_once`), for the board's health source, `check`/`snapshot`
//! and the action layer's follow-ups alike.

pub mod body;
mod prober;
mod redirect;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::model::ProbeUrl;
use crate::model::secret::Secret;
use crate::model::{ProbeId, ProbeOutcome, RedirectHost};

pub use prober::{ProbeNet, Prober};
pub use redirect::MAX_REDIRECTS;

/// Everything needed to run one probe.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    pub id: ProbeId,
    pub url: ProbeUrl,
    /// Statuses that count as success; empty means any 2xx.
    pub expect_status: Vec<u16>,
    pub interval: Duration,
    pub timeout: Duration,
    pub tls_verify: bool,
    pub headers: HeaderMap,
    pub bearer: Option<Secret>,
    pub basic: Option<(String, Secret)>,
    pub body_limit: usize,
    /// Other hosts a redirect may lead to (its own host is always fine).
    pub follow_redirects_to: Vec<RedirectHost>,
}

impl ProbeSpec {
    /// A plain GET probe with defaults, for the demo and tests.
    pub fn simple(id: ProbeId, url: ProbeUrl, interval: Duration, timeout: Duration) -> ProbeSpec {
        ProbeSpec {
            id,
            url,
            expect_status: vec![],
            interval,
            timeout,
            tls_verify: true,
            headers: HeaderMap::new(),
            bearer: None,
            basic: None,
            body_limit: 64 * 1024,
            follow_redirects_to: Vec::new(),
        }
    }
}

/// One round of every probe, concurrently (bounded), for `check` and
/// `snapshot`. Returns outcomes in spec order.
pub async fn run_once(
    specs: &[ProbeSpec],
    max_concurrent: usize,
) -> Result<Vec<(ProbeId, ProbeOutcome)>, String> {
    let prober = Prober::new()?;
    let limit = Arc::new(Semaphore::new(max_concurrent.max(1)));
    let mut set = JoinSet::new();
    for (i, spec) in specs.iter().cloned().enumerate() {
        let prober = prober.clone();
        let limit = limit.clone();
        set.spawn(async move {
            let _permit = limit.acquire().await;
            (i, spec.id, prober.probe(&spec).await)
        });
    }
    let mut out: Vec<(usize, ProbeId, ProbeOutcome)> = Vec::with_capacity(specs.len());
    while let Some(r) = set.join_next().await {
        match r {
            Ok(x) => out.push(x),
            Err(e) => return Err(format!("probe task failed: {e}")),
        }
    }
    out.sort_by_key(|(i, _, _)| *i);
    Ok(out.into_iter().map(|(_, id, o)| (id, o)).collect())
}
