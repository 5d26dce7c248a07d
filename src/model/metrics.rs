//! Service metrics derived from `/metrics` scrapes or Prometheus queries:
//! a bounded history of small points per service, plus formatters for the
//! table cells that show them.

use std::collections::VecDeque;
use std::time::SystemTime;

/// One derived point per scrape (or per Prometheus query round).
///
/// Every field that can be unknown uses `NaN` rather than `Option`, so the
/// point stays `Copy` and 32 bytes: 240 points × 1,000 services ≈ 7.7 MB.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetricPoint {
    /// Seconds since the UNIX epoch (u32 lasts until 2106).
    pub at_s: u32,
    /// Requests per second.
    pub req_rate: f32,
    /// Share of requests that were errors, 0..=1.
    pub error_ratio: f32,
    /// Latency quantiles, in seconds.
    pub p50: f32,
    pub p95: f32,
    pub p99: f32,
    /// Cores (rate of a CPU-seconds counter) or a gauge's value.
    pub cpu: f32,
    /// Bytes.
    pub mem: f32,
}

impl MetricPoint {
    /// A point at `at_s` with every value unknown.
    pub fn unknown(at_s: u32) -> MetricPoint {
        MetricPoint {
            at_s,
            req_rate: f32::NAN,
            error_ratio: f32::NAN,
            p50: f32::NAN,
            p95: f32::NAN,
            p99: f32::NAN,
            cpu: f32::NAN,
            mem: f32::NAN,
        }
    }
}

/// How many points each service keeps: 1 h at a 15 s interval.
pub const METRIC_HISTORY: usize = 240;

/// How many warnings each service keeps; older ones are dropped first.
pub const MAX_WARNINGS: usize = 5;

/// The latest value of one configured custom metric.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomValue {
    pub label: String,
    /// `None` while unknown (first scrape, no traffic, series absent).
    pub value: Option<f64>,
    pub unit: Option<String>,
}

/// What the board keeps per service.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceMetrics {
    /// At most [`METRIC_HISTORY`], oldest first.
    pub points: VecDeque<MetricPoint>,
    /// Latest value of each configured custom metric.
    pub custom: Vec<CustomValue>,
    pub last_ok: Option<SystemTime>,
    pub last_error: Option<String>,
    /// Parse errors (`line 17: …`), Prometheus warnings; at most
    /// [`MAX_WARNINGS`].
    pub warnings: Vec<String>,
    /// What CPU and memory are measured against, from config.
    pub limits: Limits,
    /// Share of disk used, from a query that gives it.
    pub disk_ratio: Option<f64>,
}

/// A service's CPU and memory limits, for the utilisation rules.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limits {
    pub cpu_cores: Option<f64>,
    pub memory_bytes: Option<f64>,
}

impl ServiceMetrics {
    /// Appends a point, dropping the oldest beyond [`METRIC_HISTORY`].
    pub fn push(&mut self, p: MetricPoint) {
        while self.points.len() >= METRIC_HISTORY {
            self.points.pop_front();
        }
        self.points.push_back(p);
    }

    /// Appends a warning, dropping the oldest beyond [`MAX_WARNINGS`], so a
    /// target that emits thousands of malformed lines cannot grow memory.
    pub fn warn(&mut self, w: String) {
        if self.warnings.len() >= MAX_WARNINGS {
            self.warnings.remove(0);
        }
        self.warnings.push(w);
    }

    pub fn latest(&self) -> Option<&MetricPoint> {
        self.points.back()
    }

    /// `(at_s, value)` of one field over the history, oldest first, skipping
    /// unknown (NaN) values so charts show gaps instead of zeros.
    pub fn series(&self, f: impl Fn(&MetricPoint) -> f32) -> impl Iterator<Item = (u32, f32)> {
        self.points
            .iter()
            .map(move |p| (p.at_s, f(p)))
            .filter(|(_, v)| !v.is_nan())
    }
}

const UNKNOWN: &str = "—";

/// Requests (or anything) per second: `0.3/s`, `12/s`, `1.2k/s`, `—`.
pub fn fmt_rate(v: f32) -> String {
    if !v.is_finite() || v < 0.0 {
        return UNKNOWN.into();
    }
    // Thresholds sit at the rounding edge of each precision so 9.97 reads
    // `10/s`, never `10.0/s`.
    if v == 0.0 {
        "0/s".into()
    } else if v < 0.01 {
        "<0.01/s".into()
    } else if v < 0.095 {
        format!("{v:.2}/s")
    } else if v < 9.95 {
        format!("{v:.1}/s")
    } else if v < 999.5 {
        format!("{v:.0}/s")
    } else if v < 9_950.0 {
        format!("{:.1}k/s", v / 1e3)
    } else if v < 999_500.0 {
        format!("{:.0}k/s", v / 1e3)
    } else if v < 9_950_000.0 {
        format!("{:.1}M/s", v / 1e6)
    } else {
        format!("{:.0}M/s", v / 1e6)
    }
}

/// A 0..=1 ratio as a percentage: `0.12%`, `4.5%`, `37%`, `—`.
pub fn fmt_ratio(v: f32) -> String {
    if !v.is_finite() || v < 0.0 {
        return UNKNOWN.into();
    }
    let pct = v * 100.0;
    if pct == 0.0 {
        "0%".into()
    } else if pct < 0.01 {
        "<0.01%".into()
    } else if pct < 0.995 {
        format!("{pct:.2}%")
    } else if pct < 9.95 {
        format!("{pct:.1}%")
    } else {
        format!("{pct:.0}%")
    }
}

/// A latency in seconds: `250µs`, `12ms`, `1.2s`, `45s`, `3m`, `—`.
pub fn fmt_seconds(v: f32) -> String {
    if !v.is_finite() || v < 0.0 {
        return UNKNOWN.into();
    }
    if v == 0.0 {
        "0ms".into()
    } else if v < 0.000_999_5 {
        format!("{:.0}µs", (v * 1e6).max(1.0))
    } else if v < 0.999_5 {
        format!("{:.0}ms", v * 1e3)
    } else if v < 9.95 {
        format!("{v:.1}s")
    } else if v < 119.5 {
        format!("{v:.0}s")
    } else {
        format!("{:.0}m", v / 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at_s: u32, req_rate: f32) -> MetricPoint {
        MetricPoint {
            req_rate,
            ..MetricPoint::unknown(at_s)
        }
    }

    #[test]
    fn point_is_small() {
        assert!(std::mem::size_of::<MetricPoint>() <= 32);
    }

    #[test]
    fn unknown_point_is_all_nan() {
        let p = MetricPoint::unknown(7);
        assert_eq!(p.at_s, 7);
        for v in [p.req_rate, p.error_ratio, p.p50, p.p95, p.p99, p.cpu, p.mem] {
            assert!(v.is_nan());
        }
    }

    #[test]
    fn history_is_bounded_and_keeps_newest() {
        let mut m = ServiceMetrics::default();
        for i in 0..(METRIC_HISTORY as u32 + 10) {
            m.push(point(i, i as f32));
        }
        assert_eq!(m.points.len(), METRIC_HISTORY);
        assert_eq!(m.points.front().map(|p| p.at_s), Some(10));
        assert_eq!(m.latest().map(|p| p.at_s), Some(METRIC_HISTORY as u32 + 9));
    }

    #[test]
    fn latest_of_empty_is_none() {
        assert_eq!(ServiceMetrics::default().latest(), None);
    }

    #[test]
    fn series_skips_unknown_values() {
        let mut m = ServiceMetrics::default();
        m.push(point(1, 2.0));
        m.push(point(2, f32::NAN));
        m.push(point(3, 4.0));
        let s: Vec<_> = m.series(|p| p.req_rate).collect();
        assert_eq!(s, vec![(1, 2.0), (3, 4.0)]);
        assert_eq!(m.series(|p| p.mem).count(), 0);
    }

    #[test]
    fn warnings_are_bounded_and_keep_newest() {
        let mut m = ServiceMetrics::default();
        for i in 0..8 {
            m.warn(format!("line {i}: bad"));
        }
        assert_eq!(m.warnings.len(), MAX_WARNINGS);
        assert_eq!(m.warnings[0], "line 3: bad");
        assert_eq!(m.warnings[MAX_WARNINGS - 1], "line 7: bad");
    }

    #[test]
    fn rates() {
        assert_eq!(fmt_rate(f32::NAN), "—");
        assert_eq!(fmt_rate(f32::INFINITY), "—");
        assert_eq!(fmt_rate(-1.0), "—");
        assert_eq!(fmt_rate(0.0), "0/s");
        assert_eq!(fmt_rate(0.001), "<0.01/s");
        assert_eq!(fmt_rate(0.005), "<0.01/s");
        assert_eq!(fmt_rate(0.03), "0.03/s");
        assert_eq!(fmt_rate(0.3), "0.3/s");
        assert_eq!(fmt_rate(2.54), "2.5/s");
        assert_eq!(fmt_rate(9.97), "10/s");
        assert_eq!(fmt_rate(12.0), "12/s");
        assert_eq!(fmt_rate(999.0), "999/s");
        assert_eq!(fmt_rate(999.7), "1.0k/s");
        assert_eq!(fmt_rate(1234.0), "1.2k/s");
        assert_eq!(fmt_rate(45_000.0), "45k/s");
        assert_eq!(fmt_rate(2_500_000.0), "2.5M/s");
    }

    #[test]
    fn ratios() {
        assert_eq!(fmt_ratio(f32::NAN), "—");
        assert_eq!(fmt_ratio(0.0), "0%");
        assert_eq!(fmt_ratio(0.000_01), "<0.01%");
        assert_eq!(fmt_ratio(0.0012), "0.12%");
        assert_eq!(fmt_ratio(0.045), "4.5%");
        assert_eq!(fmt_ratio(0.0999), "10%");
        assert_eq!(fmt_ratio(0.37), "37%");
        assert_eq!(fmt_ratio(1.0), "100%");
    }

    #[test]
    fn seconds() {
        assert_eq!(fmt_seconds(f32::NAN), "—");
        assert_eq!(fmt_seconds(f32::INFINITY), "—");
        assert_eq!(fmt_seconds(0.0), "0ms");
        assert_eq!(fmt_seconds(0.000_25), "250µs");
        assert_eq!(fmt_seconds(0.012), "12ms");
        assert_eq!(fmt_seconds(0.9999), "1.0s");
        assert_eq!(fmt_seconds(1.234), "1.2s");
        assert_eq!(fmt_seconds(45.0), "45s");
        assert_eq!(fmt_seconds(180.0), "3m");
    }
}
