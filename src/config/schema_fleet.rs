//! `[[fleet]]`: device fleets. A fleet is either a list of hosts whose
//! health endpoints are polled (`url = "https://{host}/health"`), or a
//! Prometheus query whose series are the devices. Like the rest of the
//! schema, every struct denies unknown keys.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::durations::opt_duration;

/// Devices a fleet may expand to; a typo like `{1..1000000}` is refused
/// rather than allocated.
pub const MAX_DEVICES: usize = 100_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// Shown on the board and in the fleet alert's `fleet` label.
    pub name: String,
    /// Health endpoint template: `{host}` (required), `{location}`.
    pub url: Option<String>,
    /// Hosts without a location; `rpi-{001..120}` expands to 120 hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Hosts by location, each with its own labels and threshold.
    #[serde(default)]
    pub groups: Vec<FleetGroupConfig>,
    /// Instead of endpoints: a `[[prometheus]]` server and a query whose
    /// series are the devices (value 0 = offline).
    pub prometheus: Option<String>,
    pub query: Option<String>,
    /// The label naming a device (default `instance`).
    pub instance_label: Option<String>,
    /// The label naming its location (default `location`).
    pub location_label: Option<String>,
    /// Default 30s.
    #[serde(default, with = "opt_duration")]
    pub interval: Option<Duration>,
    /// Per request (default 5s).
    #[serde(default, with = "opt_duration")]
    pub timeout: Option<Duration>,
    /// Requests (and so sockets) in flight at most (default 64).
    pub concurrency: Option<usize>,
    /// Share of a location offline that raises FleetGroupOffline
    /// (default `[rules] fleet_offline`, 0.2).
    pub offline_threshold: Option<f64>,
    /// The environment its devices belong to: runbooks run against one of
    /// them obey its `read_only` and `protected`.
    pub environment: Option<String>,
    /// The board service the devices belong to.
    pub service: Option<String>,
    #[serde(default = "yes")]
    pub tls_verify: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetGroupConfig {
    pub location: String,
    pub hosts: Vec<String>,
    /// Extra labels of these devices (the Fleet pane can group by them).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub offline_threshold: Option<f64>,
}

fn yes() -> bool {
    true
}

impl FleetConfig {
    pub fn interval(&self) -> Duration {
        self.interval.unwrap_or(Duration::from_secs(30))
    }

    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(5))
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or(64).max(1)
    }
}

/// Expands `{a..b}` ranges in a host pattern: `rpi-{001..003}` gives
/// `rpi-001 rpi-002 rpi-003` (zero-padded to the width of `a` when it
/// starts with 0). Several ranges multiply. `limit` caps the result.
pub fn expand_hosts(pattern: &str, limit: usize) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('{') else {
        return Ok(vec![pattern.to_string()]);
    };
    let close = pattern[open..]
        .find('}')
        .map(|c| open + c)
        .ok_or_else(|| format!("`{pattern}`: `{{` without `}}`"))?;
    let inner = &pattern[open + 1..close];
    let (a, b) = inner.split_once("..").ok_or_else(|| {
        format!("`{pattern}`: write a range as {{first..last}}, e.g. rpi-{{001..120}}")
    })?;
    let parse = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("`{pattern}`: `{s}` in a range is not a number"))
    };
    let (lo, hi) = (parse(a)?, parse(b)?);
    if lo > hi {
        return Err(format!("`{pattern}`: the range {lo}..{hi} is empty"));
    }
    let width = if a.len() > 1 && a.starts_with('0') {
        a.len()
    } else {
        0
    };
    let count = (hi - lo + 1) as usize;
    if count > limit {
        return Err(format!(
            "`{pattern}` expands to {count} hosts; a fleet holds at most {MAX_DEVICES}"
        ));
    }
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let tails = expand_hosts(tail, limit / count.max(1))?;
    let mut out = Vec::with_capacity(count * tails.len());
    for n in lo..=hi {
        for t in &tails {
            out.push(format!("{head}{n:0width$}{t}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_zero_padded() {
        let h = expand_hosts("rpi-{001..120}", MAX_DEVICES).unwrap();
        assert_eq!(h.len(), 120);
        assert_eq!(h[0], "rpi-001");
        assert_eq!(h[119], "rpi-120");
        assert_eq!(
            expand_hosts("10.0.{1..2}.{8..9}", 100).unwrap(),
            ["10.0.1.8", "10.0.1.9", "10.0.2.8", "10.0.2.9"]
        );
        assert_eq!(expand_hosts("gw-a", 10).unwrap(), ["gw-a"]);
    }

    #[test]
    fn bad_ranges_say_why() {
        assert!(
            expand_hosts("rpi-{5..1}", 10)
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            expand_hosts("rpi-{a..b}", 10)
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            expand_hosts("rpi-{1-9}", 10)
                .unwrap_err()
                .contains("first..last")
        );
        assert!(
            expand_hosts("rpi-{1..9", 10)
                .unwrap_err()
                .contains("without")
        );
        assert!(
            expand_hosts("x{1..1000000}", MAX_DEVICES)
                .unwrap_err()
                .contains("at most")
        );
    }
}
