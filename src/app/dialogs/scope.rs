//! The palette's `:ctx` and `:ns` (k9s's words): the kubeconfig's
//! contexts and the watched clusters' namespaces as entries, fuzzy-matched
//! by name, and what Enter does with what was typed (`ctx kind-prod`,
//! `ns shop`, `ns shop,ml`, `ns all`).

use super::fuzzy::Fuzzy;
use super::palette_entry::{PaletteAction, PaletteEntry};
use crate::app::kube_scope::ScopeChange;
use crate::app::msg::Effect;
use crate::app::scope_switch::{known_namespaces, switch};
use crate::app::state::State;
use crate::model::kube_scope::{KubeScope, means_all, parse_namespaces, unknown_context};
use crate::model::text::safe;

/// Which scope a palette query switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeCommand {
    Context,
    Namespace,
}

impl ScopeCommand {
    /// The word its entries start with.
    pub fn word(self) -> &'static str {
        match self {
            ScopeCommand::Context => "ctx",
            ScopeCommand::Namespace => "ns",
        }
    }

    fn owns(self, change: &ScopeChange) -> bool {
        matches!(
            (self, change),
            (ScopeCommand::Context, ScopeChange::Contexts(_))
                | (ScopeCommand::Namespace, ScopeChange::Namespaces(_))
        )
    }
}

/// `ctx …` or `ns …` (also `context`, `namespace`): the command and what
/// follows it, trimmed.
pub fn scope_command(query: &str) -> Option<(ScopeCommand, &str)> {
    let q = query.trim_start();
    let (word, rest) = q.split_at(q.find(char::is_whitespace).unwrap_or(q.len()));
    let command = match word.to_ascii_lowercase().as_str() {
        "ctx" | "context" | "contexts" => ScopeCommand::Context,
        "ns" | "namespace" | "namespaces" => ScopeCommand::Namespace,
        _ => return None,
    };
    Some((command, rest.trim()))
}

/// Every context of the kubeconfig (the watched ones and the current one
/// marked), then every namespace, `all` first.
pub fn scope_entries(state: &State) -> Vec<PaletteEntry> {
    let Some(k) = &state.kube_scope else {
        return vec![];
    };
    let mut out = Vec::new();
    for c in &k.contexts {
        let mut marks = Vec::new();
        if k.scope.contexts.contains(c) {
            marks.push("watched");
        }
        if k.current.as_ref() == Some(c) {
            marks.push("current-context");
        }
        out.push(entry(
            format!("ctx {}", safe(c)),
            if marks.is_empty() {
                "context".to_string()
            } else {
                format!("context · {}", marks.join(" · "))
            },
            ScopeChange::Contexts(vec![c.clone()]),
        ));
    }
    let all = k.scope.namespaces.is_empty();
    out.push(entry(
        "ns all".to_string(),
        if all {
            "all namespaces · watched".to_string()
        } else {
            "all namespaces".to_string()
        },
        ScopeChange::Namespaces(Vec::new()),
    ));
    for n in known_namespaces(state) {
        let watched = k.scope.namespaces.contains(&n);
        out.push(entry(
            format!("ns {}", safe(&n)),
            if watched {
                "namespace · watched".to_string()
            } else {
                "namespace".to_string()
            },
            ScopeChange::Namespaces(vec![n]),
        ));
    }
    out
}

fn entry(label: String, detail: String, change: ScopeChange) -> PaletteEntry {
    PaletteEntry {
        label,
        detail,
        request: PaletteAction::Scope(change),
        dangerous: false,
    }
}

/// The entries of `command` whose name matches `arg`, best first; a name
/// typed in full comes first.
pub fn command_view(state: &State, command: ScopeCommand, arg: &str) -> Vec<PaletteEntry> {
    let mut fuzzy = Fuzzy::new(arg);
    let name = |e: &PaletteEntry| -> String {
        e.label
            .strip_prefix(command.word())
            .unwrap_or(&e.label)
            .trim()
            .to_string()
    };
    let mut scored: Vec<(bool, i64, usize, PaletteEntry)> = scope_entries(state)
        .into_iter()
        .filter(|e| matches!(&e.request, PaletteAction::Scope(c) if command.owns(c)))
        .enumerate()
        .filter_map(|(i, e)| {
            let n = name(&e);
            let exact = n == arg;
            fuzzy.score(&n).map(|s| (exact, s, i, e))
        })
        .collect();
    // Typed nothing: the kubeconfig's order (and `all` first).
    if arg.is_empty() {
        return scored.into_iter().map(|(.., e)| e).collect();
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    scored.into_iter().map(|(.., e)| e).collect()
}

/// Enter on `ctx …` / `ns …`: the highlighted entry, or the names typed
/// (several with commas), checked against what the kubeconfig and the
/// clusters have.
pub fn on_enter(
    state: &mut State,
    command: ScopeCommand,
    arg: &str,
    chosen: Option<PaletteEntry>,
) -> Vec<Effect> {
    if state.kube_scope.is_none() {
        state.flash(
            "no Kubernetes to switch: not connected yet, no kubeconfig, or [kubernetes] disabled",
            true,
        );
        return vec![];
    }
    let chosen = chosen
        .and_then(|e| match e.request {
            PaletteAction::Scope(c) => Some(c),
            _ => None,
        })
        .filter(|_| !arg.contains(','));
    let change = match (chosen, command) {
        (Some(c), _) => Ok(c),
        (None, ScopeCommand::Context) => typed_contexts(state, arg),
        (None, ScopeCommand::Namespace) => typed_namespaces(state, arg),
    };
    match change {
        Ok(c) => apply(state, c),
        Err(e) => {
            state.flash(e, true);
            vec![]
        }
    }
}

/// Watches what `change` says instead; nothing happens when it is what is
/// watched already.
pub fn apply(state: &mut State, change: ScopeChange) -> Vec<Effect> {
    let Some(k) = &state.kube_scope else {
        return vec![];
    };
    let scope = match change {
        ScopeChange::Contexts(contexts) => KubeScope {
            contexts,
            namespaces: k.scope.namespaces.clone(),
        },
        ScopeChange::Namespaces(namespaces) => KubeScope {
            contexts: k.scope.contexts.clone(),
            namespaces,
        },
    };
    if scope == k.scope {
        state.flash(
            format!("already watching ⎈ {}", safe(&scope.label())),
            false,
        );
        return vec![];
    }
    switch(state, scope)
}

fn typed_contexts(state: &State, arg: &str) -> Result<ScopeChange, String> {
    let known = state
        .kube_scope
        .as_ref()
        .map(|k| k.contexts.clone())
        .unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    for n in arg.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !known.iter().any(|k| k == n) {
            let known: Vec<String> = known.iter().map(|k| safe(k)).collect();
            return Err(unknown_context(&safe(n), &known));
        }
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    }
    if names.is_empty() {
        return Err("the kubeconfig has no contexts".into());
    }
    Ok(ScopeChange::Contexts(names))
}

fn typed_namespaces(state: &State, arg: &str) -> Result<ScopeChange, String> {
    let names = parse_namespaces(arg)?;
    if means_all(arg) {
        return Ok(ScopeChange::Namespaces(Vec::new()));
    }
    // Only what the clusters list (when they let us list them).
    let known = known_namespaces(state);
    if let Some(n) = names
        .iter()
        .find(|n| !known.is_empty() && !known.contains(n))
    {
        let contexts = state
            .kube_scope
            .as_ref()
            .map(|k| k.scope.contexts_label())
            .unwrap_or_default();
        return Err(format!(
            "no namespace `{}` in {} (has: {})",
            safe(n),
            safe(&contexts),
            known.iter().map(|k| safe(k)).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(ScopeChange::Namespaces(names))
}
