//! The modal dialogs: the confirm dialog that carries a plan, and the `:`
//! command palette.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::msg::Effect;
use super::state::{Dialog, State, View};
use super::update::flash;
use crate::model::ActionRequest;

/// Longest text accepted in a dialog input.
pub(super) const MAX_INPUT: usize = 128;

pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    match state.dialog.take() {
        Some(Dialog::Confirm { plan, typed, shown }) => {
            super::confirm::confirm_key(state, key, plan, typed, shown)
        }
        Some(Dialog::Quit { running }) => super::confirm::quit_key(state, key, running),
        Some(Dialog::Palette {
            service,
            query,
            selected,
            only,
        }) => palette_key(state, key, service, query, selected, only),
        Some(Dialog::Scale {
            workload,
            current,
            value,
            hpa,
        }) => scale_key(state, key, workload, current, value, hpa),
        Some(d @ Dialog::Silence { .. }) => {
            state.dialog = Some(d);
            super::alert_keys::silence_key(state, key)
        }
        None => vec![],
    }
}

/// Largest replica count the dialog accepts.
pub const MAX_REPLICAS: i32 = 1000;

fn scale_key(
    state: &mut State,
    key: KeyEvent,
    workload: super::state::ScaleTarget,
    current: i32,
    mut value: String,
    hpa: Option<(i32, i32)>,
) -> Vec<Effect> {
    let n = value.parse::<i32>().ok();
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Enter => match n {
            Some(r) if (0..=MAX_REPLICAS).contains(&r) => {
                if r == current {
                    flash(
                        state,
                        format!("{} already has {r} replicas", workload.describe()),
                        false,
                    );
                } else {
                    return vec![Effect::Plan(match workload {
                        super::state::ScaleTarget::Kube(w) => ActionRequest::Scale {
                            workload: w,
                            replicas: r,
                        },
                        super::state::ScaleTarget::Compose(c) => ActionRequest::DockerScale {
                            service: c,
                            replicas: r as u32,
                        },
                    })];
                }
            }
            _ => flash(
                state,
                format!("enter a replica count from 0 to {MAX_REPLICAS}"),
                true,
            ),
        },
        KeyCode::Char('+') | KeyCode::Up | KeyCode::Char('k') => {
            value = (n.unwrap_or(current) + 1).min(MAX_REPLICAS).to_string();
        }
        KeyCode::Char('-') | KeyCode::Down | KeyCode::Char('j') => {
            value = (n.unwrap_or(current) - 1).max(0).to_string();
        }
        KeyCode::Backspace => {
            value.pop();
        }
        KeyCode::Char(c) if c.is_ascii_digit() && value.len() < 4 => {
            if value == "0" {
                value.clear();
            }
            value.push(c);
        }
        _ => {}
    }
    state.dialog = Some(Dialog::Scale {
        workload,
        current,
        value,
        hpa,
    });
    vec![]
}

/// Opens the scale dialog for the focused service's workload, or its
/// Compose service.
pub fn open_scale(state: &mut State) {
    if let Some(c) = focused_compose(state) {
        let current = state
            .focused_service()
            .map_or(0, |i| state.services[i].containers.len()) as i32;
        state.dialog = Some(Dialog::Scale {
            workload: super::state::ScaleTarget::Compose(c),
            current,
            value: current.to_string(),
            hpa: None,
        });
        return;
    }
    let Some(w) = focused_workload(state) else {
        return;
    };
    if w.id.kind == crate::model::WorkloadKind::DaemonSet {
        flash(
            state,
            format!(
                "{} runs one pod per node: it cannot be scaled",
                w.id.short()
            ),
            false,
        );
        return;
    }
    let hpa = w.hpa.as_ref().map(|h| (h.min, h.max));
    state.dialog = Some(Dialog::Scale {
        workload: super::state::ScaleTarget::Kube(w.id.clone()),
        current: w.desired,
        value: w.desired.to_string(),
        hpa,
    });
}

/// The Compose service behind the focused service, when it has one and no
/// Kubernetes workload.
pub fn focused_compose(state: &State) -> Option<crate::model::ComposeRef> {
    let s = state.services.get(state.focused_service()?)?;
    if s.workload.is_some() {
        return None;
    }
    let c = s.containers.iter().find(|c| c.compose.is_some())?;
    let l = c.compose.as_ref()?;
    Some(crate::model::ComposeRef {
        host: c.host.clone(),
        project: l.project.clone(),
        service: l.service.clone(),
    })
}

/// The Docker target behind the focused service (Compose service, else its
/// one container), when it has no Kubernetes workload.
pub fn focused_docker(state: &State) -> Option<crate::model::DockerTarget> {
    if let Some(c) = focused_compose(state) {
        return Some(crate::model::DockerTarget::Compose(c));
    }
    let s = state.services.get(state.focused_service()?)?;
    if s.workload.is_some() {
        return None;
    }
    let c = s.containers.first()?;
    Some(crate::model::DockerTarget::Container {
        host: c.host.clone(),
        id: c.id.clone(),
        name: c.name.clone(),
    })
}

/// The workload of the selected or open service; says why when none.
pub fn focused_workload(state: &mut State) -> Option<crate::model::Workload> {
    let i = state.focused_service()?;
    match state.services[i].workload.clone() {
        Some(w) => Some(w),
        None => {
            let name = state.services[i].name.clone();
            let why = match &state.services[i].kube_binding {
                Some(b) => format!("{name}: workload {b} not found (yet) in the cluster"),
                None => format!("{name} has no Kubernetes workload"),
            };
            flash(state, why, false);
            None
        }
    }
}

/// One line of the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteEntry {
    pub label: String,
    pub detail: String,
    pub request: ActionRequest,
    pub dangerous: bool,
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
        let scope = super::runbook_scope::runbook_scope(
            state,
            service,
            instance.filter(|_| host.is_some()),
        );
        let on = match (&host, &name) {
            (Some(h), _) => format!(" on host {h}"),
            (None, Some(n)) => format!(" on {n}"),
            (None, None) => String::new(),
        };
        out.push(PaletteEntry {
            label: format!("run {}{on}", r.name),
            detail: r.description.clone().unwrap_or_default(),
            request: ActionRequest::Runbook {
                runbook: r.name.clone(),
                service: name.clone(),
                host,
                scope,
            },
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
            request: ActionRequest::Restart {
                workload: id.clone(),
            },
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
                request: ActionRequest::Rollback {
                    workload: id.clone(),
                    to_revision: Some(h.revision),
                },
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
                request: ActionRequest::DeletePod {
                    workload: id.clone(),
                    pod: p.name.clone(),
                },
                dangerous: false,
            });
        }
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
                request: ActionRequest::DockerRestart { target: t.clone() },
                dangerous: false,
            });
            out.push(PaletteEntry {
                label: format!("roll back {}", t.describe()),
                detail: "recreate with the image it ran before".into(),
                request: ActionRequest::DockerRollback { target: t },
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
                request,
                dangerous: verb == "stop",
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
            request: ActionRequest::Backup {
                job: b.name.clone(),
            },
            dangerous: false,
        });
        out.push(PaletteEntry {
            label: format!("verify {}", b.name),
            detail: "re-check the newest backup file".into(),
            request: ActionRequest::Verify {
                job: b.name.clone(),
            },
            dangerous: false,
        });
    }
    out
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

/// The palette's matcher: nucleo's (helix's) fuzzy matching, each word of
/// the query matched on its own, case-insensitive; consecutive and
/// word-start matches score higher. No special syntax: `!` or `^` in a
/// query are just characters.
pub struct Fuzzy {
    matcher: nucleo_matcher::Matcher,
    pattern: nucleo_matcher::pattern::Pattern,
    buf: Vec<char>,
}

impl Fuzzy {
    pub fn new(query: &str) -> Fuzzy {
        use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
        Fuzzy {
            matcher: nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT),
            pattern: Pattern::new(
                query,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            ),
            buf: Vec::new(),
        }
    }

    /// `None` when `text` does not match; every text matches an empty query.
    pub fn score(&mut self, text: &str) -> Option<i64> {
        if self.pattern.atoms.is_empty() {
            return Some(0);
        }
        let haystack = nucleo_matcher::Utf32Str::new(text, &mut self.buf);
        self.pattern
            .score(haystack, &mut self.matcher)
            .map(i64::from)
    }
}

/// [`Fuzzy`] for one text.
pub fn fuzzy_score(text: &str, query: &str) -> Option<i64> {
    Fuzzy::new(query).score(text)
}

/// The palette's entries for `service`, restricted by `only`, matching `query`.
pub fn palette_view(
    state: &State,
    service: Option<usize>,
    only: Option<&str>,
    query: &str,
) -> Vec<PaletteEntry> {
    let mut entries = palette_entries(state, service);
    if let Some(o) = only {
        entries.retain(|e| e.label.starts_with(o));
    }
    filtered(entries, query)
}

fn palette_key(
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
            return match entries.into_iter().nth(selected) {
                Some(e) => vec![Effect::Plan(e.request)],
                None => {
                    flash(state, "nothing matches", false);
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

fn focused_docker_of(s: &crate::model::Service) -> Option<crate::model::DockerTarget> {
    let c = s.containers.first()?;
    Some(
        match (&c.compose, s.containers.iter().all(|x| x.compose.is_some())) {
            (Some(l), true) => crate::model::DockerTarget::Compose(crate::model::ComposeRef {
                host: c.host.clone(),
                project: l.project.clone(),
                service: l.service.clone(),
            }),
            _ => crate::model::DockerTarget::Container {
                host: c.host.clone(),
                id: c.id.clone(),
                name: c.name.clone(),
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_prefers_consecutive_and_word_starts() {
        assert!(fuzzy_score("backup redis-nightly", "bkp").is_some());
        assert!(fuzzy_score("backup redis-nightly", "xyz").is_none());
        let a = fuzzy_score("run flush-cache on api", "flush").unwrap();
        let b = fuzzy_score("run fetch-logs-using-history on api", "flush").unwrap();
        assert!(a > b, "{a} <= {b}");
        assert_eq!(fuzzy_score("anything", ""), Some(0));
        assert_eq!(fuzzy_score("anything", "   "), Some(0));
        // Words match on their own, in any order; `!` is just a character.
        assert!(fuzzy_score("run flush-cache on api", "api flush").is_some());
        assert!(fuzzy_score("restart api", "!api").is_none());
    }
}
