//! Keys of the Fleet pane: moving cell to cell, expanding blocks,
//! grouping, the instance detail, and acting on the instance under the
//! cursor through the action layer.

use super::nav::scroll;
use crate::app::fleet::Cursor;
use crate::app::fleet_grid::GridLine;
use crate::app::fleet_view::{grid, grid_rows, keep_cursor_visible, sync};
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::state::{State, View};
use crate::model::fleet::InstanceKind;
use crate::model::{ActionRequest, DockerTarget};

pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    sync(state);
    match state.view {
        View::FleetInstance { .. } => match action {
            // Left/right walk the grid without leaving the detail.
            Action::Left | Action::Right => move_cursor(state, action),
            _ => scroll(state, action),
        },
        _ => match action {
            Action::Filter => state.fleet.filter.editing = true,
            Action::Group => {
                state.fleet.cycle_grouping();
                sync(state);
                let how = state.fleet.group_by.title();
                state.flash(format!("fleet grouped by {how}"), false);
            }
            Action::Open => open(state),
            Action::Back if !state.fleet.filter.text.is_empty() => {
                state.fleet.filter.text.clear();
                sync(state);
            }
            Action::Back => state.view = View::Services,
            _ => move_cursor(state, action),
        },
    }
    keep_cursor_visible(state);
    vec![]
}

fn move_cursor(state: &mut State, action: Action) {
    let g = grid(state);
    if g.lines.is_empty() {
        return;
    }
    let f = &state.fleet;
    let c = f.cursor;
    let line = g.line_of(c);
    let col = g.col_of(c);
    let last = g.lines.len() - 1;
    let page = grid_rows(state).max(1);
    let members = f.blocks.get(c.block).map_or(0, |b| b.members.len());
    let to_line = |l: usize| g.cursor_at(l.min(last), col);
    let next = match action {
        Action::Up => to_line(line.saturating_sub(1)),
        Action::Down => to_line(line + 1),
        Action::PageUp => to_line(line.saturating_sub(page)),
        Action::PageDown => to_line(line + page),
        Action::Top => g.cursor_at(0, 0),
        Action::Bottom => g.cursor_at(last, usize::MAX),
        Action::Left => match c.cell {
            Some(0) => Cursor { cell: None, ..c },
            Some(n) => Cursor {
                cell: Some(n - 1),
                ..c
            },
            None => to_line(line.saturating_sub(1)),
        },
        Action::Right => match c.cell {
            None if g.expanded(f, c.block) && members > 0 => Cursor { cell: Some(0), ..c },
            Some(n) if n + 1 < members => Cursor {
                cell: Some(n + 1),
                ..c
            },
            _ => to_line(line + 1),
        },
        _ => c,
    };
    state.fleet.cursor = next;
}

/// Enter: on a header, expand or collapse the block; on a cell, open the
/// instance.
fn open(state: &mut State) {
    let g = grid(state);
    match g.lines.get(g.line_of(state.fleet.cursor)) {
        Some(GridLine::Header(b)) => {
            let Some(key) = state.fleet.blocks.get(*b).map(|b| b.key.clone()) else {
                return;
            };
            if !state.fleet.toggled.remove(&key) {
                state.fleet.toggled.insert(key);
            }
        }
        Some(GridLine::Cells { .. }) if state.fleet.selected().is_some() => {
            state.view = View::FleetInstance { scroll: 0 };
        }
        _ => {}
    }
}

/// `o`: the instance's service, or for a node the Nodes pane on it.
pub fn go_to(state: &mut State) {
    let Some(i) = state.fleet.selected_instance() else {
        return;
    };
    if i.kind == InstanceKind::Node {
        let name = i.name.clone();
        let pos = state
            .clusters
            .values()
            .flat_map(|c| c.nodes.iter())
            .position(|n| n.name == name);
        state.view = View::Nodes;
        if let Some(p) = pos {
            state.node_list.selected = p;
        }
        return;
    }
    let service = i.service.clone();
    match service.and_then(|s| state.services.iter().position(|x| x.name == s)) {
        Some(service) => state.view = View::Detail { service, scroll: 0 },
        None => {
            let why = format!("{} belongs to no service on the board", i.name);
            state.flash(why, false);
        }
    }
}

/// `r`: restart the pod (delete it; its controller makes a new one) or
/// the container under the cursor. Devices, nodes and targets have no
/// restart of their own: runbooks (`:`) run against their host.
pub fn restart(state: &mut State) -> Vec<Effect> {
    let Some(i) = state.fleet.selected_instance() else {
        return vec![];
    };
    let svc = i
        .service
        .as_ref()
        .and_then(|s| state.services.iter().find(|x| x.name == *s));
    let request = match i.kind {
        InstanceKind::Pod => svc
            .and_then(|s| s.workload.as_ref())
            .filter(|w| w.pods.iter().any(|p| p.name == i.name))
            .map(|w| ActionRequest::DeletePod {
                workload: w.id.clone(),
                pod: i.name.clone(),
            }),
        InstanceKind::Container => svc
            .and_then(|s| {
                s.containers
                    .iter()
                    .find(|c| c.name == i.name && Some(&c.host) == i.host.as_ref())
            })
            .map(|c| ActionRequest::DockerRestart {
                target: DockerTarget::Container {
                    host: c.host.clone(),
                    id: c.id.clone(),
                    name: c.name.clone(),
                },
            }),
        kind => {
            let why = format!(
                "a {} has no restart here: run a runbook on its host with {}",
                kind.word(),
                state
                    .keymap
                    .primary_key(Action::Palette)
                    .unwrap_or_default()
            );
            state.flash(why, false);
            return vec![];
        }
    };
    match request {
        Some(r) => vec![Effect::Plan(r)],
        None => {
            let why = format!("{} is no longer listed", i.name);
            state.flash(why, false);
            vec![]
        }
    }
}

/// Typing into the fleet filter.
pub fn edit_filter(state: &mut State, key: crossterm::event::KeyEvent) {
    use crossterm::event::{KeyCode, KeyModifiers};
    let f = &mut state.fleet.filter;
    match key.code {
        KeyCode::Esc => {
            f.text.clear();
            f.editing = false;
        }
        KeyCode::Enter => f.editing = false,
        KeyCode::Backspace => {
            f.text.pop();
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => f.text.clear(),
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            if f.text.chars().count() < 64 {
                f.text.push(c);
            }
        }
        _ => return,
    }
    state.fleet.cursor = Cursor::default();
    state.fleet.offset = 0;
    sync(state);
    state.dirty = true;
}
