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

/// `C` (cordon, or uncordon a cordoned node) and `D` (drain) on the
/// selected node.
pub fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let Some((context, n)) = state
        .clusters
        .iter()
        .flat_map(|(context, c)| c.nodes.iter().map(move |n| (context, n)))
        .nth(state.node_list.selected)
    else {
        state.flash("no node selected", false);
        return vec![];
    };
    let node = crate::model::NodeRef {
        context: context.clone(),
        name: n.name.clone(),
    };
    let request = match action {
        Action::Drain => crate::model::ActionRequest::Drain { node },
        _ if n.unschedulable => crate::model::ActionRequest::Uncordon { node },
        _ => crate::model::ActionRequest::Cordon { node },
    };
    vec![Effect::Plan(request)]
}
