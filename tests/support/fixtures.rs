//! A deterministic board for snapshot tests: fixed clock, scripted probe
//! histories, every status represented.

#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use opsboard::app::{Banner, Keymap, State};
use opsboard::model::{
    DependencyCheck, Health, HealthReport, ProbeFailure, ProbeOutcome, ProbeState, Service,
};

pub fn t(s: u64) -> SystemTime {
    // 2026-11-21T09:00:00Z
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_251_600 + s)
}

fn ok(at: u64, ms: u64) -> ProbeOutcome {
    ProbeOutcome {
        at: t(at),
        latency: Duration::from_millis(ms),
        http_status: Some(200),
        report: Some(HealthReport {
            stated: Some(Health::Up),
            checks: vec![DependencyCheck {
                name: "database".into(),
                status: Health::Up,
                detail: None,
            }],
            version: Some("1.4.2".into()),
        }),
        result: Ok(Health::Up),
    }
}

fn down_503(at: u64) -> ProbeOutcome {
    ProbeOutcome {
        at: t(at),
        latency: Duration::from_millis(12),
        http_status: Some(503),
        report: Some(HealthReport {
            stated: Some(Health::Down),
            checks: vec![
                DependencyCheck {
                    name: "queue".into(),
                    status: Health::Up,
                    detail: None,
                },
                DependencyCheck {
                    name: "database".into(),
                    status: Health::Down,
                    detail: Some("error: connection refused (10.0.3.7:5432)".into()),
                },
            ],
            version: Some("1.4.2".into()),
        }),
        result: Err(ProbeFailure::HttpStatus { code: 503 }),
    }
}

fn probe(target: &str, outcomes: impl IntoIterator<Item = ProbeOutcome>) -> ProbeState {
    let mut p = ProbeState::new(target.into(), Duration::from_secs(10), 3);
    for o in outcomes {
        p.apply(o);
    }
    p
}

fn service(name: &str, env: &str, probes: Vec<ProbeState>) -> Service {
    let mut s = Service::new(name);
    s.environment = Some(env.into());
    s.probes = probes;
    s
}

/// Nine services: down, degraded, flapping-but-up, slow, timing out, TLS
/// unverified, never polled, TCP, plain up.
pub fn services() -> Vec<Service> {
    let wave = |i: u64| 20 + (i * 37 % 23);
    let mut out = Vec::new();
    out.push(service(
        "worker",
        "production",
        vec![probe(
            "http://10.0.1.20:8080/health",
            (0..20).map(|i| {
                if i < 15 {
                    ok(i * 10, wave(i))
                } else {
                    down_503(i * 10)
                }
            }),
        )],
    ));
    out.push(service(
        "ml-service",
        "production",
        vec![probe(
            "http://10.0.1.30:8000/health",
            (0..20).map(|i| {
                let mut o = ok(i * 10, 150 + wave(i));
                o.report = Some(HealthReport {
                    stated: Some(Health::Degraded),
                    checks: vec![
                        DependencyCheck {
                            name: "model".into(),
                            status: Health::Up,
                            detail: None,
                        },
                        DependencyCheck {
                            name: "gpu".into(),
                            status: Health::Degraded,
                            detail: Some("error: GPU memory 94% used".into()),
                        },
                    ],
                    version: Some("0.9.0".into()),
                });
                o.result = Ok(Health::Degraded);
                o
            }),
        )],
    ));
    out.push(service(
        "web-client",
        "production",
        vec![
            probe(
                "http://10.0.1.11:3000/health",
                (0..20).map(|i| ok(i * 10, wave(i))),
            ),
            probe(
                "http://10.0.1.12:3000/health",
                (0..20).map(|i| {
                    if i == 19 {
                        down_503(i * 10)
                    } else {
                        ok(i * 10, wave(i + 3))
                    }
                }),
            ),
        ],
    ));
    out.push(service(
        "nginx",
        "production",
        vec![probe(
            "http://10.0.1.2/healthz",
            (0..20).map(|i| ok(i * 10, 150 + i * 60)),
        )],
    ));
    out.push(service(
        "payments-gateway-eu-west-1",
        "production",
        vec![probe(
            "https://pay.internal/health",
            (0..20).map(|i| {
                if i >= 18 {
                    ProbeOutcome {
                        at: t(i * 10),
                        latency: Duration::from_secs(5),
                        http_status: None,
                        report: None,
                        result: Err(ProbeFailure::Timeout { after_ms: 5000 }),
                    }
                } else {
                    ok(i * 10, 80)
                }
            }),
        )],
    ));
    let mut legacy = probe(
        "https://legacy.internal/health",
        (0..20).map(|i| ok(i * 10, 45)),
    );
    legacy.insecure_tls = true;
    out.push(service("legacy-admin", "staging", vec![legacy]));
    out.push(service(
        "reports",
        "staging",
        vec![probe("http://10.0.9.9/health", [])],
    ));
    out.push(service(
        "redis",
        "production",
        vec![probe("tcp://10.0.2.5:6379", (0..20).map(|i| ok(i * 10, 1)))],
    ));
    out.push(service(
        "api",
        "production",
        vec![probe(
            "http://10.0.1.10:8080/health",
            (0..20).map(|i| ok(i * 10, 30 + i % 5)),
        )],
    ));
    out
}

pub fn state(width: u16, height: u16) -> State {
    let mut s = State::new(services(), Keymap::default(), Banner::default(), t(195));
    s.width = width;
    s.height = height;
    s.last_poll = Some(t(190));
    s.reorder();
    s
}

use opsboard::model::{
    ActionPlan, BackupFile, BackupJob, BackupKind, Confirmation, FollowUp, FollowUpResult, Job,
    JobId, JobResult, LastRun, Outcome, Progress, Risk, Target, Verb,
};

fn backup_file(job: &str, age: u64, size: u64, verified: Option<bool>) -> BackupFile {
    BackupFile {
        path: format!(
            "/var/backups/opsboard/{job}/{job}_2026112{}T0{}0000Z.bak",
            age % 9,
            age % 7
        )
        .into(),
        taken: t(195) - Duration::from_secs(age),
        size,
        verified,
    }
}

/// Four jobs: RPO met, breached (old), never run, and a failed last run.
pub fn backups() -> Vec<BackupJob> {
    let job = |name: &str, service: &str, kind: BackupKind, rpo: Option<u64>| BackupJob {
        name: name.into(),
        service: service.into(),
        kind,
        dir: format!("/var/backups/opsboard/{name}").into(),
        rpo: rpo.map(Duration::from_secs),
        keep_last: Some(7),
        max_age: Some(Duration::from_secs(30 * 86400)),
        files: vec![],
        scan_error: None,
        last_run: None,
    };
    let mut redis = job("redis-nightly", "redis", BackupKind::Redis, Some(26 * 3600));
    redis.files = vec![
        backup_file("redis-nightly", 3 * 3600, 48 * 1024 * 1024, Some(true)),
        backup_file("redis-nightly", 27 * 3600, 47 * 1024 * 1024, Some(true)),
    ];
    redis.last_run = Some(LastRun {
        at: t(195) - Duration::from_secs(3 * 3600),
        ok: true,
        duration: Duration::from_secs(12),
        message: "wrote …".into(),
    });
    let mut pg = job("orders-db", "postgres", BackupKind::Postgres, Some(3600));
    pg.files = vec![
        backup_file("orders-db", 5 * 3600, 310 * 1024 * 1024, Some(true)),
        backup_file("orders-db", 600, 300 * 1024 * 1024, Some(false)),
    ];
    pg.last_run = Some(LastRun {
        at: t(195) - Duration::from_secs(600),
        ok: false,
        duration: Duration::from_secs(95),
        message: "pg_restore --list failed: unexpected EOF".into(),
    });
    let uploads = job("uploads", "web-client", BackupKind::Files, Some(24 * 3600));
    let mut export = job("audit-export", "api", BackupKind::Command, None);
    export.files = vec![backup_file("audit-export", 2 * 86400, 1200, None)];
    vec![redis, pg, uploads, export]
}

fn plan(id: u64, verb: Verb, name: &str, service: &str, env: &str) -> ActionPlan {
    ActionPlan {
        id,
        target: Target { key: format!("backup/{name}"), name: name.into(), service: Some(service.into()), environment: Some(env.into()) },
        verb,
        parameters: [("kind".to_string(), "redis".to_string()), ("address".to_string(), "10.0.2.5:6379".to_string()), ("password".to_string(), "${REDIS_PASSWORD}".to_string())].into_iter().collect(),
        what_will_happen: vec![
            "connect to redis at 10.0.2.5:6379 and stream an RDB snapshot (as `redis-cli --rdb` does)".into(),
            "write /var/backups/opsboard/redis-nightly/redis-nightly_<UTC time>.rdb via a temp file, fsync, rename; SHA-256 beside it".into(),
            "verify it: checksum, redis-check-rdb".into(),
        ],
        risk: Risk::Low,
        confirmation: Confirmation::TypeName(name.into()),
        dry_run: None,
        follow_up: None,
        cancellable: true,
    }
}

/// A protected backup plan, as the confirm dialog shows it.
pub fn protected_plan() -> ActionPlan {
    plan(7, Verb::Backup, "redis-nightly", "redis", "production")
}

/// Three jobs: one running with progress, one succeeded with a follow-up,
/// one failed with output.
pub fn jobs() -> Vec<Job> {
    let mut ok = Job::new(
        JobId(1),
        plan(
            1,
            Verb::Runbook("flush-cache".into()),
            "api",
            "api",
            "production",
        ),
        t(100),
    );
    ok.plan.follow_up = Some(FollowUp::HealthUp {
        service: "api".into(),
        within: Duration::from_secs(30),
    });
    for l in [
        "flushing cache of api",
        "evicted shard 1",
        "evicted shard 2",
        "done",
    ] {
        ok.push_output(l.into());
    }
    ok.finished = Some((
        t(103),
        JobResult {
            outcome: Outcome::Succeeded,
            message: "completed".into(),
            follow_up: Some(FollowUpResult {
                passed: true,
                detail: "api health Up after 1.2s".into(),
            }),
            exit_code: Some(0),
        },
    ));
    let mut failed = Job::new(
        JobId(2),
        plan(2, Verb::Backup, "orders-db", "postgres", "production"),
        t(150),
    );
    failed.finished = Some((
        t(160),
        JobResult {
            outcome: Outcome::Failed,
            message: "pg_dump exited with status 1: connection refused".into(),
            follow_up: None,
            exit_code: Some(1),
        },
    ));
    let mut running = Job::new(
        JobId(3),
        plan(3, Verb::Backup, "redis-nightly", "redis", "production"),
        t(190),
    );
    running.progress = Progress {
        bytes: Some(12 * 1024 * 1024 + 300_000),
        step: None,
        phase: Some("streaming".into()),
    };
    vec![ok, failed, running]
}

pub fn state_with_actions(width: u16, height: u16) -> State {
    let mut s = state(width, height);
    s.backups = backups();
    s.jobs = jobs();
    s.audit_path = Some("/home/oncall/.local/share/opsboard/audit.jsonl".into());
    // A tick evaluates the local rules (backup RPO alerts).
    opsboard::app::update(&mut s, opsboard::app::Msg::Tick(t(195)));
    s
}

use opsboard::model::{
    ClusterEvent, ClusterSnapshot, EventInfo, EventType, HpaInfo, NodeInfo, PodInfo,
    ResourceStatus, RevisionInfo, RolloutState, Workload, WorkloadKind, WorkloadRef,
};

fn wref(ns: &str, kind: WorkloadKind, name: &str) -> WorkloadRef {
    WorkloadRef {
        context: "prod".into(),
        namespace: ns.into(),
        kind,
        name: name.into(),
    }
}

fn pod(
    name: &str,
    ready: bool,
    restarts: i32,
    waiting: Option<&str>,
    last: Option<&str>,
    node: &str,
    age: u64,
) -> PodInfo {
    PodInfo {
        name: name.into(),
        namespace: "shop".into(),
        phase: "Running".into(),
        ready_containers: u32::from(ready),
        containers: 1,
        container_names: vec!["api".into()],
        restarts,
        waiting_reason: waiting.map(str::to_string),
        last_termination: last.map(str::to_string),
        node: Some(node.into()),
        created: Some(t(195) - Duration::from_secs(age)),
        deleting: false,
    }
}

fn rev(n: i64, image: &str, cause: Option<&str>, age: u64) -> RevisionInfo {
    RevisionInfo {
        revision: n,
        images: vec![image.into()],
        change_cause: cause.map(str::to_string),
        created: Some(t(195) - Duration::from_secs(age)),
        by: (n > 1).then(|| "kubectl-set".into()),
    }
}

/// A cluster `prod`: a healthy deployment with history and an HPA, a
/// stalled rollout, a crash loop, and a discovered DaemonSet.
pub fn cluster() -> ClusterSnapshot {
    let api = Workload {
        stale: None,
        id: wref("shop", WorkloadKind::Deployment, "api"),
        desired: 3,
        ready: 3,
        updated: 3,
        available: 3,
        images: vec!["registry.local/shop/api:1.4.2".into()],
        revision: Some("3".into()),
        paused: false,
        rollout: RolloutState::Complete,
        hpa: Some(HpaInfo {
            name: "api".into(),
            min: 2,
            max: 6,
            current: 3,
            desired: 3,
            cpu_percent: Some(41),
            cpu_target: Some(70),
        }),
        pods: vec![
            pod("api-7c9f8d6b5-4xkqz", true, 0, None, None, "node-a", 7200),
            pod("api-7c9f8d6b5-9wq2m", true, 0, None, None, "node-b", 7200),
            pod(
                "api-7c9f8d6b5-tr8vn",
                true,
                1,
                None,
                Some("Error"),
                "node-c",
                7100,
            ),
        ],
        history: vec![
            rev(
                1,
                "registry.local/shop/api:1.4.0",
                Some("initial"),
                86400 * 3,
            ),
            rev(
                2,
                "registry.local/shop/api:1.4.1",
                Some("fix checkout timeout"),
                86400,
            ),
            rev(
                3,
                "registry.local/shop/api:1.4.2",
                Some("add EU VAT rates"),
                7200,
            ),
        ],
        events: vec![],
    };
    let worker = Workload {
        stale: None,
        id: wref("shop", WorkloadKind::Deployment, "worker"),
        desired: 2,
        ready: 2,
        updated: 1,
        available: 2,
        images: vec!["registry.local/shop/worker:2.0.0".into()],
        revision: Some("5".into()),
        paused: false,
        rollout: RolloutState::Stalled(
            "deployment \"worker\" exceeded its progress deadline".into(),
        ),
        hpa: None,
        pods: vec![
            pod(
                "worker-5d8c7f9b4-abcde",
                true,
                0,
                None,
                None,
                "node-a",
                86400,
            ),
            pod(
                "worker-5d8c7f9b4-fghij",
                true,
                0,
                None,
                None,
                "node-b",
                86400,
            ),
            pod(
                "worker-6f7d9c8a1-klmno",
                false,
                0,
                None,
                None,
                "node-c",
                900,
            ),
        ],
        history: vec![
            rev(4, "registry.local/shop/worker:1.9.3", None, 86400),
            rev(5, "registry.local/shop/worker:2.0.0", Some("queue v2"), 900),
        ],
        events: vec![EventInfo {
            reason: "ProgressDeadlineExceeded".into(),
            message: "ReplicaSet \"worker-6f7d9c8a1\" has timed out progressing.".into(),
            count: 1,
            last: Some(t(195) - Duration::from_secs(300)),
            object: "Deployment/worker".into(),
        }],
    };
    let ml = Workload {
        stale: None,
        id: wref("ml", WorkloadKind::Deployment, "ml-service"),
        desired: 1,
        ready: 0,
        updated: 1,
        available: 0,
        images: vec!["registry.local/ml/ml-service:0.9.0".into()],
        revision: Some("2".into()),
        paused: false,
        rollout: RolloutState::Progressing("Waiting for deployment \"ml-service\" rollout to finish: 0 of 1 updated replicas are available...".into()),
        hpa: None,
        pods: vec![pod("ml-service-84c6d5f7b9-zz9xq", false, 14, Some("CrashLoopBackOff"), Some("OOMKilled"), "node-b", 3600)],
        history: vec![],
        events: vec![EventInfo {
            reason: "BackOff".into(),
            message: "Back-off restarting failed container ml-service".into(),
            count: 14,
            last: Some(t(195) - Duration::from_secs(40)),
            object: "Pod/ml-service-84c6d5f7b9-zz9xq".into(),
        }],
    };
    let exporter = Workload {
        stale: None,
        id: wref("monitoring", WorkloadKind::DaemonSet, "node-exporter"),
        desired: 3,
        ready: 3,
        updated: 3,
        available: 3,
        images: vec!["quay.io/prometheus/node-exporter:v1.7.0".into()],
        revision: Some("1".into()),
        paused: false,
        rollout: RolloutState::Complete,
        hpa: None,
        pods: vec![],
        history: vec![],
        events: vec![],
    };
    let node = |name: &str, ready: bool, pressures: &[&str], cordoned: bool, pods: u32| NodeInfo {
        context: "prod".into(),
        name: name.into(),
        ready,
        pressures: pressures.iter().map(|p| p.to_string()).collect(),
        unschedulable: cordoned,
        pods,
        kubelet: Some("v1.30.4".into()),
        roles: vec![],
        created: Some(t(195) - Duration::from_secs(86400 * 40)),
    };
    ClusterSnapshot {
        context: "prod".into(),
        workloads: vec![api, worker, ml, exporter],
        nodes: vec![
            node("node-a", true, &[], false, 14),
            node("node-b", false, &["MemoryPressure"], false, 11),
            node("node-c", true, &[], true, 9),
        ],
        events: cluster_events(),
        namespaces: ["default", "kube-system", "ml", "monitoring", "shop"]
            .map(String::from)
            .to_vec(),
        resources: vec![
            ("deployments".into(), ResourceStatus::Ok),
            (
                "events".into(),
                ResourceStatus::Forbidden("cannot list events in any namespace (RBAC)".into()),
            ),
        ],
        pairs: vec![],
        error: None,
    }
}

/// The `prod` cluster's events, as the source folds them: a crash loop,
/// a stalled rollout, a pod that cannot be scheduled, a node gone
/// NotReady, and the Normal events of a rollout and a rescale.
pub fn cluster_events() -> Vec<ClusterEvent> {
    let ev = |ty: EventType,
              reason: &str,
              ns: &str,
              kind: &str,
              name: &str,
              message: &str,
              count: u32,
              first: u64,
              last: u64| ClusterEvent {
        context: "prod".into(),
        namespace: ns.into(),
        type_: ty,
        reason: reason.into(),
        object_kind: kind.into(),
        object_name: name.into(),
        message: message.into(),
        count,
        first: Some(t(195) - Duration::from_secs(first)),
        last: Some(t(195) - Duration::from_secs(last)),
        source: match (kind, reason) {
            (_, "FailedScheduling" | "Scheduled") => "default-scheduler",
            ("Pod" | "Node", _) => "kubelet",
            _ => "deployment-controller",
        }
        .into(),
    };
    use EventType::{Normal, Warning};
    vec![
        ev(
            Warning,
            "BackOff",
            "ml",
            "Pod",
            "ml-service-84c6d5f7b9-zz9xq",
            "Back-off restarting failed container ml-service in pod ml-service-84c6d5f7b9-zz9xq_ml(5f1c2a9e-0b7d-4a51-9a53-c1e2d3f4a5b6)",
            14,
            3500,
            5,
        ),
        ev(
            Warning,
            "FailedScheduling",
            "shop",
            "Pod",
            "worker-6f7d9c8a1-klmno",
            "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }, 1 node(s) were unschedulable, 1 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
            6,
            900,
            40,
        ),
        ev(
            Warning,
            "NodeNotReady",
            "default",
            "Node",
            "node-b",
            "Node node-b status is now: NodeNotReady",
            1,
            300,
            300,
        ),
        ev(
            Warning,
            "ProgressDeadlineExceeded",
            "shop",
            "Deployment",
            "worker",
            "ReplicaSet \"worker-6f7d9c8a1\" has timed out progressing.",
            1,
            600,
            600,
        ),
        ev(
            Normal,
            "SuccessfulRescale",
            "shop",
            "HorizontalPodAutoscaler",
            "api",
            "New size: 3; reason: cpu resource utilization (percentage of request) above target",
            2,
            1800,
            720,
        ),
        ev(
            Normal,
            "SuccessfulCreate",
            "shop",
            "ReplicaSet",
            "worker-6f7d9c8a1",
            "Created pod: worker-6f7d9c8a1-klmno",
            1,
            900,
            900,
        ),
        ev(
            Normal,
            "ScalingReplicaSet",
            "shop",
            "Deployment",
            "worker",
            "Scaled up replica set worker-6f7d9c8a1 to 1",
            1,
            900,
            900,
        ),
        ev(
            Normal,
            "Started",
            "shop",
            "Pod",
            "api-7c9f8d6b5-4xkqz",
            "Started container api",
            1,
            7190,
            7190,
        ),
        ev(
            Normal,
            "Created",
            "shop",
            "Pod",
            "api-7c9f8d6b5-4xkqz",
            "Created container api",
            1,
            7191,
            7191,
        ),
        ev(
            Normal,
            "Pulled",
            "shop",
            "Pod",
            "api-7c9f8d6b5-4xkqz",
            "Container image \"registry.local/shop/api:1.4.2\" already present on machine",
            1,
            7192,
            7192,
        ),
        ev(
            Normal,
            "Scheduled",
            "shop",
            "Pod",
            "api-7c9f8d6b5-4xkqz",
            "Successfully assigned shop/api-7c9f8d6b5-4xkqz to node-a",
            1,
            7195,
            7195,
        ),
    ]
}

/// The Events pane on the fixture board with `prod` joined (its events
/// watched, not refused as in [`cluster`]).
pub fn state_with_events(width: u16, height: u16) -> State {
    let mut s = state_with_kube(width, height);
    if let Some(c) = s.clusters.get_mut("prod") {
        for (r, status) in &mut c.resources {
            if r == "events" {
                *status = ResourceStatus::Ok;
            }
        }
    }
    crate::support::key(&mut s, crossterm::event::KeyCode::Char('7'));
    s
}

/// The fixture board with the `prod` cluster joined: api, worker and
/// ml-service are bound in config; node-exporter is discovered.
pub fn state_with_kube(width: u16, height: u16) -> State {
    let mut s = state(width, height);
    for (svc, w) in [
        ("api", wref("shop", WorkloadKind::Deployment, "api")),
        ("worker", wref("shop", WorkloadKind::Deployment, "worker")),
        (
            "ml-service",
            wref("ml", WorkloadKind::Deployment, "ml-service"),
        ),
    ] {
        if let Some(x) = s.services.iter_mut().find(|x| x.name == svc) {
            x.kube_binding = Some(w);
        }
    }
    // The source reports its scope first (the kubeconfig's current
    // context, every namespace), then the cluster.
    opsboard::app::update(&mut s, opsboard::app::Msg::KubeScope(scope_report()));
    opsboard::app::update(&mut s, opsboard::app::Msg::Kube(Box::new(cluster())));
    s
}

/// The `prod` context watched in every namespace; the kubeconfig has
/// `prod` (current) and `staging`.
pub fn scope_report() -> opsboard::model::kube_scope::ScopeReport {
    opsboard::model::kube_scope::ScopeReport {
        generation: 0,
        scope: opsboard::model::kube_scope::KubeScope {
            contexts: vec!["prod".into()],
            namespaces: vec![],
        },
        contexts: vec!["prod".into(), "staging".into()],
        current: Some("prod".into()),
    }
}

use opsboard::app::{MetricsUpdate, Msg};
use opsboard::model::metrics::{CustomValue, MetricPoint};
use opsboard::model::{
    Alert, AlertSource, AlertState, Matcher, ScrapeTarget, Severity, Silence, SilenceState,
};

fn remote_alert(
    src: AlertSource,
    name: &str,
    sev: &str,
    state: AlertState,
    job: &str,
    since: u64,
) -> Alert {
    let mut a = Alert::local(name, Severity::from_label(Some(sev)), String::new());
    a.source = src;
    a.origin = "main".into();
    a.state = state;
    a.labels.insert("severity".into(), sev.into());
    a.labels.insert("job".into(), job.into());
    a.annotations
        .insert("summary".into(), format!("{name} on {job}"));
    a.summary = format!("{name} on {job}");
    a.since = Some(t(since));
    a
}

/// An hour of metrics for `web-client`: traffic, an error burst, latency.
pub fn metric_points() -> Vec<MetricPoint> {
    (0..240u32)
        .map(|i| {
            let at = 1_795_251_600 + 195 - 3600 + i * 15;
            let wave = ((i as f32) / 20.0).sin();
            MetricPoint {
                at_s: at,
                req_rate: 40.0 + 10.0 * wave,
                error_ratio: if (180..200).contains(&i) { 0.07 } else { 0.002 },
                p50: 0.04,
                p95: 0.12 + 0.05 * wave,
                p99: 0.3,
                cpu: 0.4,
                mem: 180.0 * 1024.0 * 1024.0,
            }
        })
        .collect()
}

/// The board with metrics on one service and alerts from every source:
/// one alert reported by both Prometheus and Alertmanager, one silenced,
/// one pending, and opsboard's own (a down service, stale backups).
pub fn state_with_alerts(width: u16, height: u16) -> State {
    let mut s = state(width, height);
    s.backups = backups();
    s.alerts.alertmanagers = vec!["main".into()];
    let web = s
        .services
        .iter()
        .position(|x| x.name == "web-client")
        .expect("fixture has web-client");
    update_all(
        &mut s,
        vec![
            Msg::Metrics {
                service: web,
                generation: 0,
                update: MetricsUpdate {
                    points: metric_points(),
                    custom: Some(vec![CustomValue {
                        label: "queue".into(),
                        value: Some(42.0),
                        unit: Some("jobs".into()),
                    }]),
                    at: Some(t(195)),
                    ..MetricsUpdate::default()
                },
            },
            Msg::RemoteAlerts {
                source: AlertSource::Prometheus,
                server: "main".into(),
                at: t(190),
                alerts: Ok(vec![
                    {
                        let mut a = remote_alert(
                            AlertSource::Prometheus,
                            "HighErrorRate",
                            "critical",
                            AlertState::Firing,
                            "web-client",
                            100,
                        );
                        a.value = Some("0.071".into());
                        a
                    },
                    remote_alert(
                        AlertSource::Prometheus,
                        "DiskFilling",
                        "warning",
                        AlertState::Pending,
                        "node",
                        150,
                    ),
                ]),
            },
            Msg::RemoteAlerts {
                source: AlertSource::Alertmanager,
                server: "main".into(),
                at: t(190),
                alerts: Ok(vec![
                    {
                        let mut a = remote_alert(
                            AlertSource::Alertmanager,
                            "HighErrorRate",
                            "critical",
                            AlertState::Firing,
                            "web-client",
                            100,
                        );
                        a.annotations
                            .insert("runbook_url".into(), "https://runbooks/errors".into());
                        a.receivers = vec!["pager".into()];
                        a.fingerprint = Some("4f1c2d".into());
                        a
                    },
                    {
                        let mut a = remote_alert(
                            AlertSource::Alertmanager,
                            "RedisMemoryHigh",
                            "warning",
                            AlertState::Suppressed,
                            "redis",
                            20,
                        );
                        a.silenced_by = vec!["a1b2c3".into()];
                        a
                    },
                ]),
            },
            Msg::Silences {
                server: "main".into(),
                silences: Ok(vec![Silence {
                    id: "a1b2c3".into(),
                    origin: "main".into(),
                    matchers: vec![Matcher::equal("alertname", "RedisMemoryHigh")],
                    starts_at: t(30),
                    ends_at: t(30 + 7200),
                    created_by: "alice@bastion".into(),
                    comment: "resizing tonight".into(),
                    state: SilenceState::Active,
                }]),
            },
            Msg::PromTargets {
                server: "main".into(),
                at: t(190),
                targets: Ok(vec![
                    target("web-client", "10.0.0.5:8080", true),
                    target("web-client", "10.0.0.6:8080", true),
                    target("node", "10.0.0.5:9100", true),
                    target("node", "10.0.0.7:9100", false),
                ]),
                rules: Ok(vec![]),
            },
            Msg::Tick(t(195)),
        ],
    );
    s
}

fn target(job: &str, instance: &str, up: bool) -> ScrapeTarget {
    ScrapeTarget {
        origin: "main".into(),
        job: job.into(),
        instance: instance.into(),
        scrape_url: format!("http://{instance}/metrics"),
        health: if up { Health::Up } else { Health::Down },
        last_error: (!up).then(|| "connection refused".into()),
        last_scrape: Some(t(188)),
        labels: Default::default(),
    }
}

pub fn update_all(s: &mut State, msgs: Vec<Msg>) {
    for m in msgs {
        opsboard::app::update(s, m);
    }
}
