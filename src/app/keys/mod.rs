//! Key handling: one dispatcher (`dispatch::on_key`) routes a key to the
//! open dialog or to the focused pane's keys, one file per pane; the panes'
//! keys never call each other or the dispatcher.

pub mod actions;
pub mod alerts;
pub mod backups;
pub mod dispatch;
pub mod events;
pub mod exec;
pub mod fleet;
pub mod logs;
pub mod nav;
pub mod nodes;
pub mod services;
pub mod viewer;
