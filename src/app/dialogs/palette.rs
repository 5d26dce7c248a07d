//! The `:` command palette: its entries for the focused service (runbooks,
//! Kubernetes and Docker actions, backups), the panes by name
//! (`services` … `events`, and `pods` as k9s users type it) and the
//! Kubernetes contexts and namespaces (`ctx …`, `ns …`, in `scope`),
//! filtered by the query, and its keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::MAX_INPUT;
use super::fuzzy::Fuzzy;
pub use super::palette_entry::{PaletteAction, PaletteEntry};
use super::scope::{command_view, scope_command, scope_entries};
use crate::app::focus::focused_docker_of;
use crate::app::msg::Effect;
use crate::app::runbook_scope::runbook_scope;
use crate::app::state::{Dialog, Pane, State, View};
use crate::model::ActionRequest;
use crate::model::document::{ObjectKind, ObjectRef, Rendering};

/// The palette's names for the panes: each pane's own ([`Pane::name`]),
/// and `pods`, which opens Services (where a workload's pods are).
fn pane_names() -> impl Iterator<Item = (&'static str, Pane)> {
    Pane::ALL
        .into_iter()
        .map(|p| (p.name(), p))
        .chain([("pods", Pane::Services)])
}

/// The pane named `name` (`events`, `pods` …), case-insensitive.
pub fn pane_named(name: &str) -> Option<Pane> {
    let name = name.trim();
    pane_names()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, p)| p)
}

fn pane_entries() -> impl Iterator<Item = PaletteEntry> {
    pane_names().map(|(name, pane)| {
        let key = Pane::ALL
            .iter()
            .position(|p| *p == pane)
            .map_or(0, |i| i + 1);
        PaletteEntry {
            label: name.to_string(),
            detail: if name == "pods" {
                format!("{} pane ({key}): workloads and their pods", pane.title())
            } else {
                format!("{} pane ({key})", pane.title())
            },
            request: PaletteAction::Show(pane),
            dangerous: false,
        }
    })
}

/// Opens the palette for the focused service (or the selected backup job's
/// service), or globally.
pub fn open_palette(state: &mut State) {
    let service = match state.view {
        View::Backups => state
            .backups
            .get(state.backup_list.selected)
            .and_then(|b| state.services.iter().position(|s| s.name == b.service)),
        View::BackupFiles { job, .. } => state
            .backups
            .get(job)
            .and_then(|b| state.services.iter().position(|s| s.name == b.service)),
        View::Fleet | View::FleetInstance { .. } => state
            .fleet
            .selected_instance()
            .and_then(|i| i.service.as_ref())
            .and_then(|s| state.services.iter().position(|x| x.name == *s)),
        _ => state.focused_service(),
    };
    state.dialog = Some(Dialog::Palette {
        service,
        query: String::new(),
        selected: 0,
        only: None,
    });
}

/// Opens the palette restricted to entries starting with `only`.
pub fn open_palette_for(state: &mut State, only: &str) {
    open_palette(state);
    if let Some(Dialog::Palette { only: o, .. }) = &mut state.dialog {
        *o = Some(only.to_string());
    }
}

/// Everything the palette offers for `service` (or, without one, every
/// backup job and the global runbooks). Dangerous runbooks are hidden in
/// read-only mode (the action layer refuses them anyway).
pub fn palette_entries(state: &State, service: Option<usize>) -> Vec<PaletteEntry> {
    let name = service
        .and_then(|i| state.services.get(i))
        .map(|s| s.name.clone());
    // In the Fleet pane, runbooks that use {host} run against the host of
    // the instance under the cursor.
    let instance = match state.view {
        View::Fleet | View::FleetInstance { .. } => state.fleet.selected_instance(),
        _ => None,
    };
    let host = instance.and_then(|i| i.host.clone());
    let mut out = Vec::new();
    for r in &state.runbooks {
        let applies = match (&r.service, &name) {
            (None, _) => true,
            (Some(rs), Some(n)) => rs == n,
            (Some(_), None) => false,
        };
        if !applies || (r.dangerous && state.banner.read_only) {
            continue;
        }
        let host = host.clone().filter(|_| r.uses_host);
        // The instance's scope for a runbook run against its host, else
        // the service's.
        let scope = runbook_scope(state, service, instance.filter(|_| host.is_some()));
        let on = match (&host, &name) {
            (Some(h), _) => format!(" on host {h}"),
            (None, Some(n)) => format!(" on {n}"),
            (None, None) => String::new(),
        };
        out.push(PaletteEntry {
            label: format!("run {}{on}", r.name),
            detail: r.description.clone().unwrap_or_default(),
            request: PaletteAction::Plan(Box::new(ActionRequest::Runbook {
                runbook: r.name.clone(),
                service: name.clone(),
                host,
                scope,
            })),
            dangerous: r.dangerous,
        });
    }
    if let Some(w) = service
        .and_then(|i| state.services.get(i))
        .and_then(|s| s.workload.as_ref())
    {
        let id = &w.id;
        out.push(PaletteEntry {
            label: format!("restart {}", id.short()),
            detail: "rollout restart: replace every pod".into(),
            request: PaletteAction::Plan(Box::new(ActionRequest::Restart {
                workload: id.clone(),
            })),
            dangerous: false,
        });
        let current: Option<i64> = w.revision.as_ref().and_then(|r| r.parse().ok());
        for h in w
            .history
            .iter()
            .rev()
            .filter(|h| Some(h.revision) != current)
        {
            out.push(PaletteEntry {
                label: format!("roll back {} to revision {}", id.short(), h.revision),
                detail: format!(
                    "{}{}",
                    h.images
                        .iter()
                        .map(|i| crate::model::kube::short_image(i))
                        .collect::<Vec<_>>()
                        .join(", "),
                    h.change_cause
                        .as_ref()
                        .map(|c| format!(" · {c}"))
                        .unwrap_or_default()
                ),
                request: PaletteAction::Plan(Box::new(ActionRequest::Rollback {
                    workload: id.clone(),
                    to_revision: Some(h.revision),
                })),
                dangerous: false,
            });
        }
        for p in &w.pods {
            out.push(PaletteEntry {
                label: format!("delete pod {}", p.name),
                detail: format!(
                    "{} · {}/{} ready · {} restarts{}",
                    p.status(),
                    p.ready_containers,
                    p.containers,
                    p.restarts,
                    p.node
                        .as_ref()
                        .map(|n| format!(" · {n}"))
                        .unwrap_or_default()
                ),
                request: PaletteAction::Plan(Box::new(ActionRequest::DeletePod {
                    workload: id.clone(),
                    pod: p.name.clone(),
                })),
                dangerous: false,
            });
        }
        views(&mut out, w);
    }
    if let Some(svc) = service
        .and_then(|i| state.services.get(i))
        .filter(|s| s.workload.is_none())
    {
        if let Some(t) = focused_docker_of(svc) {
            out.push(PaletteEntry {
                label: format!("restart {}", t.describe()),
                detail: if matches!(t, crate::model::DockerTarget::Compose(_)) {
                    "rolling: one replica at a time, each healthy before the next".into()
                } else {
                    "restart the container".into()
                },
                request: PaletteAction::Plan(Box::new(ActionRequest::DockerRestart {
                    target: t.clone(),
                })),
                dangerous: false,
            });
            out.push(PaletteEntry {
                label: format!("roll back {}", t.describe()),
                detail: "recreate with the image it ran before".into(),
                request: PaletteAction::Plan(Box::new(ActionRequest::DockerRollback { target: t })),
                dangerous: false,
            });
        }
        for c in &svc.containers {
            let t = crate::model::DockerTarget::Container {
                host: c.host.clone(),
                id: c.id.clone(),
                name: c.name.clone(),
            };
            let (verb, request) = if c.state == "running" {
                ("stop", ActionRequest::DockerStop { target: t })
            } else {
                ("start", ActionRequest::DockerStart { target: t })
            };
            out.push(PaletteEntry {
                label: format!("{verb} container {}", c.name),
                detail: format!("{} · {}", c.state, c.status_text),
                request: PaletteAction::Plan(Box::new(request)),
                dangerous: verb == "stop",
            });
        }
        for c in &svc.containers {
            out.push(PaletteEntry {
                label: format!("inspect container {}", c.name),
                detail: "config, env, mounts, networks, health".into(),
                request: PaletteAction::View(
                    ObjectRef::Docker {
                        host: c.host.clone(),
                        id: c.id.clone(),
                        name: c.name.clone(),
                    },
                    Rendering::Inspect,
                ),
                dangerous: false,
            });
        }
    }
    if let Some(svc) = service.and_then(|i| state.services.get(i)) {
        for c in crate::app::exec::choices(svc) {
            out.push(PaletteEntry {
                request: PaletteAction::Plan(Box::new(crate::app::exec::request(svc, &c))),
                label: c.label,
                detail: c.detail,
                // Its plan says "risk: high"; the picker need not shout.
                dangerous: false,
            });
        }
    }
    for b in &state.backups {
        if name.as_ref().is_some_and(|n| *n != b.service) {
            continue;
        }
        out.push(PaletteEntry {
            label: format!("backup {}", b.name),
            detail: format!("{} backup of {}", b.kind.word(), b.service),
            request: PaletteAction::Plan(Box::new(ActionRequest::Backup {
                job: b.name.clone(),
            })),
            dangerous: false,
        });
        out.push(PaletteEntry {
            label: format!("verify {}", b.name),
            detail: "re-check the newest backup file".into(),
            request: PaletteAction::Plan(Box::new(ActionRequest::Verify {
                job: b.name.clone(),
            })),
            dangerous: false,
        });
    }
    out.extend(scope_entries(state));
    out.extend(pane_entries());
    out
}

/// Describe and YAML of a workload and of each of its pods.
fn views(out: &mut Vec<PaletteEntry>, w: &crate::model::Workload) {
    for rendering in [Rendering::Describe, Rendering::Yaml] {
        out.push(PaletteEntry {
            label: format!("{} {}", rendering.word(), w.id.short()),
            detail: format!(
                "{} in {} ({})",
                w.id.kind.word(),
                w.id.namespace,
                w.id.context
            ),
            request: PaletteAction::View(ObjectRef::workload(&w.id), rendering),
            dangerous: false,
        });
        for p in &w.pods {
            out.push(PaletteEntry {
                label: format!("{} pod {}", rendering.word(), p.name),
                detail: format!(
                    "{} · {}/{} ready · {} restarts",
                    p.status(),
                    p.ready_containers,
                    p.containers,
                    p.restarts
                ),
                request: PaletteAction::View(
                    ObjectRef::Kube {
                        context: w.id.context.clone(),
                        namespace: Some(p.namespace.clone()),
                        kind: ObjectKind::Pod,
                        name: p.name.clone(),
                    },
                    rendering,
                ),
                dangerous: false,
            });
        }
    }
}

/// Entries matching `query`, best first (ties keep their order).
pub fn filtered(entries: Vec<PaletteEntry>, query: &str) -> Vec<PaletteEntry> {
    let mut fuzzy = Fuzzy::new(query);
    let mut scored: Vec<(i64, usize, PaletteEntry)> = entries
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| fuzzy.score(&e.label).map(|s| (s, i, e)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, e)| e).collect()
}

/// The palette's entries for `service`, restricted by `only`, matching `query`.
pub fn palette_view(
    state: &State,
    service: Option<usize>,
    only: Option<&str>,
    query: &str,
) -> Vec<PaletteEntry> {
    // `ctx …` and `ns …` list only contexts or namespaces.
    if let Some((command, arg)) = scope_command(query) {
        return command_view(state, command, arg);
    }
    let mut entries = palette_entries(state, service);
    // The panes, contexts and namespaces join the list once something is
    // typed: opened empty, the palette is the focused service's actions.
    if query.trim().is_empty() {
        entries.retain(|e| !matches!(e.request, PaletteAction::Show(_) | PaletteAction::Scope(_)));
    }
    if let Some(o) = only {
        entries.retain(|e| e.label.starts_with(o));
    }
    let mut entries = filtered(entries, query);
    // A pane's exact name (`events`) comes first, whatever else matches.
    if let Some(i) = entries.iter().position(|e| {
        matches!(e.request, PaletteAction::Show(_)) && e.label.eq_ignore_ascii_case(query.trim())
    }) {
        let e = entries.remove(i);
        entries.insert(0, e);
    }
    entries
}

pub fn palette_key(
    state: &mut State,
    key: KeyEvent,
    service: Option<usize>,
    mut query: String,
    mut selected: usize,
    only: Option<String>,
) -> Vec<Effect> {
    let count = palette_view(state, service, only.as_deref(), &query).len();
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Enter => {
            let entries = palette_view(state, service, only.as_deref(), &query);
            let chosen = entries.into_iter().nth(selected);
            if let Some((command, arg)) = scope_command(&query) {
                return super::scope::on_enter(state, command, arg, chosen);
            }
            return match chosen {
                Some(PaletteEntry {
                    request: PaletteAction::Plan(r),
                    ..
                }) => vec![Effect::Plan(*r)],
                Some(PaletteEntry {
                    request: PaletteAction::Show(pane),
                    ..
                }) => {
                    state.view = pane.view();
                    vec![]
                }
                Some(PaletteEntry {
                    request: PaletteAction::View(object, rendering),
                    ..
                }) => crate::app::viewer::open(state, object, rendering),
                Some(PaletteEntry {
                    request: PaletteAction::Scope(change),
                    ..
                }) => super::scope::apply(state, change),
                None => {
                    state.flash("nothing matches", false);
                    vec![]
                }
            };
        }
        KeyCode::Up => selected = selected.saturating_sub(1),
        KeyCode::Char('p') if ctrl => selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => selected = (selected + 1).min(count.saturating_sub(1)),
        KeyCode::Char('n') if ctrl => selected = (selected + 1).min(count.saturating_sub(1)),
        KeyCode::Backspace => {
            query.pop();
            selected = 0;
        }
        KeyCode::Char('u') if ctrl => {
            query.clear();
            selected = 0;
        }
        KeyCode::Char(c) if !ctrl => {
            if query.chars().count() < MAX_INPUT {
                query.push(c);
            }
            selected = 0;
        }
        _ => {}
    }
    state.dialog = Some(Dialog::Palette {
        service,
        query,
        selected,
        only,
    });
    vec![]
}

#[cfg(test)]
#[path = "palette_tests.rs"]
mod tests;
