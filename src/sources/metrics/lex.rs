//! Byte-level scanning of one exposition line.
//!
//! The cursor only ever stops on an ASCII byte or at the end of the line, so
//! every position it hands out is a char boundary; slicing still goes through
//! `str::get` so a mistake here becomes a parse error, never a panic.

use std::borrow::Cow;

use memchr::memchr2;

use super::exposition::Label;

/// Why a line was rejected; the caller adds the line number.
pub(super) type LineResult<T> = Result<T, String>;

const METRIC_START: u8 = 1;
const METRIC_CONT: u8 = 2;
const LABEL_START: u8 = 4;
const LABEL_CONT: u8 = 8;

/// Character classes of metric and label names, indexed by byte: one table
/// lookup per byte instead of a chain of range checks.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let alpha = c.is_ascii_alphabetic() || c == b'_';
        let mut class = 0;
        if alpha {
            class |= METRIC_START | METRIC_CONT | LABEL_START | LABEL_CONT;
        }
        if c.is_ascii_digit() {
            class |= METRIC_CONT | LABEL_CONT;
        }
        if c == b':' {
            class |= METRIC_START | METRIC_CONT;
        }
        t[b] = class;
        b += 1;
    }
    t
};

pub(super) struct Cursor<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(line: &'a str) -> Self {
        Cursor { line, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.line.as_bytes()
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    /// The unread part of the line.
    pub(super) fn rest(&self) -> &'a str {
        self.line.get(self.pos..).unwrap_or("")
    }

    /// The unread part of the line, consumed.
    pub(super) fn take_rest(&mut self) -> &'a str {
        let rest = self.rest();
        self.pos = self.line.len();
        rest
    }

    /// Consumes `b` (ASCII) if it is next.
    pub(super) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips spaces and tabs; true if there were any.
    pub(super) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Everything up to the next space, tab or the end of the line.
    pub(super) fn word(&mut self) -> &'a str {
        let start = self.pos;
        while !matches!(self.peek(), None | Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.line.get(start..self.pos).unwrap_or("")
    }

    fn name(&mut self, start_class: u8, cont_class: u8) -> Option<&'a str> {
        let start = self.pos;
        let first = self.peek()?;
        if CLASS[usize::from(first)] & start_class == 0 {
            return None;
        }
        self.pos += 1;
        while let Some(b) = self.peek() {
            if CLASS[usize::from(b)] & cont_class == 0 {
                break;
            }
            self.pos += 1;
        }
        self.line.get(start..self.pos)
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    pub(super) fn metric_name(&mut self) -> Option<&'a str> {
        self.name(METRIC_START, METRIC_CONT)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    pub(super) fn label_name(&mut self) -> Option<&'a str> {
        self.name(LABEL_START, LABEL_CONT)
    }

    /// A label set starting at `{`, appended to `out`. Spaces and tabs are
    /// allowed around every token and a trailing comma is accepted.
    pub(super) fn label_set(&mut self, out: &mut Vec<Label<'a>>) -> LineResult<()> {
        let first = out.len();
        if !self.eat(b'{') {
            return Err(format!("expected '{{' {}", at(self.rest())));
        }
        loop {
            self.skip_ws();
            if self.eat(b'}') {
                return Ok(());
            }
            let Some(name) = self.label_name() else {
                return Err(format!("expected a label name or '}}' {}", at(self.rest())));
            };
            self.skip_ws();
            if !self.eat(b'=') {
                return Err(format!(
                    "expected '=' after label name {name:?} {}",
                    at(self.rest())
                ));
            }
            self.skip_ws();
            let value = self.label_value(name)?;
            if out
                .get(first..)
                .unwrap_or(&[])
                .iter()
                .any(|l| l.name == name)
            {
                return Err(format!("duplicate label name {name:?}"));
            }
            out.push(Label { name, value });
            self.skip_ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(());
            }
            return Err(format!(
                "expected ',' or '}}' after the value of label {name:?} {}",
                at(self.rest())
            ));
        }
    }

    /// A double-quoted label value. Borrowed unless it holds an escape.
    fn label_value(&mut self, label: &str) -> LineResult<Cow<'a, str>> {
        if !self.eat(b'"') {
            return Err(format!(
                "expected '\"' to open the value of label {label:?} {}",
                at(self.rest())
            ));
        }
        let start = self.pos;
        let bytes = self.bytes();
        let mut i = start;
        let mut escaped = false;
        // memchr2 because label values are most of a scrape's bytes.
        loop {
            let tail = bytes.get(i..).unwrap_or(&[]);
            let found = memchr2(b'"', b'\\', tail).map(|at| i + at);
            match found.map(|at| (at, bytes.get(at))) {
                Some((at, Some(b'"'))) => {
                    i = at;
                    break;
                }
                Some((at, _)) => {
                    escaped = true;
                    // Whatever follows the backslash is part of the value,
                    // even a quote.
                    i = at + 2;
                }
                None => {
                    return Err(format!(
                        "unterminated value of label {label:?} {}",
                        at(self.line.get(start.saturating_sub(1)..).unwrap_or(""))
                    ));
                }
            }
        }
        let raw = self.line.get(start..i).unwrap_or("");
        self.pos = i + 1;
        Ok(if escaped {
            unescape(raw, true)
        } else {
            Cow::Borrowed(raw)
        })
    }
}

/// Resolves `\\`, `\n` and (when `quotes`) `\"`. Any other backslash is kept
/// as written, as Prometheus' own scraper does, rather than losing the line.
pub(super) fn unescape(s: &str, quotes: bool) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    let Some(mut i) = bytes.iter().position(|&b| b == b'\\') else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    let mut segment = 0;
    loop {
        out.push_str(s.get(segment..i).unwrap_or(""));
        let replacement = match bytes.get(i + 1) {
            Some(b'\\') => Some('\\'),
            Some(b'n') => Some('\n'),
            Some(b'"') if quotes => Some('"'),
            _ => None,
        };
        match replacement {
            Some(c) => {
                out.push(c);
                segment = i + 2;
            }
            None => {
                out.push('\\');
                segment = i + 1;
            }
        }
        let tail = bytes.get(segment..).unwrap_or(&[]);
        match tail.iter().position(|&b| b == b'\\') {
            Some(next) => i = segment + next,
            None => break,
        }
    }
    out.push_str(s.get(segment..).unwrap_or(""));
    Cow::Owned(out)
}

/// A sample or exemplar value: any float `str::parse` accepts, which covers
/// `NaN`, `+Inf`, `-Inf`, `Inf` and exponent forms.
pub(super) fn parse_value(token: &str) -> Option<f64> {
    // Most values are small integers (counts, buckets): skip the general
    // float parser for them. Up to 15 digits is exact in an f64.
    let (negative, digits) = split_sign(token.as_bytes());
    if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let n = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        let f = n as f64;
        return Some(if negative { -f } else { f });
    }
    token.parse::<f64>().ok()
}

/// An OpenMetrics timestamp (float seconds) as whole milliseconds, rounded.
pub(super) fn seconds_to_ms(token: &str) -> Option<i64> {
    // Plain decimals are converted exactly, so `1520879607.789` is exactly
    // 1520879607789 rather than whatever the nearest double times 1000 is.
    let (negative, body) = split_sign(token.as_bytes());
    let (int, frac) = match body.iter().position(|&b| b == b'.') {
        Some(dot) => (
            body.get(..dot).unwrap_or(&[]),
            body.get(dot + 1..).unwrap_or(&[]),
        ),
        None => (body, &[][..]),
    };
    let plain = (!int.is_empty() || !frac.is_empty())
        && int.len() <= 30
        && int.iter().chain(frac).all(u8::is_ascii_digit);
    if plain {
        let mut ms: i128 = int.iter().fold(0i128, |n, d| n * 10 + i128::from(d - b'0')) * 1000;
        for (place, d) in [100, 10, 1].into_iter().zip(frac) {
            ms += place * i128::from(d - b'0');
        }
        if frac.get(3).is_some_and(|&d| d >= b'5') {
            ms += 1;
        }
        return i64::try_from(if negative { -ms } else { ms }).ok();
    }
    let ms = (token.parse::<f64>().ok()? * 1000.0).round();
    // i64::MAX as f64 rounds up to 2^63, so `<` keeps the cast in range.
    (ms.is_finite() && ms >= i64::MIN as f64 && ms < i64::MAX as f64).then_some(ms as i64)
}

fn split_sign(bytes: &[u8]) -> (bool, &[u8]) {
    match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    }
}

/// Where on the line an error is, for a message: `at "…"` or the end.
pub(super) fn at(rest: &str) -> String {
    if rest.is_empty() {
        "at the end of the line".to_owned()
    } else {
        format!("at {}", snippet(rest))
    }
}

/// The offending text for an error message, quoted and cut to ~60 chars.
pub(super) fn snippet(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", s.get(..cut).unwrap_or(s)),
        None => format!("{s:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_fast_path_agrees_with_the_float_parser() {
        for t in ["0", "-0", "+7", "123456789012345", "1027", "-3982045"] {
            let fast = parse_value(t).map(f64::to_bits);
            let slow = t.parse::<f64>().ok().map(f64::to_bits);
            assert_eq!(fast, slow, "{t}");
        }
        assert_eq!(
            parse_value("1234567890123456789"),
            Some(1.2345678901234568e18)
        );
        assert!(parse_value("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_value("Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("1.5e-3"), Some(0.0015));
        assert_eq!(parse_value(""), None);
        assert_eq!(parse_value("-"), None);
        assert_eq!(parse_value("1x"), None);
    }

    #[test]
    fn seconds_convert_to_rounded_milliseconds() {
        assert_eq!(seconds_to_ms("1520879607.789"), Some(1_520_879_607_789));
        assert_eq!(seconds_to_ms("1520879607"), Some(1_520_879_607_000));
        assert_eq!(seconds_to_ms("-1.5"), Some(-1500));
        assert_eq!(seconds_to_ms("0.0005"), Some(1));
        assert_eq!(seconds_to_ms("0.00049"), Some(0));
        assert_eq!(seconds_to_ms(".25"), Some(250));
        assert_eq!(seconds_to_ms("1.5e3"), Some(1_500_000));
        assert_eq!(seconds_to_ms("."), None);
        assert_eq!(seconds_to_ms("NaN"), None);
        assert_eq!(seconds_to_ms("+Inf"), None);
        assert_eq!(seconds_to_ms("1e300"), None);
        assert_eq!(seconds_to_ms("99999999999999999999"), None);
    }

    #[test]
    fn unescape_keeps_unknown_escapes_and_borrows_when_it_can() {
        assert!(matches!(unescape("plain", true), Cow::Borrowed("plain")));
        assert_eq!(unescape(r#"a\\b\nc\"d"#, true), "a\\b\nc\"d");
        assert_eq!(unescape(r#"a\"b"#, false), r#"a\"b"#);
        assert_eq!(unescape(r"\x\", true), r"\x\");
        assert_eq!(unescape(r"é\né", true), "é\né");
    }

    #[test]
    fn snippet_cuts_on_a_char_boundary() {
        let long = "é".repeat(100);
        let s = snippet(&long);
        assert!(s.ends_with('…'));
        assert_eq!(s.chars().filter(|&c| c == 'é').count(), 60);
    }
}
