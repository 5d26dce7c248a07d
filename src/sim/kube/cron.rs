//! Cron schedules as the CronJob controller reads them (robfig/cron's
//! `ParseStandard`): five fields (minute, hour, day of month, month, day of
//! week) with `*`, `?`, lists, ranges, steps and month/day names, the
//! descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`,
//! `@daily`/`@midnight`, `@hourly` and `@every <duration>`; and the
//! controller's "most recent unmet schedule time". Times are evaluated at a
//! fixed UTC offset (UTC or an `Etc/GMT±N` zone): zones with daylight
//! saving are not simulated.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};

use super::clock::{SimTime, parse_go_duration};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Fields(Fields),
    /// `@every`: a constant delay in whole seconds (ms).
    Every(i64),
}

/// Bit sets of the allowed values of each field; `*_star` when the field
/// was `*` or `?` (day of month and day of week then combine with AND).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    dom_star: bool,
    dow_star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn number(s: &str, names: &[&str], offset: u32) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == lower) {
        return Ok(i as u32 + offset);
    }
    s.parse::<u32>().map_err(|_| {
        format!("failed to parse int from {s}: strconv.Atoi: parsing {s:?}: invalid syntax")
    })
}

/// One comma-separated part: `*`, `a`, `a-b`, with an optional `/step`.
fn range(
    expr: &str,
    min: u32,
    max: u32,
    names: &[&str],
    offset: u32,
) -> Result<(u64, bool), String> {
    let (span, step) = match expr.split_once('/') {
        Some((span, step)) => (span, Some(step)),
        None => (expr, None),
    };
    let mut star = false;
    let (start, mut end, single) = if span == "*" || span == "?" {
        star = true;
        (min, max, false)
    } else {
        match span.split_once('-') {
            Some((a, b)) => (number(a, names, offset)?, number(b, names, offset)?, false),
            None => {
                let n = number(span, names, offset)?;
                (n, n, true)
            }
        }
    };
    let step = match step {
        None => 1,
        Some(s) => {
            let n: u32 = s.parse().map_err(|_| {
                format!("failed to parse int from {s}: strconv.Atoi: parsing {s:?}: invalid syntax")
            })?;
            if single {
                end = max;
            }
            if n > 1 {
                star = false;
            }
            n
        }
    };
    if start < min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({min}): {expr}"
        ));
    }
    if end > max {
        return Err(format!(
            "end of range ({end}) above maximum ({max}): {expr}"
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = 0u64;
    let mut v = start;
    while v <= end {
        bits |= 1 << v;
        v += step;
    }
    Ok((bits, star))
}

fn field(
    expr: &str,
    min: u32,
    max: u32,
    names: &[&str],
    offset: u32,
) -> Result<(u64, bool), String> {
    let mut bits = 0;
    let mut star = false;
    for part in expr.split(',') {
        let (b, s) = range(part, min, max, names, offset)?;
        bits |= b;
        star |= s;
    }
    Ok((bits, star))
}

/// Parses a standard schedule, with robfig/cron's error messages.
pub fn parse(spec: &str) -> Result<Schedule, String> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Err("empty spec string".into());
    }
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        return Err("time zones in the schedule are not simulated".into());
    }
    if let Some(d) = spec.strip_prefix("@every ") {
        let ms = parse_go_duration(d).ok_or_else(|| format!("failed to parse duration {spec}"))?;
        return Ok(Schedule::Every((ms.max(1000) / 1000) * 1000));
    }
    let fields = match spec {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        s if s.starts_with('@') => return Err(format!("unrecognized descriptor: {s}")),
        s => s,
    };
    let parts: Vec<&str> = fields.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: {spec}",
            parts.len()
        ));
    }
    let (minute, _) = field(parts[0], 0, 59, &[], 0)?;
    let (hour, _) = field(parts[1], 0, 23, &[], 0)?;
    let (dom, dom_star) = field(parts[2], 1, 31, &[], 0)?;
    let (month, _) = field(parts[3], 1, 12, &MONTHS, 1)?;
    let (dow, dow_star) = field(parts[4], 0, 6, &DAYS, 0)?;
    Ok(Schedule::Fields(Fields {
        minute,
        hour,
        dom,
        month,
        dow,
        dom_star,
        dow_star,
    }))
}

fn has(bits: u64, v: u32) -> bool {
    bits & (1 << v) != 0
}

impl Fields {
    fn day_matches(&self, d: &NaiveDateTime) -> bool {
        let dom = has(self.dom, d.day());
        let dow = has(self.dow, d.weekday().num_days_from_sunday());
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first matching minute strictly after `t` (local time), within
    /// five years, as robfig/cron gives up then.
    fn next_local(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut d = t.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let limit = t.year() + 5;
        while d.year() <= limit {
            if !has(self.month, d.month()) {
                let (y, m) = if d.month() == 12 {
                    (d.year() + 1, 1)
                } else {
                    (d.year(), d.month() + 1)
                };
                d = NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !self.day_matches(&d) {
                d = d.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !has(self.hour, d.hour()) {
                d = d.with_minute(0)? + Duration::hours(1);
                continue;
            }
            if !has(self.minute, d.minute()) {
                d += Duration::minutes(1);
                continue;
            }
            return Some(d);
        }
        None
    }
}

impl Schedule {
    /// The next activation strictly after `t`, at `offset_ms` from UTC.
    pub fn next(&self, t: SimTime, offset_ms: i64) -> Option<SimTime> {
        match self {
            Schedule::Every(delay) => Some((t + delay).div_euclid(1000) * 1000),
            Schedule::Fields(f) => {
                let local = DateTime::from_timestamp_millis(t + offset_ms)?.naive_utc();
                let next = f.next_local(local)?;
                Some(next.and_utc().timestamp_millis() - offset_ms)
            }
        }
    }
}

/// The controller's `mostRecentScheduleTime`: the latest activation in
/// `(earliest, now]`, or none; an error for a schedule whose two next
/// activations are less than a second apart.
pub fn most_recent(
    s: &Schedule,
    earliest: SimTime,
    now: SimTime,
    offset_ms: i64,
) -> Result<Option<SimTime>, String> {
    let Some(t1) = s.next(earliest, offset_ms) else {
        return Ok(None);
    };
    if now < t1 {
        return Ok(None);
    }
    let Some(t2) = s.next(t1, offset_ms) else {
        return Ok(Some(t1));
    };
    if now < t2 {
        return Ok(Some(t1));
    }
    let between = (t2 - t1 + 500) / 1000;
    if between < 1 {
        return Err("time difference between two schedules is less than 1 second".into());
    }
    let missed = (now - t1) / 1000 / between + 1;
    let mut t = t1 + (missed - 2) * between * 1000;
    let mut recent = None;
    while let Some(n) = s.next(t, offset_ms) {
        if n > now {
            break;
        }
        recent = Some(n);
        t = n;
    }
    Ok(recent)
}

/// The UTC offset (ms) of a `spec.timeZone` the simulation knows: `UTC`,
/// `Etc/UTC`, `GMT` and `Etc/GMT±N` (whose sign is inverted, as in the tz
/// database).
pub fn zone_offset(zone: &str) -> Option<i64> {
    match zone {
        "" | "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Etc/Universal" | "Etc/Zulu" => Some(0),
        z => {
            let n: i64 = z.strip_prefix("Etc/GMT")?.parse().ok()?;
            (-14..=12).contains(&n).then_some(-n * 3_600_000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::clock::{format_time, parse_time};
    use super::*;

    fn t(s: &str) -> SimTime {
        parse_time(s).unwrap()
    }

    fn next(spec: &str, after: &str) -> String {
        format_time(parse(spec).unwrap().next(t(after), 0).unwrap())
    }

    #[test]
    fn parses_fields_names_and_descriptors() {
        assert!(parse("0 2 * * *").is_ok());
        assert!(parse("*/15 9-17 * jan-mar MON-FRI").is_ok());
        assert!(parse("0 0 1,15 * ?").is_ok());
        assert_eq!(parse("@daily").unwrap(), parse("0 0 * * *").unwrap());
        assert_eq!(parse("@hourly").unwrap(), parse("0 * * * *").unwrap());
        assert_eq!(parse("@every 90s").unwrap(), Schedule::Every(90_000));
        assert!(
            parse("0 2 * *")
                .unwrap_err()
                .contains("expected exactly 5 fields")
        );
        assert!(
            parse("60 * * * *")
                .unwrap_err()
                .contains("above maximum (59)")
        );
        assert!(
            parse("0 0 0 * *")
                .unwrap_err()
                .contains("below minimum (1)")
        );
        assert!(parse("5-1 * * * *").unwrap_err().contains("beyond end"));
        assert!(
            parse("x * * * *")
                .unwrap_err()
                .contains("failed to parse int")
        );
        assert!(parse("@fortnightly").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn next_activation_times() {
        assert_eq!(
            next("0 2 * * *", "2024-03-10T01:59:00Z"),
            "2024-03-10T02:00:00Z"
        );
        assert_eq!(
            next("0 2 * * *", "2024-03-10T02:00:00Z"),
            "2024-03-11T02:00:00Z"
        );
        assert_eq!(
            next("*/1 * * * *", "2024-03-10T02:00:30Z"),
            "2024-03-10T02:01:00Z"
        );
        assert_eq!(
            next("*/15 * * * *", "2024-03-10T02:16:00Z"),
            "2024-03-10T02:30:00Z"
        );
        assert_eq!(
            next("5/20 * * * *", "2024-03-10T02:26:00Z"),
            "2024-03-10T02:45:00Z"
        );
        assert_eq!(
            next("0 0 1 * *", "2024-01-31T12:00:00Z"),
            "2024-02-01T00:00:00Z"
        );
        assert_eq!(
            next("@yearly", "2024-06-01T00:00:00Z"),
            "2025-01-01T00:00:00Z"
        );
        // 2024-03-10 is a Sunday.
        assert_eq!(
            next("0 9 * * mon-fri", "2024-03-09T10:00:00Z"),
            "2024-03-11T09:00:00Z"
        );
        // Both day fields restricted: either matches.
        assert_eq!(
            next("0 0 13 * 5", "2024-03-10T00:00:00Z"),
            "2024-03-13T00:00:00Z"
        );
        assert_eq!(
            next("0 0 29 2 *", "2024-03-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
        assert!(
            parse("0 0 31 2 *")
                .unwrap()
                .next(t("2024-01-01T00:00:00Z"), 0)
                .is_none()
        );
        assert_eq!(
            next("@every 90s", "2024-03-10T00:00:00Z"),
            "2024-03-10T00:01:30Z"
        );
        // Etc/GMT-2 is two hours ahead of UTC: 02:00 there is 00:00 UTC.
        let off = zone_offset("Etc/GMT-2").unwrap();
        let s = parse("0 2 * * *").unwrap();
        assert_eq!(
            format_time(s.next(t("2024-03-09T23:00:00Z"), off).unwrap()),
            "2024-03-10T00:00:00Z"
        );
        assert_eq!(zone_offset("Europe/Berlin"), None);
    }

    #[test]
    fn most_recent_unmet_time() {
        let daily = parse("0 2 * * *").unwrap();
        let at = |e: &str, n: &str| most_recent(&daily, t(e), t(n), 0).unwrap().map(format_time);
        assert_eq!(at("2024-03-10T03:00:00Z", "2024-03-11T01:00:00Z"), None);
        assert_eq!(
            at("2024-03-10T03:00:00Z", "2024-03-11T05:00:00Z").as_deref(),
            Some("2024-03-11T02:00:00Z")
        );
        assert_eq!(
            at("2024-03-01T03:00:00Z", "2024-03-11T05:00:00Z").as_deref(),
            Some("2024-03-11T02:00:00Z")
        );
        let minutely = parse("*/1 * * * *").unwrap();
        let r = most_recent(
            &minutely,
            t("2024-03-10T00:00:00Z"),
            t("2024-03-10T05:07:30Z"),
            0,
        );
        assert_eq!(
            r.unwrap().map(format_time).as_deref(),
            Some("2024-03-10T05:07:00Z")
        );
    }
}
