//! Reading a command line the way a POSIX shell does, for the part of the
//! language people type into a container: words with `'…'`, `"…"` and `\`
//! quoting, `$NAME`, `${NAME}`, `$?`, `$$`, `$(…)` and backquotes, `;`,
//! `&&`, `||`, `|`, and redirections (`>`, `>>`, `<`, `2>`, `2>&1`,
//! `>&2`). Not read: globs, subshells and groups, `if`/`for`/`while`,
//! functions, here-documents; a `&` runs the command in the foreground.

/// A piece of a word, expanded when the command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    /// `$NAME`, `${NAME}`, `$?`, `$$`, `$0`…
    Var(String),
    /// `$(…)` or `` `…` ``: the inner script's output.
    Subst(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    pub parts: Vec<Part>,
}

impl Word {
    fn push_char(&mut self, c: char) {
        match self.parts.last_mut() {
            Some(Part::Lit(s)) => s.push(c),
            _ => self.parts.push(Part::Lit(c.to_string())),
        }
    }

    /// The word if it is a plain literal (`2`, `NAME=value`).
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Lit(s)] => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirKind {
    /// `>` (or `1>`), `>>`
    Out { append: bool },
    /// `2>`, `2>>`
    Err { append: bool },
    /// `<`
    In,
    /// `2>&1`
    ErrToOut,
    /// `>&2`, `1>&2`
    OutToErr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redir {
    pub kind: RedirKind,
    /// The file; `None` for the fd duplications.
    pub target: Option<Word>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
}

/// How an item is joined to the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    Seq,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub pipeline: Vec<Command>,
    pub then: Then,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxError {
    /// An opening quote (`'`, `"`, `` ` ``, or `(` of `$(`) never closed.
    Unterminated(char),
    /// A token where it cannot be (`| x`, `a &&`, `(`).
    Unexpected(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(Word),
    Op(&'static str),
    Redir(RedirKind),
}

pub fn parse(src: &str) -> Result<Vec<Item>, SyntaxError> {
    let tokens = tokens(src)?;
    let mut items = Vec::new();
    let mut pipeline: Vec<Command> = Vec::new();
    let mut cmd = Command::default();
    let mut it = tokens.into_iter().peekable();
    while let Some(t) = it.next() {
        match t {
            Token::Word(w) => cmd.words.push(w),
            Token::Redir(kind) => {
                let target = match kind {
                    RedirKind::ErrToOut | RedirKind::OutToErr => None,
                    _ => match it.next() {
                        Some(Token::Word(w)) => Some(w),
                        Some(Token::Op(op)) => return Err(SyntaxError::Unexpected(op.into())),
                        _ => return Err(SyntaxError::Unexpected("newline".into())),
                    },
                };
                cmd.redirs.push(Redir { kind, target });
            }
            Token::Op(op) => {
                let empty = cmd.words.is_empty() && cmd.redirs.is_empty();
                if empty {
                    // An empty command is fine only between lines.
                    if (op == ";" || op == "\n") && pipeline.is_empty() {
                        continue;
                    }
                    return Err(SyntaxError::Unexpected(op.into()));
                }
                pipeline.push(std::mem::take(&mut cmd));
                if op == "|" {
                    if it.peek().is_none() {
                        return Err(SyntaxError::Unexpected("end of file".into()));
                    }
                    continue;
                }
                let then = match op {
                    "&&" => Then::And,
                    "||" => Then::Or,
                    _ => Then::Seq,
                };
                if then != Then::Seq && it.peek().is_none() {
                    return Err(SyntaxError::Unexpected("end of file".into()));
                }
                items.push(Item {
                    pipeline: std::mem::take(&mut pipeline),
                    then,
                });
            }
        }
    }
    if !cmd.words.is_empty() || !cmd.redirs.is_empty() {
        pipeline.push(cmd);
    }
    if !pipeline.is_empty() {
        items.push(Item {
            pipeline,
            then: Then::Seq,
        });
    }
    Ok(items)
}

fn tokens(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut word: Option<Word> = None;
    let mut i = 0;
    let end_word = |word: &mut Option<Word>, out: &mut Vec<Token>| {
        if let Some(w) = word.take() {
            out.push(Token::Word(w));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => end_word(&mut word, &mut out),
            '\n' | ';' => {
                end_word(&mut word, &mut out);
                out.push(Token::Op(if c == ';' { ";" } else { "\n" }));
            }
            '#' if word.is_none() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '&' | '|' => {
                end_word(&mut word, &mut out);
                let doubled = chars.get(i + 1) == Some(&c);
                let op = match (c, doubled) {
                    ('&', true) => "&&",
                    ('|', true) => "||",
                    ('&', false) => ";",
                    _ => "|",
                };
                if doubled {
                    i += 1;
                }
                out.push(Token::Op(op));
            }
            '>' | '<' => {
                let fd2 = word.as_ref().and_then(Word::literal) == Some("2");
                let fd1 = word.as_ref().and_then(Word::literal) == Some("1");
                if fd1 || fd2 {
                    word = None;
                }
                end_word(&mut word, &mut out);
                let next = chars.get(i + 1).copied();
                let kind = match (c, next) {
                    ('<', _) => RedirKind::In,
                    ('>', Some('&')) if chars.get(i + 2) == Some(&'1') && fd2 => {
                        i += 2;
                        RedirKind::ErrToOut
                    }
                    ('>', Some('&')) if chars.get(i + 2) == Some(&'2') && !fd2 => {
                        i += 2;
                        RedirKind::OutToErr
                    }
                    ('>', Some('>')) => {
                        i += 1;
                        if fd2 {
                            RedirKind::Err { append: true }
                        } else {
                            RedirKind::Out { append: true }
                        }
                    }
                    _ if fd2 => RedirKind::Err { append: false },
                    _ => RedirKind::Out { append: false },
                };
                out.push(Token::Redir(kind));
            }
            '(' | ')' | '{' | '}' if word.is_none() => {
                return Err(SyntaxError::Unexpected(c.to_string()));
            }
            '\'' => {
                let w = word.get_or_insert_with(Word::default);
                let close = find(&chars, i + 1, '\'').ok_or(SyntaxError::Unterminated('\''))?;
                // An empty '' still makes a word.
                if close == i + 1 && w.parts.is_empty() {
                    w.parts.push(Part::Lit(String::new()));
                }
                for &ch in &chars[i + 1..close] {
                    w.push_char(ch);
                }
                i = close;
            }
            '"' => {
                let w = word.get_or_insert_with(Word::default);
                if w.parts.is_empty() {
                    w.parts.push(Part::Lit(String::new()));
                }
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(SyntaxError::Unterminated('"')),
                        Some('"') => break,
                        Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            w.push_char(chars[i + 1]);
                            i += 2;
                        }
                        Some('$') | Some('`') => i = dollar(&chars, i, w)?,
                        Some(&ch) => {
                            w.push_char(ch);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                match chars.get(i + 1) {
                    // A line continuation.
                    Some('\n') => {}
                    Some(&ch) => word.get_or_insert_with(Word::default).push_char(ch),
                    None => {}
                }
                i += 2;
                continue;
            }
            '$' | '`' => {
                let w = word.get_or_insert_with(Word::default);
                i = dollar(&chars, i, w)?;
                continue;
            }
            ch => word.get_or_insert_with(Word::default).push_char(ch),
        }
        i += 1;
    }
    end_word(&mut word, &mut out);
    Ok(out)
}

fn find(chars: &[char], from: usize, c: char) -> Option<usize> {
    chars[from.min(chars.len())..]
        .iter()
        .position(|&x| x == c)
        .map(|p| from + p)
}

/// Reads an expansion starting at `chars[i]` (`$` or `` ` ``) into `w`;
/// returns the index after it.
fn dollar(chars: &[char], i: usize, w: &mut Word) -> Result<usize, SyntaxError> {
    if chars[i] == '`' {
        let close = find(chars, i + 1, '`').ok_or(SyntaxError::Unterminated('`'))?;
        w.parts
            .push(Part::Subst(chars[i + 1..close].iter().collect()));
        return Ok(close + 1);
    }
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match chars.get(i + 1) {
        Some('(') => {
            let close = matching_paren(chars, i + 2).ok_or(SyntaxError::Unterminated('('))?;
            w.parts
                .push(Part::Subst(chars[i + 2..close].iter().collect()));
            Ok(close + 1)
        }
        Some('{') => {
            let close = find(chars, i + 2, '}').ok_or(SyntaxError::Unterminated('{'))?;
            w.parts
                .push(Part::Var(chars[i + 2..close].iter().collect()));
            Ok(close + 1)
        }
        Some(&c) if matches!(c, '?' | '$' | '#' | '!' | '@' | '*') || c.is_ascii_digit() => {
            w.parts.push(Part::Var(c.to_string()));
            Ok(i + 2)
        }
        Some(&c) if is_name(c) => {
            let mut j = i + 1;
            while j < chars.len() && is_name(chars[j]) {
                j += 1;
            }
            w.parts.push(Part::Var(chars[i + 1..j].iter().collect()));
            Ok(j)
        }
        // A lone `$` is itself.
        _ => {
            w.push_char('$');
            Ok(i + 1)
        }
    }
}

/// The `)` closing a `$(` whose inside starts at `from`, past quotes and
/// nested parentheses.
fn matching_paren(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\'' => i = find(chars, i + 1, '\'')?,
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}
