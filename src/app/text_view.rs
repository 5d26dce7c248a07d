//! The text viewer behind describe (`d`), YAML (`y`) and inspect (`i`):
//! one document on one object, scrolled, searched with `/` (`n`/`N` to
//! the next/previous match), wrapped with `w`, its masked values revealed
//! with `R` (audited first). Opening it asks the runtime for the document
//! (`Effect::FetchDocument`); the view shows "reading…" until
//! `Msg::Document` with its request number arrives.

use super::msg::Effect;
use super::state::{State, View};
use crate::model::document::{Document, ObjectRef, Rendering};

/// Longest search text.
const MAX_SEARCH: usize = 64;

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
    /// Where Esc goes.
    pub back: View,
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

/// Rows of the document on screen: the body less the viewer's title line.
pub fn doc_rows(state: &State) -> usize {
    usize::from(
        super::layout::body_rows(state.height, state.notice_rows())
            .saturating_sub(1)
            .max(1),
    )
}

/// Opens the viewer on `object` and asks for its document. Esc returns to
/// the view it was opened from (the one it replaced, when switching from
/// describe to YAML).
pub fn open(state: &mut State, object: ObjectRef, rendering: Rendering) -> Vec<Effect> {
    let (back, pane) = match (&state.text_view, state.view) {
        (Some(t), View::Text { pane }) => (t.back, pane),
        (_, v) => (v, v.pane()),
    };
    state.next_request += 1;
    let request = state.next_request;
    state.text_view = Some(TextView {
        request,
        object: object.clone(),
        rendering,
        doc: DocState::Loading,
        scroll: 0,
        search: String::new(),
        editing: false,
        current: None,
        wrap: false,
        revealed: false,
        revealing: false,
        back,
    });
    state.view = View::Text { pane };
    state.dirty = true;
    vec![Effect::FetchDocument {
        request,
        object,
        rendering,
    }]
}

/// The document (or why not) for `request`; dropped when that view is no
/// longer open.
pub fn on_document(state: &mut State, request: u64, result: Result<Document, String>) {
    let Some(t) = state.text_view.as_mut().filter(|t| t.request == request) else {
        return;
    };
    t.doc = match result {
        Ok(d) => DocState::Ready(d),
        Err(e) => DocState::Failed(crate::model::text::safe(&e)),
    };
    state.dirty = true;
}

/// The audit log has the reveal of `request`'s values: show them.
pub fn on_revealed(state: &mut State, request: u64) {
    if let Some(t) = state.text_view.as_mut().filter(|t| t.request == request) {
        t.revealed = true;
        t.revealing = false;
        state.dirty = true;
    }
}

/// Closes the viewer, back to where it was opened from.
pub fn close(state: &mut State) {
    if let Some(t) = state.text_view.take() {
        state.view = t.back;
    } else {
        state.view = state.pane().view();
    }
    state.dirty = true;
}

/// Typing into the viewer's search: Enter keeps it and goes to the first
/// match from the top of the screen on, Esc drops it.
pub fn edit_search(state: &mut State, key: crossterm::event::KeyEvent) {
    use crossterm::event::{KeyCode, KeyModifiers};
    let rows = doc_rows(state);
    let Some(t) = state.text_view.as_mut() else {
        return;
    };
    match key.code {
        KeyCode::Esc => {
            t.search.clear();
            t.current = None;
            t.editing = false;
        }
        KeyCode::Enter => {
            t.editing = false;
            go_to_match(t, true, rows, true);
        }
        KeyCode::Backspace => {
            t.search.pop();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => t.search.clear(),
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            if t.search.chars().count() < MAX_SEARCH {
                t.search.push(c);
            }
        }
        _ => return,
    }
    state.dirty = true;
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

#[cfg(test)]
mod tests;
