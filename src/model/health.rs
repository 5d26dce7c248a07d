//! Health status and the parsed body of a health endpoint.

use std::fmt;

/// The status of a probe or a service, as the on-call engineer reads it.
///
/// `Ord` ranks by severity: the worst status sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Down,
    Degraded,
    Unknown,
    Up,
}

impl Health {
    /// Short badge text, so status is never shown by colour alone.
    pub fn badge(self) -> &'static str {
        match self {
            Health::Up => "UP",
            Health::Degraded => "DEGR",
            Health::Down => "DOWN",
            Health::Unknown => "UNKN",
        }
    }

    /// A glyph that still reads on a monochrome terminal.
    pub fn glyph(self) -> &'static str {
        match self {
            Health::Up => "●",
            Health::Degraded => "◐",
            Health::Down => "✖",
            Health::Unknown => "?",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Degraded => "degraded",
            Health::Down => "down",
            Health::Unknown => "unknown",
        }
    }

    /// Interprets a status word as services report it (`"healthy"`, `"ok"`,
    /// `"UP"`, `"pass"` …). Returns `None` for words that carry no verdict.
    pub fn from_word(word: &str) -> Option<Health> {
        let w = word.trim().to_ascii_lowercase();
        match w.as_str() {
            "healthy" | "ok" | "up" | "pass" | "passing" | "green" | "good" | "ready" | "alive"
            | "running" | "serving" | "available" => Some(Health::Up),
            "degraded" | "warn" | "warning" | "yellow" | "partial" | "impaired" => {
                Some(Health::Degraded)
            }
            "unhealthy" | "down" | "fail" | "failed" | "failing" | "error" | "critical" | "red"
            | "bad" | "dead" | "not_serving" | "unavailable" | "out_of_service" => {
                Some(Health::Down)
            }
            "unknown" => Some(Health::Unknown),
            _ => None,
        }
    }

    /// The worse of two statuses.
    pub fn worst(self, other: Health) -> Health {
        self.min(other)
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// One named dependency check inside a health body
/// (`"checks": {"database": "healthy"}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DependencyCheck {
    /// The check's path in the body, dotted when nested: `db.replica` for
    /// `checks.db.details.replica` or Spring's
    /// `components.db.components.replica`.
    pub name: String,
    pub status: Health,
    /// Anything else the service said about this check (error text, latency…).
    pub detail: Option<String>,
}

/// What a health endpoint said about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct HealthReport {
    /// The overall verdict the body states, when it states one.
    pub stated: Option<Health>,
    pub checks: Vec<DependencyCheck>,
    pub version: Option<String>,
}

impl HealthReport {
    /// The verdict of this body: the stated status, made worse by any
    /// failing check (a body saying "healthy" with a down dependency is
    /// degraded, not up).
    pub fn verdict(&self) -> Option<Health> {
        let worst_check = self
            .checks
            .iter()
            .map(|c| c.status)
            .filter(|h| *h != Health::Unknown)
            .min();
        match (self.stated, worst_check) {
            (Some(Health::Up), Some(Health::Down | Health::Degraded)) => Some(Health::Degraded),
            (Some(s), _) => Some(s),
            (None, Some(Health::Down)) => Some(Health::Degraded),
            (None, Some(c)) => Some(c),
            (None, None) => None,
        }
    }

    /// The checks that fail, deepest first named: a failing `db` whose
    /// `db.replica` fails too is left out, since the leaf says why.
    pub fn failing_checks(&self) -> impl Iterator<Item = &DependencyCheck> {
        let failing = |c: &DependencyCheck| matches!(c.status, Health::Down | Health::Degraded);
        self.checks.iter().filter(move |c| {
            failing(c)
                && !self
                    .checks
                    .iter()
                    .any(|d| failing(d) && is_below(&d.name, &c.name))
        })
    }

    /// The redirects the probe followed to get this body, as recorded
    /// under [`REDIRECT_CHECK`]: `302 → /health`.
    pub fn redirects(&self) -> Option<&str> {
        self.checks
            .iter()
            .find(|c| c.name == REDIRECT_CHECK)
            .and_then(|c| c.detail.as_deref())
    }
}

/// The name under which a probe that followed redirects records them
/// among the checks (an `UP` entry, so it never changes the verdict), so
/// that the detail view lists `redirected  302 → /health` with the body's
/// own checks.
pub const REDIRECT_CHECK: &str = "redirected";

/// Whether `child` is a check nested under `parent` (`db.replica` under
/// `db`).
fn is_below(child: &str, parent: &str) -> bool {
    child
        .strip_prefix(parent)
        .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_first_ordering() {
        let mut v = vec![Health::Up, Health::Unknown, Health::Down, Health::Degraded];
        v.sort();
        assert_eq!(
            v,
            vec![Health::Down, Health::Degraded, Health::Unknown, Health::Up]
        );
    }

    #[test]
    fn healthy_body_with_down_dependency_is_degraded() {
        let r = HealthReport {
            stated: Some(Health::Up),
            checks: vec![DependencyCheck {
                name: "db".into(),
                status: Health::Down,
                detail: None,
            }],
            version: None,
        };
        assert_eq!(r.verdict(), Some(Health::Degraded));
    }

    fn check(name: &str, status: Health) -> DependencyCheck {
        DependencyCheck {
            name: name.into(),
            status,
            detail: None,
        }
    }

    #[test]
    fn a_failing_leaf_is_named_instead_of_its_failing_parent() {
        let r = HealthReport {
            stated: Some(Health::Up),
            checks: vec![
                check("db", Health::Down),
                check("db.replica", Health::Down),
                check("db.primary", Health::Up),
                check("dbx", Health::Down),
                check("cache", Health::Degraded),
            ],
            version: None,
        };
        let names: Vec<&str> = r.failing_checks().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["db.replica", "dbx", "cache"]);
        assert_eq!(r.verdict(), Some(Health::Degraded));
    }

    #[test]
    fn words() {
        assert_eq!(Health::from_word("UP"), Some(Health::Up));
        assert_eq!(Health::from_word(" Healthy "), Some(Health::Up));
        assert_eq!(Health::from_word("unhealthy"), Some(Health::Down));
        assert_eq!(Health::from_word("degraded"), Some(Health::Degraded));
        assert_eq!(Health::from_word("pong"), None);
    }
}
