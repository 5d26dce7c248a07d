//! Retrying forever, gently: every source waits between failed attempts
//! with an exponential backoff that is capped (never more than
//! [`CAP`], jitter included) and jittered (so a fleet of boards does not
//! hammer a backend that just came back in lockstep), and restarts any of
//! its tasks that ends, logging why. No source can die silently.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;

/// The longest wait between two attempts, jitter included.
pub const CAP: Duration = Duration::from_secs(30);
/// The first wait after a failure.
pub const BASE: Duration = Duration::from_millis(500);

/// Exponential backoff with "equal jitter": attempt n waits a random time
/// in `[d/2, d]` where `d = min(CAP, BASE · 2ⁿ)`.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    rng: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(BASE, CAP)
    }
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        let mut seed = [0u8; 8];
        // Without OS randomness the jitter is still spread by the clock.
        if getrandom::fill(&mut seed).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos();
            seed = u64::from(nanos).to_le_bytes();
        }
        Backoff {
            base,
            cap: cap.max(base),
            attempt: 0,
            rng: u64::from_le_bytes(seed) | 1,
        }
    }

    /// The next wait; grows until the cap.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16));
        let d = exp.min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let half = d / 2;
        half + half.mul_f64(self.unit())
    }

    /// A success: the next failure starts from the base again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Failures in a row so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// xorshift64*: uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs `task` forever: whenever it returns or panics, the reason is
/// logged and it is started again after a backoff. Only dropping (or
/// aborting) the future that runs this stops it.
pub async fn supervise<F, Fut>(what: &str, mut task: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut backoff = Backoff::default();
    loop {
        let started = tokio::time::Instant::now();
        match AssertUnwindSafe(task()).catch_unwind().await {
            Ok(()) => tracing::warn!(source = what, "source task ended; restarting it"),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                tracing::error!(source = what, "source task panicked ({why}); restarting it");
            }
        }
        // A task that ran for a good while before ending starts afresh.
        if started.elapsed() > CAP * 4 {
            backoff.reset();
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_grow_stay_capped_and_jitter() {
        let mut b = Backoff::default();
        let delays: Vec<Duration> = (0..40).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= BASE / 2 && delays[0] <= BASE);
        assert!(delays.iter().all(|d| *d <= CAP), "{delays:?}");
        assert!(delays[20..].iter().all(|d| *d >= CAP / 2));
        let distinct: std::collections::HashSet<_> = delays[20..].iter().collect();
        assert!(distinct.len() > 10, "jitter spreads the waits: {delays:?}");
        b.reset();
        assert!(b.next_delay() <= BASE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_ends_or_panics_is_started_again() {
        let runs = Arc::new(AtomicU32::new(0));
        let r = runs.clone();
        let sup = tokio::spawn(async move {
            supervise("test", move || {
                let r = r.clone();
                async move {
                    let n = r.fetch_add(1, Ordering::SeqCst);
                    if n.is_multiple_of(2) {
                        panic!("boom {n}");
                    }
                }
            })
            .await;
        });
        tokio::time::sleep(Duration::from_secs(120)).await;
        assert!(runs.load(Ordering::SeqCst) >= 5);
        assert!(!sup.is_finished());
        sup.abort();
    }
}
