//! The tasks of one round: each source's task reports its messages and
//! what it is doing; the round feeds the messages into `State` as they
//! arrive, until every task has ended or the wait is over, and then names
//! the sources that said nothing.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::app::{Msg, State, update};

/// A source that said nothing within the wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnswered {
    /// `health probe of api (http://…/health)`, `Prometheus main` …
    pub source: String,
    /// `no answer within 8s`, `no answer within 8s, connecting`.
    pub reason: String,
    /// The service (index into `State::services`) it was asked for.
    pub service: Option<usize>,
}

/// What a source task sends back: a message for the board, or what it
/// is busy with (said if it does not answer in time).
pub(super) enum Report {
    Msg(usize, Box<Msg>),
    Phase(usize, &'static str),
}

/// A source task's way back: its messages and what it is doing now.
#[derive(Clone)]
pub(super) struct Reporter {
    id: usize,
    tx: mpsc::UnboundedSender<Report>,
}

impl Reporter {
    pub(super) fn send(&self, msg: Msg) {
        let _ = self.tx.send(Report::Msg(self.id, Box::new(msg)));
    }

    pub(super) fn phase(&self, what: &'static str) {
        let _ = self.tx.send(Report::Phase(self.id, what));
    }
}

struct Task {
    source: String,
    service: Option<usize>,
    phase: Option<&'static str>,
    answered: bool,
}

/// The tasks of one round and the channel they report on.
pub(super) struct Round {
    tasks: Vec<Task>,
    set: JoinSet<usize>,
    tx: mpsc::UnboundedSender<Report>,
    rx: mpsc::UnboundedReceiver<Report>,
}

impl Round {
    pub(super) fn new() -> Round {
        let (tx, rx) = mpsc::unbounded_channel();
        Round {
            tasks: Vec::new(),
            set: JoinSet::new(),
            tx,
            rx,
        }
    }

    /// Starts `work` as the source named `source`. A task that ends (even
    /// by panicking) has answered, whether or not it sent anything.
    pub(super) fn spawn<F, Fut>(&mut self, source: String, service: Option<usize>, work: F)
    where
        F: FnOnce(Reporter) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let id = self.tasks.len();
        self.tasks.push(Task {
            source,
            service,
            phase: None,
            answered: false,
        });
        let fut = work(Reporter {
            id,
            tx: self.tx.clone(),
        });
        self.set.spawn(async move {
            if AssertUnwindSafe(fut).catch_unwind().await.is_err() {
                tracing::error!("snapshot: source task {id} panicked");
            }
            id
        });
    }

    /// A source that could not even be started within the wait.
    pub(super) fn never_started(&mut self, source: String, phase: &'static str) {
        self.tasks.push(Task {
            source,
            service: None,
            phase: Some(phase),
            answered: false,
        });
    }

    fn take(&mut self, state: &mut State, r: Report) {
        match r {
            Report::Msg(id, msg) => {
                if let Some(t) = self.tasks.get_mut(id) {
                    t.answered = true;
                }
                state.now = SystemTime::now();
                let _ = update(state, *msg);
            }
            Report::Phase(id, what) => {
                if let Some(t) = self.tasks.get_mut(id) {
                    t.phase = Some(what);
                }
            }
        }
    }

    /// Feeds answers into `state` until every task has ended or `deadline`.
    pub(super) async fn run_until(&mut self, state: &mut State, deadline: Instant) {
        while !self.set.is_empty() {
            tokio::select! {
                Some(r) = self.rx.recv() => self.take(state, r),
                Some(done) = self.set.join_next() => {
                    if let Ok(id) = done
                        && let Some(t) = self.tasks.get_mut(id)
                    {
                        t.answered = true;
                    }
                }
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        self.set.abort_all();
        while let Ok(r) = self.rx.try_recv() {
            self.take(state, r);
        }
    }

    /// How many sources were asked.
    pub(super) fn asked(&self) -> usize {
        self.tasks.len()
    }

    pub(super) fn not_answered(&self, wait: Duration) -> Vec<NotAnswered> {
        let within = humantime::format_duration(wait);
        self.tasks
            .iter()
            .filter(|t| !t.answered)
            .map(|t| NotAnswered {
                source: t.source.clone(),
                reason: match t.phase {
                    Some(p) => format!("no answer within {within}, {p}"),
                    None => format!("no answer within {within}"),
                },
                service: t.service,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Banner, Keymap};

    #[tokio::test(start_paused = true)]
    async fn only_sources_that_said_nothing_are_named_with_what_they_were_doing() {
        let mut state = State::new(
            vec![],
            Keymap::default(),
            Banner::default(),
            SystemTime::UNIX_EPOCH,
        );
        let mut round = Round::new();
        round.spawn(
            "quick".into(),
            None,
            |r| async move { r.send(Msg::Shutdown) },
        );
        round.spawn("answers, then hangs".into(), Some(0), |r| async move {
            r.send(Msg::Resize {
                width: 90,
                height: 30,
            });
            std::future::pending::<()>().await;
        });
        round.spawn("silent".into(), Some(1), |r| async move {
            r.phase("connecting");
            std::future::pending::<()>().await;
        });
        round.spawn("ends with nothing to say".into(), None, |_| async {});
        round.spawn("panics".into(), None, |_| async {
            panic!("a source task panicked")
        });
        round.never_started("cluster".into(), "starting the cluster");
        let wait = Duration::from_secs(8);
        round.run_until(&mut state, Instant::now() + wait).await;
        assert!(state.should_quit, "messages reach the state");
        assert_eq!(state.width, 90);
        assert_eq!(round.asked(), 6);
        let silent = |source: &str, reason: &str, service| NotAnswered {
            source: source.into(),
            reason: reason.into(),
            service,
        };
        assert_eq!(
            round.not_answered(wait),
            [
                silent("silent", "no answer within 8s, connecting", Some(1)),
                silent("cluster", "no answer within 8s, starting the cluster", None),
            ]
        );
    }
}
