//! One session with a host: connect, list once, follow events, resync
//! now and then, until the daemon is lost; the session's [`End`] says why
//! (the host's loop then starts the next one).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerSummary, EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptions;
use futures::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;

use super::lost::Lost;
use super::reporter::{Closed, Reporter};
use super::snapshot::{container_info, sort};
use super::stats::StatsCollector;
use crate::clients::docker::HostSpec;
use crate::clients::docker::inspect::{Inspected, inspect_listed, list};
use crate::model::{ContainerInfo, DockerSnapshot};

/// Events are gathered this long before the containers they name are
/// inspected and a snapshot is sent.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// A full list this often, in case an event was missed. It doubles as the
/// check that a silent daemon still answers.
const RESYNC: Duration = Duration::from_secs(30);
/// Stats are read (and a snapshot sent if they changed) this often.
const STATS_EVERY: Duration = Duration::from_secs(2);
/// How long the board's reads wait for the daemon's answer: a hung daemon
/// is noticed (and its containers marked stale) within a resync and this.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

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
pub(super) enum End {
    /// The board is gone: stop.
    Closed,
    /// The daemon could not be reached, or the connection or stream broke.
    Lost(Lost),
}

impl From<Closed> for End {
    fn from(_: Closed) -> End {
        End::Closed
    }
}

impl From<Lost> for End {
    fn from(l: Lost) -> End {
        End::Lost(l)
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
    /// and updates the cache; gone containers are dropped. One removed
    /// between the list and its inspect simply disappears; one the daemon
    /// refuses to describe keeps what was known of it.
    async fn refresh(
        &mut self,
        docker: &Docker,
        ids: &[String],
        summaries: Option<&HashMap<String, ContainerSummary>>,
    ) -> Result<(), Lost> {
        if ids.is_empty() {
            return Ok(());
        }
        let listed;
        let summaries = match summaries {
            Some(s) => s,
            None => {
                listed = list(docker, Some(ids))
                    .await
                    .map_err(|e| Lost::request("listing containers", &e))?
                    .into_iter()
                    .filter_map(|s| Some((s.id.clone()?, s)))
                    .collect::<HashMap<_, _>>();
                &listed
            }
        };
        for id in ids {
            match inspect_listed(docker, id)
                .await
                .map_err(|e| Lost::request("inspecting a container", &e))?
            {
                Inspected::Found(i) => {
                    let info = container_info(&self.host, &i, summaries.get(id));
                    self.containers.insert(info.id.clone(), info);
                }
                Inspected::Gone => {
                    self.containers.remove(id);
                }
                Inspected::Refused(why) => {
                    tracing::warn!(host = %self.host, container = %id, "docker: inspect refused: {why}");
                }
            }
        }
        Ok(())
    }

    /// A full list: new containers and those whose list entry no longer
    /// matches are inspected; the rest only get the list's status text.
    async fn resync(&mut self, docker: &Docker) -> Result<(), Lost> {
        let summaries: HashMap<String, ContainerSummary> = list(docker, None)
            .await
            .map_err(|e| Lost::request("listing containers", &e))?
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

/// A client for `spec`, as the docker CLI would find it, whose reads give
/// up after [`READ_TIMEOUT`], with an agreed API version.
pub(super) async fn connect(spec: &HostSpec) -> Result<Docker, Lost> {
    let endpoint =
        crate::clients::docker::resolve(spec, &|k| std::env::var(k).ok()).map_err(Lost::setup)?;
    let docker = crate::clients::docker::connect::connect_endpoint(&endpoint)
        .map_err(Lost::setup)?
        .with_timeout(READ_TIMEOUT);
    docker
        .clone()
        .negotiate_version()
        .await
        .map_err(|e| Lost::request("asking the daemon's version", &e))?;
    Ok(docker)
}

/// One session: `Ok` when the board is gone, else why it ended.
/// `connected` is set once the first list was sent.
pub(super) async fn session(
    spec: &HostSpec,
    reporter: &mut Reporter,
    visible: &mut watch::Receiver<HashSet<String>>,
    connected: &mut bool,
) -> Result<(), End> {
    let docker = connect(spec).await?;
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
        host: reporter.host().to_string(),
        containers: HashMap::new(),
    };
    cache.resync(&docker).await?;
    let mut stats = StatsCollector::new(docker.clone());
    let wanted = |cache: &Cache, visible: &HashSet<String>| -> HashSet<String> {
        cache.running().intersection(visible).cloned().collect()
    };
    stats.sync(&wanted(&cache, &visible.borrow()));
    reporter.fresh(cache.snapshot(&stats)).await?;
    *connected = true;

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
                        } else {
                            pending.insert(id);
                        }
                        due.get_or_insert(Instant::now() + DEBOUNCE);
                    }
                }
                Some(Err(e)) => return Err(Lost::request("the event stream", &e).into()),
                None => return Err(Lost::stream_ended().into()),
            },
            _ = sleep_until(due) => {
                due = None;
                let ids: Vec<String> = pending.drain().collect();
                cache.refresh(&docker, &ids, None).await?;
                stats.sync(&wanted(&cache, &visible.borrow()));
                reporter.fresh(cache.snapshot(&stats)).await?;
            }
            _ = resync.tick() => {
                cache.resync(&docker).await?;
                stats.sync(&wanted(&cache, &visible.borrow()));
                reporter.fresh(cache.snapshot(&stats)).await?;
            }
            _ = stats_tick.tick() => {
                stats.sync(&wanted(&cache, &visible.borrow()));
                let now = stats.latest();
                if now != last_stats {
                    reporter.fresh(cache.snapshot(&stats)).await?;
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
            _ = reporter.closed() => return Ok(()),
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
