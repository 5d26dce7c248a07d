//! opsboard: a terminal operations board for on-call engineers.
//!
//! Data flows one way: `sources` → `Msg` → `app::update` → `State` → `ui`.
//! See `ARCHITECTURE.md` for the layers.

#![forbid(unsafe_code)]

pub mod app;
pub mod assemble;
pub mod cli;
pub mod clients;
pub mod config;
pub mod handover;
pub mod headless;
pub mod headless_do;
pub mod headless_gather;
pub mod headless_markdown;
pub mod kube_watch;
pub mod logging;
pub mod model;
pub mod ops;
pub mod output;
pub mod rules;
pub mod runtime;
pub mod sim;
pub mod sources;
pub mod terminal;
pub mod ui;
