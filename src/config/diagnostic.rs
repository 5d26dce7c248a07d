//! Config errors that name the file, line, column and key, and suggest the
//! nearest valid key for a typo.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
}

/// One problem in a config file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Dotted path of the offending key, e.g. `services[0].health[1].timeout`.
    pub key: Option<String>,
    pub message: String,
    pub suggestion: Option<String>,
    /// The source line, for the excerpt.
    pub excerpt: Option<String>,
    pub underline: Range<usize>,
}

impl Diagnostic {
    pub fn new(
        path: &Path,
        text: &str,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: String,
    ) -> Diagnostic {
        let span = span.unwrap_or(0..0);
        let (line, column, excerpt, underline) = locate(text, span);
        let suggestion = suggest_key(&message);
        Diagnostic {
            path: path.to_path_buf(),
            line,
            column,
            key,
            message,
            suggestion,
            excerpt,
            underline,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) if !k.is_empty() => writeln!(f, "error in config key `{k}`: {}", self.message)?,
            _ => writeln!(f, "error in config: {}", self.message)?,
        }
        write!(
            f,
            "  --> {}:{}:{}",
            self.path.display(),
            self.line,
            self.column
        )?;
        if let Some(src) = &self.excerpt {
            let gutter = self.line.to_string().len();
            let pad = " ".repeat(gutter);
            write!(f, "\n{pad} |\n{} | {src}\n{pad} | ", self.line)?;
            let width = src.chars().count();
            let start = self.underline.start.min(width);
            let len = self
                .underline
                .len()
                .clamp(1, width.saturating_sub(start).max(1));
            write!(f, "{}{}", " ".repeat(start), "^".repeat(len))?;
        }
        if let Some(s) = &self.suggestion {
            write!(f, "\n  = help: did you mean `{s}`?")?;
        }
        Ok(())
    }
}

/// 1-based line and column of `span.start`, the line's text, and the span
/// within that line in characters.
fn locate(text: &str, span: Range<usize>) -> (usize, usize, Option<String>, Range<usize>) {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_no = text[..start].matches('\n').count() + 1;
    let col_chars = text[line_start..start].chars().count();
    let line_text = text[line_start..line_end]
        .trim_end_matches('\r')
        .to_string();
    let end = floor_char_boundary(text, span.end.clamp(start, line_end));
    let len_chars = text[start..end].chars().count();
    let excerpt = (!line_text.is_empty()).then_some(line_text);
    (
        line_no,
        col_chars + 1,
        excerpt,
        col_chars..col_chars + len_chars,
    )
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// From serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown
/// variant"), the valid name closest to the typo.
fn suggest_key(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (typo, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected")?.1;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|cand| (strsim::jaro_winkler(typo, cand), cand))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// Byte span of the `nth` line assigning `key` a value containing `value`.
pub(super) fn find_assignment(
    text: &str,
    key: &str,
    value: &str,
    nth: usize,
) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    let mut hits = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with('=')
            && rest.contains(value)
        {
            if hits == nth {
                let start = offset + (line.len() - trimmed.len());
                return Some(start..start + key.len());
            }
            hits += 1;
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_nearest_key() {
        assert_eq!(
            suggest_key("unknown field `intervall`, expected one of `url`, `interval`, `timeout`"),
            Some("interval".into())
        );
        assert_eq!(
            suggest_key("unknown field `zzzz`, expected one of `url`, `interval`"),
            None
        );
        assert_eq!(suggest_key("invalid type: string"), None);
    }

    #[test]
    fn locates_line_and_column() {
        let text = "a = 1\n  bad = 2\n";
        let (line, col, ex, ul) = locate(text, 8..11);
        assert_eq!((line, col), (2, 3));
        assert_eq!(ex.as_deref(), Some("  bad = 2"));
        assert_eq!(ul, 2..5);
    }
}
