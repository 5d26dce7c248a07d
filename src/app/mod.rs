//! The reducer layer: `State`, `Msg`, `update`, and the keymap.
//! No IO, no `.await`, no drawing.

pub mod dialogs;
pub mod join;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod msg;
pub mod state;
pub mod update;

pub use keymap::{Action, Keymap};
pub use msg::{Effect, Msg, OpsEvent, ProbeId};
pub use state::{
    Banner, Dialog, Filter, Flash, ListPos, Pane, RunbookEntry, ScaleTarget, State, View,
};
pub use update::update;
