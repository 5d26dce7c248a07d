//! A container's inspect as the `i` view shows it: config (image, command,
//! entrypoint, user, working directory, restart policy), environment (the
//! values of secret-looking names masked until revealed), mounts, networks
//! with their addresses, ports, labels and health with its last checks.
//! Pure: read from the inspect body as the daemon sends it (JSON).

use serde_json::Value;

use crate::model::document::Document;

const LABEL: usize = 15;

/// Health checks shown, newest last.
const HEALTH_LOG: usize = 5;

/// The inspect document of a container on `host`.
pub fn inspect_document(host: &str, c: &Value) -> Document {
    let mut doc = Document::default();
    let s = |p: &str| c.pointer(p).and_then(Value::as_str).unwrap_or("");
    doc.field("", "Name", LABEL, s("/Name").trim_start_matches('/'));
    doc.field("", "Host", LABEL, host);
    doc.field("", "Id", LABEL, s("/Id").get(..12).unwrap_or(s("/Id")));
    doc.field("", "Image", LABEL, s("/Config/Image"));
    let status = s("/State/Status");
    let state = match status {
        "running" => format!("running since {}", s("/State/StartedAt")),
        "" => "<unknown>".into(),
        other => format!(
            "{other} (exit code {}, finished {})",
            text(c, "/State/ExitCode"),
            s("/State/FinishedAt")
        ),
    };
    if status == "running" {
        doc.field("", "State", LABEL, state);
    } else {
        doc.warning(format!("{:<LABEL$} {state}", "State:"));
    }
    doc.field("", "Restarts", LABEL, or_none(text(c, "/RestartCount")));
    let policy = match s("/HostConfig/RestartPolicy/Name") {
        "" => "no".to_string(),
        "on-failure" => format!(
            "on-failure (at most {})",
            text(c, "/HostConfig/RestartPolicy/MaximumRetryCount")
        ),
        p => p.to_string(),
    };
    doc.field("", "Restart policy", LABEL, policy);
    doc.field("", "Command", LABEL, or_none(words(c, "/Config/Cmd")));
    doc.field(
        "",
        "Entrypoint",
        LABEL,
        or_none(words(c, "/Config/Entrypoint")),
    );
    doc.field(
        "",
        "User",
        LABEL,
        match s("/Config/User") {
            "" => "<image default (root unless the image says)>",
            u => u,
        },
    );
    doc.field(
        "",
        "Workdir",
        LABEL,
        or_none(s("/Config/WorkingDir").to_string()),
    );

    doc.heading("Environment:");
    let env = arr(c, "/Config/Env");
    if env.is_empty() {
        doc.line("  <none>");
    }
    for v in env.iter().filter_map(Value::as_str) {
        let (name, value) = v.split_once('=').unwrap_or((v, ""));
        doc.env("  ", name, value);
    }

    doc.heading("Mounts:");
    let mounts = arr(c, "/Mounts");
    if mounts.is_empty() {
        doc.line("  <none>");
    }
    for m in mounts {
        let ms = |p: &str| m.pointer(p).and_then(Value::as_str).unwrap_or("");
        let source = match ms("/Name") {
            "" => ms("/Source"),
            n => n,
        };
        let rw = m.pointer("/RW").and_then(Value::as_bool).unwrap_or(true);
        doc.line(format!(
            "  {} {source} → {} ({})",
            ms("/Type"),
            ms("/Destination"),
            if rw { "rw" } else { "ro" }
        ));
    }

    doc.heading("Networks:");
    let nets = c
        .pointer("/NetworkSettings/Networks")
        .and_then(Value::as_object);
    match nets {
        Some(n) if !n.is_empty() => {
            for (name, net) in n {
                let ns = |p: &str| net.pointer(p).and_then(Value::as_str).unwrap_or("");
                doc.line(format!(
                    "  {name}: {}{}",
                    or_none(ns("/IPAddress").to_string()),
                    match ns("/Gateway") {
                        "" => String::new(),
                        g => format!(" (gateway {g})"),
                    }
                ));
            }
        }
        _ => doc.line(format!(
            "  <none> (network mode {})",
            s("/HostConfig/NetworkMode")
        )),
    }

    doc.heading("Ports:");
    let ports = c
        .pointer("/NetworkSettings/Ports")
        .and_then(Value::as_object);
    match ports {
        Some(p) if !p.is_empty() => {
            for (port, bindings) in p {
                let to: Vec<String> = bindings
                    .as_array()
                    .map(|b| {
                        b.iter()
                            .map(|x| {
                                format!(
                                    "{}:{}",
                                    x.pointer("/HostIp").and_then(Value::as_str).unwrap_or(""),
                                    x.pointer("/HostPort").and_then(Value::as_str).unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                doc.line(if to.is_empty() {
                    format!("  {port} (not published)")
                } else {
                    format!("  {port} → {}", to.join(", "))
                });
            }
        }
        _ => doc.line("  <none>"),
    }

    doc.heading("Labels:");
    match c.pointer("/Config/Labels").and_then(Value::as_object) {
        Some(l) if !l.is_empty() => {
            for (k, v) in l {
                doc.line(format!("  {k}={}", v.as_str().unwrap_or("")));
            }
        }
        _ => doc.line("  <none>"),
    }

    health(&mut doc, c);
    doc
}

fn health(doc: &mut Document, c: &Value) {
    doc.heading("Health:");
    let Some(h) = c.pointer("/State/Health") else {
        doc.line("  <no health check>");
        return;
    };
    let status = h.pointer("/Status").and_then(Value::as_str).unwrap_or("");
    let line = format!(
        "  {status}, failing streak {}",
        or_none(text(h, "/FailingStreak"))
    );
    if status == "healthy" {
        doc.line(line);
    } else {
        doc.warning(line);
    }
    let log = arr(h, "/Log");
    for r in log.iter().skip(log.len().saturating_sub(HEALTH_LOG)) {
        let code = r.pointer("/ExitCode").and_then(Value::as_i64);
        let line = format!(
            "  {}  exit {}  {}",
            r.pointer("/Start").and_then(Value::as_str).unwrap_or(""),
            code.map_or("?".into(), |c| c.to_string()),
            r.pointer("/Output")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .replace('\n', " ⏎ ")
        );
        if code == Some(0) {
            doc.line(line);
        } else {
            doc.warning(line);
        }
    }
}

fn text(v: &Value, p: &str) -> String {
    match v.pointer(p) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn arr<'a>(v: &'a Value, p: &str) -> &'a [Value] {
    v.pointer(p)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `["sh", "-c", "x"]` as `sh -c x`.
fn words(v: &Value, p: &str) -> String {
    arr(v, p)
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn or_none(s: String) -> String {
    if s.is_empty() { "<none>".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture() -> Value {
        json!({
            "Id": "0123456789abcdef0123",
            "Name": "/shop-web-1",
            "RestartCount": 2,
            "State": {
                "Status": "running",
                "StartedAt": "2026-01-01T10:00:00Z",
                "Health": {
                    "Status": "unhealthy",
                    "FailingStreak": 3,
                    "Log": [
                        {"Start": "t1", "ExitCode": 0, "Output": "ok\n"},
                        {"Start": "t2", "ExitCode": 1, "Output": "curl: (7) refused\u{1b}[2J"}
                    ]
                }
            },
            "Config": {
                "Image": "shop/web:1.4",
                "Cmd": ["sh", "-c", "serve"],
                "Entrypoint": null,
                "User": "app",
                "WorkingDir": "/srv",
                "Env": ["DB_PASSWORD=canary-xyz", "PORT=8080", "api_key=k"],
                "Labels": {"com.docker.compose.project": "shop"}
            },
            "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}, "NetworkMode": "shop_default"},
            "Mounts": [{"Type": "volume", "Name": "data", "Source": "/var/lib/x", "Destination": "/data", "RW": false}],
            "NetworkSettings": {
                "Networks": {"shop_default": {"IPAddress": "172.18.0.3", "Gateway": "172.18.0.1"}},
                "Ports": {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}], "9090/tcp": null}
            }
        })
    }

    fn shown(d: &Document, revealed: bool) -> String {
        d.lines
            .iter()
            .map(|l| l.shown(revealed))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn sections_and_masked_environment() {
        let d = inspect_document("local", &fixture());
        let all = shown(&d, false);
        for want in [
            "Name:           shop-web-1",
            "Image:          shop/web:1.4",
            "Restart policy: unless-stopped",
            "Command:        sh -c serve",
            "Entrypoint:     <none>",
            "User:           app",
            "Workdir:        /srv",
            "  DB_PASSWORD=••••••",
            "  PORT=8080",
            "  api_key=••••••",
            "  volume data → /data (ro)",
            "  shop_default: 172.18.0.3 (gateway 172.18.0.1)",
            "  8080/tcp → 0.0.0.0:18080",
            "  9090/tcp (not published)",
            "  com.docker.compose.project=shop",
            "  unhealthy, failing streak 3",
            "  t2  exit 1  curl: (7) refused",
        ] {
            assert!(all.contains(want), "missing {want:?} in\n{all}");
        }
        assert!(!all.contains("canary-xyz"));
        assert!(shown(&d, true).contains("DB_PASSWORD=canary-xyz"));
        assert_eq!(d.secret_names(), vec!["DB_PASSWORD", "api_key"]);
        assert!(
            !all.chars()
                .any(|c| c != '\n' && crate::model::text::is_unsafe_char(c))
        );
    }

    #[test]
    fn a_bare_body_does_not_panic() {
        let d = inspect_document("h", &json!({}));
        let all = shown(&d, false);
        assert!(all.contains("<no health check>"), "{all}");
        let d = inspect_document("h", &json!({"Config": {"Env": "not a list"}, "State": 3}));
        assert!(!d.lines.is_empty());
    }
}
