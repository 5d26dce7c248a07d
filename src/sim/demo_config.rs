//! The config the demo board runs with: the demo services with their
//! probes, scrapes, workloads, backups and runbooks, and alert rules held
//! for less time so the demo's alerts show within a minute or two.

use crate::config::schema_metrics::{
    CustomFunctionName, CustomMetricConfig, CustomRuleConfig, HttpUrl, MetricsConfig, RulesConfig,
    SelectorText, ThresholdConfig,
};
use crate::config::schema_release::{BlueGreenBinding, ModeConfig, RollbackOnConfig};
use crate::config::{
    BackupJobConfig, Config, Defaults, EnvironmentConfig, ProbeConfig, RunbookConfig, ServiceConfig,
};
use crate::model::{BackupKind, ProbeUrl, RollbackMode};

use super::metrics::MIB;
use super::{DEMO_CONTEXT, DemoWorld, MS, S, devices};

impl DemoWorld {
    /// The config the demo board runs with: fast polling so the scripted
    /// behaviour shows within seconds.
    pub fn config(&self) -> Config {
        self.config_with_rollback(RollbackMode::Suggest)
    }

    /// [`DemoWorld::config`] with the board suggesting, performing (and in
    /// the protected production environment allowed to: `act`) or not
    /// judging the regressing api rollout.
    pub fn config_with_rollback(&self, mode: RollbackMode) -> Config {
        let mut environments = std::collections::BTreeMap::new();
        environments.insert(
            "production".to_string(),
            EnvironmentConfig {
                protected: true,
                read_only: false,
                contexts: vec![],
                automatic_rollback: mode == RollbackMode::Act,
            },
        );
        environments.insert("staging".to_string(), EnvironmentConfig::default());
        Config {
            defaults: Defaults {
                interval: S(2),
                timeout: MS(1000),
                failure_threshold: 2,
                rollback_on: RollbackOnConfig {
                    hold_for: Some(S(15)),
                    mode: Some(ModeConfig(mode)),
                    ..RollbackOnConfig::default()
                },
                ..Defaults::default()
            },
            environments,
            services: self
                .services
                .iter()
                .map(|(name, env, urls)| ServiceConfig {
                    name: name.clone(),
                    environment: env.clone(),
                    health: urls
                        .iter()
                        .filter_map(|u| ProbeUrl::parse(u).ok())
                        .map(|url| ProbeConfig {
                            url,
                            expect_status: vec![],
                            interval: None,
                            timeout: None,
                            failure_threshold: None,
                            tls_verify: true,
                            headers: Default::default(),
                            bearer: None,
                            basic: None,
                        })
                        .collect(),
                    backups: self.backups_of(name),
                    runbooks: self.runbooks_of(name),
                    kubernetes: Self::workload_of(name),
                    compose: None,
                    container: None,
                    metrics: self.metrics_of(name),
                    prometheus: None,
                    exec: None,
                    blue_green: None,
                    rollback_on: None,
                })
                .chain([doorbell()])
                .collect(),
            runbooks: vec![runbook(
                "disk-usage",
                "Show disk usage of this host",
                &["df", "-h"],
                |r| r.confirm = false,
            )],
            rules: demo_rules(),
            fleet: vec![devices::fleet_config(
                &devices::DevicePlan::demo(),
                self.devices,
                "edge",
            )],
            ..Config::default()
        }
    }

    /// Scraping a simulated service's `/metrics` every 5 s, against a
    /// 1-core, 512 MiB limit.
    fn metrics_of(&self, service: &str) -> Option<MetricsConfig> {
        let target = self.scrapes.get(service)?;
        let url = url::Url::parse(&target.url).ok()?;
        let custom = if target.queue {
            custom_gauge("queue", "ml_queue_depth", "jobs")
                .into_iter()
                .collect()
        } else {
            vec![]
        };
        Some(MetricsConfig {
            url: HttpUrl(url),
            interval: Some(S(5)),
            timeout: None,
            requests: None,
            error_label: None,
            error_values: vec![],
            latency: None,
            cpu: None,
            memory: None,
            cpu_limit_cores: Some(1.0),
            memory_limit_bytes: Some(512.0 * MIB),
            custom,
        })
    }

    /// The workload in the simulated cluster behind a demo service.
    fn workload_of(service: &str) -> Option<crate::config::WorkloadBinding> {
        let (ns, kind, name) = match service {
            "web-client" => ("shop", "deployment", "web-client"),
            "api" => ("shop", "deployment", "api"),
            "ml-service" => ("ml", "deployment", "ml-service"),
            "worker" => ("default", "deployment", "worker"),
            "nginx" => ("default", "deployment", "nginx"),
            "redis" => ("shop", "statefulset", "redis"),
            "postgres" => ("shop", "statefulset", "postgres"),
            "prometheus" => ("monitoring", "deployment", "prometheus"),
            "grafana" => ("monitoring", "deployment", "grafana"),
            _ => return None,
        };
        crate::model::WorkloadRef::parse(&format!("{DEMO_CONTEXT}/{ns}/{kind}/{name}"))
            .ok()
            .map(crate::config::WorkloadBinding)
    }

    fn backups_of(&self, service: &str) -> Vec<BackupJobConfig> {
        let job = |name: &str, kind: BackupKind, rpo: u64| BackupJobConfig {
            name: name.into(),
            kind,
            dir: None,
            rpo: Some(S(rpo)),
            keep_last: Some(5),
            max_age: None,
            timeout: Some(S(120)),
            address: None,
            username: None,
            password: None,
            url: None,
            path: None,
            command: vec![],
            extension: None,
            compress: None,
            env: Default::default(),
        };
        match service {
            "redis" => vec![BackupJobConfig {
                address: Some(self.redis.to_string()),
                ..job("redis-snapshot", BackupKind::Redis, 3600)
            }],
            "web-client" => vec![BackupJobConfig {
                path: Some(self.dir.join("uploads")),
                ..job("uploads", BackupKind::Files, 24 * 3600)
            }],
            "postgres" => vec![BackupJobConfig {
                command: [
                    "sh",
                    "-c",
                    "echo 'CREATE TABLE orders (id int, total numeric);'; i=0; while [ $i -lt 3000 ]; do echo \"INSERT INTO orders VALUES ($i, $((i * 7 % 500)).99);\"; i=$((i+1)); done",
                ]
                .map(str::to_string)
                .to_vec(),
                extension: Some("sql".into()),
                compress: Some(true),
                ..job("orders-db", BackupKind::Command, 26 * 3600)
            }],
            _ => vec![],
        }
    }

    fn runbooks_of(&self, service: &str) -> Vec<RunbookConfig> {
        match service {
            "api" => vec![runbook(
                "flush-cache",
                "Evict the API's response cache, shard by shard",
                &[
                    "sh",
                    "-c",
                    "echo \"flushing cache of $1\"; for i in 1 2 3 4; do echo \"evicted shard $i\"; sleep 0.5; done; echo done",
                    "flush-cache",
                    "{service}",
                ],
                |r| r.verify_health_within = Some(S(15)),
            )],
            "redis" => vec![runbook(
                "drop-sessions",
                "FLUSHDB on the sessions database (simulated)",
                &[
                    "sh",
                    "-c",
                    "echo 'FLUSHDB sessions (simulated)'; sleep 1; echo 'OK'",
                ],
                |r| r.dangerous = true,
            )],
            _ => vec![],
        }
    }
}

/// The default alert bounds, held for less time so the demo's alerts show
/// within a minute or two.
/// The blue-green doorbell: no probe of its own, its Service's pair in
/// the simulated cluster.
fn doorbell() -> ServiceConfig {
    ServiceConfig {
        name: "doorbell".into(),
        environment: Some("production".into()),
        health: vec![],
        backups: vec![],
        runbooks: vec![],
        kubernetes: None,
        compose: None,
        container: None,
        metrics: None,
        prometheus: None,
        exec: None,
        blue_green: crate::model::ServiceRef::parse(&format!("{DEMO_CONTEXT}/shop/doorbell"))
            .ok()
            .map(BlueGreenBinding),
        rollback_on: None,
    }
}

fn demo_rules() -> RulesConfig {
    let hold = |secs| {
        Some(ThresholdConfig {
            warning: None,
            critical: None,
            hold_for: Some(S(secs)),
        })
    };
    RulesConfig {
        error_rate: hold(30),
        latency_p95: hold(30),
        custom: vec![CustomRuleConfig {
            name: "QueueBacklog".into(),
            metric: "queue".into(),
            service: None,
            above: Some(100.0),
            below: None,
            severity: Some("warning".into()),
            hold_for: Some(S(20)),
            summary: Some("{service}: {value} jobs queued".into()),
        }],
        ..RulesConfig::default()
    }
}

/// A custom metric shown as the gauge's current value.
fn custom_gauge(label: &str, selector: &str, unit: &str) -> Option<CustomMetricConfig> {
    Some(CustomMetricConfig {
        label: label.into(),
        metric: SelectorText(selector.parse().ok()?),
        function: Some(CustomFunctionName::Gauge),
        denominator: None,
        quantile: None,
        unit: Some(unit.into()),
    })
}

fn runbook(
    name: &str,
    description: &str,
    argv: &[&str],
    tweak: impl FnOnce(&mut RunbookConfig),
) -> RunbookConfig {
    let mut r = RunbookConfig {
        name: name.into(),
        description: Some(description.into()),
        command: argv.iter().map(|s| s.to_string()).collect(),
        key: None,
        timeout: Some(S(60)),
        cwd: None,
        env: Default::default(),
        confirm: true,
        dangerous: false,
        verify_health_within: None,
    };
    tweak(&mut r);
    r
}
