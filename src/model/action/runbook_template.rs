//! A runbook's argv template: the placeholders it may use and where they
//! are in one element (`{service}`, substituted inside it, never split).

/// Placeholders a runbook argv may use.
pub const RUNBOOK_PLACEHOLDERS: &[&str] = &["service", "namespace", "context", "container", "host"];

/// The `{name}` placeholders in one argv element.
pub fn placeholders(arg: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}
