//! The Kubernetes client shared by the Kubernetes source and the
//! Kubernetes actions: finding clusters and connecting to them the way
//! kubectl does, `kubectl rollout status` word for word, and reading pod
//! templates.

pub mod connect;
pub mod describe;
pub mod fetch;
pub mod rollout;
pub mod template;
pub mod yaml;

pub use connect::{
    Clients, ConnectError, Connected, KubeSettings, KubeconfigContexts, connect,
    connect_for_sessions, kubeconfig_contexts,
};
