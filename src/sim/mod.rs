//! The demo world: simulated services on loopback that the board watches
//! through exactly the same HTTP and TCP code paths as production.
//! Used by `opsboard demo` and by tests, never by the layers above.

pub mod http;
pub mod script;

use std::time::Duration;

use crate::config::{Config, Defaults, EnvironmentConfig, ProbeConfig, ProbeUrl, ServiceConfig};
use http::{Instance, RunningInstance};
use script::Script;

/// A running demo world.
pub struct DemoWorld {
    /// `(service, environment, probe URLs)` in display order.
    pub services: Vec<(String, Option<String>, Vec<String>)>,
    instances: Vec<RunningInstance>,
}

impl Drop for DemoWorld {
    fn drop(&mut self) {
        for i in &self.instances {
            i.task.abort();
        }
    }
}

/// One simulated replica: its script, version and traffic (requests/s).
type Replica = (Script, &'static str, f64);

const MS: fn(u64) -> Duration = Duration::from_millis;
const S: fn(u64) -> Duration = Duration::from_secs;

impl DemoWorld {
    /// Starts every simulated service on an ephemeral loopback port.
    pub async fn start() -> std::io::Result<DemoWorld> {
        let plan: Vec<(&str, &str, Vec<Replica>)> = vec![
            (
                "web-client",
                "production",
                vec![
                    (Script::Steady { latency: MS(25) }, "2.3.1", 120.0),
                    (
                        Script::Flapping {
                            up: S(10),
                            down: S(8),
                        },
                        "2.3.1",
                        118.0,
                    ),
                ],
            ),
            (
                "api",
                "production",
                vec![(Script::Steady { latency: MS(40) }, "1.4.2", 240.0)],
            ),
            (
                "ml-service",
                "production",
                vec![(
                    Script::DegradedDependency { latency: MS(180) },
                    "0.9.0",
                    12.0,
                )],
            ),
            (
                "nginx",
                "production",
                vec![(
                    Script::Slow {
                        min: MS(150),
                        max: MS(1400),
                    },
                    "1.25.3",
                    400.0,
                )],
            ),
            (
                "worker",
                "production",
                vec![(
                    Script::Outage {
                        start: S(0),
                        length: S(40),
                        every: S(150),
                    },
                    "1.4.2",
                    30.0,
                )],
            ),
            (
                "grafana",
                "staging",
                vec![(Script::Steady { latency: MS(60) }, "10.2.0", 3.0)],
            ),
            (
                "prometheus",
                "staging",
                vec![(Script::Steady { latency: MS(15) }, "2.45.0", 20.0)],
            ),
        ];
        let mut services = Vec::new();
        let mut instances = Vec::new();
        let mut seed = 1u64;
        for (name, env, replicas) in plan {
            let mut urls = Vec::new();
            for (script, version, rps) in replicas {
                seed += 1;
                let running = Instance::new(name, script, version, seed, rps)
                    .serve()
                    .await?;
                urls.push(format!("http://{}/health", running.addr));
                instances.push(running);
            }
            services.push((name.to_string(), Some(env.to_string()), urls));
        }
        for (name, greeting) in [("redis", &b"+PONG\r\n"[..]), ("postgres", &b""[..])] {
            let running = http::serve_tcp(greeting).await?;
            services.push((
                name.to_string(),
                Some("production".into()),
                vec![format!("tcp://{}", running.addr)],
            ));
            instances.push(running);
        }
        Ok(DemoWorld {
            services,
            instances,
        })
    }

    /// The config the demo board runs with: fast polling so the scripted
    /// behaviour shows within seconds.
    pub fn config(&self) -> Config {
        let mut environments = std::collections::BTreeMap::new();
        environments.insert(
            "production".to_string(),
            EnvironmentConfig {
                protected: true,
                read_only: false,
            },
        );
        environments.insert("staging".to_string(), EnvironmentConfig::default());
        Config {
            defaults: Defaults {
                interval: S(2),
                timeout: MS(1000),
                failure_threshold: 2,
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
                })
                .collect(),
            ..Config::default()
        }
    }
}
