//! The health source: HTTP(S) and TCP probes (`clients::probe`) run on
//! their intervals.
//!
//! Each probe runs as its own task (so at most one request per target is in
//! flight, and a hanging endpoint delays nobody else), bounded by a shared
//! semaphore, and sends each outcome to the runtime as a [`Msg::Probe`].

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;

use super::backoff;
use crate::app::Msg;
use crate::clients::probe::{ProbeSpec, Prober};

/// Handle to the running probe tasks.
pub struct HealthSource {
    /// Per service, one wake-up per probe, for "poll now". `notify_one`
    /// keeps a press that arrives mid-probe, so it is never lost.
    wake: Vec<Vec<Arc<Notify>>>,
    tasks: JoinSet<()>,
}

impl HealthSource {
    /// Starts one task per probe. Each probes at once, then every interval
    /// (spread by a small per-probe offset so a thousand probes do not fire
    /// in the same millisecond). A probe holds one of `max_concurrent`
    /// permits only while it runs; a hung endpoint holds its permit until
    /// its timeout, never longer.
    pub fn spawn(
        specs: Vec<ProbeSpec>,
        services: usize,
        generation: u64,
        max_concurrent: usize,
        tx: mpsc::Sender<Msg>,
    ) -> Result<HealthSource, String> {
        HealthSource::spawn_with(
            Prober::new()?,
            specs,
            services,
            generation,
            max_concurrent,
            tx,
        )
    }

    /// As [`HealthSource::spawn`], probing with `prober`. Each probe's task
    /// is supervised: should it ever end or panic, it is logged and started
    /// again; it stops only when the receiver is gone or this is dropped.
    pub fn spawn_with(
        prober: Prober,
        specs: Vec<ProbeSpec>,
        services: usize,
        generation: u64,
        max_concurrent: usize,
        tx: mpsc::Sender<Msg>,
    ) -> Result<HealthSource, String> {
        let limit = Arc::new(Semaphore::new(max_concurrent.max(1)));
        let mut wake: Vec<Vec<Arc<Notify>>> = vec![Vec::new(); services];
        let mut tasks = JoinSet::new();
        let count = specs.len().max(1) as u32;
        for (n, spec) in specs.into_iter().enumerate() {
            let Some(slot) = wake.get_mut(spec.id.service) else {
                continue;
            };
            let notify = Arc::new(Notify::new());
            slot.push(notify.clone());
            // Spread rounds over the first tenth of the interval.
            let offset = spec.interval.min(Duration::from_secs(10)) / 10 * n as u32 / count;
            let what = format!("health probe {}", spec.url.display());
            let task = ProbeTask {
                prober: prober.clone(),
                spec,
                limit: limit.clone(),
                wake: notify,
                tx: tx.clone(),
                generation,
                offset,
            };
            tasks.spawn(async move {
                let gone = task.tx.clone();
                tokio::select! {
                    () = backoff::supervise(&what, || task.clone().run()) => {}
                    () = gone.closed() => {}
                }
            });
        }
        Ok(HealthSource { wake, tasks })
    }

    /// Probes the given services (or all) now.
    pub fn poll_now(&self, services: Option<&[usize]>) {
        let wake = |probes: &Vec<Arc<Notify>>| probes.iter().for_each(|n| n.notify_one());
        match services {
            Some(list) => list.iter().filter_map(|&s| self.wake.get(s)).for_each(wake),
            None => self.wake.iter().for_each(wake),
        }
    }

    pub fn shutdown(&mut self) {
        self.tasks.abort_all();
    }
}

impl Drop for HealthSource {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// One probe's loop: probe, report, wait for the interval or a wake-up.
#[derive(Clone)]
struct ProbeTask {
    prober: Prober,
    spec: ProbeSpec,
    limit: Arc<Semaphore>,
    wake: Arc<Notify>,
    tx: mpsc::Sender<Msg>,
    generation: u64,
    offset: Duration,
}

impl ProbeTask {
    /// Returns only when the receiver is gone.
    async fn run(self) {
        let spec = &self.spec;
        let mut next = tokio::time::Instant::now();
        loop {
            let outcome = {
                let Ok(_permit) = self.limit.acquire().await else {
                    return;
                };
                self.prober.probe(spec).await
            };
            let msg = Msg::Probe {
                id: spec.id,
                generation: self.generation,
                outcome,
            };
            if self.tx.send(msg).await.is_err() {
                return;
            }
            next += spec.interval;
            let now = tokio::time::Instant::now();
            if next < now {
                // Fell behind (slow endpoint): do not burst to catch up.
                next = now;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(next + self.offset) => {}
                _ = self.wake.notified() => { next = tokio::time::Instant::now(); }
            }
        }
    }
}
