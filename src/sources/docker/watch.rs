//! One host's watch loop: connect, list once, follow events, resync now
//! and then, reconnect with backoff when the daemon goes away.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerSummary, EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptions;
use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::HostSpec;
use super::snapshot::{container_info, inspect, list, sort};
use super::stats::StatsCollector;
use crate::app::Msg;
use crate::model::{ContainerInfo, DockerSnapshot};

/// Events are gathered this long before the containers they name are
/// inspected and a snapshot is sent.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// A full list this often, in case an event was missed.
const RESYNC: Duration = Duration::from_secs(30);
/// Stats are read (and a snapshot sent if they changed) this often.
const STATS_EVERY: Duration = Duration::from_secs(2);
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// The container events that change what the board shows. `exec_*` (every
/// HEALTHCHECK probe is an exec) and `attach`/`top`… are left out.
const EVENTS: &[&str] = &[
    "create",
    "start",
    "restart",
    "die",
    "stop",
    "kill",
    "oom",
    "destroy",
    "rename",
    "pause",
    "unpause",
    "update",
    "health_status",
];

/// Why a session ended.
enum End {
    /// The board is gone: stop.
    Closed,
    /// The daemon could not be reached or the stream broke.
    Lost(String),
}

pub(super) async fn run_host(
    spec: HostSpec,
    tx: mpsc::Sender<Msg>,
    mut visible: watch::Receiver<HashSet<String>>,
) {
    let mut backoff = BACKOFF_FIRST;
    let mut last_error: Option<String> = None;
    loop {
        let mut connected = false;
        let reason = match session(&spec, &tx, &mut visible, &mut connected).await {
            End::Closed => return,
            End::Lost(reason) => reason,
        };
        if connected {
            backoff = BACKOFF_FIRST;
            last_error = None;
        }
        tracing::warn!(host = %spec.name, "docker: {reason}; retrying in {backoff:?}");
        if last_error.as_deref() != Some(reason.as_str()) {
            let snap = DockerSnapshot {
                host: spec.name.clone(),
                containers: vec![],
                error: Some(format!("{reason} (reconnecting)")),
            };
            if tx.send(Msg::Docker(Box::new(snap))).await.is_err() {
                return;
            }
            last_error = Some(reason);
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = tx.closed() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// What the host shows, kept between events.
struct Cache {
    host: String,
    containers: HashMap<String, ContainerInfo>,
}

impl Cache {
    fn snapshot(&self, stats: &StatsCollector) -> DockerSnapshot {
        let latest = stats.latest();
        let mut containers: Vec<ContainerInfo> = self
            .containers
            .values()
            .cloned()
            .map(|mut c| {
                c.stats = if c.state == "running" {
                    latest.get(&c.id).copied()
                } else {
                    None
                };
                c
            })
            .collect();
        sort(&mut containers);
        DockerSnapshot {
            host: self.host.clone(),
            containers,
            error: None,
        }
    }

    fn running(&self) -> HashSet<String> {
        self.containers
            .values()
            .filter(|c| c.state == "running")
            .map(|c| c.id.clone())
            .collect()
    }

    /// Inspects `ids` (with their list entries for status text and ports)
    /// and updates the cache; gone containers are dropped.
    async fn refresh(
        &mut self,
        docker: &Docker,
        ids: &[String],
        summaries: Option<&HashMap<String, ContainerSummary>>,
    ) -> Result<(), String> {
        if ids.is_empty() {
            return Ok(());
        }
        let listed;
        let summaries = match summaries {
            Some(s) => s,
            None => {
                listed = list(docker, Some(ids))
                    .await?
                    .into_iter()
                    .filter_map(|s| Some((s.id.clone()?, s)))
                    .collect::<HashMap<_, _>>();
                &listed
            }
        };
        for id in ids {
            match inspect(docker, id).await? {
                Some(i) => {
                    let info = container_info(&self.host, &i, summaries.get(id));
                    self.containers.insert(info.id.clone(), info);
                }
                None => {
                    self.containers.remove(id);
                }
            }
        }
        Ok(())
    }

    /// A full list: new containers and those whose list entry no longer
    /// matches are inspected; the rest only get the list's status text.
    async fn resync(&mut self, docker: &Docker) -> Result<(), String> {
        let summaries: HashMap<String, ContainerSummary> = list(docker, None)
            .await?
            .into_iter()
            .filter_map(|s| Some((s.id.clone()?, s)))
            .collect();
        self.containers.retain(|id, _| summaries.contains_key(id));
        let mut stale = Vec::new();
        for (id, s) in &summaries {
            match self.containers.get_mut(id) {
                Some(c)
                    if s.state.map(|st| st.to_string()).as_deref() == Some(c.state.as_str())
                        && s.image_id.as_deref() == Some(c.image_id.as_str())
                        && health_word(s.status.as_deref())
                            == c.health.as_ref().map(|h| h.status.as_str()) =>
                {
                    if let Some(text) = &s.status {
                        c.status_text = text.clone();
                    }
                    if let Some(p) = &s.ports {
                        c.ports = super::snapshot::format_ports(p);
                    }
                }
                _ => stale.push(id.clone()),
            }
        }
        self.refresh(docker, &stale, Some(&summaries)).await
    }
}

/// The health a list entry's status text shows: `Up 3 minutes (healthy)`.
fn health_word(status: Option<&str>) -> Option<&'static str> {
    let s = status?;
    if s.contains("(health: starting)") {
        Some("starting")
    } else if s.contains("(unhealthy)") {
        Some("unhealthy")
    } else if s.contains("(healthy)") {
        Some("healthy")
    } else {
        None
    }
}

/// The container an event names, if it is one the board cares about.
fn event_container(e: &EventMessage) -> Option<(String, bool)> {
    if e.typ != Some(EventMessageTypeEnum::CONTAINER) {
        return None;
    }
    let action = e.action.as_deref()?;
    let verb = action.split(':').next().unwrap_or(action).trim();
    if !EVENTS.contains(&verb) {
        return None;
    }
    let id = e.actor.as_ref()?.id.clone()?;
    Some((id, verb == "destroy"))
}

async fn send(tx: &mpsc::Sender<Msg>, snap: DockerSnapshot) -> Result<(), End> {
    tx.send(Msg::Docker(Box::new(snap)))
        .await
        .map_err(|_| End::Closed)
}

async fn session(
    spec: &HostSpec,
    tx: &mpsc::Sender<Msg>,
    visible: &mut watch::Receiver<HashSet<String>>,
    connected: &mut bool,
) -> End {
    match session_inner(spec, tx, visible, connected).await {
        Ok(()) => End::Closed,
        Err(e) => e,
    }
}

async fn session_inner(
    spec: &HostSpec,
    tx: &mpsc::Sender<Msg>,
    visible: &mut watch::Receiver<HashSet<String>>,
    connected: &mut bool,
) -> Result<(), End> {
    let docker = super::connect(spec).map_err(End::Lost)?;
    super::connect::negotiate(&docker)
        .await
        .map_err(End::Lost)?;
    // Events from a second before the list on, so nothing between the list
    // and the subscription is missed (a repeat is harmless).
    let since = chrono::Utc::now().timestamp() - 1;
    let filters = HashMap::from([
        ("type".to_string(), vec!["container".to_string()]),
        (
            "event".to_string(),
            EVENTS.iter().map(|s| s.to_string()).collect(),
        ),
    ]);
    let mut events = docker
        .events(Some(EventsOptions {
            since: Some(since.to_string()),
            until: None,
            filters: Some(filters),
        }))
        .boxed();
    let mut cache = Cache {
        host: spec.name.clone(),
        containers: HashMap::new(),
    };
    cache.resync(&docker).await.map_err(End::Lost)?;
    *connected = true;
    let mut stats = StatsCollector::new(docker.clone());
    let wanted = |cache: &Cache, visible: &HashSet<String>| -> HashSet<String> {
        cache.running().intersection(visible).cloned().collect()
    };
    stats.sync(&wanted(&cache, &visible.borrow()));
    send(tx, cache.snapshot(&stats)).await?;

    let mut pending: HashSet<String> = HashSet::new();
    let mut due: Option<Instant> = None;
    let mut resync = tokio::time::interval_at(Instant::now() + RESYNC, RESYNC);
    let mut stats_tick = tokio::time::interval_at(Instant::now() + STATS_EVERY, STATS_EVERY);
    let mut last_stats = stats.latest();
    loop {
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(m)) => {
                    if let Some((id, destroyed)) = event_container(&m) {
                        if destroyed {
                            cache.containers.remove(&id);
                            pending.remove(&id);
                            due.get_or_insert(Instant::now() + DEBOUNCE);
                        } else {
                            pending.insert(id);
                            due.get_or_insert(Instant::now() + DEBOUNCE);
                        }
                    }
                }
                Some(Err(e)) => return Err(End::Lost(format!("event stream: {}", super::describe(&e)))),
                None => return Err(End::Lost("the daemon closed the event stream".into())),
            },
            _ = sleep_until(due) => {
                due = None;
                let ids: Vec<String> = pending.drain().collect();
                cache.refresh(&docker, &ids, None).await.map_err(End::Lost)?;
                stats.sync(&wanted(&cache, &visible.borrow()));
                send(tx, cache.snapshot(&stats)).await?;
            }
            _ = resync.tick() => {
                cache.resync(&docker).await.map_err(End::Lost)?;
                stats.sync(&wanted(&cache, &visible.borrow()));
                send(tx, cache.snapshot(&stats)).await?;
            }
            _ = stats_tick.tick() => {
                stats.sync(&wanted(&cache, &visible.borrow()));
                let now = stats.latest();
                if now != last_stats {
                    send(tx, cache.snapshot(&stats)).await?;
                    last_stats = now;
                }
            }
            changed = visible.changed() => {
                if changed.is_err() {
                    // The source handle is gone.
                    return Ok(());
                }
                stats.sync(&wanted(&cache, &visible.borrow_and_update()));
            }
            _ = tx.closed() => return Ok(()),
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::EventActor;

    fn ev(typ: EventMessageTypeEnum, action: &str) -> EventMessage {
        EventMessage {
            typ: Some(typ),
            action: Some(action.into()),
            actor: Some(EventActor {
                id: Some("abc".into()),
                attributes: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_container_events_that_matter() {
        use EventMessageTypeEnum as T;
        assert_eq!(
            event_container(&ev(T::CONTAINER, "die")),
            Some(("abc".into(), false))
        );
        assert_eq!(
            event_container(&ev(T::CONTAINER, "health_status: healthy")),
            Some(("abc".into(), false))
        );
        assert_eq!(
            event_container(&ev(T::CONTAINER, "destroy")),
            Some(("abc".into(), true))
        );
        assert_eq!(
            event_container(&ev(T::CONTAINER, "exec_start: wget -q")),
            None
        );
        assert_eq!(event_container(&ev(T::NETWORK, "connect")), None);
    }

    #[test]
    fn health_from_status_text() {
        assert_eq!(health_word(Some("Up 3 minutes (healthy)")), Some("healthy"));
        assert_eq!(
            health_word(Some("Up 1 second (health: starting)")),
            Some("starting")
        );
        assert_eq!(
            health_word(Some("Up 9 seconds (unhealthy)")),
            Some("unhealthy")
        );
        assert_eq!(health_word(Some("Exited (0) 2 minutes ago")), None);
    }
}
