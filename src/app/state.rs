//! `State`: the one owner of everything the board shows.

use std::time::SystemTime;

use super::bindings::Context;
use super::clusters::ClusterInfo;
use super::keymap::Keymap;
use super::layout;
use super::list::{Filter, ListPos};
pub use super::modal::{Dialog, ScaleTarget, SilenceField};
use crate::model::{ActionPlan, BackupJob, Health, Job, JobId, Service};

/// Which screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Services,
    /// Detail of `services[service]`, scrolled down by `scroll` lines.
    Detail {
        service: usize,
        scroll: u16,
    },
    Backups,
    /// The files of `backups[job]`.
    BackupFiles {
        job: usize,
        scroll: u16,
    },
    Actions,
    /// A job's output; `follow` keeps the newest line in view.
    JobOutput {
        job: JobId,
        scroll: u16,
        follow: bool,
    },
    Nodes,
    /// Core/v1 Events of every watched namespace, newest first.
    Events,
    /// Every instance as a grid.
    Fleet,
    /// The instance under the fleet cursor in full.
    FleetInstance {
        scroll: u16,
    },
    /// The merged alert list.
    Alerts,
    /// One alert (`alerts.rows[row]`) in full.
    AlertDetail {
        row: usize,
        scroll: u16,
    },
    /// Prometheus scrape targets and rule health.
    Targets,
    /// The logs of a service's containers and pods (`State::logs`),
    /// opened from pane `from` (Esc goes back there).
    Logs {
        service: usize,
        from: Pane,
    },
    /// The text viewer (`State::text_view`: describe, YAML, inspect),
    /// opened from `pane`.
    Text {
        pane: Pane,
    },
}

/// The panes, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Services,
    Fleet,
    Alerts,
    Backups,
    Actions,
    Nodes,
    Events,
}

impl Pane {
    pub const ALL: [Pane; 7] = [
        Pane::Services,
        Pane::Fleet,
        Pane::Alerts,
        Pane::Backups,
        Pane::Actions,
        Pane::Nodes,
        Pane::Events,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Services => "Services",
            Pane::Fleet => "Fleet",
            Pane::Alerts => "Alerts",
            Pane::Backups => "Backups",
            Pane::Actions => "Actions",
            Pane::Nodes => "Nodes",
            Pane::Events => "Events",
        }
    }

    /// Its name on the command line and in the palette: `events`.
    pub fn name(self) -> &'static str {
        match self {
            Pane::Services => "services",
            Pane::Fleet => "fleet",
            Pane::Alerts => "alerts",
            Pane::Backups => "backups",
            Pane::Actions => "actions",
            Pane::Nodes => "nodes",
            Pane::Events => "events",
        }
    }

    /// The pane named `name` ([`Pane::name`]), case-insensitive.
    pub fn parse(name: &str) -> Option<Pane> {
        Pane::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The pane's list view.
    pub fn view(self) -> View {
        match self {
            Pane::Services => View::Services,
            Pane::Fleet => View::Fleet,
            Pane::Alerts => View::Alerts,
            Pane::Backups => View::Backups,
            Pane::Actions => View::Actions,
            Pane::Nodes => View::Nodes,
            Pane::Events => View::Events,
        }
    }
}

impl View {
    pub fn pane(self) -> Pane {
        match self {
            View::Logs { from, .. } => from,
            View::Services | View::Detail { .. } => Pane::Services,
            View::Backups | View::BackupFiles { .. } => Pane::Backups,
            View::Actions | View::JobOutput { .. } => Pane::Actions,
            View::Nodes => Pane::Nodes,
            View::Events => Pane::Events,
            View::Fleet | View::FleetInstance { .. } => Pane::Fleet,
            View::Alerts | View::AlertDetail { .. } | View::Targets => Pane::Alerts,
            View::Text { pane } => pane,
        }
    }
}

/// A short message in the status line (a refusal, a hint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    pub at: SystemTime,
}

/// A runbook as the palette lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookEntry {
    pub name: String,
    pub description: Option<String>,
    /// `None` for a global runbook.
    pub service: Option<String>,
    pub dangerous: bool,
    /// Its command names `{host}`: in the Fleet pane it runs against the
    /// selected instance's host.
    pub uses_host: bool,
}

/// Jobs kept on the board; older ones live on in the audit log.
pub const JOB_HISTORY: usize = 200;

/// What the header says about how the board is running.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Banner {
    pub demo: bool,
    pub read_only: bool,
    /// A line shown under the header (e.g. no config file found).
    pub notice: Option<String>,
}

#[derive(Debug, Clone)]
pub struct State {
    pub services: Vec<Service>,
    /// Indices into `services`: filtered, worst status first, then by name.
    pub order: Vec<usize>,
    pub list: ListPos,
    pub view: View,
    pub help_open: bool,
    pub filter: Filter,
    pub now: SystemTime,
    /// Time of the newest probe result.
    pub last_poll: Option<SystemTime>,
    pub banner: Banner,
    pub keymap: Keymap,
    pub width: u16,
    pub height: u16,
    /// Config generation; probe results of older generations are dropped.
    pub generation: u64,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    pub should_quit: bool,
    pub backups: Vec<BackupJob>,
    pub backup_list: ListPos,
    pub node_list: ListPos,
    /// The Events pane's selection, filter and warnings-only switch.
    pub events: super::events_view::EventsView,
    /// Jobs, oldest first, at most [`JOB_HISTORY`].
    pub jobs: Vec<Job>,
    pub job_list: ListPos,
    pub dialog: Option<Dialog>,
    /// Plans that arrived while another dialog was open: each waits its
    /// turn rather than replace what the operator is reading or typing.
    pub pending_plans: std::collections::VecDeque<ActionPlan>,
    /// `w` in the quit dialog: leave when the last job has finished.
    pub quit_when_idle: bool,
    pub flash: Option<Flash>,
    pub runbooks: Vec<RunbookEntry>,
    /// Where the audit log is written, for the Actions pane.
    pub audit_path: Option<String>,
    /// Local, Prometheus and Alertmanager alerts, merged; silences and
    /// scrape targets.
    pub alerts: super::alerts::AlertBoard,
    /// Local alert rules with their settings and memory.
    pub rules: crate::rules::Rules,
    /// Kubernetes contexts: nodes and how each watched resource is doing.
    pub clusters: std::collections::BTreeMap<String, ClusterInfo>,
    /// Docker hosts that cannot be reached, with the fault in words
    /// (`connection refused`): set while failing.
    pub docker_errors: std::collections::BTreeMap<String, String>,
    /// The same hosts' faults in full: words, raw error chain, since when.
    pub docker_faults: std::collections::BTreeMap<String, crate::model::Fault>,
    pub logs: super::logs::LogView,
    /// Every instance: pods, nodes, containers, targets, devices.
    pub fleet: super::fleet::FleetState,
    /// The open describe, YAML or inspect view.
    pub text_view: Option<super::text_view::TextView>,
    /// Where Esc in the viewer goes: the view it was opened from.
    pub viewer_back: View,
    /// The last request number handed to a viewer.
    pub next_request: u64,
    /// The Kubernetes scope (`:ctx`, `:ns`); `None` without Kubernetes.
    pub kube_scope: Option<super::kube_scope::ScopeState>,
    /// What the board saw change (images, switches, alerts), per service.
    pub change_log: super::change_log::ChangeLog,
    /// `(workload, revision)` the board already asked to roll back by
    /// itself (`rollback_on` in `act` mode): at most once each.
    pub auto_rollbacks: std::collections::HashSet<(crate::model::WorkloadRef, i64)>,
}

impl State {
    pub fn new(services: Vec<Service>, keymap: Keymap, banner: Banner, now: SystemTime) -> State {
        let mut s = State {
            services,
            order: Vec::new(),
            list: ListPos::default(),
            view: View::Services,
            help_open: false,
            filter: Filter::default(),
            now,
            last_poll: None,
            banner,
            keymap,
            width: 80,
            height: 24,
            generation: 0,
            dirty: true,
            should_quit: false,
            backups: Vec::new(),
            backup_list: ListPos::default(),
            node_list: ListPos::default(),
            events: super::events_view::EventsView::default(),
            jobs: Vec::new(),
            job_list: ListPos::default(),
            dialog: None,
            pending_plans: std::collections::VecDeque::new(),
            quit_when_idle: false,
            flash: None,
            runbooks: Vec::new(),
            audit_path: None,
            alerts: super::alerts::AlertBoard::default(),
            rules: crate::rules::Rules::default(),
            clusters: std::collections::BTreeMap::new(),
            docker_errors: std::collections::BTreeMap::new(),
            docker_faults: std::collections::BTreeMap::new(),
            logs: super::logs::LogView::default(),
            fleet: super::fleet::FleetState::default(),
            text_view: None,
            viewer_back: View::Services,
            next_request: 0,
            kube_scope: None,
            change_log: super::change_log::ChangeLog::default(),
            auto_rollbacks: std::collections::HashSet::new(),
        };
        s.reorder();
        s
    }

    /// Shows a message in the status line.
    pub fn flash(&mut self, text: impl Into<String>, error: bool) {
        self.flash = Some(Flash {
            text: text.into(),
            error,
            at: self.now,
        });
        self.dirty = true;
    }

    pub fn notice_rows(&self) -> u16 {
        u16::from(self.notice().is_some())
    }

    /// Service rows that fit in the table.
    pub fn list_rows(&self) -> usize {
        layout::list_rows(self.height, self.notice_rows())
    }

    /// The service under the cursor.
    pub fn selected_service(&self) -> Option<usize> {
        self.order.get(self.list.selected).copied()
    }

    /// The keymap contexts that apply right now.
    pub fn context(&self) -> Context {
        match self.view {
            View::Services => Context::List,
            View::Detail { .. } => Context::Detail,
            View::Logs { .. } => Context::Logs,
            View::Backups | View::BackupFiles { .. } => Context::Backups,
            View::Actions | View::JobOutput { .. } => Context::Actions,
            View::Nodes => Context::Nodes,
            View::Events => Context::Events,
            View::Fleet | View::FleetInstance { .. } => Context::Fleet,
            View::Alerts | View::AlertDetail { .. } | View::Targets => Context::Alerts,
            View::Text { .. } => Context::Viewer,
        }
    }

    pub fn pane(&self) -> Pane {
        self.view.pane()
    }

    pub fn job(&self, id: JobId) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }

    pub fn job_mut(&mut self, id: JobId) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id == id)
    }

    pub fn running_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().filter(|j| j.is_running())
    }

    /// The job under the cursor in the Actions pane (newest first there).
    pub fn selected_job(&self) -> Option<&Job> {
        self.jobs.iter().rev().nth(self.job_list.selected)
    }

    /// The service an action from the current view applies to: the
    /// selected or open service.
    pub fn focused_service(&self) -> Option<usize> {
        match self.view {
            View::Detail { service, .. } | View::Logs { service, .. } => Some(service),
            View::Services => self.selected_service(),
            // The alert's service: `u` rolls back what an alert blames.
            View::Alerts => self.alerts.selected().and_then(|r| r.service),
            View::AlertDetail { row, .. } => self.alerts.rows.get(row).and_then(|r| r.service),
            _ => None,
        }
    }

    /// Counts per status, in the order Down, Degraded, Unknown, Up.
    pub fn counts(&self) -> [(Health, usize); 4] {
        let mut c = [
            (Health::Down, 0),
            (Health::Degraded, 0),
            (Health::Unknown, 0),
            (Health::Up, 0),
        ];
        for s in &self.services {
            let i = match s.status() {
                Health::Down => 0,
                Health::Degraded => 1,
                Health::Unknown => 2,
                Health::Up => 3,
            };
            c[i].1 += 1;
        }
        c
    }

    /// Rebuilds `order` from the filter and statuses, keeping the cursor
    /// on the same service when it is still listed.
    pub fn reorder(&mut self) {
        let keep = self.selected_service();
        let needle = self.filter.text.to_lowercase();
        let mut order: Vec<(crate::model::Health, usize)> = self
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| needle.is_empty() || s.name.to_lowercase().contains(&needle))
            .map(|(i, s)| (s.status(), i))
            .collect();
        order.sort_by(|(ha, a), (hb, b)| {
            ha.cmp(hb)
                .then_with(|| self.services[*a].name.cmp(&self.services[*b].name))
        });
        self.order = order.into_iter().map(|(_, i)| i).collect();
        self.list.selected = keep
            .and_then(|k| self.order.iter().position(|&i| i == k))
            .unwrap_or(0)
            .min(self.order.len().saturating_sub(1));
        self.keep_selection_visible();
    }

    pub fn keep_selection_visible(&mut self) {
        self.list.offset = layout::scroll_to_show(
            self.list.selected,
            self.list.offset,
            self.list_rows(),
            self.order.len(),
        );
    }

    /// Whether `service` is drawn on the current screen.
    pub fn is_on_screen(&self, service: usize) -> bool {
        match self.view {
            View::Detail { service: s, .. } => s == service,
            View::Services => {
                let end = (self.list.offset + self.list_rows()).min(self.order.len());
                self.order[self.list.offset.min(end)..end].contains(&service)
            }
            _ => false,
        }
    }
}
