//! One line of an exposition: a sample (with its optional timestamp and
//! exemplar) or a `#` line (HELP, TYPE, UNIT, EOF or a plain comment).

use std::borrow::Cow;

use super::exposition::{Exemplar, Family, Format, Label, MetricKind, Sample};
use super::group::Grouper;
use super::lex::{Cursor, LineResult, at, parse_value, seconds_to_ms, snippet, unescape};

pub(super) enum Line {
    Done,
    Eof,
}

/// A HELP, TYPE or UNIT line's payload.
enum Meta<'a> {
    Help(Cow<'a, str>),
    Type(MetricKind),
    Unit(Option<&'a str>),
}

pub(super) struct LineParser<'a> {
    format: Format,
    groups: Grouper<'a>,
    /// Labels of the sample being parsed, moved into an exactly sized Vec
    /// once the line is known to be good: one allocation per sample.
    scratch: Vec<Label<'a>>,
}

impl<'a> LineParser<'a> {
    pub(super) fn new(format: Format) -> Self {
        LineParser {
            format,
            groups: Grouper::default(),
            scratch: Vec::with_capacity(16),
        }
    }

    pub(super) fn into_families(self) -> Vec<Family<'a>> {
        self.groups.into_families()
    }

    /// One line, without its line ending.
    pub(super) fn line(&mut self, line: &'a str) -> LineResult<Line> {
        let mut cursor = Cursor::new(line);
        cursor.skip_ws();
        match cursor.peek() {
            None => Ok(Line::Done),
            Some(b'#') => self.comment(cursor),
            Some(_) => self.sample(cursor).map(|()| Line::Done),
        }
    }

    fn comment(&mut self, mut cursor: Cursor<'a>) -> LineResult<Line> {
        cursor.eat(b'#');
        if !cursor.skip_ws() {
            return Ok(Line::Done);
        }
        let keyword = cursor.word();
        match keyword {
            "HELP" | "TYPE" | "UNIT" => {}
            "EOF" if self.format == Format::OpenMetrics => {
                cursor.skip_ws();
                return if cursor.at_end() {
                    Ok(Line::Eof)
                } else {
                    Err(format!(
                        "unexpected text after # EOF: {}",
                        snippet(cursor.rest())
                    ))
                };
            }
            _ => return Ok(Line::Done),
        }
        cursor.skip_ws();
        let Some(name) = cursor.metric_name() else {
            return Err(format!(
                "expected a metric name after # {keyword} {}",
                at(cursor.rest())
            ));
        };
        if !cursor.skip_ws() && !cursor.at_end() {
            return Err(format!(
                "invalid character in metric name after {name:?} {}",
                at(cursor.rest())
            ));
        }
        let meta = match keyword {
            "HELP" => Meta::Help(unescape(
                cursor.take_rest(),
                self.format == Format::OpenMetrics,
            )),
            "TYPE" => {
                let word = cursor.word();
                let Some(kind) = MetricKind::from_type_word(word) else {
                    return Err(format!(
                        "unknown metric type {} for {name:?}",
                        snippet(word)
                    ));
                };
                Meta::Type(kind)
            }
            _ => {
                let unit = cursor.word();
                Meta::Unit((!unit.is_empty()).then_some(unit))
            }
        };
        cursor.skip_ws();
        if !cursor.at_end() {
            return Err(format!(
                "unexpected text after # {keyword} {name}: {}",
                snippet(cursor.rest())
            ));
        }
        // Only a well-formed line may create or reopen a family.
        let index = self.groups.for_metadata(name);
        let Some((family, declared)) = self.groups.family_mut(index) else {
            return Err(format!("internal: no family for {name:?}"));
        };
        match meta {
            Meta::Help(_) if family.help.is_some() => {
                return Err(format!("second HELP line for {name:?}"));
            }
            Meta::Help(help) => family.help = Some(help),
            Meta::Type(_) if declared.kind => {
                return Err(format!("second TYPE line for {name:?}"));
            }
            Meta::Type(_) if !family.samples.is_empty() => {
                return Err(format!("TYPE line for {name:?} comes after its samples"));
            }
            Meta::Type(kind) => {
                family.kind = kind;
                declared.kind = true;
            }
            Meta::Unit(_) if family.unit.is_some() => {
                return Err(format!("second UNIT line for {name:?}"));
            }
            Meta::Unit(unit) => family.unit = unit,
        }
        Ok(Line::Done)
    }

    fn sample(&mut self, mut cursor: Cursor<'a>) -> LineResult<()> {
        let Some(name) = cursor.metric_name() else {
            return Err(format!("expected a metric name {}", at(cursor.rest())));
        };
        let spaced = cursor.skip_ws();
        self.scratch.clear();
        if cursor.peek() == Some(b'{') {
            cursor.label_set(&mut self.scratch)?;
            cursor.skip_ws();
        } else if !spaced && !cursor.at_end() {
            return Err(format!(
                "invalid character in metric name after {name:?} {}",
                at(cursor.rest())
            ));
        }
        let token = cursor.word();
        if token.is_empty() {
            return Err(format!("missing value for {name:?}"));
        }
        let Some(value) = parse_value(token) else {
            return Err(format!("invalid value {} for {name:?}", snippet(token)));
        };
        cursor.skip_ws();
        let mut timestamp_ms = None;
        if !cursor.at_end() && cursor.peek() != Some(b'#') {
            let token = cursor.word();
            timestamp_ms = Some(self.timestamp(token, name)?);
            cursor.skip_ws();
        }
        let exemplar = if cursor.eat(b'#') {
            Some(exemplar(&mut cursor, name)?)
        } else if cursor.at_end() {
            None
        } else {
            return Err(format!(
                "unexpected text after the sample {name:?}: {}",
                snippet(cursor.rest())
            ));
        };
        let sample = Sample {
            name,
            labels: self.scratch.drain(..).collect(),
            value,
            timestamp_ms,
            exemplar,
        };
        let index = self.groups.for_sample(name);
        if let Some((family, _)) = self.groups.family_mut(index) {
            family.samples.push(sample);
        }
        Ok(())
    }

    fn timestamp(&self, token: &str, name: &str) -> LineResult<i64> {
        match self.format {
            Format::Text => token.parse::<i64>().map_err(|_| {
                format!(
                    "invalid timestamp {} for {name:?} (text format wants integer milliseconds)",
                    snippet(token)
                )
            }),
            Format::OpenMetrics => seconds_to_ms(token).ok_or_else(|| {
                format!(
                    "invalid timestamp {} for {name:?} (OpenMetrics wants seconds)",
                    snippet(token)
                )
            }),
        }
    }
}

/// ` # {labels} value [timestamp]` after a sample, from just past the `#`.
fn exemplar<'a>(cursor: &mut Cursor<'a>, series: &str) -> LineResult<Exemplar<'a>> {
    cursor.skip_ws();
    let mut labels = Vec::new();
    cursor
        .label_set(&mut labels)
        .map_err(|e| format!("exemplar of {series:?}: {e}"))?;
    cursor.skip_ws();
    let token = cursor.word();
    let Some(value) = parse_value(token) else {
        return Err(format!(
            "invalid exemplar value {} for {series:?}",
            snippet(token)
        ));
    };
    cursor.skip_ws();
    let mut timestamp = None;
    if !cursor.at_end() {
        let token = cursor.word();
        match parse_value(token) {
            Some(t) if t.is_finite() => timestamp = Some(t),
            _ => {
                return Err(format!(
                    "invalid exemplar timestamp {} for {series:?}",
                    snippet(token)
                ));
            }
        }
        cursor.skip_ws();
    }
    if !cursor.at_end() {
        return Err(format!(
            "unexpected text after the exemplar of {series:?}: {}",
            snippet(cursor.rest())
        ));
    }
    Ok(Exemplar {
        labels,
        value,
        timestamp,
    })
}

impl MetricKind {
    /// The word after `# TYPE name`, in either format's vocabulary.
    fn from_type_word(word: &str) -> Option<MetricKind> {
        const WORDS: [(&str, MetricKind); 9] = [
            ("counter", MetricKind::Counter),
            ("gauge", MetricKind::Gauge),
            ("histogram", MetricKind::Histogram),
            ("gaugehistogram", MetricKind::GaugeHistogram),
            ("summary", MetricKind::Summary),
            ("info", MetricKind::Info),
            ("stateset", MetricKind::StateSet),
            ("untyped", MetricKind::Untyped),
            ("unknown", MetricKind::Untyped),
        ];
        WORDS
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(word))
            .map(|&(_, kind)| kind)
    }
}
