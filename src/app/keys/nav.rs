//! Movement shared by the panes' keys: moving a list's selection, and
//! scrolling the detail-like views (Esc returns to the pane's list).

use crate::app::keymap::Action;
use crate::app::layout::scroll_to_show;
use crate::app::list::ListPos;
use crate::app::state::{State, View};

/// Moves a list's selection for `action` and scrolls it into view.
pub fn move_in(pos: &mut ListPos, action: Action, len: usize, rows: usize) {
    let last = len.saturating_sub(1);
    let page = rows.max(1);
    let sel = &mut pos.selected;
    match action {
        Action::Up => *sel = sel.saturating_sub(1),
        Action::Down => *sel = (*sel + 1).min(last),
        Action::Top => *sel = 0,
        Action::Bottom => *sel = last,
        Action::PageUp => *sel = sel.saturating_sub(page),
        Action::PageDown => *sel = (*sel + page).min(last),
        _ => {}
    }
    *sel = (*sel).min(last);
    pos.offset = scroll_to_show(*sel, pos.offset, rows, len);
}

/// Scrolling in detail-like views; Esc returns to the pane's list.
pub fn scroll(state: &mut State, action: Action) {
    let page = state.height.saturating_sub(4).max(1);
    let pane = state.pane();
    let (scroll, follow) = match &mut state.view {
        View::Detail { scroll, .. }
        | View::BackupFiles { scroll, .. }
        | View::AlertDetail { scroll, .. }
        | View::FleetInstance { scroll } => (scroll, None),
        View::JobOutput { scroll, follow, .. } => (scroll, Some(follow)),
        _ => return,
    };
    match action {
        Action::Back => {
            state.view = pane.view();
            return;
        }
        Action::Up => *scroll = scroll.saturating_sub(1),
        Action::Down => *scroll = scroll.saturating_add(1),
        Action::Top => *scroll = 0,
        Action::Bottom => *scroll = u16::MAX,
        Action::PageUp => *scroll = scroll.saturating_sub(page),
        Action::PageDown => *scroll = scroll.saturating_add(page),
        _ => {}
    }
    if let Some(follow) = follow {
        // Scrolling up stops following the output; End resumes it.
        match action {
            Action::Up | Action::PageUp | Action::Top => *follow = false,
            Action::Bottom => *follow = true,
            _ => {}
        }
    }
}
