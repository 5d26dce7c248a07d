//! Alerts, whatever raised them: opsboard's own rules, Prometheus and
//! Alertmanager all feed the same type; the Alerts pane merges them.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// From a `severity` label: `critical`/`page`/`error` → Critical,
    /// `warning`/`warn` → Warning, anything else (or none) → Info.
    pub fn from_label(v: Option<&str>) -> Severity {
        match v.map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("critical" | "crit" | "page" | "error" | "high" | "p1") => Severity::Critical,
            Some("warning" | "warn" | "medium" | "p2") => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertSource {
    /// opsboard's own rules (`rules/`).
    Local,
    /// A Prometheus server's `/api/v1/alerts`.
    Prometheus,
    /// An Alertmanager's `/api/v2/alerts`.
    Alertmanager,
}

impl AlertSource {
    pub fn word(self) -> &'static str {
        match self {
            AlertSource::Local => "opsboard",
            AlertSource::Prometheus => "prometheus",
            AlertSource::Alertmanager => "alertmanager",
        }
    }

    /// As the notice line names a server's kind: `Prometheus main`.
    pub fn title(self) -> &'static str {
        match self {
            AlertSource::Local => "opsboard",
            AlertSource::Prometheus => "Prometheus",
            AlertSource::Alertmanager => "Alertmanager",
        }
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The condition holds but not yet for the rule's `for`.
    Pending,
    Firing,
    /// Alertmanager: active but silenced or inhibited.
    Suppressed,
    /// Alertmanager: received, not yet processed.
    Unprocessed,
    /// The condition stopped holding (kept on the board for a while).
    Resolved,
}

impl AlertState {
    pub fn word(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Suppressed => "suppressed",
            AlertState::Unprocessed => "unprocessed",
            AlertState::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Like Prometheus' `alertname`: `BackupRpoBreached`.
    pub name: String,
    pub severity: Severity,
    pub source: AlertSource,
    /// Which configured server it came from (`""` for local rules).
    pub origin: String,
    pub state: AlertState,
    /// Including `alertname`.
    pub labels: BTreeMap<String, String>,
    /// `summary`, `description`, `runbook_url`, …
    pub annotations: BTreeMap<String, String>,
    /// The one-line text shown in lists (summary, else description, else
    /// the name).
    pub summary: String,
    /// The board service it concerns, when known.
    pub service: Option<String>,
    /// When the condition started (`activeAt` / `startsAt`), when known.
    pub since: Option<SystemTime>,
    /// When it fired (pending → firing), for local rules.
    pub fired_at: Option<SystemTime>,
    /// When it resolved.
    pub resolved_at: Option<SystemTime>,
    /// The expression's value when it was evaluated, as text.
    pub value: Option<String>,
    /// Alertmanager's fingerprint.
    pub fingerprint: Option<String>,
    /// Alertmanager: silences suppressing it.
    pub silenced_by: Vec<String>,
    /// Alertmanager: alerts inhibiting it.
    pub inhibited_by: Vec<String>,
    /// Alertmanager: receiver names.
    pub receivers: Vec<String>,
}

impl Alert {
    /// A firing local alert with no extras; rules fill in the rest.
    pub fn local(name: &str, severity: Severity, summary: String) -> Alert {
        let mut labels = BTreeMap::new();
        labels.insert("alertname".into(), name.into());
        labels.insert("severity".into(), severity.word().into());
        Alert::bare(name.into(), severity, AlertSource::Local, labels, summary)
    }

    /// An alert with its name, severity, source, labels and summary; no
    /// origin, annotations, times, service or Alertmanager extras.
    pub fn bare(
        name: String,
        severity: Severity,
        source: AlertSource,
        labels: BTreeMap<String, String>,
        summary: String,
    ) -> Alert {
        Alert {
            name,
            severity,
            source,
            origin: String::new(),
            state: AlertState::Firing,
            labels,
            annotations: BTreeMap::new(),
            summary,
            service: None,
            since: None,
            fired_at: None,
            resolved_at: None,
            value: None,
            fingerprint: None,
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            receivers: Vec::new(),
        }
    }

    /// The identity Prometheus and Alertmanager share: the label set
    /// (which includes `alertname`).
    pub fn identity(&self) -> &BTreeMap<String, String> {
        &self.labels
    }
}

/// An Alertmanager silence matcher.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    /// `true` for `=`/`=~`, `false` for `!=`/`!~`.
    pub is_equal: bool,
}

impl Matcher {
    pub fn equal(name: &str, value: &str) -> Matcher {
        Matcher {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        }
    }

    /// `name="value"`, `name=~"re"`, `name!="v"`, `name!~"re"`.
    pub fn op(&self) -> &'static str {
        match (self.is_equal, self.is_regex) {
            (true, false) => "=",
            (true, true) => "=~",
            (false, false) => "!=",
            (false, true) => "!~",
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self
            .value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        write!(f, "{}{}\"{v}\"", self.name, self.op())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SilenceState {
    Active,
    Pending,
    Expired,
}

/// An Alertmanager silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Silence {
    pub id: String,
    /// Which configured Alertmanager holds it.
    pub origin: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: SystemTime,
    pub ends_at: SystemTime,
    pub created_by: String,
    pub comment: String,
    pub state: SilenceState,
}

/// A Prometheus scrape target (`/api/v1/targets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrapeTarget {
    /// Which configured Prometheus reported it.
    pub origin: String,
    pub job: String,
    pub instance: String,
    pub scrape_url: String,
    pub health: crate::model::Health,
    pub last_error: Option<String>,
    pub last_scrape: Option<SystemTime>,
    pub labels: BTreeMap<String, String>,
}

/// One rule of a Prometheus rule group (`/api/v1/rules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleHealth {
    pub origin: String,
    pub group: String,
    pub name: String,
    /// `ok`, `err`, `unknown`.
    pub health: String,
    pub last_error: Option<String>,
    /// `alerting` or `recording`.
    pub kind: String,
}

impl Matcher {
    /// Parses `name="value", other=~"re.*", x!="y"` (the form amtool and
    /// the Alertmanager UI use). Values must be double-quoted; `\"` and
    /// `\\` escape inside them.
    pub fn parse_list(text: &str) -> Result<Vec<Matcher>, String> {
        let mut out = Vec::new();
        let mut rest = text
            .trim()
            .trim_start_matches('{')
            .trim_end_matches('}')
            .trim();
        while !rest.is_empty() {
            let name_end = rest
                .find(['=', '!'])
                .ok_or_else(|| format!("`{rest}`: expected name=\"value\""))?;
            let name = rest[..name_end].trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`{name}` is not a label name"));
            }
            let after = &rest[name_end..];
            let (op_len, is_equal, is_regex) = if after.starts_with("=~") {
                (2, true, true)
            } else if after.starts_with("!~") {
                (2, false, true)
            } else if after.starts_with("!=") {
                (2, false, false)
            } else if after.starts_with('=') {
                (1, true, false)
            } else {
                return Err(format!("`{name}`: expected =, !=, =~ or !~"));
            };
            let after = after[op_len..].trim_start();
            let Some(body) = after.strip_prefix('"') else {
                return Err(format!("{name}: the value must be in double quotes"));
            };
            let mut value = String::new();
            let mut chars = body.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, e)) => value.push(e),
                        None => break,
                    },
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end.ok_or_else(|| format!("{name}: the value's closing quote is missing"))?;
            out.push(Matcher {
                name: name.to_string(),
                value,
                is_regex,
                is_equal,
            });
            rest = body[end + 1..].trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        if out.is_empty() {
            return Err("a silence needs at least one matcher".into());
        }
        if out.iter().all(|m| m.value.is_empty() || !m.is_equal) {
            // Alertmanager refuses silences that would match every alert.
            return Err("at least one matcher must match a non-empty value".into());
        }
        Ok(out)
    }

    /// Writes matchers back in the form `parse_list` reads.
    pub fn format_list(ms: &[Matcher]) -> String {
        ms.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The names of opsboard's built-in alert rules (`[rules] disabled`
/// names them).
pub const BUILT_IN_RULES: &[&str] = &[
    "ErrorRateHigh",
    "LatencyHigh",
    "CpuHigh",
    "MemoryHigh",
    "DiskHigh",
    "ServiceDown",
    "RestartLoop",
    "RolloutStalled",
    "RolloutRegressed",
    "BackupRpoBreached",
    "FleetGroupOffline",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_round_trip() {
        let ms = Matcher::parse_list(r#"alertname="Down", job=~"web.*", x!="a \"q\"""#).unwrap();
        assert_eq!(ms.len(), 3);
        assert_eq!(ms[1].op(), "=~");
        assert_eq!(ms[2].value, "a \"q\"");
        assert_eq!(Matcher::parse_list(&Matcher::format_list(&ms)).unwrap(), ms);
    }

    #[test]
    fn matcher_errors_say_what() {
        assert!(
            Matcher::parse_list("")
                .unwrap_err()
                .contains("at least one")
        );
        assert!(
            Matcher::parse_list("a=b")
                .unwrap_err()
                .contains("double quotes")
        );
        assert!(
            Matcher::parse_list("a=\"b")
                .unwrap_err()
                .contains("closing quote")
        );
        assert!(
            Matcher::parse_list("a b=\"c\"")
                .unwrap_err()
                .contains("label name")
        );
        assert!(
            Matcher::parse_list("a!=\"b\"")
                .unwrap_err()
                .contains("non-empty")
        );
    }

    #[test]
    fn severity_from_labels() {
        assert_eq!(Severity::from_label(Some("page")), Severity::Critical);
        assert_eq!(Severity::from_label(Some("Warning")), Severity::Warning);
        assert_eq!(Severity::from_label(None), Severity::Info);
    }
}
