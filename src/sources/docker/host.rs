//! One Docker host, forever. A session ([`super::watch`]) lists, follows
//! events and resyncs until it loses the daemon; it is then started again
//! (a fresh list and a new subscription, so nothing that changed meanwhile
//! is missed) after a capped, jittered backoff. While the host cannot be
//! reached the board gets its last known containers marked stale, with the
//! fault in words; the first list after it answers again replaces them.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::app::Msg;
use crate::clients::docker::{EndpointError, HostSpec};
use crate::model::{ContainerInfo, DockerSnapshot, Fault, Stale};
use crate::sources::backoff::Backoff;

/// A session that stayed connected this long broke for a reason of its
/// own (a cut event stream, a daemon restart): it is made again at once,
/// and the backoff starts from the beginning. One that broke sooner waits
/// its turn, so a flapping daemon is not hammered.
const STEADY: Duration = Duration::from_secs(10);

/// Why a session ended: the fault in words and the raw chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Lost {
    /// What the notice line says: `connection refused`, `timed out` …
    pub words: String,
    /// The whole error chain, for the log and the detail view.
    pub raw: String,
}

impl Lost {
    /// Finding or setting up the endpoint failed (no socket, a bad docker
    /// context, missing certificates): the message says it already.
    pub fn setup(e: EndpointError) -> Lost {
        let msg = e.to_string();
        let words = if matches!(e, EndpointError::SocketMissing { .. }) {
            crate::model::fault::words(&msg)
        } else {
            let clean = crate::model::text::clean(&msg);
            let mut w: String = clean.chars().take(100).collect();
            if clean.chars().count() > 100 {
                w.push('…');
            }
            w
        };
        Lost { words, raw: msg }
    }

    /// A request failed: `what` says which (`listing containers` …).
    pub fn request(what: &str, e: &bollard::errors::Error) -> Lost {
        use bollard::errors::Error as E;
        let raw = format!("{what}: {}", crate::clients::docker::describe(e));
        let words = match e {
            E::DockerResponseServerError { status_code, .. } => format!("HTTP {status_code}"),
            E::RequestTimeoutError => "timed out".into(),
            _ => crate::model::fault::words(&raw),
        };
        Lost { words, raw }
    }

    /// The daemon ended the event stream without an error.
    pub fn stream_ended() -> Lost {
        Lost {
            words: "the daemon closed the event stream".into(),
            raw: "the daemon closed the event stream".into(),
        }
    }

    /// As a [`Fault`] that began with `prev` (or now).
    fn fault(&self, prev: Option<&Fault>, now: SystemTime) -> Fault {
        let mut f = Fault::update(prev, self.raw.clone(), now);
        f.words.clone_from(&self.words);
        f
    }
}

/// The board is gone: nothing is left to do.
#[derive(Debug)]
pub(super) struct Closed;

/// What the board has been told about one host.
pub(super) struct Reporter {
    host: String,
    tx: mpsc::Sender<Msg>,
    /// The containers of the last fresh snapshot.
    known: Vec<ContainerInfo>,
    /// Set while the host cannot be reached.
    fault: Option<Fault>,
}

impl Reporter {
    pub fn new(host: String, tx: mpsc::Sender<Msg>) -> Reporter {
        Reporter {
            host,
            tx,
            known: Vec::new(),
            fault: None,
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// A snapshot read from the daemon just now.
    pub async fn fresh(&mut self, snap: DockerSnapshot) -> Result<(), Closed> {
        if let Some(f) = self.fault.take() {
            tracing::info!(
                host = %self.host,
                "docker: reachable again (unreachable since {})",
                crate::model::fault::hms(f.since)
            );
        }
        self.known.clone_from(&snap.containers);
        self.tx
            .send(Msg::Docker(Box::new(snap)))
            .await
            .map_err(|_| Closed)
    }

    /// The host cannot be reached: its last known containers, stale, and
    /// the fault. The same fault again is not sent again.
    pub async fn unreachable(&mut self, lost: &Lost, now: SystemTime) -> Result<(), Closed> {
        let f = lost.fault(self.fault.as_ref(), now);
        let news = self
            .fault
            .as_ref()
            .is_none_or(|p| p.words != f.words || p.raw != f.raw);
        self.fault = Some(f.clone());
        if !news {
            return Ok(());
        }
        let snap = stale_snapshot(&self.host, &self.known, f);
        self.tx
            .send(Msg::Docker(Box::new(snap)))
            .await
            .map_err(|_| Closed)
    }

    /// Resolves when the board is gone.
    pub async fn closed(&self) {
        self.tx.closed().await;
    }
}

/// `known` as the last known state of `host`, which fails with `fault`.
pub(super) fn stale_snapshot(host: &str, known: &[ContainerInfo], fault: Fault) -> DockerSnapshot {
    let stale = Stale {
        source: format!("docker {host}"),
        since: fault.since,
    };
    let containers = known
        .iter()
        .cloned()
        .map(|mut c| {
            c.stale = Some(stale.clone());
            // Resource use is a measurement of now: none is known.
            c.stats = None;
            c
        })
        .collect();
    DockerSnapshot {
        host: host.to_string(),
        containers,
        error: Some(fault),
    }
}

/// Watches `spec` until the board is gone: a session after another,
/// waiting a capped, jittered backoff after each failure.
pub(super) async fn run_host(
    spec: HostSpec,
    tx: mpsc::Sender<Msg>,
    mut visible: watch::Receiver<HashSet<String>>,
) {
    let mut reporter = Reporter::new(spec.name.clone(), tx);
    let mut backoff = Backoff::default();
    loop {
        let began = Instant::now();
        let mut connected = false;
        let lost =
            match super::watch::session(&spec, &mut reporter, &mut visible, &mut connected).await {
                Ok(()) => return,
                Err(super::watch::End::Closed) => return,
                Err(super::watch::End::Lost(lost)) => lost,
            };
        if connected {
            tracing::warn!(
                host = %spec.name,
                error = %lost.raw,
                "docker: connection lost ({}); listing and subscribing again",
                lost.words
            );
            if began.elapsed() >= STEADY {
                backoff.reset();
                continue;
            }
        } else if reporter
            .unreachable(&lost, SystemTime::now())
            .await
            .is_err()
        {
            return;
        }
        let wait = backoff.next_delay();
        if !connected {
            tracing::warn!(
                host = %spec.name,
                error = %lost.raw,
                "docker: unreachable ({}); trying again in {wait:?}",
                lost.words
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = reporter.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(id: &str) -> ContainerInfo {
        ContainerInfo {
            host: "h".into(),
            id: id.into(),
            name: format!("n-{id}"),
            image: "img".into(),
            image_id: "sha256:0".into(),
            state: "running".into(),
            status_text: "Up".into(),
            exit_code: None,
            health: None,
            restart_count: 0,
            started_at: None,
            ports: vec![],
            compose: None,
            stats: Some(crate::model::ContainerStats {
                cpu_percent: 1.0,
                mem_bytes: 1,
                mem_limit: 2,
            }),
            stale: None,
        }
    }

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(50_000 + s)
    }

    #[test]
    fn words_for_the_usual_faults() {
        let l = Lost::setup(EndpointError::SocketMissing {
            host: "unix:///tmp/x/docker.sock".into(),
            origin: "endpoint".into(),
            path: "/tmp/x/docker.sock".into(),
        });
        assert_eq!(l.words, "socket not found (daemon not running?)");
        let l = Lost::setup(EndpointError::Resolve(format!(
            "bad\u{1b}[2J context {}",
            "x".repeat(300)
        )));
        assert!(l.words.starts_with("bad\u{fffd}[2J context"), "{}", l.words);
        assert!(l.words.chars().count() <= 101);
        let e = bollard::errors::Error::DockerResponseServerError {
            status_code: 500,
            message: "containerd is gone".into(),
        };
        let l = Lost::request("listing containers", &e);
        assert_eq!(l.words, "HTTP 500");
        assert!(l.raw.contains("listing containers"), "{}", l.raw);
        assert!(l.raw.contains("containerd is gone"), "{}", l.raw);
        let l = Lost::request("the version", &bollard::errors::Error::RequestTimeoutError);
        assert_eq!(l.words, "timed out");
    }

    #[tokio::test]
    async fn unreachable_sends_the_last_known_containers_stale_once() {
        let (tx, mut rx) = mpsc::channel(8);
        let mut r = Reporter::new("h".into(), tx);
        let fresh = DockerSnapshot {
            host: "h".into(),
            containers: vec![container("a"), container("b")],
            error: None,
        };
        r.fresh(fresh).await.unwrap();
        let _ = rx.recv().await;
        let refused = Lost {
            words: "connection refused".into(),
            raw: "version: connection refused".into(),
        };
        r.unreachable(&refused, t(0)).await.unwrap();
        let Some(Msg::Docker(s)) = rx.recv().await else {
            panic!("a snapshot")
        };
        let f = s.error.clone().unwrap();
        assert_eq!((f.words.as_str(), f.since), ("connection refused", t(0)));
        assert_eq!(s.containers.len(), 2);
        for c in &s.containers {
            let st = c.stale.as_ref().unwrap();
            assert_eq!((st.source.as_str(), st.since), ("docker h", t(0)));
            assert!(c.stats.is_none());
        }
        // The same fault again: nothing new to say.
        r.unreachable(&refused, t(5)).await.unwrap();
        assert!(rx.try_recv().is_err());
        // Another fault: said, still since the first failure.
        let gone = Lost::setup(EndpointError::SocketMissing {
            host: "unix:///x".into(),
            origin: "default".into(),
            path: "/x".into(),
        });
        r.unreachable(&gone, t(9)).await.unwrap();
        let Some(Msg::Docker(s)) = rx.recv().await else {
            panic!("a snapshot")
        };
        let f = s.error.unwrap();
        assert_eq!(f.since, t(0));
        assert_eq!(f.words, "socket not found (daemon not running?)");
        // Back: fresh, and a later fault starts a new "since".
        r.fresh(DockerSnapshot {
            host: "h".into(),
            containers: vec![container("a")],
            error: None,
        })
        .await
        .unwrap();
        let _ = rx.recv().await;
        r.unreachable(&refused, t(60)).await.unwrap();
        let Some(Msg::Docker(s)) = rx.recv().await else {
            panic!("a snapshot")
        };
        assert_eq!(s.error.unwrap().since, t(60));
        assert_eq!(s.containers.len(), 1);
    }
}
