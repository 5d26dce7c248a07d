//! Exec (`x`): a command — a shell unless configured — in a pod's or a
//! Docker container, with the board's terminal handed over to it.
//! In-process on both backends, so nothing more is needed on a bastion:
//! Kubernetes exec over WebSocket (kube's `ws`), Docker exec attach.
//!
//! The action layer plans a session like any action (what runs where, the
//! container checked to be running, the environment of the workload or
//! Compose service it belongs to), confirms it at the gate, records its
//! start, opens it and hands it to the runtime as a [`Session`]; the
//! runtime gives it the terminal and answers with a [`SessionEnd`], which
//! becomes the job's outcome in the audit log (exit code, duration).

pub mod docker;
pub mod kube;

use std::pin::Pin;

use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};

use crate::model::JobId;

/// An open session, ready for the terminal.
pub struct Session {
    pub job: JobId,
    /// What runs where: the first line printed when the terminal is
    /// handed over.
    pub title: String,
    /// Keys typed go here (raw bytes: the remote side has the terminal).
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
    /// What the command writes (stdout and stderr, merged by its tty).
    pub output: Pin<Box<dyn AsyncRead + Send>>,
    /// Tells the remote terminal its size (columns, rows).
    pub resize: mpsc::UnboundedSender<(u16, u16)>,
    /// The exit code once the output has ended; an error says why there
    /// is none.
    pub exit: BoxFuture<'static, Result<i64, String>>,
    /// How the session ended, for the job and the audit log.
    pub ended: oneshot::Sender<SessionEnd>,
}

/// What a backend opens: the session without the job's part.
pub struct Opened {
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
    pub output: Pin<Box<dyn AsyncRead + Send>>,
    pub resize: mpsc::UnboundedSender<(u16, u16)>,
    pub exit: BoxFuture<'static, Result<i64, String>>,
}

/// A planned session: what the plan says, and what the gate needs.
pub struct Planned {
    pub what_will_happen: Vec<String>,
    pub parameters: std::collections::BTreeMap<String, String>,
    /// The workload the pod belongs to (its environment applies).
    pub workload: Option<crate::model::WorkloadRef>,
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The command exited with this code.
    Exited(i64),
    /// The board left the session before the command ended (Ctrl-], the
    /// terminal gone, a signal); the connection was closed. Says which.
    Left(String),
    /// The connection failed or no exit code could be read.
    Failed(String),
}

/// Where the action layer hands sessions to the terminal's owner.
pub type Handover = mpsc::Sender<Session>;

/// The key that leaves a session from the board's side (Ctrl-]), as
/// telnet and `docker attach`'s detach keys do: the one byte no shell
/// needs.
pub const LEAVE_KEY: u8 = 0x1d;

/// How a command the operator typed is refused when it is empty.
pub fn check_command(argv: &[String]) -> Result<(), String> {
    if argv.first().is_none_or(|a| a.trim().is_empty()) {
        return Err("no command to run".into());
    }
    Ok(())
}

/// The plan's first words for `argv`: the default shell by what it does,
/// any other command by its command line.
pub fn doing(argv: &[String]) -> String {
    match crate::model::command_label(argv).as_str() {
        "shell" => "Opens a shell (bash where the image has it, else sh)".into(),
        c => format!("Runs `{c}`"),
    }
}
