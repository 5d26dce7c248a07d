//! The action layer. Every keybound action goes plan → confirm → execute →
//! follow → record, through [`actor`]; read-only mode, protected
//! environments and "one in flight per target" are enforced here, not in
//! the UI.

pub mod actor;
pub mod audit;
pub mod backup;
pub mod catalog;
pub mod child_env;
pub mod docker;
pub mod exec;
pub mod follow;
pub mod kube;
pub mod plan;
pub mod policy;
pub mod private_file;
pub mod runbook;
pub mod scope;
pub mod silence;

pub use actor::{Command, Ops, OpsContext, spawn};
