//! What the shell knows of the container it runs in: the pod and container
//! names, the image (which decides the distribution: BusyBox on Alpine, or
//! Debian with dash and bash), the environment from the pod spec, and the
//! container's main process.

use serde_json::Value;

use super::super::clock::SimTime;
use super::super::util;

/// The userland an image ships, read off its name: the official images of
/// nginx, Redis, PostgreSQL and Python are Debian; the rest (the demo's
/// `registry.local/*` services, Prometheus, BusyBox, Alpine) are BusyBox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distro {
    Busybox,
    Debian,
}

impl Distro {
    pub fn of(image: &str) -> Distro {
        let base = image.rsplit('/').next().unwrap_or(image);
        let (name, tag) = base.split_once(':').unwrap_or((base, ""));
        if tag.contains("alpine") || name.contains("alpine") || name.contains("busybox") {
            return Distro::Busybox;
        }
        let debian = [
            "nginx", "redis", "postgres", "python", "node", "debian", "ubuntu",
        ];
        if debian.iter().any(|d| name.contains(d)) {
            Distro::Debian
        } else {
            Distro::Busybox
        }
    }
}

/// The programs on the image's `PATH` (all in `/bin`).
pub fn programs(distro: Distro) -> &'static [&'static str] {
    match distro {
        Distro::Busybox => &[
            "ash", "cat", "clear", "date", "echo", "env", "false", "grep", "head", "hostname",
            "id", "ls", "printenv", "printf", "ps", "pwd", "sh", "sleep", "stty", "tail", "true",
            "uname", "wc", "which", "whoami",
        ],
        Distro::Debian => &[
            "bash", "cat", "clear", "dash", "date", "echo", "env", "false", "grep", "head",
            "hostname", "id", "ls", "printenv", "printf", "ps", "pwd", "sh", "sleep", "stty",
            "tail", "true", "uname", "wc", "which", "whoami",
        ],
    }
}

/// Which shell reads the commands: BusyBox `ash` (`sh` on Alpine), `dash`
/// (`sh` on Debian) or `bash`. Each words its errors its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    Ash,
    Dash,
    Bash,
}

/// Which shell a program of the image is, if it is one.
pub fn shell_kind(distro: Distro, program: &str) -> Option<ShellKind> {
    match (program, distro) {
        ("bash", _) => Some(ShellKind::Bash),
        ("dash", _) => Some(ShellKind::Dash),
        ("ash", _) | ("sh", Distro::Busybox) => Some(ShellKind::Ash),
        ("sh", Distro::Debian) => Some(ShellKind::Dash),
        _ => None,
    }
}

/// One container of one pod, as the shell sees it.
#[derive(Debug, Clone)]
pub struct Container {
    pub pod: String,
    pub namespace: String,
    pub image: String,
    pub pod_ip: String,
    /// The spec's `env` with literal values, in order (`valueFrom` entries
    /// are left out: resolving Secrets and ConfigMaps is not simulated).
    pub env: Vec<(String, String)>,
    /// The main process's command line (`ps` shows it as PID 1).
    pub main: String,
    pub port: Option<i64>,
    /// When the container started (for `ls -l` dates and `ps`).
    pub started: SimTime,
}

impl Container {
    /// `container` of `pod` (a Pod object as stored), started at `started`.
    pub fn of_pod(pod: &Value, container: &Value, started: SimTime) -> Container {
        let image = util::s(container, "/image").to_string();
        let env = container
            .pointer("/env")
            .and_then(Value::as_array)
            .map(|vars| {
                vars.iter()
                    .filter(|v| v.get("valueFrom").is_none())
                    .map(|v| {
                        (
                            util::s(v, "/name").to_string(),
                            util::s(v, "/value").to_string(),
                        )
                    })
                    .filter(|(k, _)| !k.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let words = |p: &str| -> Vec<String> {
            container
                .pointer(p)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut argv = words("/command");
        argv.extend(words("/args"));
        let port = util::opt_i(container, "/ports/0/containerPort");
        let main = if argv.is_empty() {
            main_process(&image, port)
        } else {
            argv.join(" ")
        };
        Container {
            pod: util::name(pod).to_string(),
            namespace: util::namespace(pod).to_string(),
            image,
            pod_ip: util::s(pod, "/status/podIP").to_string(),
            env,
            main,
            port,
            started,
        }
    }

    pub fn distro(&self) -> Distro {
        Distro::of(&self.image)
    }

    /// The short program name of the main process (`nginx`, `api`).
    pub fn program(&self) -> String {
        let first = self.main.split_whitespace().next().unwrap_or("");
        let name = first.rsplit('/').next().unwrap_or(first);
        name.trim_end_matches(':').to_string()
    }
}

/// What the image's entrypoint runs when the spec does not say.
fn main_process(image: &str, port: Option<i64>) -> String {
    let base = image.rsplit('/').next().unwrap_or(image);
    let name = base.split(':').next().unwrap_or(base);
    let port = port.unwrap_or(8080);
    match name {
        n if n.contains("nginx") => "nginx: master process nginx -g daemon off;".into(),
        n if n.contains("redis") => format!("redis-server *:{port}"),
        n if n.contains("postgres") => "postgres".into(),
        "prometheus" => "/bin/prometheus --config.file=/etc/prometheus/prometheus.yml".into(),
        "grafana" => "grafana server --homepath=/usr/share/grafana".into(),
        "node-exporter" => "/bin/node_exporter".into(),
        n if n.contains("busybox") || n.contains("alpine") => "sleep 3600".into(),
        n => format!("/app/{n} --listen=:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn distros_are_read_off_the_image() {
        assert_eq!(Distro::of("nginx:1.25.3"), Distro::Debian);
        assert_eq!(Distro::of("nginx:1.25-alpine"), Distro::Busybox);
        assert_eq!(Distro::of("redis:7.2.4"), Distro::Debian);
        assert_eq!(Distro::of("registry.local/api:1.4.2"), Distro::Busybox);
        assert_eq!(Distro::of("prom/prometheus:v2.45.0"), Distro::Busybox);
    }

    #[test]
    fn a_container_takes_its_env_and_command_from_the_spec() {
        let pod = json!({"metadata": {"name": "web-1", "namespace": "shop"},
            "status": {"podIP": "10.244.1.7"}});
        let c = json!({"name": "app", "image": "registry.local/web:1",
            "command": ["/app/web"], "args": ["--port", "80"],
            "env": [{"name": "MODE", "value": "prod"},
                    {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]});
        let c = Container::of_pod(&pod, &c, 0);
        assert_eq!(c.env, vec![("MODE".to_string(), "prod".to_string())]);
        assert_eq!(c.main, "/app/web --port 80");
        assert_eq!(c.program(), "web");
        assert_eq!(c.pod_ip, "10.244.1.7");
        let bare = json!({"name": "nginx", "image": "nginx:1.25.3"});
        let c = Container::of_pod(&pod, &bare, 0);
        assert_eq!(c.program(), "nginx");
    }
}
