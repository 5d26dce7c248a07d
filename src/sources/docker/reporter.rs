//! What the board has been told about one Docker host: each fresh
//! snapshot, and while the host cannot be reached its last known
//! containers marked stale with the fault (once per new fault).

use std::time::SystemTime;

use tokio::sync::mpsc;

use super::lost::Lost;
use crate::app::Msg;
use crate::model::{ContainerInfo, DockerSnapshot, Fault, Stale};

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clients::docker::EndpointError;

    fn container(id: &str) -> ContainerInfo {
        ContainerInfo {
            host: "h".into(),
            id: id.into(),
            name: format!("n-{id}"),
            image: "img".into(),
            image_id: "sha256:0".into(),
            state: "running".into(),
            status_text: "Up".into(),
            stats: Some(crate::model::ContainerStats {
                cpu_percent: 1.0,
                mem_bytes: 1,
                mem_limit: 2,
            }),
            ..Default::default()
        }
    }

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(50_000 + s)
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
