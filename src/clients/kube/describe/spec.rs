//! A pod spec's containers and volumes, as `kubectl describe` lists them
//! for a pod and for a workload's pod template. Environment values of
//! secret-looking names are masked in the document until revealed.

use serde_json::Value;

use super::{arr, pairs, s, text};
use crate::model::document::Document;

/// Width of a container field label (`Liveness:`).
const FIELD: usize = 12;

/// The containers of `spec` (init containers first), each with what the
/// status says about it when `statuses` is given (a pod).
pub(super) fn containers(doc: &mut Document, indent: &str, spec: &Value, status: Option<&Value>) {
    let groups = [
        (
            "Init Containers",
            "/initContainers",
            "/initContainerStatuses",
        ),
        ("Containers", "/containers", "/containerStatuses"),
    ];
    for (title, path, status_path) in groups {
        let list = arr(spec, path);
        if list.is_empty() && path == "/initContainers" {
            continue;
        }
        doc.heading(format!("{indent}{title}:"));
        for c in list {
            let name = s(c, "/name");
            doc.line(format!("{indent} {name}:"));
            let i = format!("{indent}   ");
            doc.field(&i, "Image", FIELD, s(c, "/image"));
            let ports: Vec<String> = arr(c, "/ports")
                .iter()
                .map(|p| {
                    let proto = match s(p, "/protocol") {
                        "" => "TCP",
                        p => p,
                    };
                    format!("{}/{proto}", text(p, "/containerPort"))
                })
                .collect();
            doc.field(&i, "Ports", FIELD, none_if_empty(ports.join(", ")));
            let cmd: Vec<String> = arr(c, "/command")
                .iter()
                .chain(arr(c, "/args"))
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            if !cmd.is_empty() {
                doc.field(&i, "Command", FIELD, cmd.join(" "));
            }
            if let Some(st) =
                status.and_then(|st| arr(st, status_path).iter().find(|x| s(x, "/name") == name))
            {
                state(doc, &i, "State", st.pointer("/state"));
                if st
                    .pointer("/lastState")
                    .is_some_and(|l| l.as_object().is_some_and(|o| !o.is_empty()))
                {
                    state(doc, &i, "Last State", st.pointer("/lastState"));
                }
                doc.field(&i, "Ready", FIELD, text(st, "/ready"));
                doc.field(&i, "Restarts", FIELD, text(st, "/restartCount"));
            }
            let limits = pairs(c, "/resources/limits", ": ");
            let requests = pairs(c, "/resources/requests", ": ");
            doc.field(&i, "Limits", FIELD, none_if_empty(limits.join(", ")));
            doc.field(&i, "Requests", FIELD, none_if_empty(requests.join(", ")));
            for (label, path) in [
                ("Liveness", "/livenessProbe"),
                ("Readiness", "/readinessProbe"),
                ("Startup", "/startupProbe"),
            ] {
                if let Some(p) = c.pointer(path) {
                    doc.field(&i, label, FIELD, probe(p));
                }
            }
            env(doc, &i, c);
            let mounts: Vec<String> = arr(c, "/volumeMounts")
                .iter()
                .map(|m| {
                    let ro = m.pointer("/readOnly").and_then(Value::as_bool) == Some(true);
                    format!(
                        "{} from {} ({})",
                        s(m, "/mountPath"),
                        s(m, "/name"),
                        if ro { "ro" } else { "rw" }
                    )
                })
                .collect();
            super::list_field(doc, &i, "Mounts", FIELD, &mounts);
        }
    }
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() { "<none>".into() } else { s }
}

/// A container state: `Running (since …)`, `Waiting (CrashLoopBackOff)`,
/// `Terminated (Error, exit code 1, …)`.
fn state(doc: &mut Document, indent: &str, label: &str, st: Option<&Value>) {
    let Some(st) = st.and_then(Value::as_object) else {
        doc.field(indent, label, FIELD, "<unknown>");
        return;
    };
    let (what, detail) = match st.iter().next() {
        Some((k, v)) => (k.as_str(), v),
        None => ("<unknown>", &Value::Null),
    };
    let words = match what {
        "running" => format!("Running (started {})", s(detail, "/startedAt")),
        "waiting" => format!(
            "Waiting ({}){}",
            s(detail, "/reason"),
            message(s(detail, "/message"))
        ),
        "terminated" => format!(
            "Terminated ({}, exit code {}, finished {}){}",
            s(detail, "/reason"),
            text(detail, "/exitCode"),
            s(detail, "/finishedAt"),
            message(s(detail, "/message"))
        ),
        other => other.to_string(),
    };
    let line = format!("{indent}{:<FIELD$} {words}", format!("{label}:"));
    if what == "running" {
        doc.line(line);
    } else {
        doc.warning(line);
    }
}

fn message(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {}", m.trim())
    }
}

/// A probe as kubectl writes it: `http-get :8080/healthz delay=0s
/// timeout=1s period=10s #success=1 #failure=3`.
fn probe(p: &Value) -> String {
    let how = if let Some(h) = p.pointer("/httpGet") {
        format!(
            "http-get {}://{}:{}{}",
            match s(h, "/scheme") {
                "" => "http".to_string(),
                x => x.to_ascii_lowercase(),
            },
            s(h, "/host"),
            text(h, "/port"),
            s(h, "/path")
        )
    } else if let Some(t) = p.pointer("/tcpSocket") {
        format!("tcp-socket {}:{}", s(t, "/host"), text(t, "/port"))
    } else if let Some(e) = p.pointer("/exec") {
        let cmd: Vec<&str> = arr(e, "/command")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        format!("exec [{}]", cmd.join(" "))
    } else if let Some(g) = p.pointer("/grpc") {
        format!("grpc <pod>:{}", text(g, "/port"))
    } else {
        "<unknown>".into()
    };
    let n = |k: &str, d: i64| p.pointer(k).and_then(Value::as_i64).unwrap_or(d);
    format!(
        "{how} delay={}s timeout={}s period={}s #success={} #failure={}",
        n("/initialDelaySeconds", 0),
        n("/timeoutSeconds", 1),
        n("/periodSeconds", 10),
        n("/successThreshold", 1),
        n("/failureThreshold", 3)
    )
}

fn env(doc: &mut Document, indent: &str, c: &Value) {
    let vars = arr(c, "/env");
    let from = arr(c, "/envFrom");
    if vars.is_empty() && from.is_empty() {
        doc.field(indent, "Environment", FIELD, "<none>");
        return;
    }
    doc.line(format!("{indent}Environment:"));
    let i = format!("{indent}  ");
    for f in from {
        let (kind, name) = match (f.pointer("/configMapRef"), f.pointer("/secretRef")) {
            (Some(r), _) => ("ConfigMap", s(r, "/name")),
            (_, Some(r)) => ("Secret", s(r, "/name")),
            _ => ("?", ""),
        };
        doc.line(format!("{i}<all of {kind} {name}>"));
    }
    for v in vars {
        let name = s(v, "/name");
        if let Some(value) = v.pointer("/value").and_then(Value::as_str) {
            doc.env(&i, name, value);
            continue;
        }
        let source = if let Some(r) = v.pointer("/valueFrom/secretKeyRef") {
            format!(
                "<set to the key '{}' in secret '{}'>",
                s(r, "/key"),
                s(r, "/name")
            )
        } else if let Some(r) = v.pointer("/valueFrom/configMapKeyRef") {
            format!(
                "<set to the key '{}' of config map '{}'>",
                s(r, "/key"),
                s(r, "/name")
            )
        } else if let Some(r) = v.pointer("/valueFrom/fieldRef") {
            format!("({})", s(r, "/fieldPath"))
        } else if let Some(r) = v.pointer("/valueFrom/resourceFieldRef") {
            format!("({})", s(r, "/resource"))
        } else {
            String::new()
        };
        doc.line(format!("{i}{name}={source}"));
    }
}

/// The `Volumes:` section.
pub(super) fn volumes(doc: &mut Document, indent: &str, spec: &Value) {
    doc.heading(format!("{indent}Volumes:"));
    let vols = arr(spec, "/volumes");
    if vols.is_empty() {
        doc.line(format!("{indent}  <none>"));
        return;
    }
    for v in vols {
        doc.line(format!("{indent} {}:", s(v, "/name")));
        let i = format!("{indent}   ");
        let Some(obj) = v.as_object() else { continue };
        for (kind, detail) in obj.iter().filter(|(k, _)| k.as_str() != "name") {
            let about = match kind.as_str() {
                "persistentVolumeClaim" => {
                    format!("PersistentVolumeClaim (claim {})", s(detail, "/claimName"))
                }
                "configMap" => format!("ConfigMap ({})", s(detail, "/name")),
                "secret" => format!("Secret ({})", s(detail, "/secretName")),
                "emptyDir" => format!(
                    "EmptyDir{}",
                    match s(detail, "/medium") {
                        "" => String::new(),
                        m => format!(" (medium {m})"),
                    }
                ),
                "hostPath" => format!("HostPath ({})", s(detail, "/path")),
                "projected" => "Projected".into(),
                other => other.to_string(),
            };
            doc.field(&i, "Type", FIELD, about);
        }
    }
}
