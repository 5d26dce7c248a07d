//! Domain data. Plain structs and enums: no IO, no drawing.

pub mod health;
pub mod probe;
pub mod service;

pub use health::{DependencyCheck, Health, HealthReport};
pub use probe::{HISTORY_LEN, ProbeFailure, ProbeOutcome, ProbeSample, ProbeState};
pub use service::{Service, ServiceOrigin};

use std::time::Duration;

/// Formats a duration compactly for tables: `850ms`, `1.2s`, `12s`, `3m`, `2h`, `4d`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        "<1ms".into()
    } else if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 120_000 {
        format!("{}s", ms / 1000)
    } else if ms < 2 * 3_600_000 {
        format!("{}m", ms / 60_000)
    } else if ms < 48 * 3_600_000 {
        format!("{}h", ms / 3_600_000)
    } else {
        format!("{}d", ms / 86_400_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(fmt_duration(Duration::from_micros(300)), "<1ms");
        assert_eq!(fmt_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(fmt_duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(fmt_duration(Duration::from_secs(42)), "42s");
        assert_eq!(fmt_duration(Duration::from_secs(600)), "10m");
        assert_eq!(fmt_duration(Duration::from_secs(3 * 3600)), "3h");
        assert_eq!(fmt_duration(Duration::from_secs(3 * 86400)), "3d");
    }
}
