//! The Prometheus text exposition format (0.0.4) and OpenMetrics 1.0,
//! parsed without copying: names borrow the input, label values borrow it
//! unless they contain escapes.
//!
//! `parse` never panics on any input; a malformed line becomes a
//! `ParseError` with its 1-based line number and the rest of the input is
//! still parsed.
//!
//! Lenient where that is harmless: both formats accept the other's syntax
//! (exemplars, UNIT and OpenMetrics type names in text; tabs, runs of
//! spaces, a trailing comma in a label set, blank lines and plain comments in
//! OpenMetrics; unknown backslash escapes kept as written, as Prometheus'
//! scraper does). Not checked: family ordering and interleaving rules,
//! histogram bucket order or a `+Inf` bucket, exemplar length limits,
//! stateset values, `_total` on OpenMetrics counter samples. Not supported:
//! Prometheus 3's quoted UTF-8 names (`{"my.metric"}`), reported as errors.

use super::exposition::{Exposition, Format, ParseError};
use super::lex::snippet;
use super::line::{Line, LineParser};

/// Parses a whole exposition.
pub fn parse(text: &str, format: Format) -> Exposition<'_> {
    let mut parser = LineParser::new(format);
    let mut errors = Vec::new();
    let mut eof = false;
    // A final newline ends the last line rather than starting an empty one.
    let body = text.strip_suffix('\n').unwrap_or(text);
    for (index, line) in body.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let outcome = if eof {
            // Blank lines after `# EOF` are harmless; anything else means
            // the exposition was not what the server meant to send.
            if line.trim().is_empty() {
                Ok(Line::Done)
            } else {
                Err(format!("content after # EOF: {}", snippet(line)))
            }
        } else {
            parser.line(line)
        };
        match outcome {
            Ok(Line::Done) => {}
            Ok(Line::Eof) => eof = true,
            Err(message) => errors.push(ParseError {
                line: index + 1,
                message,
            }),
        }
    }
    Exposition {
        families: parser.into_families(),
        errors,
        eof,
    }
}
