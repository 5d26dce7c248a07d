//! The layer arrows of docs/architecture.md, checked on the source: every
//! `crate::LAYER` path in non-test code of `src/` is read, and an import
//! against the arrows fails this test — unless it is one of the known
//! crossings listed below, which issue #14 removes one by one. The list
//! only shrinks: a listed crossing that no longer exists fails too, so
//! whoever removes one deletes its line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::collections::BTreeSet;
use std::path::Path;

/// What each layer must not import (its own folder and `model` are always
/// fine). `sources` and `ops` may name the messages they send (`app::Msg`,
/// `OpsEvent` …): that arrow is the message queue, not a dependency on the
/// reducer.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "model" => &[
            "app",
            "ui",
            "config",
            "sources",
            "ops",
            "rules",
            "runtime",
            "sim",
            "board",
            "board_fleet",
            "board_metrics",
        ],
        "rules" => &["app", "ui", "config", "sources", "ops", "runtime", "sim"],
        "config" => &["app", "ui", "sources", "ops", "rules", "runtime", "sim"],
        "app" | "ui" => &[
            "config",
            "sources",
            "ops",
            "runtime",
            "board",
            "board_fleet",
            "board_metrics",
            "sim",
        ],
        "sources" => &[
            "ops",
            "ui",
            "config",
            "runtime",
            "board",
            "board_fleet",
            "board_metrics",
            "sim",
        ],
        "ops" => &[
            "sources",
            "ui",
            "runtime",
            "board",
            "board_fleet",
            "board_metrics",
            "sim",
        ],
        _ => &[],
    }
}

/// The message types the sources and actions send to the board.
const MESSAGES: &[&str] = &["Msg", "MetricsUpdate", "OpsEvent", "ProbeId", "msg"];

/// Crossings that exist today, `(file, layer imported)`. Issue #14 moves
/// the code so that each goes away; delete its line when it does.
const KNOWN: &[(&str, &str)] = &[
    ("src/app/fleet.rs", "board_fleet"),
    ("src/config/schema_metrics.rs", "rules"),
    ("src/config/schema_metrics.rs", "sources"),
    ("src/config/validate_metrics.rs", "rules"),
    ("src/ops/actor/mod.rs", "sources"),
    ("src/ops/catalog.rs", "sources"),
    ("src/ops/docker/clone.rs", "sources"),
    ("src/ops/docker/mod.rs", "sources"),
    ("src/ops/docker/plan.rs", "sources"),
    ("src/ops/docker/ready.rs", "sources"),
    ("src/ops/docker/run.rs", "sources"),
    ("src/ops/docker/scale.rs", "sources"),
    ("src/ops/follow.rs", "sources"),
    ("src/ops/kube/follow.rs", "sources"),
    ("src/ops/kube/mod.rs", "sources"),
    ("src/ops/kube/rollback.rs", "sources"),
    ("src/ops/silence.rs", "sources"),
    ("src/sources/docker/mod.rs", "config"),
    ("src/sources/fleet.rs", "board_fleet"),
    ("src/sources/fleet.rs", "config"),
    ("src/sources/fleet_query.rs", "board_fleet"),
    ("src/sources/health.rs", "config"),
    ("src/sources/health/prober.rs", "config"),
    ("src/sources/health/redirect.rs", "config"),
];

/// Source without its `#[cfg(test)] mod tests { … }` tail (test code may
/// reach anywhere).
fn production_part(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// `(layer imported, next path segment)` for every `crate::` path.
fn crate_paths(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let layer = ident(rest);
        let after = &rest[layer.len()..];
        let next = after.strip_prefix("::").map(ident).unwrap_or("");
        out.push((layer.to_string(), next.to_string()));
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every crossing in `src/` now, as `(file, layer imported)`.
fn crossings() -> BTreeSet<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut found = BTreeSet::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().to_string();
        let name = f.file_name().unwrap().to_string_lossy();
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let layer = rel
            .trim_start_matches("src/")
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        for (target, next) in crate_paths(production_part(&text)) {
            if !forbidden(&layer).contains(&target.as_str()) {
                continue;
            }
            if target == "app"
                && (layer == "sources" || layer == "ops")
                && MESSAGES.contains(&next.as_str())
            {
                continue;
            }
            found.insert((rel.clone(), target));
        }
    }
    found
}

#[test]
fn imports_follow_the_layer_arrows() {
    let now = crossings();
    let known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(f, l)| (f.to_string(), l.to_string()))
        .collect();
    let new: Vec<_> = now.difference(&known).collect();
    assert!(
        new.is_empty(),
        "imports against the layer arrows (see docs/architecture.md; move the \
         shared piece down to model/ or into the layer that owns it): {new:#?}"
    );
    let gone: Vec<_> = known.difference(&now).collect();
    assert!(
        gone.is_empty(),
        "these known crossings are gone — delete their lines from KNOWN in \
         tests/layers.rs: {gone:#?}"
    );
}

#[test]
fn the_reader_sees_grouped_and_nested_paths() {
    let paths = crate_paths("use crate::app::Msg;\nlet x = crate::config::load();\n");
    assert_eq!(
        paths,
        [
            ("app".to_string(), "Msg".to_string()),
            ("config".to_string(), "load".to_string())
        ]
    );
    assert_eq!(
        production_part("a\n#[cfg(test)]\nmod tests { crate::x }"),
        "a\n"
    );
}
