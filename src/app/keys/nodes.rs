//! Keys of the Nodes pane: moving in the nodes of every cluster.

use super::nav::move_in;
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::state::{State, View};

/// Movement and back in the nodes list.
pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    let len: usize = state.clusters.values().map(|c| c.nodes.len()).sum();
    let rows = state.list_rows();
    move_in(&mut state.node_list, action, len, rows);
    if action == Action::Back {
        state.view = View::Services;
    }
    vec![]
}
