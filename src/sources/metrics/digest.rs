//! Reduces a parsed scrape to a small owned digest, and derives a
//! [`MetricPoint`] (rates, error ratio, latency quantiles) from two
//! consecutive digests of the same target. Pure: no IO, no clock.

use std::time::{SystemTime, UNIX_EPOCH};

use super::exposition::{Exposition, Family, MetricKind, Sample};
use crate::model::metrics::{CustomValue, MetricPoint};
use crate::model::selector::Selector;

mod quantile;
#[cfg(test)]
mod tests;

pub use quantile::histogram_quantile;

/// Which series mean what, per service (from config; the defaults match
/// the common client libraries' instrumentation).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSpec {
    /// A request counter. `http_requests_total` also finds samples of a
    /// family written as `http_requests`, and the other way round.
    pub requests: Selector,
    /// The label holding the response status. When no request sample has
    /// it, `code` is tried (Go's promhttp and many others use `code`).
    pub error_label: String,
    pub error_values: ErrorMatch,
    /// A histogram (its `_bucket` series, summed over all labels but `le`)
    /// or a summary (its `quantile` series).
    pub latency: Selector,
    /// A CPU-seconds counter (→ cores), or a gauge taken as is.
    pub cpu: Selector,
    /// A gauge, in bytes.
    pub memory: Selector,
    pub custom: Vec<CustomMetric>,
}

impl Default for MetricsSpec {
    fn default() -> MetricsSpec {
        MetricsSpec {
            requests: Selector::new("http_requests_total"),
            error_label: "status".into(),
            error_values: ErrorMatch::default(),
            latency: Selector::new("http_request_duration_seconds"),
            cpu: Selector::new("process_cpu_seconds_total"),
            memory: Selector::new("process_resident_memory_bytes"),
            custom: Vec::new(),
        }
    }
}

/// Which values of the error label count as errors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ErrorMatch {
    /// Three characters starting with `5`: `500`, `503`, also `5xx`.
    #[default]
    ServerErrors,
    /// Exactly one of these values.
    Values(Vec<String>),
    /// Any value starting with this.
    Prefix(String),
}

impl ErrorMatch {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            ErrorMatch::ServerErrors => value.starts_with('5') && value.chars().count() == 3,
            ErrorMatch::Values(values) => values.iter().any(|v| v == value),
            ErrorMatch::Prefix(prefix) => value.starts_with(prefix.as_str()),
        }
    }
}

/// A configured extra metric shown next to the standard ones.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomMetric {
    pub label: String,
    pub selector: Selector,
    pub function: CustomFunction,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CustomFunction {
    /// Sum of the matching samples.
    Gauge,
    /// Per-second increase of the summed counter.
    Rate,
    /// `rate(selector) / rate(denominator)`.
    Ratio { denominator: Selector },
    /// Quantile over the buckets of the selector's histogram (or the
    /// matching `quantile` sample of a summary).
    Quantile(f64),
}

/// Everything needed from one scrape, owned and small: the parsed scrape
/// borrows the body and is dropped right after.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeDigest {
    pub at: SystemTime,
    /// `None`: no such series in the scrape (unknown), unlike `Some(0.0)`.
    pub requests: Option<f64>,
    /// `Some(0.0)` when requests carry the status label but none is an
    /// error; `None` when the status label is absent altogether.
    pub errors: Option<f64>,
    /// `(le, cumulative count)` summed over every label set but `le`,
    /// sorted by `le`, `+Inf` included.
    pub latency_buckets: Vec<(f64, f64)>,
    /// p50, p95, p99 taken from a summary, when the latency family has no
    /// buckets.
    pub latency_summary: [Option<f64>; 3],
    /// The CPU series when it is a counter (seconds)…
    pub cpu_seconds: Option<f64>,
    /// …or when it is a gauge (already a usage figure).
    pub cpu_gauge: Option<f64>,
    pub memory_bytes: Option<f64>,
    /// One per `spec.custom`, in order.
    pub custom: Vec<CustomSample>,
}

impl Default for ScrapeDigest {
    fn default() -> ScrapeDigest {
        ScrapeDigest {
            at: UNIX_EPOCH,
            requests: None,
            errors: None,
            latency_buckets: Vec::new(),
            latency_summary: [None; 3],
            cpu_seconds: None,
            cpu_gauge: None,
            memory_bytes: None,
            custom: Vec::new(),
        }
    }
}

/// The raw reading behind one custom metric; `derive` turns it into a value.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomSample {
    pub label: String,
    pub unit: Option<String>,
    pub raw: CustomRaw,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CustomRaw {
    Gauge(Option<f64>),
    Counter(Option<f64>),
    Ratio {
        numerator: Option<f64>,
        denominator: Option<f64>,
    },
    Quantile {
        q: f64,
        buckets: Vec<(f64, f64)>,
        summary: Option<f64>,
    },
}

const QUANTILES: [f64; 3] = [0.5, 0.95, 0.99];

/// Reduces one parsed scrape to what [`derive`] needs.
pub fn digest(exp: &Exposition<'_>, spec: &MetricsSpec, at: SystemTime) -> ScrapeDigest {
    let requests = counter_samples(exp, &spec.requests);
    let latency_buckets = buckets(exp, &spec.latency);
    let latency_summary = if latency_buckets.is_empty() {
        QUANTILES.map(|q| summary_quantile(exp, &spec.latency, q))
    } else {
        [None; 3]
    };
    let cpu = counter_samples(exp, &spec.cpu);
    let cpu_sum = sum(cpu.iter().map(|(_, s)| *s));
    let cpu_is_gauge = cpu.first().is_some_and(|(f, s)| is_gauge(f, s));
    ScrapeDigest {
        at,
        requests: sum(requests.iter().map(|(_, s)| *s)),
        errors: errors(&requests, spec),
        latency_buckets,
        latency_summary,
        cpu_seconds: cpu_sum.filter(|_| !cpu_is_gauge),
        cpu_gauge: cpu_sum.filter(|_| cpu_is_gauge),
        memory_bytes: sum(matching(exp, &spec.memory.name, &spec.memory).map(|(_, s)| s)),
        custom: spec.custom.iter().map(|c| custom_sample(exp, c)).collect(),
    }
}

/// The point between two consecutive digests of the same target.
///
/// Counter resets (current < previous) count the current value as the
/// increase, like Prometheus' `rate()`. Quantiles come from the bucket
/// increases between the digests (`histogram_quantile(q, rate(…[w]))`) and
/// are NaN when no request happened in the window. Without a previous
/// digest, or with a window ≤ 0, rates and histogram quantiles are NaN;
/// gauges and summary quantiles are still set.
pub fn derive(prev: Option<&ScrapeDigest>, cur: &ScrapeDigest) -> (MetricPoint, Vec<CustomValue>) {
    let window = prev.and_then(|p| {
        let secs = cur.at.duration_since(p.at).ok()?.as_secs_f64();
        (secs > 0.0).then_some((p, secs))
    });
    let mut point = MetricPoint::unknown(epoch_secs(cur.at));
    point.mem = to_f32(cur.memory_bytes);
    point.cpu = to_f32(cur.cpu_gauge);
    [point.p50, point.p95, point.p99] = cur.latency_summary.map(to_f32);

    if let Some((p, secs)) = window {
        let requests = increase(p.requests, cur.requests);
        point.req_rate = to_f32(requests.map(|n| n / secs));
        point.error_ratio = match (increase(p.errors, cur.errors), requests) {
            // Clamped: the two sums can drift apart when one of several
            // series vanishes between scrapes.
            (Some(e), Some(n)) if n > 0.0 => (e / n).clamp(0.0, 1.0) as f32,
            _ => f32::NAN,
        };
        if cur.cpu_gauge.is_none() {
            point.cpu = to_f32(increase(p.cpu_seconds, cur.cpu_seconds).map(|s| s / secs));
        }
        if let Some(inc) = bucket_increase(&p.latency_buckets, &cur.latency_buckets) {
            [point.p50, point.p95, point.p99] =
                QUANTILES.map(|q| histogram_quantile(q, &inc) as f32);
        }
    }

    let custom = cur
        .custom
        .iter()
        .enumerate()
        .map(|(i, c)| {
            // Matched by position and label: a config reload that reorders
            // or renames custom metrics must not pair unrelated readings.
            let before = window.and_then(|(p, secs)| {
                let b = p.custom.get(i).filter(|b| b.label == c.label)?;
                Some((&b.raw, secs))
            });
            CustomValue {
                label: c.label.clone(),
                value: custom_value(before, &c.raw),
                unit: c.unit.clone(),
            }
        })
        .collect();
    (point, custom)
}

fn custom_value(before: Option<(&CustomRaw, f64)>, cur: &CustomRaw) -> Option<f64> {
    match (cur, before) {
        (CustomRaw::Gauge(v), _) => *v,
        (
            CustomRaw::Quantile {
                summary: Some(v), ..
            },
            _,
        ) => Some(*v),
        (CustomRaw::Counter(now), Some((CustomRaw::Counter(then), secs))) => {
            increase(*then, *now).map(|n| n / secs)
        }
        (
            CustomRaw::Ratio {
                numerator,
                denominator,
            },
            Some((
                CustomRaw::Ratio {
                    numerator: num_then,
                    denominator: den_then,
                },
                _,
            )),
        ) => {
            let num = increase(*num_then, *numerator)?;
            let den = increase(*den_then, *denominator)?;
            (den > 0.0).then(|| num / den)
        }
        (
            CustomRaw::Quantile { q, buckets, .. },
            Some((CustomRaw::Quantile { buckets: then, .. }, _)),
        ) => {
            let inc = bucket_increase(then, buckets)?;
            Some(histogram_quantile(*q, &inc)).filter(|v| !v.is_nan())
        }
        _ => None,
    }
}

/// A counter's increase, treating a drop as a restart from zero. Sums are
/// compared rather than each series: every series in a scrape comes from
/// one process, and a restart resets them all together.
fn increase(prev: Option<f64>, cur: Option<f64>) -> Option<f64> {
    let (p, c) = (prev?, cur?);
    Some(if c >= p { c - p } else { c })
}

/// Per-bucket increases; `None` when either side has no buckets. A drop in
/// any bucket, or a changed set of bounds, means the process restarted, so
/// the current counts are the increase.
fn bucket_increase(prev: &[(f64, f64)], cur: &[(f64, f64)]) -> Option<Vec<(f64, f64)>> {
    if prev.is_empty() || cur.is_empty() {
        return None;
    }
    let same_bounds = prev.len() == cur.len() && prev.iter().zip(cur).all(|(p, c)| p.0 == c.0);
    if !same_bounds || prev.iter().zip(cur).any(|(p, c)| c.1 < p.1) {
        return Some(cur.to_vec());
    }
    Some(
        cur.iter()
            .zip(prev)
            .map(|(c, p)| (c.0, c.1 - p.1))
            .collect(),
    )
}

fn epoch_secs(at: SystemTime) -> u32 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

fn to_f32(v: Option<f64>) -> f32 {
    v.map_or(f32::NAN, |v| v as f32)
}

fn custom_sample(exp: &Exposition<'_>, c: &CustomMetric) -> CustomSample {
    let counter = |sel: &Selector| sum(counter_samples(exp, sel).into_iter().map(|(_, s)| s));
    let raw = match &c.function {
        CustomFunction::Gauge => {
            CustomRaw::Gauge(sum(
                matching(exp, &c.selector.name, &c.selector).map(|(_, s)| s)
            ))
        }
        CustomFunction::Rate => CustomRaw::Counter(counter(&c.selector)),
        CustomFunction::Ratio { denominator } => CustomRaw::Ratio {
            numerator: counter(&c.selector),
            denominator: counter(denominator),
        },
        CustomFunction::Quantile(q) => {
            let buckets = buckets(exp, &c.selector);
            let summary = if buckets.is_empty() {
                summary_quantile(exp, &c.selector, *q)
            } else {
                None
            };
            CustomRaw::Quantile {
                q: *q,
                buckets,
                summary,
            }
        }
    };
    CustomSample {
        label: c.label.clone(),
        unit: c.unit.clone(),
        raw,
    }
}

/// Samples named exactly `name` that satisfy the selector's matchers.
fn matching<'e, 'a>(
    exp: &'e Exposition<'a>,
    name: &str,
    sel: &'e Selector,
) -> impl Iterator<Item = (&'e Family<'a>, &'e Sample<'a>)> {
    exp.families
        .iter()
        .flat_map(|f| f.samples.iter().map(move |s| (f, s)))
        .filter(move |(_, s)| s.name == name && labels_match(s, sel))
}

fn labels_match(s: &Sample<'_>, sel: &Selector) -> bool {
    sel.matchers
        .iter()
        .all(|(k, v)| s.label(k).unwrap_or("") == v)
}

/// A counter's samples under the selector's name, or, when there are none,
/// under the name with `_total` added or removed (OpenMetrics family names
/// drop `_total`; old text-format counters never had it).
fn counter_samples<'e, 'a>(
    exp: &'e Exposition<'a>,
    sel: &'e Selector,
) -> Vec<(&'e Family<'a>, &'e Sample<'a>)> {
    let exact: Vec<_> = matching(exp, &sel.name, sel).collect();
    if !exact.is_empty() {
        return exact;
    }
    let other = match sel.name.strip_suffix("_total") {
        Some(base) => base.to_string(),
        None => format!("{}_total", sel.name),
    };
    matching(exp, &other, sel).collect()
}

/// A gauge when typed so, or untyped without a counter's `_total` suffix.
fn is_gauge(f: &Family<'_>, s: &Sample<'_>) -> bool {
    match f.kind {
        MetricKind::Gauge => true,
        MetricKind::Untyped => !s.name.ends_with("_total"),
        _ => false,
    }
}

/// Sum of the non-NaN values; `None` when there are none.
fn sum<'e, 'a: 'e>(samples: impl Iterator<Item = &'e Sample<'a>>) -> Option<f64> {
    samples
        .map(|s| s.value)
        .filter(|v| !v.is_nan())
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

fn errors(requests: &[(&Family<'_>, &Sample<'_>)], spec: &MetricsSpec) -> Option<f64> {
    let label = [spec.error_label.as_str(), "code"]
        .into_iter()
        .find(|l| requests.iter().any(|(_, s)| s.label(l).is_some()))?;
    let failed = requests
        .iter()
        .map(|(_, s)| *s)
        .filter(|s| s.label(label).is_some_and(|v| spec.error_values.matches(v)));
    Some(sum(failed).unwrap_or(0.0))
}

/// `<name>_bucket` samples summed by `le`, sorted by `le`.
fn buckets(exp: &Exposition<'_>, sel: &Selector) -> Vec<(f64, f64)> {
    let base = sel.name.strip_suffix("_bucket").unwrap_or(&sel.name);
    let name = format!("{base}_bucket");
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (_, s) in matching(exp, &name, sel) {
        let Some(le) = s.label("le").and_then(parse_bound) else {
            continue;
        };
        if s.value.is_nan() {
            continue;
        }
        match out.iter_mut().find(|(bound, _)| *bound == le) {
            Some(bucket) => bucket.1 += s.value,
            None => out.push((le, s.value)),
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// `le` / `quantile` label values: `0.25`, `1e-3`, `+Inf`.
fn parse_bound(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|v| !v.is_nan())
}

/// The summary's `quantile="q"` sample, the maximum across label sets:
/// quantiles from different series cannot be combined (an average of p99s
/// is not a p99), and the slowest series is what on-call needs to see.
fn summary_quantile(exp: &Exposition<'_>, sel: &Selector, q: f64) -> Option<f64> {
    let base = sel.name.strip_suffix("_bucket").unwrap_or(&sel.name);
    matching(exp, base, sel)
        .filter_map(|(_, s)| {
            let at = s.label("quantile").and_then(parse_bound)?;
            ((at - q).abs() < 1e-9 && !s.value.is_nan()).then_some(s.value)
        })
        .reduce(f64::max)
}
