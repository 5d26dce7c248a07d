//! The event loop: one `tokio::select!` over terminal events, source
//! messages, the clock and a render deadline. Drain, then draw once.

use std::time::{Duration, SystemTime};

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::{Effect, Msg, State, update};
use crate::clients::probe::ProbeSpec;
use crate::ops::{Command, OpsContext};
use crate::sources::health::HealthSource;
use crate::terminal::TerminalGuard;
use crate::ui::{self, Theme};

pub use crate::kube_watch::KubeSetup;

/// At most ~60 frames per second.
const FRAME: Duration = Duration::from_millis(16);

/// What the loop needs to start.
pub struct Board {
    pub state: State,
    pub specs: Vec<ProbeSpec>,
    pub theme: Theme,
    pub max_concurrent_probes: usize,
    pub ops: OpsContext,
    /// Clusters to watch, if any.
    pub kube: Option<crate::clients::kube::KubeSettings>,
    /// Docker hosts to watch, if any.
    pub docker: Option<Vec<crate::clients::docker::HostSpec>>,
    /// Runs before the Kubernetes source connects, after the first frame.
    pub kube_setup: Option<KubeSetup>,
    /// Metrics scrapes, Prometheus and Alertmanager servers.
    pub metrics: crate::assemble::metrics::MetricsPlan,
    /// Device fleets to poll.
    pub fleet: crate::sources::fleet::FleetPlan,
}

/// Runs the interactive board until the user quits or a signal arrives.
pub async fn run(board: Board) -> color_eyre::Result<()> {
    let Board {
        mut state,
        specs,
        theme,
        max_concurrent_probes,
        ops,
        kube,
        docker,
        kube_setup,
        metrics,
        fleet,
    } = board;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let (tx, mut rx) = mpsc::channel::<Msg>(4096);
    // Exec sessions come back here to be given the terminal.
    let (handover_tx, mut handover_rx) = mpsc::channel::<crate::ops::exec::Session>(1);
    let ops = crate::ops::spawn(
        OpsContext {
            handover: Some(handover_tx),
            ..ops
        },
        tx.clone(),
    );
    // The connected clusters' clients, for what is asked on demand (logs,
    // describe, exec); empty until the Kubernetes task has connected.
    let (clients_tx, kube_clients) =
        tokio::sync::watch::channel(crate::clients::kube::Clients::default());
    // Connects in its own task, and again on `:ctx` / `:ns`.
    let kube_watch = kube.map(|settings| {
        crate::kube_watch::KubeWatch::start(settings, kube_setup, clients_tx, tx.clone())
    });
    let health = HealthSource::spawn(
        specs,
        state.services.len(),
        state.generation,
        max_concurrent_probes,
        tx.clone(),
    )
    .map_err(|e| color_eyre::eyre::eyre!(e))?;

    let _scrapes = crate::sources::metrics::scrape::MetricsSource::spawn(
        metrics.scrape,
        state.generation,
        max_concurrent_probes,
        tx.clone(),
    )
    .map_err(|e| color_eyre::eyre::eyre!(e))?;
    let remote = crate::sources::remote::RemoteSource::spawn(
        metrics.prometheus,
        metrics.alertmanagers,
        metrics.queries,
        state.generation,
        tx.clone(),
    );
    let devices = crate::sources::fleet::FleetSource::spawn(&fleet, state.generation, tx.clone());
    drop(fleet);
    let docker_hosts = docker.clone().unwrap_or_default();
    let mut log_feed: Option<crate::sources::logs::LogFeed> = None;
    // The open viewer's read: a new one replaces it (its answer would be
    // dropped anyway).
    let mut document_task: Option<tokio::task::JoinHandle<()>> = None;
    let docker_source = docker
        .filter(|h| !h.is_empty())
        .map(|hosts| crate::sources::docker::DockerSource::spawn(hosts, tx.clone()));
    let mut visible_containers: Vec<String> = Vec::new();
    let mut guard = TerminalGuard::enter()?;
    let size = guard.terminal.size()?;
    state.now = SystemTime::now();
    update(
        &mut state,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    guard.terminal.draw(|f| ui::render(f, &state, &theme))?;
    state.dirty = false;
    tracing::info!(services = state.services.len(), "board started");

    let mut events = EventStream::new();
    let mut tick = clock_ticks();
    let mut last_draw = Instant::now();

    while !state.should_quit {
        let deadline = last_draw + FRAME;
        let mut effects = Vec::new();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(key))) => {
                    // Keys carry the time they arrived: a confirm dialog
                    // must have been on screen before one can confirm it.
                    state.now = SystemTime::now();
                    effects = update(&mut state, Msg::Key(key));
                }
                Some(Ok(Event::Resize(width, height))) => {
                    effects = update(&mut state, Msg::Resize { width, height });
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    break;
                }
                // stdin closed: nobody is left to look at the board.
                None => break,
            },
            Some(msg) = rx.recv() => {
                effects = apply(&mut state, &ops, msg);
                // Drain whatever else is queued before drawing once.
                while let Ok(m) = rx.try_recv() {
                    effects.extend(apply(&mut state, &ops, m));
                }
            }
            _ = tick.tick() => effects = update(&mut state, Msg::Tick(SystemTime::now())),
            Some(session) = handover_rx.recv() => {
                let mut deferred = Vec::new();
                events = crate::handover::run(&mut guard, events, session, &mut rx, |m| {
                    deferred.extend(apply(&mut state, &ops, m));
                })
                .await?;
                // The window may have changed size meanwhile.
                let size = guard.terminal.size()?;
                deferred.extend(update(
                    &mut state,
                    Msg::Resize {
                        width: size.width,
                        height: size.height,
                    },
                ));
                state.dirty = true;
                effects = deferred;
            }
            _ = sigterm.recv() => {
                tracing::info!("SIGTERM: leaving");
                effects = update(&mut state, Msg::Shutdown);
            }
            _ = sighup.recv() => {
                tracing::info!("SIGHUP (terminal gone): leaving");
                effects = update(&mut state, Msg::Shutdown);
            }
            _ = tokio::time::sleep_until(deadline), if state.dirty => {
                guard.terminal.draw(|f| ui::render(f, &state, &theme))?;
                state.dirty = false;
                last_draw = Instant::now();
                // Only a confirm dialog not yet seen cares that a frame was
                // drawn; nothing else pays for the message.
                if matches!(
                    state.dialog,
                    Some(crate::app::Dialog::Confirm { shown: None, .. })
                ) {
                    update(&mut state, Msg::Drawn(SystemTime::now()));
                }
                // Container stats are collected only for what is on screen.
                if let Some(src) = &docker_source {
                    let visible = crate::app::focus::on_screen_containers(&state);
                    if visible != visible_containers {
                        src.set_visible(visible.clone());
                        visible_containers = visible;
                    }
                }
            }
        }
        for effect in effects {
            match effect {
                Effect::PollNow(services) => {
                    if services.is_none() {
                        devices.poll_now();
                    }
                    health.poll_now(services.as_deref())
                }
                Effect::Plan(request) => ops.send(Command::Plan(request)),
                Effect::AutoRollback {
                    workload,
                    revision,
                    evidence,
                } => ops.send(Command::AutoRollback {
                    workload,
                    revision,
                    evidence,
                }),
                Effect::Execute { plan, typed } => ops.send(Command::Execute { plan, typed }),
                Effect::Decline(plan) => ops.send(Command::Decline(plan)),
                Effect::CancelJob(job) => ops.send(Command::Cancel(job)),
                Effect::FollowLogs(request) => {
                    log_feed = Some(crate::sources::logs::LogFeed::spawn(
                        request,
                        docker_hosts.clone(),
                        kube_clients.borrow().clone(),
                        tx.clone(),
                    ));
                }
                Effect::LogTargets(targets) => {
                    if let Some(feed) = &log_feed {
                        feed.set_targets(targets);
                    }
                }
                Effect::PollAlerts => remote.poll_alertmanagers_now(),
                Effect::FetchDocument {
                    request,
                    object,
                    rendering,
                } => {
                    if let Some(t) = document_task.take() {
                        t.abort();
                    }
                    document_task = Some(tokio::spawn(crate::sources::documents::fetch(
                        request,
                        object,
                        rendering,
                        kube_clients.borrow().clone(),
                        docker_hosts.clone(),
                        tx.clone(),
                    )));
                }
                Effect::Reveal {
                    request,
                    object,
                    variables,
                } => ops.send(Command::Reveal {
                    request,
                    object,
                    variables,
                }),
                Effect::Bell => {
                    use std::io::Write;
                    let mut out = std::io::stdout();
                    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                }
                Effect::StopLogs => log_feed = None,
                Effect::KubeScope { generation, scope } => {
                    if let Some(k) = &kube_watch {
                        k.switch(generation, scope);
                    }
                }
                Effect::Copy(text) => {
                    use std::io::Write;
                    let mut out = std::io::stdout();
                    let _ = out
                        .write_all(crate::ui::osc52(&text).as_bytes())
                        .and_then(|()| out.flush());
                }
            }
        }
    }
    drop(health);
    drop(kube_watch);
    // Plans on screen or waiting their turn were not run: say so in the
    // audit log.
    if let Some(crate::app::Dialog::Confirm { plan, .. }) = state.dialog.take() {
        ops.send(Command::Decline(plan));
    }
    for plan in state.pending_plans.drain(..) {
        ops.send(Command::Decline(Box::new(plan)));
    }
    drop(guard);
    stop_jobs(&ops, &state).await;
    tracing::info!("board stopped");
    Ok(())
}

/// How long running jobs get to stop when the board quits.
const JOB_GRACE: Duration = Duration::from_secs(20);

/// Cancels running jobs and waits (bounded) until each has an outcome in
/// the audit log; the terminal is already restored, so say what is
/// happening.
async fn stop_jobs(ops: &crate::ops::Ops, state: &State) {
    let running = state.jobs.iter().filter(|j| j.is_running()).count();
    if running > 0 {
        // Not eprintln!: after SIGHUP stderr may be gone, and that must not
        // panic before the outcomes are recorded.
        say(&format!(
            "opsboard: stopping {running} running job(s); waiting up to {}s for each to record its outcome…",
            JOB_GRACE.as_secs()
        ));
    }
    let (done, answer) = tokio::sync::oneshot::channel();
    ops.send(Command::Shutdown {
        grace: JOB_GRACE,
        done,
    });
    match tokio::time::timeout(JOB_GRACE + Duration::from_secs(5), answer).await {
        Ok(Ok(0)) | Err(_) | Ok(Err(_)) => {}
        Ok(Ok(n)) => say(&format!(
            "opsboard: {n} job(s) did not stop in time and are recorded as interrupted in the audit log"
        )),
    }
}

fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Applies a source message; Docker snapshots also feed the action layer's
/// image history (roll back needs to know what ran before).
fn apply(state: &mut State, ops: &crate::ops::Ops, msg: Msg) -> Vec<Effect> {
    if let Msg::Docker(snap) = &msg {
        ops.send(Command::ObserveDocker(snap.clone()));
    }
    update(state, msg)
}

/// A 1 s tick aligned to the wall clock's second, so the header clock
/// changes on the second.
fn clock_ticks() -> tokio::time::Interval {
    let subsec = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let first = Instant::now()
        + Duration::from_nanos(1_000_000_000 - u64::from(subsec))
        + Duration::from_millis(5);
    let mut t = tokio::time::interval_at(first, Duration::from_secs(1));
    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    t
}
