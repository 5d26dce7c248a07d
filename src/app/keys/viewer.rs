//! Keys of the text viewer (describe, YAML, inspect), and opening it: `d`
//! and `y` on the focused service's workload (in its detail, a picker of
//! the workload and its pods), on the Nodes pane's node and on a pod or
//! node in the Fleet; `i` on the focused service's container (a picker
//! when it has several) or the Fleet's container.

use crate::app::dialogs::palette;
use crate::app::keymap::Action;
use crate::app::msg::Effect;
use crate::app::state::{Pane, State, View};
use crate::app::text_view::{DocState, clamp, go_to_match};
use crate::app::viewer::{self, doc_rows};
use crate::model::document::{ObjectKind, ObjectRef, Rendering};
use crate::model::fleet::InstanceKind;

/// Movement, search, wrap, reveal and back in the open viewer.
pub fn navigate(state: &mut State, action: Action) -> Vec<Effect> {
    let rows = doc_rows(state);
    let Some(t) = state.text_view.as_mut() else {
        state.view = state.pane().view();
        return vec![];
    };
    let page = rows.max(1);
    match action {
        Action::Back => {
            viewer::close(state);
            return vec![];
        }
        Action::Up => t.scroll = t.scroll.saturating_sub(1),
        Action::Down => t.scroll += 1,
        Action::Top => t.scroll = 0,
        Action::Bottom => t.scroll = usize::MAX,
        Action::PageUp => t.scroll = t.scroll.saturating_sub(page),
        Action::PageDown => t.scroll = t.scroll.saturating_add(page),
        Action::Filter => t.editing = true,
        Action::NextMatch => go_to_match(t, true, rows, false),
        Action::PrevMatch => go_to_match(t, false, rows, false),
        Action::Wrap => t.wrap = !t.wrap,
        Action::Reveal => return reveal(state),
        _ => {}
    }
    if let Some(t) = state.text_view.as_mut() {
        clamp(t, rows);
    }
    vec![]
}

/// `R`: asks the action layer to audit the reveal; the values show when
/// it answers.
fn reveal(state: &mut State) -> Vec<Effect> {
    let Some(t) = state.text_view.as_mut() else {
        return vec![];
    };
    let variables = match &t.doc {
        DocState::Ready(d) if d.has_secrets() => d.secret_names(),
        _ => {
            state.flash("nothing is masked here", false);
            return vec![];
        }
    };
    if t.revealed || t.revealing {
        return vec![];
    }
    t.revealing = true;
    vec![Effect::Reveal {
        request: t.request,
        object: t.object.clone(),
        variables,
    }]
}

/// `d` (describe) or `y` (YAML) from the current view.
pub fn describe(state: &mut State, rendering: Rendering) -> Vec<Effect> {
    match state.view {
        View::Text { .. } => {
            // Switch between describe and YAML of the same object.
            let Some(t) = &state.text_view else {
                return vec![];
            };
            if t.rendering == rendering || matches!(t.object, ObjectRef::Docker { .. }) {
                return vec![];
            }
            let object = t.object.clone();
            viewer::open(state, object, rendering)
        }
        View::Nodes => match selected_node(state) {
            Some(object) => viewer::open(state, object, rendering),
            None => vec![],
        },
        View::Fleet | View::FleetInstance { .. } => match fleet_object(state, false) {
            Some(object) => viewer::open(state, object, rendering),
            None => {
                state.flash(
                    format!("{} works on a pod or node here", rendering.word()),
                    false,
                );
                vec![]
            }
        },
        _ => describe_service(state, rendering),
    }
}

/// The focused service's workload; in its detail, a picker of the workload
/// and its pods.
fn describe_service(state: &mut State, rendering: Rendering) -> Vec<Effect> {
    let Some(i) = state.focused_service() else {
        return vec![];
    };
    let Some(w) = state.services[i].workload.clone() else {
        let s = &state.services[i];
        let why = if s.containers.is_empty() {
            format!(
                "{} has no Kubernetes workload to {}",
                s.name,
                rendering.word()
            )
        } else {
            format!("{} runs on Docker: i inspects its containers", s.name)
        };
        state.flash(why, false);
        return vec![];
    };
    if matches!(state.view, View::Detail { .. }) && !w.pods.is_empty() {
        palette::open_palette_for(state, &format!("{} ", rendering.word()));
        return vec![];
    }
    let object = ObjectRef::workload(&w.id);
    viewer::open(state, object, rendering)
}

/// `i`: the focused service's container (a picker when several), or the
/// Fleet's container.
pub fn inspect(state: &mut State) -> Vec<Effect> {
    if state.pane() == Pane::Fleet {
        return match fleet_object(state, true) {
            Some(object) => viewer::open(state, object, Rendering::Inspect),
            None => {
                state.flash("inspect works on a Docker container", false);
                vec![]
            }
        };
    }
    let Some(i) = state.focused_service() else {
        return vec![];
    };
    let s = &state.services[i];
    match s.containers.as_slice() {
        [] => {
            let why = if s.workload.is_some() {
                format!(
                    "{} runs on Kubernetes: d describes it, y shows its YAML",
                    s.name
                )
            } else {
                format!("{} has no Docker containers to inspect", s.name)
            };
            state.flash(why, false);
            vec![]
        }
        [c] => {
            let object = ObjectRef::Docker {
                host: c.host.clone(),
                id: c.id.clone(),
                name: c.name.clone(),
            };
            viewer::open(state, object, Rendering::Inspect)
        }
        _ => {
            palette::open_palette_for(state, "inspect ");
            vec![]
        }
    }
}

/// The Nodes pane's selected node.
fn selected_node(state: &State) -> Option<ObjectRef> {
    state
        .clusters
        .iter()
        .flat_map(|(context, c)| c.nodes.iter().map(move |n| (context, n)))
        .nth(state.node_list.selected)
        .map(|(context, n)| ObjectRef::Kube {
            context: context.clone(),
            namespace: None,
            kind: ObjectKind::Node,
            name: n.name.clone(),
        })
}

/// The Fleet's selected instance as an object: a container (`docker`), or
/// a pod or node.
fn fleet_object(state: &State, docker: bool) -> Option<ObjectRef> {
    let i = state.fleet.selected_instance()?;
    let label = |k: &str| {
        i.labels
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    match (i.kind, docker) {
        (InstanceKind::Container, true) => Some(ObjectRef::Docker {
            host: i.host.clone()?,
            id: i.name.clone(),
            name: i.name.clone(),
        }),
        (InstanceKind::Pod | InstanceKind::Node, false) => Some(ObjectRef::Kube {
            context: label("context")
                .or_else(|| i.source.strip_prefix("k8s ").map(str::to_string))?,
            namespace: if i.kind == InstanceKind::Pod {
                Some(i.namespace.clone()?)
            } else {
                None
            },
            kind: if i.kind == InstanceKind::Pod {
                ObjectKind::Pod
            } else {
                ObjectKind::Node
            },
            name: i.name.clone(),
        }),
        _ => None,
    }
}
