//! What a program sees of the session ([`Ctx`]) and what it gives back
//! ([`Ran`]).

use chrono::{DateTime, Utc};

use super::super::clock::SimTime;
use super::files::{Files, resolve};
use super::image::{Container, Distro};

/// What a program may look at.
pub struct Ctx<'a> {
    pub container: &'a Container,
    pub files: &'a Files,
    pub env: &'a [(String, String)],
    pub cwd: &'a str,
    /// A terminal is attached (`tty=true`).
    pub tty: bool,
    /// Columns and rows of the terminal.
    pub size: (u16, u16),
    pub now: SimTime,
    /// The session's processes below PID 1, oldest first: `(pid, command
    /// line)`; the last one is the program running.
    pub procs: &'a [(u32, String)],
}

impl Ctx<'_> {
    pub fn gnu(&self) -> bool {
        self.container.distro() == Distro::Debian
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self, p: &str) -> String {
        resolve(self.cwd, self.var("HOME").unwrap_or("/root"), p)
    }

    pub fn date(&self, t: SimTime) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(t).unwrap_or_default()
    }
}

/// A program's output and exit code.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ran {
    pub out: Vec<u8>,
    pub err: Vec<u8>,
    pub code: u8,
}

impl Ran {
    pub fn ok(out: impl Into<Vec<u8>>) -> Ran {
        Ran {
            out: out.into(),
            ..Ran::default()
        }
    }

    pub fn fail(code: u8, err: impl Into<String>) -> Ran {
        let mut err = err.into();
        if !err.ends_with('\n') {
            err.push('\n');
        }
        Ran {
            err: err.into_bytes(),
            code,
            ..Ran::default()
        }
    }
}
