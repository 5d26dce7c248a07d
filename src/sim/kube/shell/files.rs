//! The container's file system as the shell sees it: the image's usual
//! directories, the files the kubelet writes (`/etc/hostname`, `/etc/hosts`,
//! `/etc/resolv.conf`, the service account's namespace), a few of the
//! program's own (nginx's configuration, an app's `config.yaml`), and what
//! the session writes itself (kept until the session ends).

use std::collections::BTreeMap;

use super::super::clock::SimTime;
use super::image::{Container, Distro, programs};

/// When the image's own files were built (2024-01-26 16:00 UTC).
const IMAGE_BUILT: SimTime = 1_706_284_800_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(Vec<u8>),
}

/// One entry: what it is and when it last changed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub node: Node,
    pub mtime: SimTime,
}

/// Why a write failed, worded by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    IsADirectory,
    NotADirectory,
}

impl FsError {
    pub fn text(self) -> &'static str {
        match self {
            FsError::NotFound => "No such file or directory",
            FsError::IsADirectory => "Is a directory",
            FsError::NotADirectory => "Not a directory",
        }
    }
}

pub struct Files {
    entries: BTreeMap<String, Entry>,
}

impl Files {
    pub fn of(c: &Container) -> Files {
        let mut f = Files {
            entries: BTreeMap::new(),
        };
        f.dir("/");
        let mut dirs = vec![
            "bin",
            "dev",
            "etc",
            "home",
            "lib",
            "media",
            "mnt",
            "opt",
            "proc",
            "root",
            "run",
            "sbin",
            "srv",
            "sys",
            "tmp",
            "usr/bin",
            "usr/lib",
            "usr/local/bin",
            "usr/sbin",
            "var/log",
            "var/tmp",
        ];
        if c.distro() == Distro::Debian {
            dirs.extend(["boot", "lib64"]);
        }
        for d in dirs {
            f.dir(&format!("/{d}"));
        }
        for p in programs(c.distro()) {
            f.image_file(&format!("/bin/{p}"), b"\x7fELF\x02\x01\x01\0");
        }
        f.image_file("/dev/null", b"");
        let (os_release, version_file, shell) = match c.distro() {
            Distro::Busybox => (ALPINE, ("/etc/alpine-release", "3.19.1\n"), "/bin/sh"),
            Distro::Debian => (DEBIAN, ("/etc/debian_version", "12.5\n"), "/bin/bash"),
        };
        f.image_file("/etc/os-release", os_release.as_bytes());
        f.image_file(version_file.0, version_file.1.as_bytes());
        f.image_file(
            "/etc/passwd",
            format!("root:x:0:0:root:/root:{shell}\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
                .as_bytes(),
        );
        // What the kubelet mounts into every container.
        let ip = if c.pod_ip.is_empty() {
            "10.244.0.2"
        } else {
            &c.pod_ip
        };
        let runtime = [
            ("/etc/hostname", format!("{}\n", c.pod)),
            (
                "/etc/hosts",
                format!(
                    "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n{ip}\t{}\n",
                    c.pod
                ),
            ),
            (
                "/etc/resolv.conf",
                format!(
                    "search {0}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n",
                    c.namespace
                ),
            ),
            (
                "/var/run/secrets/kubernetes.io/serviceaccount/namespace",
                c.namespace.clone(),
            ),
        ];
        for (path, text) in runtime {
            f.put(path, text.into_bytes(), c.started);
        }
        f.program_files(c);
        f
    }

    fn program_files(&mut self, c: &Container) {
        let port = c.port.unwrap_or(8080);
        match c.program().as_str() {
            "nginx" => {
                self.image_file("/etc/nginx/nginx.conf", NGINX_CONF.as_bytes());
                self.image_file(
                    "/etc/nginx/conf.d/default.conf",
                    format!("server {{\n    listen       {port};\n    server_name  localhost;\n\n    location / {{\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }}\n}}\n").as_bytes(),
                );
                self.image_file(
                    "/usr/share/nginx/html/index.html",
                    b"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n</body>\n</html>\n",
                );
            }
            "redis-server" => self.dir("/data"),
            "postgres" => {
                self.put("/var/lib/postgresql/data/PG_VERSION", b"16\n".to_vec(), c.started);
            }
            "prometheus" => self.image_file(
                "/etc/prometheus/prometheus.yml",
                b"global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: [\"localhost:9090\"]\n",
            ),
            p if c.main.starts_with("/app/") => {
                self.image_file(&format!("/app/{p}"), b"\x7fELF\x02\x01\x01\0");
                self.image_file(
                    "/app/config.yaml",
                    format!("listen: \":{port}\"\nlog_level: info\nmetrics: /metrics\n").as_bytes(),
                );
            }
            _ => {}
        }
    }

    fn dir(&mut self, path: &str) {
        self.ensure_parents(path, IMAGE_BUILT);
        self.entries.entry(path.to_string()).or_insert(Entry {
            node: Node::Dir,
            mtime: IMAGE_BUILT,
        });
    }

    fn image_file(&mut self, path: &str, bytes: &[u8]) {
        self.put(path, bytes.to_vec(), IMAGE_BUILT);
    }

    fn put(&mut self, path: &str, bytes: Vec<u8>, mtime: SimTime) {
        self.ensure_parents(path, mtime);
        self.entries.insert(
            path.to_string(),
            Entry {
                node: Node::File(bytes),
                mtime,
            },
        );
    }

    fn ensure_parents(&mut self, path: &str, mtime: SimTime) {
        let mut at = 0;
        while let Some(i) = path[at + 1..].find('/') {
            let parent = &path[..at + 1 + i];
            self.entries.entry(parent.to_string()).or_insert(Entry {
                node: Node::Dir,
                mtime,
            });
            at += 1 + i;
        }
    }

    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// The names directly in `dir`, sorted.
    pub fn list(&self, dir: &str) -> Vec<(&str, &Entry)> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        self.entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains('/'))
            .map(|(k, e)| (&k[prefix.len()..], e))
            .collect()
    }

    /// Writes (or appends to) a file whose directory exists.
    pub fn write(
        &mut self,
        path: &str,
        bytes: &[u8],
        append: bool,
        now: SimTime,
    ) -> Result<(), FsError> {
        if path == "/dev/null" {
            return Ok(());
        }
        let parent = match path.rfind('/') {
            Some(0) => "/",
            Some(i) => &path[..i],
            None => return Err(FsError::NotFound),
        };
        match self.get(parent) {
            Some(Entry {
                node: Node::Dir, ..
            }) => {}
            Some(_) => return Err(FsError::NotADirectory),
            None => return Err(FsError::NotFound),
        }
        match self.entries.get_mut(path) {
            Some(Entry {
                node: Node::Dir, ..
            }) => Err(FsError::IsADirectory),
            Some(Entry {
                node: Node::File(old),
                mtime,
            }) => {
                if !append {
                    old.clear();
                }
                old.extend_from_slice(bytes);
                *mtime = now;
                Ok(())
            }
            None => {
                self.put(path, bytes.to_vec(), now);
                Ok(())
            }
        }
    }
}

/// `path` made absolute against `cwd` and cleaned of `.`, `..` and `~`.
pub fn resolve(cwd: &str, home: &str, path: &str) -> String {
    let joined = if path == "~" || path.starts_with("~/") {
        format!("{home}{}", &path[1..])
    } else if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

const ALPINE: &str = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n";

const DEBIAN: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

const NGINX_CONF: &str = "user  nginx;\nworker_processes  auto;\n\nerror_log  /var/log/nginx/error.log notice;\npid        /var/run/nginx.pid;\n\nevents {\n    worker_connections  1024;\n}\n\nhttp {\n    include       /etc/nginx/mime.types;\n    default_type  application/octet-stream;\n    sendfile        on;\n    keepalive_timeout  65;\n    include /etc/nginx/conf.d/*.conf;\n}\n";
