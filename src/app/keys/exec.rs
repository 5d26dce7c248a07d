//! `x`: a session in a container — the focused service's (a picker when it
//! has several containers, running ones first) or the Fleet's pod or
//! container. The action layer plans it and asks before opening it.

use crate::app::dialogs::palette;
use crate::app::exec::{self, ExecChoice};
use crate::app::msg::Effect;
use crate::app::state::{Pane, State};
use crate::model::fleet::InstanceKind;
use crate::model::{ActionRequest, ExecTarget, default_shell};

pub fn exec(state: &mut State) -> Vec<Effect> {
    if state.pane() == Pane::Fleet {
        return fleet(state);
    }
    let Some(i) = state.focused_service() else {
        return vec![];
    };
    let svc = &state.services[i];
    let choices = exec::choices(svc);
    match choices.as_slice() {
        [] => {
            let why = format!("{} has no pod or container to open a shell in", svc.name);
            state.flash(why, false);
            vec![]
        }
        [only] => plan(exec::request(svc, only)),
        [first, second, ..] if first.running && !second.running => plan(exec::request(svc, first)),
        _ => {
            let prefix = exec::label_prefix(svc);
            palette::open_palette_for(state, &prefix);
            vec![]
        }
    }
}

fn plan(request: ActionRequest) -> Vec<Effect> {
    vec![Effect::Plan(request)]
}

/// The Fleet's pod (its first container, as kubectl defaults to) or
/// container, with its service's command when one owns it.
fn fleet(state: &mut State) -> Vec<Effect> {
    let Some(i) = state.fleet.selected_instance() else {
        return vec![];
    };
    let kind = i.kind;
    let name = i.name.clone();
    let owner = state.services.iter().find_map(|s| {
        exec::choices(s)
            .into_iter()
            .find(|c| match &c.target {
                ExecTarget::Pod { pod, .. } => kind == InstanceKind::Pod && *pod == name,
                ExecTarget::Docker { name: n, id, .. } => {
                    kind == InstanceKind::Container && (*n == name || *id == name)
                }
            })
            .map(|c: ExecChoice| exec::request(s, &c))
    });
    match owner {
        Some(request) => plan(request),
        None => {
            let host = i.host.clone();
            match (kind, host) {
                (InstanceKind::Container, Some(host)) => plan(ActionRequest::Exec {
                    target: ExecTarget::Docker {
                        host,
                        id: name.clone(),
                        name,
                    },
                    command: default_shell(),
                }),
                _ => {
                    state.flash("x opens a shell in a pod or a container", false);
                    vec![]
                }
            }
        }
    }
}
