//! The Alerts pane's data: local, Prometheus and Alertmanager alerts merged
//! into one ranked list, plus silences and scrape targets. Alerts from a
//! server that is failing stay, marked last known ([`AlertRow::stale`]),
//! until they age out ([`STALE_ALERTS_AGE_OUT`]).

use std::collections::{BTreeMap, HashSet};
use std::time::SystemTime;

use super::list::ListPos;
use crate::model::{
    Alert, AlertSource, AlertState, RuleHealth, ScrapeTarget, Service, Severity, Silence,
    SilenceState, Stale,
};

#[path = "alerts_feed.rs"]
mod feed;
pub use feed::{AgeOut, RemoteFeed, STALE_ALERTS_AGE_OUT, server_short, server_title};

/// Which part of the list a row sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowSection {
    Active,
    Silenced,
    Resolved,
}

impl RowSection {
    /// One word, for the list's section rows.
    pub fn word(self) -> &'static str {
        match self {
            RowSection::Active => "active",
            RowSection::Silenced => "silenced",
            RowSection::Resolved => "resolved",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            RowSection::Active => "Active",
            RowSection::Silenced => "Silenced / inhibited",
            RowSection::Resolved => "Resolved",
        }
    }
}

/// One merged alert: the same alertname and labels from several sources
/// is one row.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    /// The most informative copy, with annotations merged from the rest.
    pub alert: Alert,
    /// Every source that reports it: (source, server name, state).
    pub sources: Vec<(AlertSource, String, AlertState)>,
    pub section: RowSection,
    /// Index into `State::services`, when the alert names a service.
    pub service: Option<usize>,
    /// Set when every source that reports it is failing: what is shown is
    /// the last known state, not the current one.
    pub stale: Option<Stale>,
}

impl AlertRow {
    /// Firing somewhere (not just pending) and not silenced or resolved.
    /// A stale row counts when its last known state was firing (the
    /// header says separately that its source is down).
    pub fn is_firing(&self) -> bool {
        self.section == RowSection::Active
            && self
                .sources
                .iter()
                .any(|(_, _, s)| *s == AlertState::Firing)
    }
}

/// Prometheus server facts besides alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromInfo {
    pub targets: Vec<ScrapeTarget>,
    pub rules: Vec<RuleHealth>,
    pub error: Option<String>,
    pub updated: Option<SystemTime>,
}

/// Alertmanager silences from one server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SilenceFeed {
    pub silences: Vec<Silence>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AlertBoard {
    /// opsboard's own rules.
    pub local: Vec<Alert>,
    /// Keyed by `(source, server name)`.
    pub remote: BTreeMap<(AlertSource, String), RemoteFeed>,
    pub silences: BTreeMap<String, SilenceFeed>,
    pub prometheus: BTreeMap<String, PromInfo>,
    /// Configured Alertmanagers, by name (where silences go).
    pub alertmanagers: Vec<String>,
    /// How long alerts of a failing server are kept as last known.
    pub age_out: AgeOut,
    /// Merged and ranked.
    pub rows: Vec<AlertRow>,
    pub list: ListPos,
    pub target_list: ListPos,
    /// Identities of critical alerts already announced by the bell.
    announced: HashSet<String>,
    /// The alert under the cursor survived the last rebuild.
    pub still_there: bool,
}

fn identity(labels: &BTreeMap<String, String>) -> String {
    let mut k = String::new();
    for (n, v) in labels {
        k.push_str(n);
        k.push('=');
        k.push_str(v);
        k.push('\u{1f}');
    }
    k
}

/// How useful a copy is as the row's face: Prometheus has the value,
/// Alertmanager the silencing, local rules the board's own words.
fn rank_copy(a: &Alert) -> u8 {
    match a.source {
        AlertSource::Local => 0,
        AlertSource::Prometheus => 1,
        AlertSource::Alertmanager => 2,
    }
}

/// The board service an alert concerns: a local rule says so; otherwise
/// labels that usually carry it (`service`, `job`, `app`, workload names).
pub fn service_of(a: &Alert, services: &[Service]) -> Option<usize> {
    if let Some(name) = &a.service {
        return services.iter().position(|s| s.name == *name);
    }
    const LABELS: &[&str] = &[
        "service",
        "app_kubernetes_io_name",
        "app",
        "job",
        "deployment",
        "statefulset",
        "daemonset",
        "container",
        "compose_service",
    ];
    for l in LABELS {
        let Some(v) = a.labels.get(*l) else { continue };
        if let Some(i) = services.iter().position(|s| s.name == *v) {
            return Some(i);
        }
        if let Some(i) = services.iter().position(|s| {
            s.workload.as_ref().is_some_and(|w| {
                w.id.name == *v
                    && a.labels
                        .get("namespace")
                        .is_none_or(|ns| *ns == w.id.namespace)
            })
        }) {
            return Some(i);
        }
    }
    None
}

impl AlertBoard {
    /// Rebuilds `rows` from every feed, keeping the cursor on the same
    /// alert (`still_there` says whether it is). Returns whether a
    /// critical alert started firing that was not announced before.
    pub fn rebuild(&mut self, services: &[Service]) -> bool {
        self.rebuild_following(services, false)
    }

    /// [`Self::rebuild`]; with `follow` the cursor stays on its alert
    /// (while the operator looks at the list), else on its row.
    pub fn rebuild_following(&mut self, services: &[Service], follow: bool) -> bool {
        let focused = self
            .selected()
            .filter(|_| follow)
            .map(|r| identity(&r.alert.labels));
        let marks: Vec<Option<Stale>> = self
            .remote
            .iter()
            .map(|((src, name), f)| f.stale(*src, name))
            .collect();
        let mut groups: BTreeMap<String, Vec<(&Alert, Option<&Stale>)>> = BTreeMap::new();
        let remote = self
            .remote
            .values()
            .zip(&marks)
            .flat_map(|(f, m)| f.alerts.iter().map(move |a| (a, m.as_ref())));
        for (a, m) in self.local.iter().map(|a| (a, None)).chain(remote) {
            groups.entry(identity(&a.labels)).or_default().push((a, m));
        }
        let mut rows: Vec<AlertRow> = groups
            .into_values()
            .filter_map(|copies| merge(&copies, services))
            .collect();
        rows.sort_by(|a, b| {
            a.section
                .cmp(&b.section)
                .then(a.alert.severity.cmp(&b.alert.severity))
                // What is known to be current before what was last known.
                .then(a.stale.is_some().cmp(&b.stale.is_some()))
                .then(pending_last(a).cmp(&pending_last(b)))
                // Newest first: what just broke is what the on-call needs.
                .then(b.alert.since.cmp(&a.alert.since))
                .then(a.alert.name.cmp(&b.alert.name))
        });
        let critical = |r: &&AlertRow| r.is_firing() && r.alert.severity == Severity::Critical;
        // Only what is current rings; a last known alert stays announced so
        // that its server coming back does not ring it again.
        let ring = rows
            .iter()
            .filter(critical)
            .any(|r| r.stale.is_none() && !self.announced.contains(&identity(&r.alert.labels)));
        let firing_critical: HashSet<String> = rows
            .iter()
            .filter(critical)
            .filter(|r| r.stale.is_none() || self.announced.contains(&identity(&r.alert.labels)))
            .map(|r| identity(&r.alert.labels))
            .collect();
        // Forget alerts that stopped, so a recurrence rings again.
        self.announced = firing_critical;
        self.rows = rows;
        let found = focused.as_ref().and_then(|k| {
            self.rows
                .iter()
                .position(|r| identity(&r.alert.labels) == *k)
        });
        self.still_there = focused.is_none() || found.is_some();
        self.list.selected = found
            .unwrap_or(self.list.selected)
            .min(self.rows.len().saturating_sub(1));
        ring
    }

    /// Takes in one poll of a Prometheus or Alertmanager at `at` (see
    /// [`RemoteFeed::apply`]); the caller rebuilds the rows.
    pub fn apply_remote(
        &mut self,
        source: AlertSource,
        server: String,
        at: SystemTime,
        alerts: Result<Vec<Alert>, String>,
    ) {
        let age_out = self.age_out;
        self.remote
            .entry((source, server))
            .or_default()
            .apply(at, alerts, age_out);
    }

    /// Firing alerts per severity (critical, warning, info). Rows whose
    /// last known state was firing count, though their server is down:
    /// see [`Self::last_known_firing`] and [`Self::sources_down`].
    pub fn firing_counts(&self) -> [usize; 3] {
        let mut c = [0; 3];
        for r in self.rows.iter().filter(|r| r.is_firing()) {
            c[match r.alert.severity {
                Severity::Critical => 0,
                Severity::Warning => 1,
                Severity::Info => 2,
            }] += 1;
        }
        c
    }

    pub fn selected(&self) -> Option<&AlertRow> {
        self.rows.get(self.list.selected)
    }

    /// A silence by id, from whichever Alertmanager holds it.
    pub fn silence(&self, id: &str) -> Option<&Silence> {
        self.silences
            .values()
            .flat_map(|f| f.silences.iter())
            .find(|s| s.id == id)
    }

    /// Active and pending silences, newest first.
    pub fn live_silences(&self) -> Vec<&Silence> {
        let mut v: Vec<&Silence> = self
            .silences
            .values()
            .flat_map(|f| f.silences.iter())
            .filter(|s| s.state != SilenceState::Expired)
            .collect();
        v.sort_by_key(|s| std::cmp::Reverse(s.starts_at));
        v
    }

    /// Every scrape target of every Prometheus, down first.
    pub fn targets(&self) -> Vec<&ScrapeTarget> {
        let mut v: Vec<&ScrapeTarget> = self
            .prometheus
            .values()
            .flat_map(|p| p.targets.iter())
            .collect();
        v.sort_by(|a, b| {
            a.health
                .cmp(&b.health)
                .then_with(|| a.job.cmp(&b.job))
                .then_with(|| a.instance.cmp(&b.instance))
        });
        v
    }

    /// Of the rows [`Self::firing_counts`] counts, those only last known
    /// to fire (their every source is down).
    pub fn last_known_firing(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.is_firing() && r.stale.is_some())
            .count()
    }

    /// Servers whose last poll failed, by short name (`prometheus main`,
    /// `alertmanager am`), for the header.
    pub fn sources_down(&self) -> Vec<String> {
        self.remote
            .iter()
            .filter(|(_, f)| f.is_failing())
            .map(|((src, name), _)| server_short(*src, name))
            .collect()
    }

    /// Sources that could not be read, for the notice line: the server and
    /// the fault in words (`Prometheus main: HTTP 503`). The raw error is
    /// in the Targets view and the alert's detail.
    pub fn errors(&self) -> Vec<String> {
        let mut v = Vec::new();
        for ((src, name), f) in &self.remote {
            if let Some(words) = f.error() {
                v.push(format!("{}: {words}", server_title(*src, name)));
            }
        }
        for (name, f) in &self.silences {
            // Said once: an unreachable Alertmanager fails both requests.
            let alerts_failing = self
                .remote
                .get(&(AlertSource::Alertmanager, name.clone()))
                .is_some_and(RemoteFeed::is_failing);
            if let Some(e) = f.error.as_ref().filter(|_| !alerts_failing) {
                v.push(format!(
                    "{} silences: {}",
                    server_title(AlertSource::Alertmanager, name),
                    crate::model::fault::words(e)
                ));
            }
        }
        v
    }
}

fn pending_last(r: &AlertRow) -> bool {
    !r.sources.iter().any(|(_, _, s)| *s == AlertState::Firing)
}

fn merge(marked: &[(&Alert, Option<&Stale>)], services: &[Service]) -> Option<AlertRow> {
    let stale = feed::combine_stale(marked.iter().map(|(_, m)| *m));
    let copies: Vec<&Alert> = marked.iter().map(|(a, _)| *a).collect();
    let face = copies.iter().max_by_key(|a| {
        // Prefer a live copy over a resolved one, then the richer source.
        (a.state != AlertState::Resolved, rank_copy(a))
    })?;
    let mut alert = (*face).clone();
    for c in &copies {
        for (k, v) in &c.annotations {
            alert
                .annotations
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        if alert.value.is_none() {
            alert.value.clone_from(&c.value);
        }
        if let Some(s) = c.since {
            alert.since = Some(alert.since.map_or(s, |a| a.min(s)));
        }
        if alert.fingerprint.is_none() {
            alert.fingerprint.clone_from(&c.fingerprint);
        }
        for id in &c.silenced_by {
            if !alert.silenced_by.contains(id) {
                alert.silenced_by.push(id.clone());
            }
        }
        for id in &c.inhibited_by {
            if !alert.inhibited_by.contains(id) {
                alert.inhibited_by.push(id.clone());
            }
        }
        for r in &c.receivers {
            if !alert.receivers.contains(r) {
                alert.receivers.push(r.clone());
            }
        }
        if alert.service.is_none() {
            alert.service.clone_from(&c.service);
        }
    }
    let mut sources: Vec<(AlertSource, String, AlertState)> = copies
        .iter()
        .map(|a| (a.source, a.origin.clone(), a.state))
        .collect();
    sources.sort();
    sources.dedup();
    let section = if copies.iter().all(|a| a.state == AlertState::Resolved) {
        RowSection::Resolved
    } else if copies.iter().any(|a| a.state == AlertState::Suppressed) {
        RowSection::Silenced
    } else {
        RowSection::Active
    };
    let service = service_of(&alert, services);
    if alert.service.is_none() {
        alert.service = service.map(|i| services[i].name.clone());
    }
    Some(AlertRow {
        alert,
        sources,
        section,
        service,
        stale,
    })
}

#[cfg(test)]
#[path = "alerts_tests.rs"]
mod tests;
