//! The Kubernetes scope the board watches: which contexts and which
//! namespaces (`:ctx`, `:ns`), how the header writes it, and what the
//! Kubernetes source reports when it has (re)connected.

/// Contexts and namespaces in view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeScope {
    /// Contexts, as the kubeconfig names them; empty: its current context.
    pub contexts: Vec<String>,
    /// Namespaces; empty: all of them.
    pub namespaces: Vec<String>,
}

impl KubeScope {
    /// The contexts' part of the label: `prod`, or `prod+2` for three.
    pub fn contexts_label(&self) -> String {
        match self.contexts.as_slice() {
            [] => "current".to_string(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first}+{}", rest.len()),
        }
    }

    /// The namespaces' part: `/shop`, `/*`, or ` (3 ns)`.
    pub fn namespaces_label(&self) -> String {
        match self.namespaces.as_slice() {
            [] => "/*".to_string(),
            [one] => format!("/{one}"),
            many => format!(" ({} ns)", many.len()),
        }
    }

    /// `kind-demo/shop`, `prod/*`, `prod (3 ns)`, `prod+1/shop`.
    pub fn label(&self) -> String {
        format!("{}{}", self.contexts_label(), self.namespaces_label())
    }
}

/// What the Kubernetes source says once it has read the kubeconfig and
/// connected for a scope: the scope as watched (contexts by name) and the
/// contexts the kubeconfig offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeReport {
    /// The switch this answers (0 for the scope the board started with).
    pub generation: u64,
    pub scope: KubeScope,
    /// Every context of the kubeconfig.
    pub contexts: Vec<String>,
    /// The kubeconfig's `current-context`.
    pub current: Option<String>,
}

/// The words for a context the kubeconfig does not have (the connect
/// error and the `:ctx` palette say the same).
pub fn unknown_context(context: &str, known: &[String]) -> String {
    format!(
        "no context `{context}` in the kubeconfig (has: {})",
        known.join(", ")
    )
}

/// `all`, `*` (or nothing): every namespace.
pub fn means_all(arg: &str) -> bool {
    matches!(arg.trim(), "" | "all" | "*")
}

/// The namespaces of `a,b` (or `a b`), each checked as Kubernetes checks
/// a namespace name (an RFC 1123 label); `all` or `*` is every namespace
/// (an empty list).
pub fn parse_namespaces(arg: &str) -> Result<Vec<String>, String> {
    if means_all(arg) {
        return Ok(Vec::new());
    }
    let mut out: Vec<String> = Vec::new();
    for n in arg
        .split([',', ' '])
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !is_label(n) {
            return Err(format!(
                "`{}` is not a namespace name (lowercase letters, digits and '-', at most 63)",
                crate::model::text::safe(n)
            ));
        }
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    Ok(out)
}

/// An RFC 1123 label: what a namespace name must be.
fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(contexts: &[&str], namespaces: &[&str]) -> KubeScope {
        KubeScope {
            contexts: contexts.iter().map(|s| s.to_string()).collect(),
            namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn labels_say_context_and_namespaces_compactly() {
        assert_eq!(scope(&["kind-demo"], &["shop"]).label(), "kind-demo/shop");
        assert_eq!(scope(&["prod"], &[]).label(), "prod/*");
        assert_eq!(scope(&["prod"], &["a", "b", "c"]).label(), "prod (3 ns)");
        assert_eq!(
            scope(&["prod", "staging"], &["shop"]).label(),
            "prod+1/shop"
        );
    }

    #[test]
    fn namespaces_parse_lists_all_and_refuse_bad_names() {
        assert_eq!(parse_namespaces("all"), Ok(vec![]));
        assert_eq!(parse_namespaces(" * "), Ok(vec![]));
        assert_eq!(
            parse_namespaces("shop, ml,shop"),
            Ok(vec!["shop".to_string(), "ml".to_string()])
        );
        let e = parse_namespaces("Shop").unwrap_err();
        assert!(e.contains("`Shop` is not a namespace name"), "{e}");
        assert!(parse_namespaces("-x").is_err());
        assert!(parse_namespaces(&"a".repeat(64)).is_err());
        assert!(
            parse_namespaces("a\u{1b}[2J")
                .unwrap_err()
                .contains('\u{FFFD}')
        );
    }

    #[test]
    fn unknown_context_names_the_known_ones() {
        assert_eq!(
            unknown_context("nope", &["a".into(), "b".into()]),
            "no context `nope` in the kubeconfig (has: a, b)"
        );
    }
}
