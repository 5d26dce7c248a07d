//! The Events pane's own state: its selection, its `/` filter and the
//! warnings-only switch (what it lists is in `events`).

use super::list::{Filter, ListPos};

/// The Events pane's selection, filter and switch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsView {
    pub list: ListPos,
    pub filter: Filter,
    /// Only Warning events are listed.
    pub warnings_only: bool,
}
