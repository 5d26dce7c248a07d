//! The modal dialog over the board ([`Dialog`]) and what its variants
//! hold. How each opens and takes its keys is in `app::dialogs`.

use std::time::SystemTime;

use crate::model::ActionPlan;

/// A modal dialog over the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// A plan waiting for the operator's yes (or the typed target name).
    Confirm {
        plan: Box<ActionPlan>,
        typed: String,
        /// When the dialog was first drawn. Keys that arrive before it was
        /// on screen (typed ahead, or a second Enter meant for the dialog
        /// before) never confirm it.
        shown: Option<SystemTime>,
    },
    /// Choosing a replica count for a workload or Compose service.
    Scale {
        workload: ScaleTarget,
        current: i32,
        value: String,
        /// The HPA's range, when one owns the count.
        hpa: Option<(i32, i32)>,
    },
    /// The `:` command palette for `service` (or global).
    Palette {
        service: Option<usize>,
        query: String,
        selected: usize,
        /// Only entries whose label starts with this (e.g. "delete pod").
        only: Option<String>,
    },
    /// `q` while jobs run: wait for them, interrupt them, or stay.
    Quit { running: usize },
    /// Making an Alertmanager silence: every field editable.
    Silence {
        server: String,
        matchers: String,
        duration: String,
        comment: String,
        field: SilenceField,
        error: Option<String>,
    },
}

/// Which field of the silence dialog has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceField {
    Matchers,
    Duration,
    Comment,
}

impl SilenceField {
    pub fn next(self) -> SilenceField {
        match self {
            SilenceField::Matchers => SilenceField::Duration,
            SilenceField::Duration => SilenceField::Comment,
            SilenceField::Comment => SilenceField::Matchers,
        }
    }
}

/// What the scale dialog scales.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScaleTarget {
    Kube(crate::model::WorkloadRef),
    Compose(crate::model::ComposeRef),
}

impl ScaleTarget {
    pub fn describe(&self) -> String {
        match self {
            ScaleTarget::Kube(w) => format!("{} in {} ({})", w.short(), w.namespace, w.context),
            ScaleTarget::Compose(c) => format!("compose service {c} on {}", c.host),
        }
    }
}
