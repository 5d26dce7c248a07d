//! The default key bindings: one row per action with its keys, help text,
//! hint and the contexts it applies in. The help screen and the hint bar
//! are generated from this table.

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
    /// The fleet pane (grid and an instance's detail).
    Fleet,
    /// The alerts pane (list, detail, targets).
    Alerts,
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
    Everywhere,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::Move => "Move",
            Section::Lists => "Lists and panes",
            Section::Alerts => "Alerts pane",
            Section::Fleet => "Fleet pane",
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

/// The default keymap. The help screen and hint bar are generated from this.
pub const BINDINGS: &[Binding] = &[
    Binding {
        action: Action::Up,
        keys: &["k", "up"],
        help: "move up",
        hint: None,
        contexts: &[
            Context::List,
            Context::Detail,
            Context::Backups,
            Context::Actions,
            Context::Alerts,
            Context::Fleet,
        ],
        section: Section::Move,
    },
    Binding {
        action: Action::Down,
        keys: &["j", "down"],
        help: "move down",
        hint: None,
        contexts: &[
            Context::List,
            Context::Detail,
            Context::Backups,
            Context::Actions,
            Context::Alerts,
            Context::Fleet,
        ],
        section: Section::Move,
    },
    Binding {
        action: Action::Top,
        keys: &["g", "home"],
        help: "go to the top",
        hint: None,
        contexts: &[
            Context::List,
            Context::Detail,
            Context::Backups,
            Context::Actions,
            Context::Alerts,
            Context::Fleet,
        ],
        section: Section::Move,
    },
    Binding {
        action: Action::Bottom,
        keys: &["G", "end"],
        help: "go to the bottom",
        hint: None,
        contexts: &[
            Context::List,
            Context::Detail,
            Context::Backups,
            Context::Actions,
            Context::Alerts,
        ],
        section: Section::Move,
    },
    Binding {
        action: Action::PageUp,
        keys: &["pgup", "ctrl-b"],
        help: "page up",
        hint: None,
        contexts: &[
            Context::List,
            Context::Detail,
            Context::Backups,
            Context::Actions,
            Context::Alerts,
            Context::Fleet,
        ],
        section: Section::Move,
    },
    Binding {
        action: Action::PageDown,
        keys: &["pgdn", "ctrl-f"],
        help: "page down",
        hint: None,
        contexts: &[
            Context::List,
            Context::Detail,
            Context::Backups,
            Context::Actions,
            Context::Alerts,
            Context::Fleet,
        ],
        section: Section::Move,
    },
    Binding {
        action: Action::Filter,
        keys: &["/"],
        help: "filter services, instances",
        hint: Some("filter"),
        contexts: &[Context::List, Context::Fleet],
        section: Section::Lists,
    },
    Binding {
        action: Action::Open,
        keys: &["enter"],
        help: "open the selected row",
        hint: Some("open"),
        contexts: &[
            Context::List,
            Context::Backups,
            Context::Actions,
            Context::Alerts,
            Context::Fleet,
        ],
        section: Section::Lists,
    },
    Binding {
        action: Action::Back,
        keys: &["esc"],
        help: "back to the list",
        hint: Some("back"),
        contexts: &[Context::Detail, Context::Alerts, Context::Fleet],
        section: Section::Lists,
    },
    Binding {
        action: Action::Backup,
        keys: &["b"],
        help: "back up now",
        hint: Some("backup"),
        contexts: &[Context::List, Context::Detail, Context::Backups],
        section: Section::Lists,
    },
    Binding {
        action: Action::Scale,
        keys: &["s"],
        help: "scale the workload",
        hint: Some("scale"),
        contexts: &[Context::List, Context::Detail],
        section: Section::Lists,
    },
    Binding {
        action: Action::Restart,
        keys: &["r"],
        help: "rollout restart",
        hint: Some("restart"),
        contexts: &[Context::List, Context::Detail, Context::Fleet],
        section: Section::Lists,
    },
    Binding {
        action: Action::Rollback,
        keys: &["u"],
        help: "roll back (undo)",
        hint: Some("undo"),
        contexts: &[Context::List, Context::Detail],
        section: Section::Lists,
    },
    Binding {
        action: Action::Logs,
        keys: &["l"],
        help: "follow logs",
        hint: Some("logs"),
        contexts: &[Context::List, Context::Detail],
        section: Section::Lists,
    },
    Binding {
        action: Action::Timestamps,
        keys: &["t"],
        help: "logs: timestamps",
        hint: None,
        contexts: &[Context::Detail],
        section: Section::Lists,
    },
    Binding {
        action: Action::DeletePod,
        keys: &["ctrl-d"],
        help: "delete a pod",
        hint: None,
        contexts: &[Context::Detail],
        section: Section::Lists,
    },
    Binding {
        action: Action::Silence,
        keys: &["S"],
        help: "silence the alert",
        hint: Some("silence"),
        contexts: &[Context::Alerts],
        section: Section::Alerts,
    },
    Binding {
        action: Action::ExpireSilence,
        keys: &["E"],
        help: "expire its silence",
        hint: Some("expire"),
        contexts: &[Context::Alerts],
        section: Section::Alerts,
    },
    Binding {
        action: Action::GoToService,
        keys: &["o"],
        help: "go to its service",
        hint: Some("service"),
        contexts: &[Context::Alerts, Context::Fleet],
        section: Section::Alerts,
    },
    Binding {
        action: Action::Targets,
        keys: &["T"],
        help: "scrape targets & rules",
        hint: Some("targets"),
        contexts: &[Context::Alerts],
        section: Section::Alerts,
    },
    Binding {
        action: Action::Group,
        keys: &["G"],
        help: "next grouping",
        hint: Some("group"),
        contexts: &[Context::Fleet],
        section: Section::Fleet,
    },
    Binding {
        action: Action::Left,
        keys: &["left", "h"],
        help: "previous cell",
        hint: None,
        contexts: &[Context::Fleet],
        section: Section::Fleet,
    },
    Binding {
        action: Action::Right,
        keys: &["right", "l"],
        help: "next cell",
        hint: None,
        contexts: &[Context::Fleet],
        section: Section::Fleet,
    },
    Binding {
        action: Action::Verify,
        keys: &["v"],
        help: "verify newest backup",
        hint: Some("verify"),
        contexts: &[Context::Backups],
        section: Section::Lists,
    },
    Binding {
        action: Action::Palette,
        keys: &[":"],
        help: "runbooks & actions",
        hint: Some("actions"),
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::CancelJob,
        keys: &["c"],
        help: "cancel the running job",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::Dismiss,
        keys: &["x"],
        help: "dismiss results",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::NextPane,
        keys: &["tab"],
        help: "next pane",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::PrevPane,
        keys: &["backtab"],
        help: "previous pane",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::ShowServices,
        keys: &["1"],
        help: "Services pane",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::ShowFleet,
        keys: &["2"],
        help: "Fleet pane",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::ShowAlerts,
        keys: &["3"],
        help: "Alerts pane",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::ShowBackups,
        keys: &["4"],
        help: "Backups pane",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::ShowActions,
        keys: &["5"],
        help: "Actions pane",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::ShowNodes,
        keys: &["6"],
        help: "Nodes pane",
        hint: None,
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::Refresh,
        keys: &["ctrl-r", "f5"],
        help: "poll now",
        hint: Some("poll now"),
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::Help,
        keys: &["?"],
        help: "show or hide this help",
        hint: Some("help"),
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
    Binding {
        action: Action::Quit,
        keys: &["q", "ctrl-c"],
        help: "quit",
        hint: Some("quit"),
        contexts: &[Context::Global],
        section: Section::Everywhere,
    },
];
