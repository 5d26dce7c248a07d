//! Scripted behaviour of a simulated service over time: what its health
//! endpoint answers at a given moment, deterministically.

use std::time::Duration;

/// How a simulated instance behaves.
#[derive(Debug, Clone)]
pub enum Script {
    /// Healthy, answering in about `latency`.
    Steady { latency: Duration },
    /// Alternates healthy and failing: up for `up`, then down for `down`.
    Flapping { up: Duration, down: Duration },
    /// Healthy but slow: latency swings between `min` and `max`, sometimes
    /// past the probe's timeout.
    Slow { min: Duration, max: Duration },
    /// Down (HTTP 503, a dependency failing) from `start` for `length`, every
    /// `every`.
    Outage {
        start: Duration,
        length: Duration,
        every: Duration,
    },
    /// Up, but reporting a degraded dependency.
    DegradedDependency { latency: Duration },
}

/// How an instance is doing at a moment, as its traffic shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Healthy,
    /// Serving, but failing a few percent of requests.
    Degraded,
    /// Failing every request (503).
    Down,
}

/// What the health endpoint answers right now.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthAnswer {
    pub delay: Duration,
    pub http_status: u16,
    pub body: String,
}

/// A small deterministic jitter source (no global RNG: the demo replays).
pub fn jitter(seed: u64, n: u64) -> f64 {
    let mut x = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % 10_000) as f64 / 10_000.0
}

impl Script {
    /// Whether the instance is failing at `t` since start.
    pub fn failing_at(&self, t: Duration) -> bool {
        match self {
            Script::Flapping { up, down } => {
                let cycle = (*up + *down).as_millis().max(1);
                t.as_millis() % cycle >= up.as_millis()
            }
            Script::Outage {
                start,
                length,
                every,
            } => {
                if t < *start {
                    return false;
                }
                let into = (t - *start).as_millis() % every.as_millis().max(1);
                into < length.as_millis()
            }
            _ => false,
        }
    }

    /// How the instance is doing at `t` since start.
    pub fn condition_at(&self, t: Duration) -> Condition {
        match self {
            _ if self.failing_at(t) => Condition::Down,
            Script::DegradedDependency { .. } => Condition::Degraded,
            _ => Condition::Healthy,
        }
    }

    pub fn answer(&self, t: Duration, request_no: u64, seed: u64, version: &str) -> HealthAnswer {
        let j = jitter(seed, request_no);
        let ok_body = |checks: &str| {
            format!(r#"{{"status":"healthy","version":"{version}","checks":{{{checks}}}}}"#)
        };
        match self {
            Script::Steady { latency } => HealthAnswer {
                delay: latency.mul_f64(0.5 + j),
                http_status: 200,
                body: ok_body(r#""database":"healthy","cache":"healthy""#),
            },
            Script::Slow { min, max } => HealthAnswer {
                delay: *min + (*max - *min).mul_f64(j * j),
                http_status: 200,
                body: ok_body(r#""upstream":"healthy""#),
            },
            Script::DegradedDependency { latency } => HealthAnswer {
                delay: latency.mul_f64(0.5 + j),
                http_status: 200,
                body: format!(
                    r#"{{"status":"degraded","version":"{version}","checks":{{"model":{{"status":"healthy","loaded":"resnet-50"}},"gpu":{{"status":"degraded","error":"GPU memory 94% used; batch size reduced"}},"queue":"healthy"}}}}"#
                ),
            },
            Script::Flapping { .. } | Script::Outage { .. } => {
                if self.failing_at(t) {
                    HealthAnswer {
                        delay: Duration::from_millis(5 + (j * 20.0) as u64),
                        http_status: 503,
                        body: format!(
                            r#"{{"status":"unhealthy","version":"{version}","checks":{{"queue":"healthy","database":{{"status":"down","error":"connection refused (10.0.3.7:5432)"}}}}}}"#
                        ),
                    }
                } else {
                    HealthAnswer {
                        delay: Duration::from_millis(8 + (j * 30.0) as u64),
                        http_status: 200,
                        body: ok_body(r#""queue":"healthy","database":"healthy""#),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flapping_alternates() {
        let s = Script::Flapping {
            up: Duration::from_secs(10),
            down: Duration::from_secs(5),
        };
        assert!(!s.failing_at(Duration::from_secs(3)));
        assert!(s.failing_at(Duration::from_secs(12)));
        assert!(!s.failing_at(Duration::from_secs(16)));
    }

    #[test]
    fn outage_repeats() {
        let s = Script::Outage {
            start: Duration::ZERO,
            length: Duration::from_secs(30),
            every: Duration::from_secs(120),
        };
        assert!(s.failing_at(Duration::from_secs(1)));
        assert!(!s.failing_at(Duration::from_secs(31)));
        assert!(s.failing_at(Duration::from_secs(121)));
        let a = s.answer(Duration::from_secs(1), 0, 1, "1.0");
        assert_eq!(a.http_status, 503);
        assert!(a.body.contains("unhealthy"));
    }

    #[test]
    fn condition_follows_the_script() {
        let outage = Script::Outage {
            start: Duration::from_secs(10),
            length: Duration::from_secs(5),
            every: Duration::from_secs(60),
        };
        assert_eq!(
            outage.condition_at(Duration::from_secs(3)),
            Condition::Healthy
        );
        assert_eq!(
            outage.condition_at(Duration::from_secs(12)),
            Condition::Down
        );
        let degraded = Script::DegradedDependency {
            latency: Duration::from_millis(100),
        };
        assert_eq!(
            degraded.condition_at(Duration::from_secs(12)),
            Condition::Degraded
        );
    }

    #[test]
    fn jitter_is_deterministic_and_bounded() {
        for n in 0..1000 {
            let j = jitter(7, n);
            assert!((0.0..1.0).contains(&j));
            assert_eq!(j, jitter(7, n));
        }
    }
}
