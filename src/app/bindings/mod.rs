//! The default keymap, one row per action (keys, help, hint, contexts);
//! the help screen and the hint bar are generated from this table. The
//! rows live in one file per kind of key, joined here in order (the hint
//! bar shows them in this order).

mod acting;
mod everywhere;
mod moving;

use std::sync::LazyLock;

pub use super::binding_kinds::{Binding, Context, Section};

/// Every binding: moving keys, then acting keys, then the global ones.
pub static BINDINGS: LazyLock<Vec<&'static Binding>> = LazyLock::new(|| {
    moving::ROWS
        .iter()
        .chain(acting::ROWS)
        .chain(everywhere::ROWS)
        .collect()
});
