//! One health probe: what it targets, what it last saw, and the status
//! state machine that turns samples into Up / Degraded / Down / Unknown.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, SystemTime};

use super::health::{Health, HealthReport};

/// How many samples each probe keeps for sparklines and uptime.
pub const HISTORY_LEN: usize = 120;

/// Identifies one probe of one service for the lifetime of a config
/// generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProbeId {
    pub service: usize,
    pub probe: usize,
}

/// Why a probe failed. Each variant names the fault in the words an
/// on-call engineer would use; `detail` keeps the verbatim error.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeFailure {
    Timeout {
        after_ms: u64,
    },
    Refused {
        detail: String,
    },
    Reset {
        detail: String,
    },
    Dns {
        detail: String,
    },
    Tls {
        detail: String,
    },
    Connect {
        detail: String,
    },
    HttpStatus {
        code: u16,
    },
    BodyUnhealthy {
        stated: Health,
    },
    UnparsableBody {
        detail: String,
    },
    BodyTooLarge {
        limit: usize,
    },
    /// The peer answered, but not in HTTP (e.g. plain HTTP to a TLS port).
    NotHttp {
        detail: String,
    },
    /// A redirect that was not followed, or a chain that went nowhere:
    /// `reason` says why in words (`redirect to other host evil:80 not
    /// followed`), `hops` the way it went (`302 → http://evil:80/health`).
    Redirect {
        reason: String,
        hops: String,
    },
    Other {
        detail: String,
    },
}

impl ProbeFailure {
    /// A short reason that fits in a table cell.
    pub fn short(&self) -> String {
        match self {
            ProbeFailure::Timeout { after_ms } => {
                format!(
                    "timeout {}",
                    crate::model::fmt_duration(Duration::from_millis(*after_ms))
                )
            }
            ProbeFailure::Refused { .. } => "connection refused".into(),
            ProbeFailure::Reset { .. } => "connection reset".into(),
            ProbeFailure::Dns { .. } => "DNS lookup failed".into(),
            ProbeFailure::Tls { detail } => tls_words(detail).into(),
            ProbeFailure::Connect { .. } => "connect failed".into(),
            ProbeFailure::HttpStatus { code } => format!("HTTP {code}"),
            ProbeFailure::BodyUnhealthy { stated } => format!("body says {stated}"),
            ProbeFailure::UnparsableBody { .. } => "unparsable body".into(),
            ProbeFailure::BodyTooLarge { limit } => {
                format!("body over {}", crate::model::fmt_bytes(*limit as u64))
            }
            ProbeFailure::NotHttp { .. } => "not an HTTP response".into(),
            ProbeFailure::Redirect { reason, .. } => reason.clone(),
            // Unclassified: the fault in a few words, not a stack.
            ProbeFailure::Other { detail } => super::fault::words(detail),
        }
    }

    /// The verbatim detail behind the short reason, if there is more to say.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ProbeFailure::Refused { detail }
            | ProbeFailure::Reset { detail }
            | ProbeFailure::Dns { detail }
            | ProbeFailure::Tls { detail }
            | ProbeFailure::Connect { detail }
            | ProbeFailure::UnparsableBody { detail }
            | ProbeFailure::NotHttp { detail }
            | ProbeFailure::Other { detail } => Some(detail),
            ProbeFailure::Redirect { hops, .. } => Some(hops),
            _ => None,
        }
    }
}

/// A TLS failure in words, read from the handshake's error chain.
fn tls_words(detail: &str) -> &'static str {
    let d = detail.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| d.contains(n));
    if has(&[
        "unknownissuer",
        "unknown issuer",
        "self-signed",
        "self signed",
    ]) {
        "TLS certificate not trusted"
    } else if has(&["expired", "notvalidyet", "not valid yet"]) {
        "TLS certificate expired or not yet valid"
    } else if has(&["notvalidforname", "not valid for name"]) {
        "TLS certificate is for another name"
    } else if has(&["certificate"]) {
        "TLS certificate rejected"
    } else {
        "TLS handshake failed"
    }
}

impl fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = self.short();
        match self.detail() {
            // The words were read from the detail: say it once.
            Some(d) if d.starts_with(short.as_str()) => f.write_str(d),
            Some(d) if !d.is_empty() => write!(f, "{short}: {d}"),
            _ => f.write_str(&short),
        }
    }
}

/// The result of running a probe once.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeOutcome {
    pub at: SystemTime,
    pub latency: Duration,
    pub http_status: Option<u16>,
    /// The parsed body, kept even when the probe failed (a 503 body usually
    /// says which dependency is down).
    pub report: Option<HealthReport>,
    /// `Ok(Up | Degraded)` or why the probe failed.
    pub result: Result<Health, ProbeFailure>,
}

/// One point of history: 8 bytes, since a thousand probes keep 120 each
/// (the time of each sample follows from the interval; `last_at` is exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSample {
    /// Microseconds, saturating at ~71 minutes.
    latency_us: u32,
    pub ok: bool,
}

impl ProbeSample {
    pub fn new(latency: Duration, ok: bool) -> ProbeSample {
        ProbeSample {
            latency_us: u32::try_from(latency.as_micros()).unwrap_or(u32::MAX),
            ok,
        }
    }

    pub fn latency(self) -> Duration {
        Duration::from_micros(u64::from(self.latency_us))
    }
}

/// What the board knows about one probe.
#[derive(Debug, Clone)]
pub struct ProbeState {
    /// Display form of the target, credentials removed.
    pub target: String,
    /// TLS verification was switched off for this probe: always shown.
    pub insecure_tls: bool,
    pub interval: Duration,
    pub failure_threshold: u32,
    pub status: Health,
    /// When `status` last changed.
    pub status_since: Option<SystemTime>,
    /// No result for longer than [`ProbeState::stale_after`].
    pub stale: bool,
    pub consecutive_failures: u32,
    pub last_at: Option<SystemTime>,
    pub last_latency: Option<Duration>,
    pub last_http_status: Option<u16>,
    pub last_failure: Option<(SystemTime, ProbeFailure)>,
    pub last_report: Option<HealthReport>,
    /// The failure currently counting towards the threshold, if any.
    pub failing: Option<ProbeFailure>,
    pub history: VecDeque<ProbeSample>,
}

impl ProbeState {
    pub fn new(target: String, interval: Duration, failure_threshold: u32) -> Self {
        ProbeState {
            target,
            insecure_tls: false,
            interval,
            failure_threshold: failure_threshold.max(1),
            status: Health::Unknown,
            status_since: None,
            stale: false,
            consecutive_failures: 0,
            last_at: None,
            last_latency: None,
            last_http_status: None,
            last_failure: None,
            last_report: None,
            failing: None,
            history: VecDeque::with_capacity(HISTORY_LEN),
        }
    }

    /// Feeds one outcome through the state machine.
    ///
    /// A success resets the failure streak. A failure moves an established
    /// Up/Degraded probe to Down only after `failure_threshold` consecutive
    /// failures, so one blip pages nobody; a probe that was never seen
    /// healthy (Unknown) goes Down at once, since there is no good state to
    /// protect and hiding a dead service at start-up helps no one.
    pub fn apply(&mut self, o: ProbeOutcome) {
        self.last_at = Some(o.at);
        self.stale = false;
        self.last_http_status = o.http_status;
        // The body of this answer (none for a timeout or refusal): an old
        // body must not explain a new failure.
        self.last_report = o.report;
        let ok = o.result.is_ok();
        let before = self.status;
        self.last_latency = Some(o.latency);
        match o.result {
            Ok(h) => {
                self.consecutive_failures = 0;
                self.failing = None;
                self.status = h;
            }
            Err(f) => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                if self.status == Health::Unknown
                    || self.consecutive_failures >= self.failure_threshold
                {
                    self.status = Health::Down;
                }
                self.last_failure = Some((o.at, f.clone()));
                self.failing = Some(f);
            }
        }
        if self.status != before || self.status_since.is_none() {
            self.status_since = Some(o.at);
        }
        if self.history.len() == HISTORY_LEN {
            self.history.pop_front();
        }
        self.history.push_back(ProbeSample::new(o.latency, ok));
    }

    /// How long without a result before the status is no longer trusted.
    pub fn stale_after(&self) -> Duration {
        self.interval * 3 + Duration::from_secs(5)
    }

    /// Marks the probe stale when it has not reported for too long.
    /// Returns true when the stale flag changed.
    pub fn check_stale(&mut self, now: SystemTime) -> bool {
        let stale = match self.last_at {
            Some(at) => now.duration_since(at).unwrap_or_default() > self.stale_after(),
            None => false,
        };
        let changed = stale != self.stale;
        self.stale = stale;
        changed
    }

    /// The status to show: Unknown when never polled or stale.
    pub fn effective_status(&self) -> Health {
        if self.stale {
            Health::Unknown
        } else {
            self.status
        }
    }

    /// Share of successful samples in the history, 0–100.
    pub fn uptime_percent(&self) -> Option<f64> {
        if self.history.is_empty() {
            return None;
        }
        let ok = self.history.iter().filter(|s| s.ok).count();
        Some(ok as f64 * 100.0 / self.history.len() as f64)
    }

    /// 95th percentile latency of successful samples in the history.
    pub fn latency_p95(&self) -> Option<Duration> {
        let mut v: Vec<Duration> = self
            .history
            .iter()
            .filter(|s| s.ok)
            .map(|s| s.latency())
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        // Nearest-rank percentile.
        let rank = ((v.len() as f64) * 0.95).ceil() as usize;
        Some(v[rank.clamp(1, v.len()) - 1])
    }

    /// Short explanation of why this probe is not Up, if it is not.
    pub fn reason(&self) -> Option<String> {
        if self.stale {
            return Some("stale: no result".into());
        }
        if let Some(f) = &self.failing {
            if self.status == Health::Down {
                // A failing body often names the broken dependency.
                let failing: Vec<String> = self
                    .last_report
                    .iter()
                    .flat_map(|r| r.failing_checks())
                    .map(|c| format!("{} {}", c.name, c.status))
                    .collect();
                if failing.is_empty()
                    || !matches!(
                        f,
                        ProbeFailure::HttpStatus { .. } | ProbeFailure::BodyUnhealthy { .. }
                    )
                {
                    return Some(f.short());
                }
                return Some(format!("{} · {}", f.short(), failing.join(", ")));
            }
            return Some(format!(
                "{} ({}/{})",
                f.short(),
                self.consecutive_failures,
                self.failure_threshold
            ));
        }
        if self.status == Health::Degraded {
            let failing: Vec<String> = self
                .last_report
                .iter()
                .flat_map(|r| r.failing_checks())
                .map(|c| format!("{} {}", c.name, c.status))
                .collect();
            if failing.is_empty() {
                return Some("body says degraded".into());
            }
            return Some(failing.join(", "));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
    }

    fn ok(s: u64) -> ProbeOutcome {
        ProbeOutcome {
            at: at(s),
            latency: Duration::from_millis(10),
            http_status: Some(200),
            report: None,
            result: Ok(Health::Up),
        }
    }

    fn fail(s: u64) -> ProbeOutcome {
        ProbeOutcome {
            at: at(s),
            latency: Duration::from_millis(10),
            http_status: Some(503),
            report: None,
            result: Err(ProbeFailure::HttpStatus { code: 503 }),
        }
    }

    #[test]
    fn starts_unknown() {
        let p = ProbeState::new("x".into(), Duration::from_secs(10), 3);
        assert_eq!(p.effective_status(), Health::Unknown);
        assert_eq!(p.uptime_percent(), None);
    }

    #[test]
    fn one_blip_does_not_take_an_up_probe_down() {
        let mut p = ProbeState::new("x".into(), Duration::from_secs(10), 3);
        p.apply(ok(0));
        p.apply(fail(10));
        assert_eq!(p.status, Health::Up);
        assert_eq!(p.reason().as_deref(), Some("HTTP 503 (1/3)"));
        p.apply(fail(20));
        assert_eq!(p.status, Health::Up);
        p.apply(fail(30));
        assert_eq!(p.status, Health::Down);
        assert_eq!(p.reason().as_deref(), Some("HTTP 503"));
        p.apply(ok(40));
        assert_eq!(p.status, Health::Up);
        assert_eq!(p.consecutive_failures, 0);
        assert_eq!(p.reason(), None);
    }

    #[test]
    fn never_seen_healthy_goes_down_at_once() {
        let mut p = ProbeState::new("x".into(), Duration::from_secs(10), 3);
        p.apply(fail(0));
        assert_eq!(p.status, Health::Down);
    }

    #[test]
    fn degraded_success_resets_streak() {
        let mut p = ProbeState::new("x".into(), Duration::from_secs(10), 2);
        p.apply(ok(0));
        p.apply(fail(10));
        let mut d = ok(20);
        d.result = Ok(Health::Degraded);
        p.apply(d);
        assert_eq!(p.status, Health::Degraded);
        assert_eq!(p.consecutive_failures, 0);
    }

    #[test]
    fn goes_stale_and_recovers() {
        let mut p = ProbeState::new("x".into(), Duration::from_secs(10), 3);
        p.apply(ok(0));
        assert!(!p.check_stale(at(20)));
        assert!(p.check_stale(at(60)));
        assert_eq!(p.effective_status(), Health::Unknown);
        p.apply(ok(61));
        assert_eq!(p.effective_status(), Health::Up);
    }

    #[test]
    fn history_is_bounded_and_uptime_counts_failures() {
        let mut p = ProbeState::new("x".into(), Duration::from_secs(10), 3);
        for i in 0..(HISTORY_LEN as u64 + 30) {
            if i % 4 == 0 {
                p.apply(fail(i))
            } else {
                p.apply(ok(i))
            }
        }
        assert_eq!(p.history.len(), HISTORY_LEN);
        assert_eq!(p.uptime_percent(), Some(75.0));
    }

    #[test]
    fn p95_is_nearest_rank() {
        let mut p = ProbeState::new("x".into(), Duration::from_secs(10), 3);
        for i in 1..=100u64 {
            let mut o = ok(i);
            o.latency = Duration::from_millis(i);
            p.apply(o);
        }
        assert_eq!(p.latency_p95(), Some(Duration::from_millis(95)));
    }
}
