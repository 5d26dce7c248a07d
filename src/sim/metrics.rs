//! What a simulated service's `/metrics` reports: request counters, a
//! latency histogram and process figures that follow its script.
//!
//! Counters are integrals over elapsed wall time in one-second ticks, so
//! they come out the same however often (or rarely) the endpoint is
//! scraped, and never go down while the process lives. Every random-looking
//! figure is smooth deterministic noise of the seed and the time: the demo
//! replays the same way each run.

use std::fmt::Write as _;
use std::time::Duration;

use super::script::{Condition, Script, jitter};

/// `Content-Type` of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Finite upper bounds of the latency histogram, seconds.
pub const BOUNDS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Status codes the request counter is split by.
const STATUSES: [&str; 4] = ["200", "404", "500", "503"];

/// The traffic one simulated instance serves and the process behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traffic {
    /// Mean requests per second; the actual rate wanders ±20 %.
    pub rps: f64,
    /// Median request latency in seconds (wanders ±10 %).
    pub median_s: f64,
    /// Log-normal spread: p95 ≈ median × e^(1.645 σ).
    pub sigma: f64,
    /// Mean CPU use, cores.
    pub cpu_cores: f64,
    /// Typical resident memory, bytes.
    pub memory_bytes: f64,
    /// Whether the instance reports `ml_queue_depth`.
    pub queue: bool,
}

impl Traffic {
    /// A service answering in about `median_ms` at `rps`, with a typical
    /// spread and a small process.
    pub fn web(rps: f64, median_ms: f64) -> Traffic {
        Traffic {
            rps,
            median_s: median_ms / 1000.0,
            sigma: 0.6,
            cpu_cores: 0.05 + rps / 400.0,
            memory_bytes: 96.0 * MIB,
            queue: false,
        }
    }
}

pub const MIB: f64 = 1024.0 * 1024.0;

/// Noise channels, so each figure wanders independently.
const RATE: u64 = 1;
const LATENCY: u64 = 2;
const NOT_FOUND: u64 = 3;
const SERVER_ERRORS: u64 = 4;
const CPU: u64 = 5;
const MEMORY: u64 = 6;
const QUEUE: u64 = 7;

/// The share (0–1) of an instance's traffic served by a bad release, set
/// from outside: the demo's cluster sets it from how many of api's ready
/// pods run the regressing image, so a rollback brings the errors down.
#[derive(Debug, Clone, Default)]
pub struct BadRelease(std::sync::Arc<std::sync::atomic::AtomicU32>);

/// Share of requests a bad release fails (with 500), on top of the rest.
pub const BAD_RELEASE_ERRORS: f64 = 0.16;

impl BadRelease {
    pub fn set(&self, share: f64) {
        let permille = (share.clamp(0.0, 1.0) * 1000.0).round() as u32;
        self.0.store(permille, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn share(&self) -> f64 {
        f64::from(self.0.load(std::sync::atomic::Ordering::Relaxed)) / 1000.0
    }
}

/// The running totals of one instance since it started.
#[derive(Debug, Clone)]
pub struct TrafficMeter {
    /// Set when a release can go bad under this instance.
    release: Option<BadRelease>,
    traffic: Traffic,
    script: Script,
    seed: u64,
    /// How far the totals have been integrated, seconds since start.
    until: f64,
    /// Requests by [`STATUSES`], fractional: exposed rounded down.
    by_status: [f64; 4],
    /// Requests already put into the histogram (the sum of the rounded
    /// status counts at the last tick).
    counted: u64,
    /// Cumulative, per [`BOUNDS`], fractional: exposed rounded to the
    /// nearest (so a tail share of 1e-9 is not shown as a whole request)
    /// and never above `counted`.
    buckets: [f64; 11],
    latency_sum: f64,
    cpu_seconds: f64,
}

impl TrafficMeter {
    pub fn new(traffic: Traffic, script: Script, seed: u64) -> TrafficMeter {
        TrafficMeter {
            release: None,
            traffic,
            script,
            seed,
            until: 0.0,
            by_status: [0.0; 4],
            counted: 0,
            buckets: [0.0; 11],
            latency_sum: 0.0,
            cpu_seconds: 0.0,
        }
    }

    /// The instance's errors follow `release`'s share of bad pods.
    pub fn with_release(mut self, release: BadRelease) -> TrafficMeter {
        self.release = Some(release);
        self
    }

    /// Integrates the traffic up to `t` since start (earlier `t` is a no-op).
    pub fn advance(&mut self, t: Duration) {
        let to = t.as_secs_f64();
        while self.until < to {
            // Figures hold for one whole second, so how the span is split
            // into calls does not change the totals.
            let tick = self.until.floor();
            let end = (tick + 1.0).min(to);
            self.step(tick, end - self.until);
            self.until = end;
        }
    }

    fn step(&mut self, tick: f64, secs: f64) {
        let condition = self.script.condition_at(Duration::from_secs_f64(tick));
        let requests = self.traffic.rps * (0.8 + 0.4 * self.wander(RATE, tick, 20.0)) * secs;
        let shares = self.shares(condition, tick);
        for (total, share) in self.by_status.iter_mut().zip(shares) {
            *total += requests * share;
        }
        let counted = self.requests_total();
        let served = counted.saturating_sub(self.counted) as f64;
        self.counted = counted;
        let (median, sigma) = self.latency(condition, tick);
        for (bucket, le) in self.buckets.iter_mut().zip(BOUNDS) {
            *bucket += served * normal_cdf((le / median).ln() / sigma);
        }
        // The mean of a log-normal distribution.
        self.latency_sum += served * median * (sigma * sigma / 2.0).exp();
        let cores = self.traffic.cpu_cores * (0.75 + 0.5 * self.wander(CPU, tick, 15.0));
        self.cpu_seconds += cores * secs;
    }

    /// Shares of [`STATUSES`] among the requests in a tick.
    fn shares(&self, condition: Condition, tick: f64) -> [f64; 4] {
        let not_found = 0.005 + 0.01 * self.wander(NOT_FOUND, tick, 30.0);
        let (e500, e503) = match condition {
            // A dependency down: every request fails fast.
            Condition::Down => return [0.0, 0.0, 0.0, 1.0],
            // 3–8 %: past a 1 % warning, now and then past 5 % critical.
            Condition::Degraded => {
                let e = 0.03 + 0.05 * self.wander(SERVER_ERRORS, tick, 20.0);
                (0.7 * e, 0.3 * e)
            }
            // Rare enough that a quiet service seldom shows a lone 500.
            Condition::Healthy => (
                0.0005 + 0.0015 * self.wander(SERVER_ERRORS, tick, 20.0),
                0.0002,
            ),
        };
        let bad = self
            .release
            .as_ref()
            .map_or(0.0, |r| BAD_RELEASE_ERRORS * r.share());
        let e500 = e500 + bad;
        [1.0 - not_found - e500 - e503, not_found, e500, e503]
    }

    /// `(median seconds, σ)` of the requests in a tick.
    fn latency(&self, condition: Condition, tick: f64) -> (f64, f64) {
        match condition {
            Condition::Down => (0.01, 0.5),
            _ => (
                self.traffic.median_s * (0.9 + 0.2 * self.wander(LATENCY, tick, 10.0)),
                self.traffic.sigma,
            ),
        }
    }

    /// Smooth noise in [0, 1): hashed values `period` seconds apart, eased
    /// between them.
    fn wander(&self, channel: u64, t: f64, period: f64) -> f64 {
        let x = t.max(0.0) / period;
        let knot = x.floor();
        let f = x - knot;
        let ease = f * f * (3.0 - 2.0 * f);
        let seed = self.seed ^ channel.wrapping_mul(0xA24B_AED4_963E_E407);
        let (a, b) = (jitter(seed, knot as u64), jitter(seed, knot as u64 + 1));
        a + (b - a) * ease
    }

    /// Requests served so far, every status.
    pub fn requests_total(&self) -> u64 {
        self.by_status.iter().map(|n| n.floor() as u64).sum()
    }

    /// Resident memory at `t`: the baseline ±8 %.
    pub fn memory_bytes(&self, t: f64) -> f64 {
        let m = self.traffic.memory_bytes * (0.92 + 0.16 * self.wander(MEMORY, t, 30.0));
        m.round()
    }

    /// Jobs waiting at `t`, 0–150: a backlog that builds for about a
    /// minute out of every three (above 100 from ~60 s to ~120 s), with
    /// noise on top.
    pub fn queue_depth(&self, t: f64) -> f64 {
        let cycle = (t * std::f64::consts::TAU / 180.0).cos();
        let noise = 30.0 * (self.wander(QUEUE, t, 8.0) - 0.5);
        (75.0 - 60.0 * cycle + noise).clamp(0.0, 150.0).round()
    }

    /// Brings the totals up to `t` and writes the exposition.
    pub fn scrape(&mut self, t: Duration) -> String {
        self.advance(t);
        self.render(t.as_secs_f64())
    }

    fn render(&self, t: f64) -> String {
        let mut out = String::with_capacity(2048);
        // Writing to a String cannot fail.
        let _ = self.write(&mut out, t);
        out
    }

    fn write(&self, out: &mut String, t: f64) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP http_requests_total Total HTTP requests served."
        )?;
        writeln!(out, "# TYPE http_requests_total counter")?;
        for (status, n) in STATUSES.iter().zip(self.by_status) {
            writeln!(
                out,
                "http_requests_total{{method=\"GET\",status=\"{status}\"}} {}",
                n.floor()
            )?;
        }
        writeln!(
            out,
            "# HELP http_request_duration_seconds HTTP request latency."
        )?;
        writeln!(out, "# TYPE http_request_duration_seconds histogram")?;
        for (le, n) in BOUNDS.iter().zip(self.buckets) {
            writeln!(
                out,
                "http_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
                n.round().min(self.counted as f64)
            )?;
        }
        writeln!(
            out,
            "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            self.counted
        )?;
        writeln!(
            out,
            "http_request_duration_seconds_sum {:.6}",
            self.latency_sum
        )?;
        writeln!(out, "http_request_duration_seconds_count {}", self.counted)?;
        writeln!(
            out,
            "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds."
        )?;
        writeln!(out, "# TYPE process_cpu_seconds_total counter")?;
        writeln!(out, "process_cpu_seconds_total {:.3}", self.cpu_seconds)?;
        writeln!(
            out,
            "# HELP process_resident_memory_bytes Resident memory size in bytes."
        )?;
        writeln!(out, "# TYPE process_resident_memory_bytes gauge")?;
        writeln!(
            out,
            "process_resident_memory_bytes {}",
            self.memory_bytes(t)
        )?;
        if self.traffic.queue {
            writeln!(
                out,
                "# HELP ml_queue_depth Inference jobs waiting for a GPU slot."
            )?;
            writeln!(out, "# TYPE ml_queue_depth gauge")?;
            writeln!(out, "ml_queue_depth {}", self.queue_depth(t))?;
        }
        Ok(())
    }
}

/// Φ(z), from Abramowitz & Stegun 7.1.26 (error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let k = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = k
        * (0.254_829_592
            + k * (-0.284_496_736
                + k * (1.421_413_741 + k * (-1.453_152_027 + k * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
