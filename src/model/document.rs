//! A read-only text document opened on one object — `kubectl describe`'s
//! sections, its YAML, a container's inspect — and what it is about.
//! Rendered off the UI (in a task) from an API body; every string in it is
//! already cleaned of control characters.

use std::fmt;

use super::text;

/// What a document shows of its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// `kubectl describe`'s sections, in opsboard's layout.
    Describe,
    /// The object as YAML, `metadata.managedFields` dropped.
    Yaml,
    /// A Docker container's inspect.
    Inspect,
}

impl Rendering {
    pub fn word(self) -> &'static str {
        match self {
            Rendering::Describe => "describe",
            Rendering::Yaml => "yaml",
            Rendering::Inspect => "inspect",
        }
    }
}

/// A Kubernetes object kind that can be described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Workload(super::WorkloadKind),
    Pod,
    Node,
}

impl ObjectKind {
    /// As kubectl writes it: `deployment`, `pod`, `node`.
    pub fn word(self) -> &'static str {
        match self {
            ObjectKind::Workload(w) => w.word(),
            ObjectKind::Pod => "pod",
            ObjectKind::Node => "node",
        }
    }
}

/// The object a document is opened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectRef {
    Kube {
        context: String,
        /// `None` for a node.
        namespace: Option<String>,
        kind: ObjectKind,
        name: String,
    },
    Docker {
        host: String,
        id: String,
        name: String,
    },
}

impl ObjectRef {
    /// A Kubernetes workload.
    pub fn workload(w: &super::WorkloadRef) -> ObjectRef {
        ObjectRef::Kube {
            context: w.context.clone(),
            namespace: Some(w.namespace.clone()),
            kind: ObjectKind::Workload(w.kind),
            name: w.name.clone(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::Kube {
                context,
                namespace: Some(ns),
                kind,
                name,
            } => write!(f, "{} {name} in {ns} ({context})", kind.word()),
            ObjectRef::Kube {
                context,
                namespace: None,
                kind,
                name,
            } => write!(f, "{} {name} ({context})", kind.word()),
            ObjectRef::Docker { host, name, .. } => write!(f, "container {name} on {host}"),
        }
    }
}

/// How a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A section title (`Conditions:`).
    Heading,
    Plain,
    /// Something wrong: a Warning event, a failing condition.
    Warning,
}

/// One line of a document. `secret`, when set, follows `text` and is masked
/// on screen until the operator reveals it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    pub text: String,
    pub kind: LineKind,
    pub secret: Option<String>,
}

/// What a masked value is drawn as.
pub const MASKED: &str = "••••••";

impl DocLine {
    /// The line as shown: the secret masked unless `revealed`.
    pub fn shown(&self, revealed: bool) -> String {
        match &self.secret {
            None => self.text.clone(),
            Some(_) if !revealed => format!("{}{MASKED}", self.text),
            Some(s) => format!("{}{s}", self.text),
        }
    }
}

/// A rendered document: lines, cleaned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub lines: Vec<DocLine>,
}

impl Document {
    /// Adds a line; control characters are removed (a tab becomes a space).
    pub fn push(&mut self, kind: LineKind, line: impl AsRef<str>) {
        self.lines.push(DocLine {
            text: text::clean(line.as_ref()).into_owned(),
            kind,
            secret: None,
        });
    }

    pub fn heading(&mut self, line: impl AsRef<str>) {
        self.push(LineKind::Heading, line);
    }

    pub fn line(&mut self, line: impl AsRef<str>) {
        self.push(LineKind::Plain, line);
    }

    pub fn warning(&mut self, line: impl AsRef<str>) {
        self.push(LineKind::Warning, line);
    }

    /// `NAME=value`, the value masked until revealed when the name looks
    /// secret.
    pub fn env(&mut self, indent: &str, name: &str, value: &str) {
        let head = format!("{indent}{}=", text::clean(name));
        let value = text::clean(value).into_owned();
        self.lines.push(if looks_secret(name) {
            DocLine {
                text: head,
                kind: LineKind::Plain,
                secret: Some(value),
            }
        } else {
            DocLine {
                text: format!("{head}{value}"),
                kind: LineKind::Plain,
                secret: None,
            }
        });
    }

    /// `label:` padded to `width`, then the value.
    pub fn field(&mut self, indent: &str, label: &str, width: usize, value: impl AsRef<str>) {
        let label = format!("{label}:");
        self.line(format!("{indent}{label:<width$} {}", value.as_ref()));
    }

    /// Whether any line holds a masked value.
    pub fn has_secrets(&self) -> bool {
        self.lines.iter().any(|l| l.secret.is_some())
    }

    /// The names of the masked values (`DB_PASSWORD`), for the audit log.
    pub fn secret_names(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| l.secret.is_some())
            .map(|l| {
                l.text
                    .trim()
                    .trim_end_matches('=')
                    .trim_end_matches(':')
                    .to_string()
            })
            .collect()
    }
}

/// Whether an environment variable's name looks like it holds a secret:
/// it contains `PASSWORD`, `PASSWD`, `TOKEN`, `SECRET` or `KEY`, in any case.
pub fn looks_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["PASSWORD", "PASSWD", "TOKEN", "SECRET", "KEY"]
        .iter()
        .any(|w| n.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_names_are_masked_until_revealed() {
        let mut d = Document::default();
        d.env("  ", "DB_PASSWORD", "canary-xyz");
        d.env("  ", "api_token", "t0k");
        d.env("  ", "PORT", "8080");
        assert_eq!(d.lines[0].shown(false), "  DB_PASSWORD=••••••");
        assert_eq!(d.lines[0].shown(true), "  DB_PASSWORD=canary-xyz");
        assert_eq!(d.lines[1].shown(false), "  api_token=••••••");
        assert_eq!(d.lines[2].shown(false), "  PORT=8080");
        assert_eq!(d.secret_names(), vec!["DB_PASSWORD", "api_token"]);
        assert!(looks_secret("aws_secret_access_key"));
        assert!(looks_secret("SSH_KEY_FILE"));
        assert!(!looks_secret("HOME"));
    }

    #[test]
    fn lines_are_cleaned() {
        let mut d = Document::default();
        d.line("a\u{1b}[2Jb\tc");
        d.env("", "X\u{7}", "v\u{1b}]52;c;x\u{7}");
        assert_eq!(d.lines[0].text, "a\u{FFFD}[2Jb c");
        assert!(!d.lines[1].shown(true).chars().any(text::is_unsafe_char));
    }
}
