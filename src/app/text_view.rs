//! The text viewer behind describe (`d`), YAML (`y`) and inspect (`i`):
//! one document on one object, scrolled, searched with `/` (`n`/`N` to
//! the next/previous match), wrapped with `w`, its masked values revealed
//! with `R` (audited first). This file holds the viewer's own state; how
//! the board opens, feeds and closes it is in `viewer`.

use crate::model::document::{Document, ObjectRef, Rendering};

/// Where the document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocState {
    Loading,
    Ready(Document),
    Failed(String),
}

/// The open viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextView {
    /// Tells this view's answer from a late one for a view since closed.
    pub request: u64,
    pub object: ObjectRef,
    pub rendering: Rendering,
    pub doc: DocState,
    /// The first line shown.
    pub scroll: usize,
    pub search: String,
    pub editing: bool,
    /// The line of the match `n`/`N` last went to.
    pub current: Option<usize>,
    pub wrap: bool,
    /// Masked values shown: only after the audit log has the reveal.
    pub revealed: bool,
    /// `R` was pressed and the audit answer is awaited.
    pub revealing: bool,
}

impl TextView {
    pub fn title(&self) -> String {
        format!("{} {}", self.rendering.word(), self.object)
    }

    /// The document's lines as shown (masked values masked unless
    /// revealed); empty while loading or failed.
    pub fn shown_lines(&self) -> Vec<String> {
        match &self.doc {
            DocState::Ready(d) => d.lines.iter().map(|l| l.shown(self.revealed)).collect(),
            _ => Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        match &self.doc {
            DocState::Ready(d) => d.lines.len(),
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lines holding the search text (case-insensitive), in order.
    pub fn matches(&self) -> Vec<usize> {
        if self.search.is_empty() {
            return Vec::new();
        }
        let needle = self.search.to_lowercase();
        self.shown_lines()
            .iter()
            .enumerate()
            .filter(|(_, l)| l.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect()
    }
}

/// Moves to the next (or previous) match after (before) the current one;
/// `from_top`: the first match at or after the first line on screen.
/// Wraps around at the ends. Says nothing when there is no match (the
/// title shows "0 matches").
pub fn go_to_match(t: &mut TextView, forward: bool, rows: usize, from_top: bool) {
    let matches = t.matches();
    if matches.is_empty() {
        t.current = None;
        return;
    }
    let here = if from_top {
        t.scroll
    } else {
        t.current
            .map_or(t.scroll, |c| if forward { c + 1 } else { c })
    };
    let next = if forward {
        matches
            .iter()
            .copied()
            .find(|&m| m >= here)
            .unwrap_or(matches[0])
    } else {
        matches
            .iter()
            .rev()
            .copied()
            .find(|&m| m < here)
            .unwrap_or(matches[matches.len() - 1])
    };
    t.current = Some(next);
    // Keep the match on screen, a few lines below the top when possible.
    if next < t.scroll || next >= t.scroll + rows {
        t.scroll = next.saturating_sub(rows / 4);
    }
    clamp(t, rows);
}

/// Keeps the scroll within the document.
pub fn clamp(t: &mut TextView, rows: usize) {
    let max = if t.wrap {
        t.len().saturating_sub(1)
    } else {
        t.len().saturating_sub(rows)
    };
    t.scroll = t.scroll.min(max);
}
