//! The preset worlds: the demo and a benchmark-sized one.

use std::time::Duration;

use super::world::{Crash, DAY, HOUR, World};

impl World {
    /// Three nodes, namespaces default/shop/ml/monitoring and a dozen
    /// workloads with history (api's last rollout 4 minutes old), a crash
    /// loop, a stalled rollout, an HPA, a blue-green pair behind one
    /// Service (`shop/doorbell`, selecting the blue slot), a
    /// PodDisruptionBudget keeping 2 of api's 3 pods (the scheduler spreads
    /// each workload's pods, so every node — node-3, the one worth
    /// draining, included — runs an api pod, a node-exporter and others)
    /// and the nightly
    /// `shop/pg-backup` CronJob whose last success is 30 hours old (a 26h
    /// RPO breached): its 02:00 run since was missed, and its
    /// `startingDeadlineSeconds` keeps the controller from starting it late.
    pub fn demo() -> World {
        let h = |n: u64| Duration::from_secs(n * HOUR);
        let d = |n: u64| Duration::from_secs(n * DAY);
        World::empty()
            .seed(7)
            .node_with("node-1", |n| n.control_plane = true)
            .node("node-2")
            .node("node-3")
            .namespace("default")
            .namespace("shop")
            .namespace("ml")
            .namespace("monitoring")
            .deployment("shop", "web-client", 2, "registry.local/web-client:2.3.1")
            .port(8080)
            .age(d(9))
            .history(&[("registry.local/web-client:2.3.0", "release 2.3.0")])
            .change_cause("release 2.3.1")
            .hpa(2, 6, 70)
            .deployment("shop", "api", 3, "registry.local/api:1.4.3")
            .port(8080)
            .age(d(21))
            .ready_after(Duration::from_secs(4))
            .history(&[
                (
                    "registry.local/api:1.4.0",
                    "kubectl create deployment api --image=registry.local/api:1.4.0",
                ),
                (
                    "registry.local/api:1.4.1",
                    "kubectl set image deployment/api api=registry.local/api:1.4.1",
                ),
                (
                    "registry.local/api:1.4.2",
                    "kubectl set image deployment/api api=registry.local/api:1.4.2",
                ),
            ])
            .change_cause("kubectl set image deployment/api api=registry.local/api:1.4.3")
            .rolled_out_ago(Duration::from_secs(4 * 60))
            .pdb("shop", "api", &[("app", "api")], "2")
            .statefulset("shop", "redis", 1, "redis:7.2.4")
            .port(6379)
            .age(d(30))
            .statefulset("shop", "postgres", 1, "postgres:16.2")
            .port(5432)
            .age(d(30))
            .ready_after(Duration::from_secs(6))
            .deployment("ml", "ml-service", 1, "registry.local/ml-service:0.9.0")
            .port(8000)
            .age(Duration::from_secs(50 * 60))
            .crash(Crash::OomKilled)
            .deployment("default", "worker", 2, "registry.local/worker:1.4.2")
            .age(d(5))
            .progress_deadline(60)
            .stalled_rollout("registry.local/worker:1.5.0")
            .deployment("default", "nginx", 2, "nginx:1.25.3")
            .port(80)
            .age(d(12))
            .deployment("monitoring", "prometheus", 1, "prom/prometheus:v2.45.0")
            .port(9090)
            .age(d(30))
            .deployment("monitoring", "grafana", 1, "grafana/grafana:10.2.0")
            .port(3000)
            .age(h(30))
            .daemonset("monitoring", "node-exporter", "prom/node-exporter:v1.7.0")
            .port(9100)
            .age(d(30))
            // Blue-green: one Service, switched between two Deployments.
            .deployment("shop", "doorbell-blue", 2, "registry.local/doorbell:2.0.1")
            .selector(&[("app", "doorbell"), ("slot", "blue")])
            .port(8080)
            .without_service()
            .age(d(6))
            .deployment("shop", "doorbell-green", 2, "registry.local/doorbell:2.1.0")
            .selector(&[("app", "doorbell"), ("slot", "green")])
            .port(8080)
            .without_service()
            .age(Duration::from_secs(20 * 60))
            .service(
                "shop",
                "doorbell",
                &[("app", "doorbell"), ("slot", "blue")],
                8080,
            )
            .cronjob("shop", "pg-backup", "0 2 * * *", "postgres:16.2")
            .cronjob_label("app.kubernetes.io/name", "pg-backup")
            .cronjob_label("app.kubernetes.io/component", "backup")
            .job_command(&[
                "/bin/sh",
                "-c",
                "pg_dump --verbose --format=custom --file=/backups/orders-$(date -u +%Y%m%dT%H%M%SZ).dump orders && du -h /backups/orders-*.dump | tail -n 1",
            ])
            .job_env("PGHOST", "postgres")
            .job_env("PGUSER", "backup")
            .job_volume("pg-backups", "/backups")
            .job_runs_for(Duration::from_secs(40))
            .backoff_limit(2)
            .concurrency_policy("Forbid")
            .starting_deadline(600)
            .cronjob_age(d(30))
            .last_success_ago(h(30))
    }

    /// `deployments` Deployments of `pods_per` pods over `nodes` nodes in ten
    /// namespaces, settled (all pods running), for benchmarks.
    pub fn scale(deployments: usize, pods_per: usize, nodes: usize) -> World {
        let mut w = World::empty().seed(11).history_limit(200_000);
        for n in 0..nodes {
            w = w.node_with(&format!("node-{:04}", n + 1), |s| {
                s.cpu = 32;
                s.memory_gib = 128;
            });
        }
        for n in 0..deployments {
            let ns = format!("bench-{:02}", n % 10);
            w = w
                .deployment(
                    &ns,
                    &format!("app-{:04}", n + 1),
                    pods_per as i64,
                    "registry.local/app:1.0.0",
                )
                .age(Duration::from_secs(DAY));
        }
        w
    }
}
