//! Messages into the reducer and effects out of it.

use std::time::SystemTime;

use crossterm::event::KeyEvent;

use crate::model::ProbeOutcome;

/// Identifies one probe of one service for the lifetime of a config
/// generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProbeId {
    pub service: usize,
    pub probe: usize,
}

/// Everything that can change [`super::State`].
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved; time arrives in the message so `update` stays pure.
    Tick(SystemTime),
    /// A probe finished. `generation` tells late answers from a replaced
    /// config apart.
    Probe {
        id: ProbeId,
        generation: u64,
        outcome: ProbeOutcome,
    },
    /// SIGTERM / SIGHUP: leave cleanly.
    Shutdown,
}

/// Work the reducer asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run these services' probes now instead of waiting for the interval
    /// (`None`: every service).
    PollNow(Option<Vec<usize>>),
}
