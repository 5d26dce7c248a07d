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

    pub fn failing_checks(&self) -> impl Iterator<Item = &DependencyCheck> {
        self.checks
            .iter()
            .filter(|c| matches!(c.status, Health::Down | Health::Degraded))
    }
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

    #[test]
    fn words() {
        assert_eq!(Health::from_word("UP"), Some(Health::Up));
        assert_eq!(Health::from_word(" Healthy "), Some(Health::Up));
        assert_eq!(Health::from_word("unhealthy"), Some(Health::Down));
        assert_eq!(Health::from_word("degraded"), Some(Health::Degraded));
        assert_eq!(Health::from_word("pong"), None);
    }
}
