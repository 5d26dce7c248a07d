//! Simulated time: wall time scaled by a factor, so tests can run minutes
//! of cluster behaviour in seconds. Times are milliseconds since the Unix
//! epoch; objects carry them as RFC 3339 timestamps with second precision,
//! like the real API server.

use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// Milliseconds since the Unix epoch, in simulated time.
pub type SimTime = i64;

pub struct Clock {
    inner: Mutex<Inner>,
}

struct Inner {
    base_sim: SimTime,
    base_wall: Instant,
    scale: f64,
    frozen: bool,
}

impl Clock {
    /// A clock that starts at the current wall time and runs at `scale`.
    pub fn new(scale: f64) -> Clock {
        Clock {
            inner: Mutex::new(Inner {
                base_sim: Utc::now().timestamp_millis(),
                base_wall: Instant::now(),
                scale,
                frozen: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn now(&self) -> SimTime {
        let i = self.lock();
        if i.frozen {
            return i.base_sim;
        }
        let elapsed = i.base_wall.elapsed().as_secs_f64() * 1000.0 * i.scale;
        i.base_sim + elapsed as i64
    }

    pub fn scale(&self) -> f64 {
        self.lock().scale
    }

    pub fn set_scale(&self, scale: f64) {
        let now = self.now();
        let mut i = self.lock();
        i.base_sim = now;
        i.base_wall = Instant::now();
        i.scale = scale.max(0.0);
    }

    /// Stops the clock at `t` (used while the initial world is settled).
    pub fn freeze_at(&self, t: SimTime) {
        let mut i = self.lock();
        i.base_sim = t;
        i.frozen = true;
    }

    /// Lets the clock run again from `t`.
    pub fn run_from(&self, t: SimTime) {
        let mut i = self.lock();
        i.base_sim = t;
        i.base_wall = Instant::now();
        i.frozen = false;
    }
}

pub fn format_time(t: SimTime) -> String {
    match Utc.timestamp_millis_opt(t).single() {
        Some(d) => d.to_rfc3339_opts(SecondsFormat::Secs, true),
        None => "1970-01-01T00:00:00Z".to_string(),
    }
}

pub fn parse_time(s: &str) -> Option<SimTime> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// `duration.HumanDuration` from apimachinery, as the AGE column shows it.
pub fn human_duration(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    if seconds < -1 {
        return "<invalid>".into();
    } else if seconds < 0 {
        return "0s".into();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{}h", hours / 24, h)
        };
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{}d", hours / 24 / 365, dy)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Parses a Go duration such as `3s`, `500ms`, `1m30s` or `2h` into
/// milliseconds.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "us" | "µs" => 0.001,
            _ => return None,
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    Some(total as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_apimachinery() {
        assert_eq!(human_duration(-5000), "<invalid>");
        assert_eq!(human_duration(5_000), "5s");
        assert_eq!(human_duration(119_000), "119s");
        assert_eq!(human_duration(150_000), "2m30s");
        assert_eq!(human_duration(600_000), "10m");
        assert_eq!(human_duration(3 * 3_600_000 + 60_000), "3h1m");
        assert_eq!(human_duration(30 * 3_600_000), "30h");
        assert_eq!(human_duration(3 * 86_400_000 + 3_600_000), "3d1h");
        assert_eq!(human_duration(20 * 86_400_000), "20d");
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("3s"), Some(3000));
        assert_eq!(parse_go_duration("500ms"), Some(500));
        assert_eq!(parse_go_duration("1m30s"), Some(90_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1500));
        assert_eq!(parse_go_duration("x"), None);
    }

    #[test]
    fn clock_scales_and_freezes() {
        let c = Clock::new(1.0);
        c.freeze_at(1_000_000);
        assert_eq!(c.now(), 1_000_000);
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Some(1000));
        c.run_from(2_000_000);
        assert!(c.now() >= 2_000_000);
    }
}
