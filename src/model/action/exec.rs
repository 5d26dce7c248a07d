//! What `x` opens: a command (a shell by default) in one container, a pod's
//! or Docker's, with the terminal handed over to it.

use std::fmt;

use serde::Serialize;

/// The container a session runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExecTarget {
    /// A container of a Kubernetes pod.
    Pod {
        context: String,
        namespace: String,
        pod: String,
        container: String,
    },
    /// A Docker container on one host.
    Docker {
        host: String,
        id: String,
        name: String,
    },
}

impl ExecTarget {
    /// `container app of pod api-7b4c9f-x2k` or `container web-1`.
    pub fn describe(&self) -> String {
        match self {
            ExecTarget::Pod { pod, container, .. } => {
                format!("container {container} of pod {pod}")
            }
            ExecTarget::Docker { name, .. } => format!("container {name}"),
        }
    }

    /// The name an operator types to confirm a protected target: the pod's
    /// or the container's.
    pub fn name(&self) -> &str {
        match self {
            ExecTarget::Pod { pod, .. } => pod,
            ExecTarget::Docker { name, .. } => name,
        }
    }
}

impl fmt::Display for ExecTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The command `x` runs when none is configured: bash where the image has
/// it, else sh (as k9s does).
pub fn default_shell() -> Vec<String> {
    vec![
        "/bin/sh".into(),
        "-c".into(),
        "command -v bash >/dev/null 2>&1 && exec bash || exec sh".into(),
    ]
}

/// What the job list and the audit verb call a command: `shell` for the
/// default one, else the command line.
pub fn command_label(argv: &[String]) -> String {
    if argv == default_shell().as_slice() {
        "shell".into()
    } else {
        command_line(argv)
    }
}

/// A command as one line for plans and the audit log: words with spaces
/// or quotes are single-quoted.
pub fn command_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let argv: Vec<String> = ["sh", "-c", "echo 'hi' there", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(command_line(&argv), r"sh -c 'echo '\''hi'\'' there' ''");
    }

    #[test]
    fn targets_describe_themselves() {
        let p = ExecTarget::Pod {
            context: "demo".into(),
            namespace: "shop".into(),
            pod: "api-1".into(),
            container: "app".into(),
        };
        assert_eq!(p.to_string(), "container app of pod api-1");
        assert_eq!(p.name(), "api-1");
    }
}
