//! One round from every configured source, bounded by a wait, for
//! `opsboard snapshot --markdown`: health probes, metrics scrapes and
//! Prometheus queries, Prometheus and Alertmanager alerts, Docker hosts,
//! Kubernetes contexts (listed, not watched), device fleets and backup
//! directories. Each source runs its one-shot entry point (the same code
//! the board's sources run) in its own task; what it brings is the same
//! `Msg` the live board receives, fed through `update` into `State` as it
//! arrives. A source that has said nothing when the wait is over is
//! listed as not answered, with what it was doing, and left behind.

mod audit;
mod round;

pub use audit::{AuditSummary, RECENT_ACTIONS, audit_summary};
pub use round::NotAnswered;
use round::{Reporter, Round};

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use crate::app::{Msg, State, update};
use crate::assemble::metrics::MetricsPlan;
use crate::clients::docker::HostSpec;
use crate::clients::kube::KubeSettings;
use crate::clients::probe::{ProbeSpec, Prober};
use crate::ops::backup::BackupSpec;
use crate::runtime::KubeSetup;
use crate::sources::fleet::FleetPlan;

/// How far apart the two scrapes of a metrics endpoint are: rates and
/// latency quantiles come from the difference of two scrapes.
const RATE_WINDOW: Duration = Duration::from_secs(2);

/// What one round is gathered from: the first `State` and every source's
/// settings, as `assemble` made them.
pub struct GatherPlan {
    pub state: State,
    pub probes: Vec<ProbeSpec>,
    pub max_concurrent_probes: usize,
    pub metrics: MetricsPlan,
    pub docker: Option<Vec<HostSpec>>,
    pub kube: Option<KubeSettings>,
    /// Runs before the Kubernetes contexts are connected to (the demo
    /// starts its simulated cluster here); kept alive until the round ends.
    pub kube_setup: Option<KubeSetup>,
    pub fleet: FleetPlan,
    pub backups: Vec<BackupSpec>,
}

impl GatherPlan {
    /// The plan for what `assembled` describes (its Kubernetes settings
    /// included), with the first `State` as the board would start, and the
    /// audit log to read.
    pub fn from_assembled(
        assembled: crate::assemble::Assembled,
        banner: crate::app::Banner,
        max_concurrent_probes: usize,
        kube_setup: Option<KubeSetup>,
        now: SystemTime,
    ) -> (GatherPlan, Option<crate::ops::audit::AuditLog>) {
        let docker = assembled.docker.clone();
        let kube = assembled.kube.clone();
        let metrics = assembled.metrics.clone();
        let fleet = assembled.fleet.clone();
        let (mut state, probes, ops) =
            assembled.into_board(crate::app::Keymap::default(), banner, now);
        state.generation = 1;
        let plan = GatherPlan {
            state,
            probes,
            max_concurrent_probes,
            metrics,
            docker,
            kube,
            kube_setup,
            fleet,
            backups: ops.catalog.backups.into_iter().map(|b| b.spec).collect(),
        };
        (plan, ops.audit)
    }
}

/// The round's result: the state every answer was fed into (local rules
/// evaluated at the end), and the sources that did not answer.
pub struct Gathered {
    pub state: State,
    /// When the round began.
    pub started: SystemTime,
    /// How many sources were asked.
    pub sources_asked: usize,
    pub not_answered: Vec<NotAnswered>,
}

/// Runs one round of every source of `plan`, for at most `wait`.
pub async fn gather(plan: GatherPlan, wait: Duration) -> Result<Gathered, String> {
    let GatherPlan {
        mut state,
        probes,
        max_concurrent_probes,
        metrics,
        docker,
        kube,
        kube_setup,
        fleet,
        backups,
    } = plan;
    let deadline = Instant::now() + wait;
    let started = SystemTime::now();
    let generation = state.generation;
    let name = |i: usize| {
        state
            .services
            .get(i)
            .map_or_else(String::new, |s| s.name.clone())
    };
    let mut round = Round::new();

    let prober = Prober::new()?;
    let limit = Arc::new(Semaphore::new(max_concurrent_probes.max(1)));
    for spec in probes {
        let source = format!(
            "health probe of {} ({})",
            name(spec.id.service),
            spec.url.display()
        );
        let (prober, limit) = (prober.clone(), limit.clone());
        round.spawn(source, Some(spec.id.service), move |r| async move {
            let _permit = limit.acquire().await;
            let outcome = prober.probe(&spec).await;
            r.send(Msg::Probe {
                id: spec.id,
                generation,
                outcome,
            });
        });
    }

    let client = crate::sources::metrics::scrape::scrape_client()?;
    for job in metrics.scrape {
        let source = format!(
            "metrics scrape of {} ({})",
            name(job.service),
            crate::model::probe_url::redact_url(&job.url)
        );
        let client = client.clone();
        round.spawn(source, Some(job.service), move |r| async move {
            scrape_twice(&job, &client, generation, deadline, &r).await;
        });
    }
    for q in metrics.queries {
        let Some(server) = metrics.prometheus.iter().find(|p| p.spec.name == q.server) else {
            continue;
        };
        let server = server.spec.clone();
        let source = format!("Prometheus {} queries of {}", q.server, name(q.service));
        round.spawn(source, Some(q.service), move |r| async move {
            for m in crate::sources::remote::service_queries_once(&server, &q, generation).await {
                r.send(m);
            }
        });
    }
    for p in metrics.prometheus {
        round.spawn(
            format!("Prometheus {}", p.spec.name),
            None,
            move |r| async move {
                for m in crate::sources::remote::prometheus_once(&p.spec).await {
                    r.send(m);
                }
            },
        );
    }
    for a in metrics.alertmanagers {
        round.spawn(
            format!("Alertmanager {}", a.spec.name),
            None,
            move |r| async move {
                for m in crate::sources::remote::alertmanager_once(&a.spec).await {
                    r.send(m);
                }
            },
        );
    }
    for host in docker.unwrap_or_default() {
        round.spawn(format!("Docker {}", host.name), None, move |r| async move {
            r.phase("connecting or listing containers");
            let snap = crate::sources::docker::snapshot_once(&host).await;
            r.send(Msg::Docker(Box::new(snap)));
        });
    }
    for (i, f) in fleet.fleets.iter().enumerate() {
        let f = f.clone();
        round.spawn(format!("fleet {}", f.name), None, move |r| async move {
            let (tx, mut rx) = mpsc::channel(16);
            let forward = async {
                while let Some(m) = rx.recv().await {
                    r.send(m);
                }
            };
            tokio::join!(
                crate::sources::fleet_poll_once(&f, i, generation, tx),
                forward
            );
        });
    }
    for spec in backups {
        round.spawn(
            format!("backup files of {}", spec.name),
            None,
            move |r| async move {
                let job = spec.name.clone();
                let files = tokio::task::spawn_blocking(move || crate::ops::backup::scan(&spec))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                r.send(Msg::BackupsScanned { job, files });
            },
        );
    }

    // The demo's cluster starts while the other sources are asked.
    let mut _cluster = None;
    if let Some(settings) = kube {
        let ready = match kube_setup {
            Some(setup) => match tokio::time::timeout_at(deadline, setup).await {
                Ok(Ok(guard)) => {
                    _cluster = Some(guard);
                    Some(Ok(()))
                }
                Ok(Err(e)) => Some(Err(e)),
                Err(_) => None,
            },
            None => Some(Ok(())),
        };
        spawn_contexts(&mut round, settings, ready);
    }

    round.run_until(&mut state, deadline).await;
    let now = SystemTime::now();
    let _ = update(&mut state, Msg::Tick(now));
    Ok(Gathered {
        started,
        sources_asked: round.asked(),
        not_answered: round.not_answered(wait),
        state,
    })
}

/// One task per context: connect, then list every resource type once.
/// With no contexts named, the kubeconfig's current one. `ready` is how
/// the setup before connecting went: `None` when it had not finished
/// within the wait.
fn spawn_contexts(round: &mut Round, settings: KubeSettings, ready: Option<Result<(), String>>) {
    let contexts: Vec<Option<String>> = if settings.contexts.is_empty() {
        vec![None]
    } else {
        settings.contexts.iter().cloned().map(Some).collect()
    };
    for context in contexts {
        let source = match &context {
            Some(c) => format!("Kubernetes context {c}"),
            None => "Kubernetes (current context)".to_string(),
        };
        let Some(ready) = &ready else {
            round.never_started(source, "starting the cluster");
            continue;
        };
        if let Err(e) = ready {
            // Never connected: said as the board says a context it cannot use.
            let snap = crate::model::ClusterSnapshot {
                context: context.clone().unwrap_or_else(|| "kubernetes".into()),
                workloads: vec![],
                nodes: vec![],
                events: vec![],
                resources: vec![],
                namespaces: vec![],
                pairs: vec![],
                error: Some(e.clone()),
            };
            round.spawn(source, None, move |r| async move {
                r.send(Msg::Kube(Box::new(snap)));
            });
            continue;
        }
        let mut one = settings.clone();
        one.contexts = context.into_iter().collect();
        round.spawn(source, None, move |r| async move {
            r.phase("connecting");
            let namespaces = one.namespaces();
            for connected in crate::clients::kube::connect(&one).await {
                r.phase("listing");
                let snap = crate::sources::kube::list_once(connected, &namespaces).await;
                r.send(Msg::Kube(Box::new(snap)));
            }
        });
    }
}

/// Scrapes `job` once, and again [`RATE_WINDOW`] later when the wait
/// leaves room, so that rates and quantiles are known.
async fn scrape_twice(
    job: &crate::sources::metrics::scrape::ScrapeJob,
    client: &reqwest::Client,
    generation: u64,
    deadline: Instant,
    r: &Reporter,
) {
    use crate::sources::metrics::scrape::scrape_once;
    let mut prev = None;
    let first = scrape_once(job, client, &mut prev).await;
    let failed = first.error.is_some();
    r.send(Msg::Metrics {
        service: job.service,
        generation,
        update: first,
    });
    let again = Instant::now() + RATE_WINDOW;
    if failed || again + Duration::from_secs(1) > deadline {
        return;
    }
    tokio::time::sleep_until(again).await;
    let second = scrape_once(job, client, &mut prev).await;
    r.send(Msg::Metrics {
        service: job.service,
        generation,
        update: second,
    });
}
