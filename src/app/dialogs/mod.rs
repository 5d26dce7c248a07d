//! The modal dialogs over the board ([`crate::app::Dialog`]): how each
//! opens and takes its keys. The key dispatcher (`app::keys::dispatch`)
//! hands a key to the open one.

pub mod confirm;
pub mod fuzzy;
pub mod palette;
pub mod palette_entry;
pub mod quit;
pub mod scale;
pub mod scope;
pub mod silence;

/// Longest text accepted in a dialog input.
pub const MAX_INPUT: usize = 128;
