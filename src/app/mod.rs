//! The reducer layer: `State`, `Msg`, `update`, and the keymap.
//! No IO, no `.await`, no drawing.

pub mod alert_keys;
pub mod alerts;
pub mod bindings;
pub mod confirm;
pub mod dialogs;
pub mod fleet;
pub mod fleet_grid;
pub mod fleet_keys;
pub mod fleet_sources;
pub mod join;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod msg;
pub mod runbook_scope;
pub mod state;
mod state_sources;
pub mod update;
pub mod update_metrics;

pub use keymap::{Action, Keymap};
pub use msg::{Effect, MetricsUpdate, Msg, OpsEvent, ProbeId};
pub use state::{
    Banner, Dialog, Filter, Flash, ListPos, Pane, RunbookEntry, ScaleTarget, State, View,
};
pub use update::update;
