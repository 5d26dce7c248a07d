//! Runbook commands: argv templates with placeholders (substituted inside
//! one element, never split: no shell), run with streamed output, a
//! timeout and cancellation of the whole process group.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use super::catalog::RunbookDef;
use crate::model::Outcome;
use crate::model::action::runbook_template::placeholders;
use crate::model::text::is_unsafe_char;

/// The values a runbook's placeholders are filled with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    pub service: Option<String>,
    /// The instance selected in the Fleet pane (or `--host`).
    pub host: Option<String>,
    pub namespace: Option<String>,
    pub context: Option<String>,
    pub container: Option<String>,
}

impl Placeholders {
    fn get(&self, name: &str) -> Option<Option<&str>> {
        Some(match name {
            "service" => self.service.as_deref(),
            "host" => self.host.as_deref(),
            "namespace" => self.namespace.as_deref(),
            "context" => self.context.as_deref(),
            "container" => self.container.as_deref(),
            _ => return None,
        })
    }
}

/// Substitutes placeholders. A service named `x; rm -rf /` stays one
/// argument: there is no shell to interpret it. Every value comes from
/// something opsboard was told (a label, a name the API reported, a flag),
/// so one that an argv parser would read as an option (`-oProxyCommand=…`
/// for `ssh {service}`) or that carries control characters is refused.
pub fn render_argv(def: &RunbookDef, values: &Placeholders) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(def.command.len());
    for arg in &def.command {
        let mut rendered = arg.clone();
        for ph in placeholders(arg) {
            let Some(value) = values.get(ph) else {
                return Err(format!(
                    "runbook `{}`: unknown placeholder {{{ph}}}",
                    def.name
                ));
            };
            let value = checked(def, ph, value, values.service.as_deref())?;
            rendered = rendered.replace(&format!("{{{ph}}}"), value);
        }
        out.push(rendered);
    }
    Ok(out)
}

/// The value for `{ph}`, or why there is none or it is refused.
fn checked<'a>(
    def: &RunbookDef,
    ph: &str,
    value: Option<&'a str>,
    service: Option<&str>,
) -> Result<&'a str, String> {
    let Some(value) = value else {
        return Err(match ph {
            "service" => format!(
                "runbook `{}` uses {{service}}: select a service first",
                def.name
            ),
            "host" => format!(
                "runbook `{}` uses {{host}}: select an instance in the Fleet pane (or pass --host)",
                def.name
            ),
            _ => format!(
                "runbook `{}` uses {{{ph}}}, but {} has no binding that provides it",
                def.name,
                service.unwrap_or("this target")
            ),
        });
    };
    if value.is_empty() || value.starts_with('-') || value.chars().any(is_unsafe_char) {
        return Err(format!(
            "runbook `{}`: refusing {:?} for {{{ph}}} (empty, starts with `-` so a program would read it as an option, or has control characters)",
            def.name,
            crate::model::text::clean(value)
        ));
    }
    Ok(value)
}

/// How a runbook run ended.
pub struct RunEnd {
    pub outcome: Outcome,
    pub message: String,
    pub exit_code: Option<i32>,
}

/// Runs `argv`, sending each output line to `line` (stderr lines marked).
/// On timeout or cancel the process group gets SIGTERM, then SIGKILL after
/// a grace period.
pub async fn run(
    def: &RunbookDef,
    argv: &[String],
    line: impl Fn(String) -> futures::future::BoxFuture<'static, ()> + Send + Sync,
    cancel: CancellationToken,
) -> RunEnd {
    let Some((program, args)) = argv.split_first() else {
        return RunEnd {
            outcome: Outcome::Failed,
            message: "empty command".into(),
            exit_code: None,
        };
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    if let Some(cwd) = &def.cwd {
        cmd.current_dir(cwd);
    }
    // An explicit environment: opsboard's own may hold the values behind
    // `${VAR}` secret references, which a runbook gets only when its `env`
    // names them.
    let env: Vec<(&str, &str)> = def
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose()))
        .collect();
    super::child_env::apply_runbook(&mut cmd, &env);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return RunEnd {
                outcome: Outcome::Failed,
                message: format!("cannot start `{program}`: {e}"),
                exit_code: None,
            };
        }
    };
    let pid = child.id();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let line = std::sync::Arc::new(line);
    let out_task = pump(stdout, "", line.clone());
    let err_task = pump(stderr, "[stderr] ", line.clone());
    let streams = async { tokio::join!(out_task, err_task) };
    // The job ends when the command exits. Something it left running in the
    // background may hold the pipes open: read what is already there for a
    // moment, then stop reading rather than wait for it.
    let waited = async {
        tokio::pin!(streams);
        // Output is read while the command runs: a command that prints
        // more than a pipe holds would otherwise block forever.
        let mut drained = false;
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                _ = &mut streams, if !drained => drained = true,
            }
        };
        if !drained {
            let _ = tokio::time::timeout(Duration::from_millis(500), &mut streams).await;
        }
        status
    };
    let stop = |why: &str| -> RunEnd {
        terminate_group(pid);
        RunEnd {
            outcome: if why == "cancelled" {
                Outcome::Cancelled
            } else {
                Outcome::Failed
            },
            message: why.to_string(),
            exit_code: None,
        }
    };
    tokio::select! {
        status = waited => match status {
            Ok(s) if s.success() => RunEnd { outcome: Outcome::Succeeded, message: "completed".into(), exit_code: Some(0) },
            Ok(s) => match s.code() {
                Some(c) => RunEnd { outcome: Outcome::Failed, message: format!("`{program}` exited with status {c}"), exit_code: Some(c) },
                None => RunEnd { outcome: Outcome::Failed, message: format!("`{program}` was killed by a signal ({s})"), exit_code: None },
            },
            Err(e) => RunEnd { outcome: Outcome::Failed, message: format!("waiting for `{program}`: {e}"), exit_code: None },
        },
        _ = tokio::time::sleep(def.timeout) => {
            stop(&format!("timed out after {}", humantime::format_duration(def.timeout)))
        }
        _ = cancel.cancelled() => stop("cancelled"),
    }
}

/// Sends each line of `pipe` (lossily decoded: a stray non-UTF-8 byte
/// must not end the stream) to `line`, prefixed.
async fn pump<R, F>(pipe: Option<R>, prefix: &'static str, line: std::sync::Arc<F>)
where
    R: tokio::io::AsyncRead + Unpin,
    F: Fn(String) -> futures::future::BoxFuture<'static, ()> + Send + Sync,
{
    let Some(pipe) = pipe else { return };
    let mut r = BufReader::new(pipe);
    let mut buf = Vec::with_capacity(256);
    // Bytes of the current line past MAX_LINE: read and dropped, so a
    // command that never prints a newline cannot fill memory.
    let mut cut = 0usize;
    loop {
        let (used, ended) = match r.fill_buf().await {
            Ok([]) | Err(_) => {
                if !buf.is_empty() || cut > 0 {
                    line(finish_line(prefix, &mut buf, &mut cut)).await;
                }
                return;
            }
            Ok(chunk) => {
                let end = chunk.iter().position(|b| *b == b'\n');
                let part = &chunk[..end.unwrap_or(chunk.len())];
                let room = MAX_LINE.saturating_sub(buf.len()).min(part.len());
                buf.extend_from_slice(&part[..room]);
                cut += part.len() - room;
                (end.map_or(chunk.len(), |e| e + 1), end.is_some())
            }
        };
        r.consume(used);
        if ended {
            line(finish_line(prefix, &mut buf, &mut cut)).await;
        }
    }
}

/// Longest runbook output line kept, in bytes; the rest is dropped and
/// counted.
pub const MAX_LINE: usize = 4096;

fn finish_line(prefix: &str, buf: &mut Vec<u8>, cut: &mut usize) -> String {
    while buf.last().is_some_and(|b| *b == b'\r') {
        buf.pop();
    }
    let mut text = format!("{prefix}{}", String::from_utf8_lossy(buf));
    if *cut > 0 {
        text.push_str(&format!("… [{} bytes cut]", *cut));
    }
    buf.clear();
    *cut = 0;
    text
}

/// SIGTERM to the runbook's process group, SIGKILL 5 s later if needed.
fn terminate_group(pid: Option<u32>) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) else {
        return;
    };
    let pgid = Pid::from_raw(pid);
    let _ = killpg(pgid, Signal::SIGTERM);
    tokio::spawn(async move {
        // Watch the group go away; only a group still alive after the grace
        // period gets SIGKILL (never a recycled id long after).
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if killpg(pgid, None).is_err() {
                return;
            }
        }
        let _ = killpg(pgid, Signal::SIGKILL);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(command: &[&str]) -> RunbookDef {
        RunbookDef {
            name: "rb".into(),
            description: None,
            service: None,
            command: command.iter().map(|s| s.to_string()).collect(),
            timeout: Duration::from_secs(5),
            cwd: None,
            env: vec![],
            confirm: true,
            dangerous: false,
            verify_health_within: None,
            key: Vec::new(),
        }
    }

    fn vals(service: Option<&str>, host: Option<&str>) -> Placeholders {
        Placeholders {
            service: service.map(str::to_string),
            host: host.map(str::to_string),
            ..Placeholders::default()
        }
    }

    #[test]
    fn placeholders_never_split_an_argument() {
        let d = def(&["echo", "deploy/{service}", "{service}"]);
        let argv = render_argv(&d, &vals(Some("x; rm -rf /"), None)).unwrap();
        assert_eq!(argv, vec!["echo", "deploy/x; rm -rf /", "x; rm -rf /"]);
    }

    #[test]
    fn host_fills_its_placeholder_as_one_argument() {
        let d = def(&["ssh", "{host}", "uptime", "host={host}/{service}"]);
        let argv = render_argv(&d, &vals(Some("api"), Some("rpi-007"))).unwrap();
        assert_eq!(argv, vec!["ssh", "rpi-007", "uptime", "host=rpi-007/api"]);

        // No shell: shell syntax in a host name stays inside its argument.
        let d = def(&["echo", "ping", "{host}"]);
        let argv = render_argv(&d, &vals(None, Some("a; rm -rf /"))).unwrap();
        assert_eq!(argv, vec!["echo", "ping", "a; rm -rf /"]);
    }

    #[test]
    fn host_is_required_and_must_not_look_like_an_option() {
        let d = def(&["echo", "ping", "{host}"]);
        assert_eq!(
            render_argv(&d, &vals(Some("api"), None)).unwrap_err(),
            "runbook `rb` uses {host}: select an instance in the Fleet pane (or pass --host)"
        );
        for bad in ["", "-oProxyCommand=touch /tmp/x", "a\nb"] {
            let e = render_argv(&d, &vals(None, Some(bad))).unwrap_err();
            assert!(
                e.contains("refusing") && e.contains("{host}"),
                "{bad:?}: {e}"
            );
        }
        // A runbook without {host} ignores a selected host.
        let d = def(&["echo", "{service}"]);
        assert_eq!(
            render_argv(&d, &vals(Some("api"), Some("rpi-007"))).unwrap(),
            vec!["echo", "api"]
        );
    }

    #[test]
    fn every_placeholder_refuses_options_and_control_characters() {
        for ph in ["service", "host", "namespace", "context", "container"] {
            let d = def(&["ssh", &format!("{{{ph}}}")]);
            for bad in [
                "-oProxyCommand=touch /tmp/pwned",
                "--kubeconfig=/tmp/x",
                "a\x1b]52;c;eA==\x07",
                "ok\u{202e}",
                "",
            ] {
                let mut v = Placeholders::default();
                let value = Some(bad.to_string());
                match ph {
                    "service" => v.service = value,
                    "host" => v.host = value,
                    "namespace" => v.namespace = value,
                    "context" => v.context = value,
                    _ => v.container = value,
                }
                let e = render_argv(&d, &v).unwrap_err();
                assert!(
                    e.contains("refusing") && e.contains(ph),
                    "{ph} {bad:?}: {e}"
                );
                assert!(!e.contains('\x1b'), "the refusal itself is clean: {e:?}");
            }
        }
    }

    #[test]
    fn bindings_fill_namespace_context_and_container() {
        let d = def(&[
            "kubectl",
            "--context",
            "{context}",
            "-n",
            "{namespace}",
            "exec",
            "{container}",
        ]);
        let v = Placeholders {
            service: Some("api".into()),
            host: None,
            namespace: Some("shop".into()),
            context: Some("prod".into()),
            container: Some("api-1".into()),
        };
        assert_eq!(
            render_argv(&d, &v).unwrap(),
            vec![
                "kubectl",
                "--context",
                "prod",
                "-n",
                "shop",
                "exec",
                "api-1"
            ]
        );
    }

    #[test]
    fn missing_values_are_refusals() {
        let d = def(&["kubectl", "-n", "{namespace}", "get", "pods"]);
        assert!(
            render_argv(&d, &vals(Some("api"), Some("rpi-007")))
                .unwrap_err()
                .contains("{namespace}")
        );
        for ph in ["context", "container"] {
            let d = def(&["echo", &format!("{{{ph}}}")]);
            let e = render_argv(&d, &vals(Some("api"), Some("rpi-007"))).unwrap_err();
            assert!(e.contains("has no binding that provides it"), "{e}");
        }
        let d = def(&["echo", "{service}"]);
        assert!(
            render_argv(&d, &vals(None, None))
                .unwrap_err()
                .contains("select a service")
        );
    }
}
