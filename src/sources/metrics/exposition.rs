//! A `/metrics` exposition as parsed: its families with their samples,
//! labels and exemplars (borrowing the input where they can), the format it
//! was read in, and the lines that could not be read.

use std::borrow::Cow;

/// Which grammar to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`
    Text,
    /// `application/openmetrics-text`
    OpenMetrics,
}

impl Format {
    /// From a `Content-Type` header; anything unrecognised is `Text`.
    pub fn from_content_type(content_type: &str) -> Format {
        if content_type
            .to_ascii_lowercase()
            .contains("application/openmetrics-text")
        {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }
}

/// `# TYPE` of a family; `Untyped` for text-format `untyped`, OpenMetrics
/// `unknown` and samples with no TYPE line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Untyped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label<'a> {
    pub name: &'a str,
    /// Unescaped (`\\`, `\"`, `\n`).
    pub value: Cow<'a, str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar<'a> {
    pub labels: Vec<Label<'a>>,
    pub value: f64,
    /// Seconds since the epoch, as OpenMetrics writes it.
    pub timestamp: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// The series name as written (`http_request_duration_seconds_bucket`).
    pub name: &'a str,
    pub labels: Vec<Label<'a>>,
    /// `NaN`, `+Inf`, `-Inf` included.
    pub value: f64,
    /// Milliseconds since the epoch (text format's integer milliseconds;
    /// OpenMetrics' float seconds converted).
    pub timestamp_ms: Option<i64>,
    pub exemplar: Option<Exemplar<'a>>,
}

impl Sample<'_> {
    /// The value of label `name`, if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_ref())
    }
}

/// One metric family: its metadata and every sample that belongs to it
/// (a histogram's `_bucket`, `_sum`, `_count`, `_created`; a summary's
/// quantiles with its `_sum` and `_count`; a counter's `_total`).
#[derive(Debug, Clone, PartialEq)]
pub struct Family<'a> {
    /// The family name (`http_request_duration_seconds`, `http_requests`
    /// for an OpenMetrics counter whose samples are `http_requests_total`).
    pub name: &'a str,
    pub kind: MetricKind,
    pub help: Option<Cow<'a, str>>,
    pub unit: Option<&'a str>,
    pub samples: Vec<Sample<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition<'a> {
    /// In the order they first appear.
    pub families: Vec<Family<'a>>,
    pub errors: Vec<ParseError>,
    /// OpenMetrics `# EOF` was seen.
    pub eof: bool,
}

impl<'a> Exposition<'a> {
    pub fn family(&self, name: &str) -> Option<&Family<'a>> {
        self.families.iter().find(|f| f.name == name)
    }

    pub fn sample_count(&self) -> usize {
        self.families.iter().map(|f| f.samples.len()).sum()
    }

    /// Every sample whose series name is `name`, across families.
    pub fn series<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Sample<'a>> + 's {
        self.families
            .iter()
            .flat_map(|f| f.samples.iter())
            .filter(move |s| s.name == name)
    }
}
