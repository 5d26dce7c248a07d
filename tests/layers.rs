//! The layer arrows of docs/architecture.md, checked on the source: every
//! `crate::LAYER` path in non-test code of `src/` is read, and an import
//! against the arrows fails this test — unless it is one of the known
//! crossings listed below, which issue #14 removes one by one. The list
//! only shrinks: a listed crossing that no longer exists fails too, so
//! whoever removes one deletes its line.
//!
//! The second test reads the imports between the files of each folder
//! (`super::x`, `crate::layer::x`) and fails on a cycle between them,
//! unless it is listed in `KNOWN_CYCLES`, which only shrinks too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each layer must not import (its own folder and `model` are always
/// fine). `sources` and `ops` may name the messages they send (`app::Msg`,
/// `OpsEvent` …): that arrow is the message queue, not a dependency on the
/// reducer.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "model" => &[
            "app", "ui", "config", "sources", "ops", "rules", "clients", "runtime", "sim",
            "assemble",
        ],
        "clients" => &[
            "app", "ui", "config", "sources", "ops", "rules", "runtime", "sim", "assemble",
        ],
        "rules" => &[
            "app", "ui", "config", "sources", "ops", "clients", "runtime", "sim", "assemble",
        ],
        "config" => &[
            "app", "ui", "sources", "ops", "rules", "clients", "runtime", "sim", "assemble",
        ],
        "app" | "ui" => &[
            "config", "sources", "ops", "clients", "runtime", "assemble", "sim",
        ],
        "sources" => &["ops", "ui", "config", "runtime", "assemble", "sim"],
        "ops" => &["sources", "ui", "config", "runtime", "assemble", "sim"],
        _ => &[],
    }
}

/// The message types the sources and actions send to the board.
const MESSAGES: &[&str] = &["Msg", "MetricsUpdate", "OpsEvent", "msg"];

/// Crossings that exist today, `(file, layer imported)`. Issue #14 moves
/// the code so that each goes away; delete its line when it does.
const KNOWN: &[(&str, &str)] = &[];

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

/// Cycles between the files of one folder that exist today: the folder and
/// the members of the cycle (a strongly connected component of the import
/// graph), sorted. Issue #14 breaks them; delete a line when its cycle goes.
const KNOWN_CYCLES: &[(&str, &[&str])] = &[];

/// A folder's children as nodes of its import graph: `x.rs` and the folder
/// `x/` are one node `x`; `mod.rs` (and the crate roots `lib.rs`,
/// `main.rs`) is the folder itself, not a node. Each node with the files
/// whose code counts (tests left out), and their depth below the folder.
fn nodes(dir: &Path) -> BTreeMap<String, Vec<(PathBuf, usize)>> {
    let mut out: BTreeMap<String, Vec<(PathBuf, usize)>> = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            let mut files = Vec::new();
            rust_files(&p, &mut files);
            for f in files {
                let below = f.strip_prefix(&p).unwrap();
                let mut depth = below.components().count();
                if f.file_name().is_some_and(|n| n != "mod.rs") {
                    depth += 1;
                }
                out.entry(name.clone()).or_default().push((f, depth));
            }
        } else if let Some(stem) = name.strip_suffix(".rs") {
            if ["mod", "lib", "main"].contains(&stem) {
                continue;
            }
            out.entry(stem.to_string()).or_default().push((p, 1));
        }
    }
    for files in out.values_mut() {
        files.retain(|(f, _)| {
            let n = f.file_name().unwrap().to_string_lossy();
            n != "tests.rs" && !n.ends_with("_tests.rs")
        });
    }
    out
}

/// The first identifier of each item a path continues with: `x` for
/// `x::y`, `a` and `b` for `{a, b::c}`.
fn continuations(rest: &str) -> Vec<&str> {
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                out.push(ident(group[start..].trim_start()));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(ident(group[start..].trim_start()));
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// The names a file's code reaches through the folder `module` (as
/// `crate::module::x`) or through `super::` `depth` times.
fn sibling_paths(text: &str, module: &str, depth: usize) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if !module.is_empty() {
        let prefix = format!("crate::{module}::");
        for (i, _) in text.match_indices(&prefix) {
            if text[..i].ends_with(is_ident) {
                continue;
            }
            out.extend(
                continuations(&text[i + prefix.len()..])
                    .into_iter()
                    .map(String::from),
            );
        }
    }
    let supers = "super::".repeat(depth);
    for (i, _) in text.match_indices(&supers) {
        let before = &text[..i];
        if before.ends_with("super::") || before.ends_with(is_ident) {
            continue;
        }
        let rest = &text[i + supers.len()..];
        if rest.starts_with("super::") {
            continue;
        }
        out.extend(continuations(rest).into_iter().map(String::from));
    }
    if module.is_empty() {
        // A crate root's children are reached as `crate::x`.
        for (i, _) in text.match_indices("crate::") {
            if !text[..i].ends_with(is_ident) {
                out.extend(
                    continuations(&text[i + "crate::".len()..])
                        .into_iter()
                        .map(String::from),
                );
            }
        }
    }
    out
}

/// The import graph between the children of `dir` (`module` is its path
/// from the crate root, `a::b`).
fn folder_graph(dir: &Path, module: &str) -> BTreeMap<String, BTreeSet<String>> {
    let nodes = nodes(dir);
    let mut graph = BTreeMap::new();
    for (name, files) in &nodes {
        let mut to = BTreeSet::new();
        for (f, depth) in files {
            let text = std::fs::read_to_string(f).unwrap();
            for n in sibling_paths(production_part(&text), module, *depth) {
                if n != *name && nodes.contains_key(&n) {
                    to.insert(n);
                }
            }
        }
        graph.insert(name.clone(), to);
    }
    graph
}

/// The strongly connected components of more than one node (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in &self.graph[v] {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let l = self.low[v].min(self.low[w]);
                    self.low.insert(v, l);
                } else if self.on_stack.contains(w) {
                    let l = self.low[v].min(self.index[w]);
                    self.low.insert(v, l);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on_stack.remove(w);
                    comp.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.out
}

/// Every cycle between files of one folder in `src/` now, as `(folder,
/// members)`.
fn folder_cycles() -> BTreeSet<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("src")];
    let mut found = BTreeSet::new();
    while let Some(dir) = dirs.pop() {
        let rel = dir
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let module = rel
            .trim_start_matches("src")
            .trim_start_matches('/')
            .replace('/', "::");
        // The top level is the layers, whose arrows the test above checks.
        if rel != "src" {
            for c in cycles(&folder_graph(&dir, &module)) {
                found.insert((rel.clone(), c));
            }
        }
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            }
        }
    }
    found
}

#[test]
fn no_cycles_between_files_of_a_folder() {
    let now = folder_cycles();
    let known: BTreeSet<(String, Vec<String>)> = KNOWN_CYCLES
        .iter()
        .map(|(d, c)| (d.to_string(), c.iter().map(|s| s.to_string()).collect()))
        .collect();
    let new: Vec<_> = now.difference(&known).collect();
    assert!(
        new.is_empty(),
        "files of one folder import each other in a cycle (move what both \
         need into a file of its own, or let one own it): {new:#?}"
    );
    let gone: Vec<_> = known.difference(&now).collect();
    assert!(
        gone.is_empty(),
        "these known cycles are gone or changed — update KNOWN_CYCLES in \
         tests/layers.rs: {gone:#?}"
    );
}

#[test]
fn the_folder_reader_sees_siblings_and_cycles() {
    let text = "use super::{a, b::C};\nuse super::super::x;\nlet _ = crate::app::c::f();\n";
    assert_eq!(
        sibling_paths(text, "app", 1),
        ["a", "b", "c"].map(String::from).into()
    );
    assert_eq!(
        sibling_paths(text, "app::keys", 2),
        ["x"].map(String::from).into()
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"][..]),
        ("c", &["a"][..]),
        ("d", &["a"][..]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(cycles(&graph), [["a", "b", "c"].map(String::from).to_vec()]);
}
