//! The reducer layer: `State`, `Msg`, `update`, and the keymap.
//! No IO, no `.await`, no drawing.

pub mod keymap;
pub mod layout;
pub mod msg;
pub mod state;
pub mod update;

pub use keymap::{Action, Keymap};
pub use msg::{Effect, Msg, ProbeId};
pub use state::{Banner, Filter, ListPos, State, View};
pub use update::update;
