//! Finding clusters the way kubectl does: the `KUBECONFIG` list (or
//! `~/.kube/config`), a named or the current context, or in-cluster config.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{InClusterError, KubeConfigOptions, Kubeconfig, KubeconfigError};

/// What config says about Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeSettings {
    /// An explicit kubeconfig file (else `KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// Contexts to show; empty means the current context.
    pub contexts: Vec<String>,
    /// Namespaces in scope; empty means all.
    pub namespaces: Vec<String>,
    /// `--namespace`: overrides `namespaces`.
    pub namespace_flag: Option<String>,
    /// How long one watch request lasts before it is made again; a watch
    /// (or any answer) silent for longer is taken as dead.
    pub watch_timeout: Duration,
}

/// kube's own default: the API server ends a watch after 290 s.
pub const WATCH_TIMEOUT: Duration = Duration::from_secs(290);

impl Default for KubeSettings {
    fn default() -> Self {
        KubeSettings {
            kubeconfig: None,
            contexts: Vec::new(),
            namespaces: Vec::new(),
            namespace_flag: None,
            watch_timeout: WATCH_TIMEOUT,
        }
    }
}

impl KubeSettings {
    pub fn namespaces(&self) -> Vec<String> {
        match &self.namespace_flag {
            Some(n) => vec![n.clone()],
            None => self.namespaces.clone(),
        }
    }
}

/// Why a context has no client: the words name the kubeconfig or the
/// context at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The kubeconfig file named in config cannot be read.
    #[error("kubeconfig {}: {error}", .path.display())]
    KubeconfigFile {
        path: PathBuf,
        error: KubeconfigError,
    },
    /// The kubeconfig kubectl would read (`$KUBECONFIG`, `~/.kube/config`)
    /// cannot be read.
    #[error("kubeconfig ({which}): {error}")]
    Kubeconfig {
        which: &'static str,
        error: KubeconfigError,
    },
    #[error("kubeconfig has no current-context; set one or list contexts in [kubernetes]")]
    NoCurrentContext,
    #[error("{}", crate::model::kube_scope::unknown_context(context, known))]
    UnknownContext { context: String, known: Vec<String> },
    /// The context's settings do not make a configuration.
    #[error("context `{context}`: {error}")]
    Context {
        context: String,
        error: KubeconfigError,
    },
    #[error("client for `{context}`: {error}")]
    Client { context: String, error: kube::Error },
    #[error("in-cluster config: {0}")]
    InClusterConfig(InClusterError),
    #[error("in-cluster client: {0}")]
    InClusterClient(kube::Error),
}

/// A context ready to watch, or why it is not.
pub struct Connected {
    pub context: String,
    pub client: Result<kube::Client, ConnectError>,
    /// From [`KubeSettings::watch_timeout`].
    pub watch_timeout: Duration,
}

/// Bounds every request so that nothing waits on a dead API server for
/// ever: connecting, and any answer (a watch included) silent for longer
/// than the watch timeout plus a margin, fail and are retried.
///
/// `watch_timeout` of `None`: a client for interactive sessions (exec),
/// whose answers may rightly stay silent for as long as the operator
/// reads; connecting is still bounded.
fn bounded(mut cfg: kube::Config, watch_timeout: Option<Duration>) -> kube::Config {
    cfg.connect_timeout = Some(
        cfg.connect_timeout
            .unwrap_or(CONNECT_TIMEOUT)
            .min(CONNECT_TIMEOUT),
    );
    cfg.read_timeout = watch_timeout.map(|w| w + READ_MARGIN);
    cfg.reset_reader_on_write = true;
    cfg
}

/// No API server takes longer to accept a connection when it is up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Beyond the watch timeout, how long an answer may stay silent.
const READ_MARGIN: Duration = Duration::from_secs(15);

fn read_kubeconfig(settings: &KubeSettings) -> Result<Option<Kubeconfig>, ConnectError> {
    if let Some(p) = &settings.kubeconfig {
        return Kubeconfig::read_from(p)
            .map(Some)
            .map_err(|error| ConnectError::KubeconfigFile {
                path: p.clone(),
                error,
            });
    }
    let env_set = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
    let default = directories::BaseDirs::new().map(|b| b.home_dir().join(".kube/config"));
    if !env_set && !default.as_ref().is_some_and(|p| p.exists()) {
        return Ok(None);
    }
    Kubeconfig::read()
        .map(Some)
        .map_err(|error| ConnectError::Kubeconfig {
            which: if env_set {
                "$KUBECONFIG"
            } else {
                "~/.kube/config"
            },
            error,
        })
}

/// Whether the kubeconfig file at `path` can be read and parsed: the
/// command line checks `--kubeconfig` before the board starts.
pub fn check_kubeconfig(path: &std::path::Path) -> Result<(), ConnectError> {
    Kubeconfig::read_from(path)
        .map(|_| ())
        .map_err(|error| ConnectError::KubeconfigFile {
            path: path.to_path_buf(),
            error,
        })
}

/// A kubeconfig's contexts, for choosing one (`:ctx`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeconfigContexts {
    /// Every context, in the file's order.
    pub names: Vec<String>,
    /// Its `current-context`.
    pub current: Option<String>,
}

/// The contexts of the kubeconfig [`connect`] reads; `None` when there is
/// no kubeconfig (in a pod, or nothing configured).
pub fn kubeconfig_contexts(
    settings: &KubeSettings,
) -> Result<Option<KubeconfigContexts>, ConnectError> {
    Ok(read_kubeconfig(settings)?.map(|k| KubeconfigContexts {
        names: k.contexts.iter().map(|c| c.name.clone()).collect(),
        current: k.current_context,
    }))
}

/// The contexts to watch and a client for each. With no kubeconfig at all
/// and no in-cluster service account, the list is empty (not an error):
/// the board simply has no Kubernetes source.
pub async fn connect(settings: &KubeSettings) -> Vec<Connected> {
    connect_reads(settings, Some(settings.watch_timeout)).await
}

/// [`connect`] for interactive sessions: no read timeout (a shell may be
/// quiet for as long as the operator thinks).
pub async fn connect_for_sessions(settings: &KubeSettings) -> Vec<Connected> {
    connect_reads(settings, None).await
}

async fn connect_reads(settings: &KubeSettings, reads: Option<Duration>) -> Vec<Connected> {
    let kubeconfig = match read_kubeconfig(settings) {
        Ok(k) => k,
        Err(e) => {
            let context = settings
                .contexts
                .first()
                .cloned()
                .unwrap_or_else(|| "kubernetes".into());
            return vec![Connected {
                context,
                client: Err(e),
                watch_timeout: settings.watch_timeout,
            }];
        }
    };
    let Some(kubeconfig) = kubeconfig else {
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            let client = match kube::Config::incluster() {
                Ok(cfg) => kube::Client::try_from(bounded(cfg, reads))
                    .map_err(ConnectError::InClusterClient),
                Err(e) => Err(ConnectError::InClusterConfig(e)),
            };
            return vec![Connected {
                context: "in-cluster".into(),
                client,
                watch_timeout: settings.watch_timeout,
            }];
        }
        return Vec::new();
    };
    let contexts = if settings.contexts.is_empty() {
        match &kubeconfig.current_context {
            Some(c) => vec![c.clone()],
            None => {
                return vec![Connected {
                    context: "kubernetes".into(),
                    client: Err(ConnectError::NoCurrentContext),
                    watch_timeout: settings.watch_timeout,
                }];
            }
        }
    } else {
        settings.contexts.clone()
    };
    let mut out = Vec::new();
    for context in contexts {
        let known = kubeconfig.contexts.iter().any(|c| c.name == context);
        let client = if !known {
            Err(ConnectError::UnknownContext {
                context: context.clone(),
                known: kubeconfig.contexts.iter().map(|c| c.name.clone()).collect(),
            })
        } else {
            let opts = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            match kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &opts).await {
                Ok(cfg) => kube::Client::try_from(bounded(cfg, reads)).map_err(|error| {
                    ConnectError::Client {
                        context: context.clone(),
                        error,
                    }
                }),
                Err(error) => Err(ConnectError::Context {
                    context: context.clone(),
                    error,
                }),
            }
        };
        out.push(Connected {
            context,
            client,
            watch_timeout: settings.watch_timeout,
        });
    }
    out
}

/// The clients of the contexts that connected, by context name, for the
/// requests made on demand (logs, describe, exec). Cheap to clone.
#[derive(Clone, Default)]
pub struct Clients(std::sync::Arc<std::collections::BTreeMap<String, kube::Client>>);

impl Clients {
    pub fn from_connected(connected: &[Connected]) -> Clients {
        Clients(std::sync::Arc::new(
            connected
                .iter()
                .filter_map(|c| Some((c.context.clone(), c.client.as_ref().ok()?.clone())))
                .collect(),
        ))
    }

    /// The client of `context`, if it connected.
    pub fn get(&self, context: &str) -> Option<kube::Client> {
        self.0.get(context).cloned()
    }
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}
