//! Opening, feeding and closing the text viewer (`text_view`): opening
//! asks the runtime for the document (`Effect::FetchDocument`); the view
//! shows "reading…" until `Msg::Document` with its request number
//! arrives; Esc goes back to the view it was opened from.

use super::msg::Effect;
use super::state::{State, View};
use super::text_view::{DocState, TextView, go_to_match};
use crate::model::document::{Document, ObjectRef, Rendering};

/// Longest search text.
const MAX_SEARCH: usize = 64;

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
        (Some(_), View::Text { pane }) => (state.viewer_back, pane),
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
    });
    state.viewer_back = back;
    state.view = View::Text { pane };
    state.dirty = true;
    vec![Effect::FetchDocument {
        request,
        object,
        rendering,
    }]
}

/// Reads the open view's object again (`Ctrl-R`), keeping its place and
/// search.
pub fn reload(state: &mut State) -> Vec<Effect> {
    let Some(old) = state.text_view.clone() else {
        return vec![];
    };
    let effects = open(state, old.object, old.rendering);
    if let Some(t) = state.text_view.as_mut() {
        t.scroll = old.scroll;
        t.search = old.search;
        t.wrap = old.wrap;
    }
    effects
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
    let rows = doc_rows(state);
    if let Some(t) = state.text_view.as_mut() {
        super::text_view::clamp(t, rows);
    }
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
    state.view = match state.text_view.take() {
        Some(_) => state.viewer_back,
        None => state.pane().view(),
    };
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

#[cfg(test)]
mod tests;
