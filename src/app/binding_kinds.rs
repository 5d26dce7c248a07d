//! What a key binding is: the contexts an action applies in, the help
//! screen's sections, and one row of the binding table (`bindings.rs`).

use crate::model::keys::Action;

/// Where an action applies, for the hint bar and the help screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The services table.
    List,
    /// A service's detail view.
    Detail,
    /// The backups pane (jobs list and a job's files).
    Backups,
    /// The actions pane (jobs list and a job's output).
    Actions,
    /// The nodes pane.
    Nodes,
    /// The events pane.
    Events,
    /// The fleet pane (grid and an instance's detail).
    Fleet,
    /// The alerts pane (list, detail, targets).
    Alerts,
    /// The logs view.
    Logs,
    /// The text viewer: describe, YAML, inspect.
    Viewer,
    /// Everywhere.
    Global,
}

/// Where the help screen lists a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Move,
    Lists,
    Alerts,
    Fleet,
    Logs,
    Viewer,
    Events,
    Nodes,
    Everywhere,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Move => "Move",
            Section::Lists => "Lists and panes",
            Section::Alerts => "Alerts pane",
            Section::Fleet => "Fleet pane",
            Section::Logs => "Logs view",
            Section::Events => "Events pane",
            Section::Nodes => "Nodes pane",
            Section::Viewer => "Viewer: / searches, Esc back",
            Section::Everywhere => "Everywhere",
        }
    }
}

/// One row of the binding table: the action, its default keys, what it does.
pub struct Binding {
    pub action: Action,
    pub keys: &'static [&'static str],
    pub help: &'static str,
    /// Shown in the footer hint bar.
    pub hint: Option<&'static str>,
    pub contexts: &'static [Context],
    pub section: Section,
}
