//! The reducer layer: `State`, `Msg`, `update`, and the keymap.
//! No IO, no `.await`, no drawing.

pub mod alerts;
pub mod binding_kinds;
pub mod bindings;
pub mod change_log;
pub mod clusters;
pub mod copy;
pub mod dialogs;
pub mod events;
pub mod events_view;
pub mod exec;
pub mod fleet;
pub mod fleet_grid;
pub mod fleet_sources;
pub mod fleet_view;
pub mod focus;
pub mod join;
mod join_pairs;
pub mod keymap;
pub mod keys;
pub mod kube_scope;
pub mod layout;
pub mod list;
pub mod logs;
pub mod modal;
pub mod msg;
pub mod runbook_scope;
pub mod scope_switch;
pub mod state;
mod state_sources;
pub mod text_view;
pub mod timeline;
pub mod update;
pub mod viewer;

pub use keymap::{Action, Keymap};
pub use list::{Filter, ListPos};
pub use msg::{Effect, MetricsUpdate, Msg, OpsEvent};
pub use state::{Banner, Dialog, Flash, Pane, RunbookEntry, ScaleTarget, State, View};
pub use update::update;
