//! A kubeconfig for the simulated cluster: plain-HTTP server, a token user,
//! namespace `default`.

use std::path::Path;

/// The bearer token the simulated cluster's kubeconfig carries.
pub const TOKEN: &str = "opsboard-sim-token";

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

pub fn render(server: &str, context: &str) -> String {
    let ctx = quote(context);
    let user = quote(&format!("{context}-user"));
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {ctx}\n  cluster:\n    server: {server}\ncontexts:\n- name: {ctx}\n  context:\n    cluster: {ctx}\n    user: {user}\n    namespace: default\ncurrent-context: {ctx}\nusers:\n- name: {user}\n  user:\n    token: {TOKEN}\npreferences: {{}}\n",
        server = quote(server),
    )
}

pub fn write(path: &Path, server: &str, context: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, render(server, context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_kubeconfig() {
        let k = render("http://127.0.0.1:1234", "sim");
        assert!(k.contains("server: \"http://127.0.0.1:1234\""));
        assert!(k.contains("current-context: \"sim\""));
        assert!(k.contains("namespace: default"));
    }
}
