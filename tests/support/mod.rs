//! Support for the integration tests, one module tree: each test crate
//! says `mod support;` and uses the parts it needs (`use support::pty;`).
//! What every part shares — a loud skip for a missing prerequisite, a free
//! loopback port, a key press into the reducer — is defined here once.

#![allow(dead_code, unused_imports)]

pub mod demo;
pub mod docker;
pub mod docker_proxy;
pub mod fixtures;
pub mod kube;
pub mod misbehaving;
pub mod ops_board;
pub mod prom;
pub mod prom_proc;
pub mod proxy;
pub mod pty;
pub mod release;
pub mod remote_board;
pub mod servers;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsboard::app::{Effect, Msg, State, update};

/// A missing prerequisite: fails under CI (`CI=true`), skips loudly
/// elsewhere. Returns `None` for `?`-style use.
pub fn missing<T>(what: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing in CI: {what}");
    }
    eprintln!("\n**********\nSKIPPED: {what}\n**********\n");
    None
}

/// A free TCP port on 127.0.0.1 (free when asked).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One key press (no modifiers) through the reducer; its effects.
pub fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}
