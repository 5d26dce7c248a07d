//! A kubeconfig for simulated clusters: plain-HTTP server, a token user,
//! namespace `default`; one context per cluster.

use std::path::Path;

/// The bearer token the simulated cluster's kubeconfig carries.
pub const TOKEN: &str = "opsboard-sim-token";

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// One kubeconfig for several clusters: a context (and a cluster and user
/// of the same name) per `(server, context)`, the first one current.
pub fn render_many(entries: &[(&str, &str)]) -> String {
    let mut clusters = String::new();
    let mut contexts = String::new();
    let mut users = String::new();
    for (server, context) in entries {
        let ctx = quote(context);
        let user = quote(&format!("{context}-user"));
        let server = quote(server);
        clusters.push_str(&format!(
            "- name: {ctx}\n  cluster:\n    server: {server}\n"
        ));
        contexts.push_str(&format!(
            "- name: {ctx}\n  context:\n    cluster: {ctx}\n    user: {user}\n    namespace: default\n"
        ));
        users.push_str(&format!("- name: {user}\n  user:\n    token: {TOKEN}\n"));
    }
    let current = quote(entries.first().map_or("", |e| e.1));
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{contexts}current-context: {current}\nusers:\n{users}preferences: {{}}\n"
    )
}

pub fn write(path: &Path, server: &str, context: &str) -> std::io::Result<()> {
    write_many(path, &[(server, context)])
}

pub fn write_many(path: &Path, entries: &[(&str, &str)]) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, render_many(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_kubeconfig() {
        let k = render_many(&[("http://127.0.0.1:1234", "sim")]);
        assert!(k.contains("server: \"http://127.0.0.1:1234\""));
        assert!(k.contains("current-context: \"sim\""));
        assert!(k.contains("namespace: default"));
    }

    #[test]
    fn renders_several_contexts_the_first_current() {
        let k = render_many(&[
            ("http://127.0.0.1:1", "main"),
            ("http://127.0.0.1:2", "other"),
        ]);
        assert!(k.contains("current-context: \"main\""));
        assert!(k.contains("- name: \"other\"\n  context:\n    cluster: \"other\""));
        assert!(k.contains("server: \"http://127.0.0.1:2\""));
    }
}
