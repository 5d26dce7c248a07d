//! `name` or `name{a="b",c="d"}`: which series a configured metric means.

use std::fmt;
use std::str::FromStr;

/// A series name and label equalities that must all hold. As in PromQL,
/// `label=""` also matches samples that lack the label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Selector {
    pub name: String,
    pub matchers: Vec<(String, String)>,
}

impl Selector {
    /// A selector with no label matchers.
    pub fn new(name: impl Into<String>) -> Selector {
        Selector {
            name: name.into(),
            matchers: Vec::new(),
        }
    }
}

/// Why a selector did not parse; the message quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid metric selector `{input}`: {reason}")]
pub struct SelectorError {
    pub input: String,
    pub reason: String,
}

impl FromStr for Selector {
    type Err = SelectorError;

    fn from_str(input: &str) -> Result<Selector, SelectorError> {
        Cursor { input, pos: 0 }
            .selector()
            .map_err(|reason| SelectorError {
                input: input.to_string(),
                reason,
            })
    }
}

impl TryFrom<String> for Selector {
    type Error = SelectorError;

    fn try_from(s: String) -> Result<Selector, SelectorError> {
        s.parse()
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.matchers.is_empty() {
            return Ok(());
        }
        f.write_str("{")?;
        for (i, (k, v)) in self.matchers.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}=\"")?;
            for c in v.chars() {
                match c {
                    '\\' => f.write_str("\\\\")?,
                    '"' => f.write_str("\\\"")?,
                    '\n' => f.write_str("\\n")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")?;
        }
        f.write_str("}")
    }
}

/// A byte position in the input; errors report it as a 1-based column.
struct Cursor<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn selector(&mut self) -> Result<Selector, String> {
        self.skip_ws();
        if self.peek().is_none() {
            return Err("empty; expected a metric name such as `http_requests_total`".into());
        }
        let name = self.ident(true);
        if name.is_empty() {
            return Err(self.unexpected("a metric name"));
        }
        let mut sel = Selector::new(name);
        self.skip_ws();
        match self.peek() {
            None => return Ok(sel),
            Some('{') => self.pos += 1,
            Some(_) => return Err(self.unexpected("`{` or the end")),
        }
        loop {
            self.skip_ws();
            if self.eat('}') {
                break;
            }
            let label = self.ident(false);
            if label.is_empty() {
                return Err(self.unexpected("a label name"));
            }
            if sel.matchers.iter().any(|(k, _)| k == label) {
                return Err(format!("label `{label}` is given twice"));
            }
            self.skip_ws();
            if self.input[self.pos..].starts_with("!=")
                || self.input[self.pos..].starts_with("=~")
                || self.input[self.pos..].starts_with("!~")
            {
                return Err(format!(
                    "only `=` matchers are supported (column {})",
                    self.column()
                ));
            }
            if !self.eat('=') {
                return Err(self.unexpected("`=`"));
            }
            self.skip_ws();
            let value = self.quoted()?;
            sel.matchers.push((label.to_string(), value));
            self.skip_ws();
            if self.eat('}') {
                break;
            }
            if !self.eat(',') {
                return Err(self.unexpected("`,` or `}`"));
            }
        }
        self.skip_ws();
        if self.peek().is_some() {
            return Err(self.unexpected("the end after `}`"));
        }
        Ok(sel)
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names; labels exclude `:`.
    fn ident(&mut self, colons: bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_alphabetic()
                || c == '_'
                || (colons && c == ':')
                || (self.pos > start && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    /// A double-quoted value with `\\`, `\"` and `\n` escapes.
    fn quoted(&mut self) -> Result<String, String> {
        if !self.eat('"') {
            return Err(self.unexpected("a double-quoted label value"));
        }
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let escaped = self.peek();
                    match escaped {
                        Some('\\') => out.push('\\'),
                        Some('"') => out.push('"'),
                        Some('n') => out.push('\n'),
                        _ => {
                            return Err(format!(
                                "unknown escape in label value (column {})",
                                self.column()
                            ));
                        }
                    }
                    self.pos += 1;
                }
                c => out.push(c),
            }
        }
        Err("label value is missing its closing `\"`".into())
    }

    fn column(&self) -> usize {
        self.input[..self.pos].chars().count() + 1
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.peek() {
            Some(c) => format!(
                "expected {expected}, found `{c}` (column {})",
                self.column()
            ),
            None => format!("expected {expected}, found the end"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(s: &str) -> Selector {
        match s.parse() {
            Ok(sel) => sel,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn selector_plain_name() {
        assert_eq!(
            sel(" http_requests_total "),
            Selector::new("http_requests_total")
        );
        assert_eq!(sel("ns:job:rate5m"), Selector::new("ns:job:rate5m"));
    }

    #[test]
    fn selector_with_matchers_and_escapes() {
        let s = sel(r#"http_requests_total { job = "api", path="/a\"b\\c\n" , }"#);
        assert_eq!(s.name, "http_requests_total");
        assert_eq!(
            s.matchers,
            vec![
                ("job".to_string(), "api".to_string()),
                ("path".to_string(), "/a\"b\\c\n".to_string()),
            ]
        );
        assert_eq!(sel("up{}"), Selector::new("up"));
    }

    #[test]
    fn selector_display_round_trips() {
        let text = r#"http_requests_total{job="api",path="/a\"b\\c\n"}"#;
        let s = sel(text);
        assert_eq!(s.to_string(), text);
        assert_eq!(sel(&s.to_string()), s);
        assert_eq!(Selector::new("up").to_string(), "up");
    }

    #[test]
    fn selector_errors_quote_the_input_and_say_what_is_wrong() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("5xx_total", "expected a metric name, found `5`"),
            ("{job=\"a\"}", "expected a metric name, found `{`"),
            ("up job", "expected `{` or the end, found `j` (column 4)"),
            (
                "up{job!=\"a\"}",
                "only `=` matchers are supported (column 7)",
            ),
            ("up{job=~\"a\"}", "only `=` matchers are supported"),
            (
                "up{job=a}",
                "expected a double-quoted label value, found `a`",
            ),
            ("up{job=\"a}", "missing its closing `\"`"),
            ("up{job=\"a\"", "expected `,` or `}`, found the end"),
            ("up{job=\"a\" x=\"b\"}", "expected `,` or `}`, found `x`"),
            ("up{job=\"a\",job=\"b\"}", "label `job` is given twice"),
            (
                "up{job=\"a\"} extra",
                "expected the end after `}`, found `e`",
            ),
            ("up{=\"a\"}", "expected a label name, found `=`"),
            ("up{job=\"\\t\"}", "unknown escape"),
        ];
        for (input, reason) in cases {
            match input.parse::<Selector>() {
                Ok(s) => panic!("{input:?} parsed as {s:?}"),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.starts_with(&format!("invalid metric selector `{input}`: ")),
                        "{msg}"
                    );
                    assert!(msg.contains(reason), "{input:?}: {msg}");
                }
            }
        }
    }

    #[test]
    fn selector_deserializes_from_a_config_string() {
        #[derive(serde::Deserialize)]
        struct Config {
            requests: Selector,
        }
        let ok: Config = match toml::from_str(r#"requests = 'reqs_total{job="api"}'"#) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(ok.requests, sel(r#"reqs_total{job="api"}"#));
        let bad = toml::from_str::<Config>(r#"requests = "reqs{job}""#);
        let msg = bad.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("invalid metric selector `reqs{job}`"), "{msg}");
    }
}
