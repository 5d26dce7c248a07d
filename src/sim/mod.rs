//! The demo world: simulated services on loopback that the board watches
//! through exactly the same HTTP and TCP code paths as production.
//! Used by `opsboard demo` and by tests, never by the layers above.

mod demo_config;
pub mod devices;
pub mod http;
pub mod kube;
pub mod metrics;
pub mod redis;
pub mod script;

use std::collections::BTreeMap;
use std::time::Duration;

use http::{Instance, RunningInstance};
use metrics::{MIB, Traffic};
use script::Script;

/// A running demo world.
pub struct DemoWorld {
    /// `(service, environment, probe URLs)` in display order.
    pub services: Vec<(String, Option<String>, Vec<String>)>,
    /// The `/metrics` endpoint scraped for each simulated HTTP service.
    scrapes: BTreeMap<String, ScrapeTarget>,
    instances: Vec<RunningInstance>,
    /// The simulated redis (speaks RESP and SYNC).
    redis: std::net::SocketAddr,
    /// The simulated device fleet ([`devices::DevicePlan::demo`]).
    devices: std::net::SocketAddr,
    /// Scratch space for the demo's backups, uploads and audit log; removed
    /// on drop so the demo never touches the user's real data.
    pub dir: std::path::PathBuf,
    /// Whether the simulated Kubernetes cluster is part of this world
    /// (it is started by [`DemoWorld::cluster_setup`], after the first frame).
    pub with_cluster: bool,
    /// How much of api's traffic the regressing release serves: the
    /// cluster's api pods on [`BAD_API_IMAGE`] set it.
    api_release: metrics::BadRelease,
}

/// The api release the demo rolled out a few minutes before it starts,
/// and that fails 16 % of its requests until it is rolled back.
pub const BAD_API_IMAGE: &str = "registry.local/api:1.4.3";

impl Drop for DemoWorld {
    fn drop(&mut self) {
        for i in &self.instances {
            i.task.abort();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One simulated replica: its script, version and traffic.
pub type Replica = (Script, &'static str, Traffic);

/// Where a service's metrics are scraped, and what it reports besides the
/// standard series.
struct ScrapeTarget {
    url: String,
    /// Reports `ml_queue_depth`.
    queue: bool,
}

/// The kubeconfig context of the demo's simulated cluster.
pub const DEMO_CONTEXT: &str = "demo";

const MS: fn(u64) -> Duration = Duration::from_millis;
const S: fn(u64) -> Duration = Duration::from_secs;

impl DemoWorld {
    /// The simulated HTTP services: `(name, environment, replicas)`.
    pub fn plan() -> Vec<(&'static str, &'static str, Vec<Replica>)> {
        let web = Traffic::web(50.0, 25.0);
        vec![
            (
                "web-client",
                "production",
                vec![
                    (Script::Steady { latency: MS(25) }, "2.3.1", web),
                    (
                        Script::Flapping {
                            up: S(10),
                            down: S(8),
                        },
                        "2.3.1",
                        web,
                    ),
                ],
            ),
            (
                "api",
                "production",
                vec![(
                    Script::Steady { latency: MS(40) },
                    "1.4.2",
                    Traffic {
                        sigma: 0.7,
                        memory_bytes: 160.0 * MIB,
                        ..Traffic::web(20.0, 40.0)
                    },
                )],
            ),
            (
                "ml-service",
                "production",
                vec![(
                    Script::DegradedDependency { latency: MS(180) },
                    "0.9.0",
                    // Slow inference: p95 ≈ 2–2.5 s. Busy enough that every
                    // 5 s scrape window holds a few of its 3–8 % errors.
                    Traffic {
                        rps: 10.0,
                        median_s: 0.9,
                        sigma: 0.5,
                        cpu_cores: 0.45,
                        memory_bytes: 360.0 * MIB,
                        queue: true,
                    },
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
                    Traffic {
                        sigma: 0.75,
                        memory_bytes: 48.0 * MIB,
                        ..Traffic::web(80.0, 40.0)
                    },
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
                    Traffic::web(8.0, 30.0),
                )],
            ),
            (
                "grafana",
                "staging",
                vec![(
                    Script::Steady { latency: MS(60) },
                    "10.2.0",
                    Traffic {
                        memory_bytes: 180.0 * MIB,
                        ..Traffic::web(1.5, 50.0)
                    },
                )],
            ),
            (
                "prometheus",
                "staging",
                vec![(
                    Script::Steady { latency: MS(15) },
                    "2.45.0",
                    Traffic {
                        memory_bytes: 300.0 * MIB,
                        ..Traffic::web(10.0, 15.0)
                    },
                )],
            ),
        ]
    }

    /// Starts every simulated service on an ephemeral loopback port.
    pub async fn start() -> std::io::Result<DemoWorld> {
        let mut services = Vec::new();
        let mut instances = Vec::new();
        let mut seed = 1u64;
        let mut scrapes = BTreeMap::new();
        // The world starts with the bad release live on every api pod.
        let api_release = metrics::BadRelease::default();
        api_release.set(1.0);
        for (name, env, replicas) in Self::plan() {
            let mut urls = Vec::new();
            for (script, version, traffic) in replicas {
                seed += 1;
                let mut instance = Instance::new(name, script, version, seed, traffic);
                if name == "api" {
                    instance = instance.with_release(api_release.clone());
                }
                let running = instance.serve().await?;
                urls.push(format!("http://{}/health", running.addr));
                // One scrape target per service: its first replica.
                scrapes.entry(name.to_string()).or_insert(ScrapeTarget {
                    url: format!("http://{}/metrics", running.addr),
                    queue: traffic.queue,
                });
                instances.push(running);
            }
            services.push((name.to_string(), Some(env.to_string()), urls));
        }
        let redis = redis::serve().await?;
        let redis_addr = redis.addr;
        services.push((
            "redis".to_string(),
            Some("production".into()),
            vec![format!("tcp://{}", redis.addr)],
        ));
        instances.push(redis);
        for (name, greeting) in [("postgres", &b""[..])] {
            let running = http::serve_tcp(greeting).await?;
            services.push((
                name.to_string(),
                Some("production".into()),
                vec![format!("tcp://{}", running.addr)],
            ));
            instances.push(running);
        }
        let fleet = devices::serve(devices::DevicePlan::demo()).await?;
        let devices_addr = fleet.addr;
        instances.push(fleet);
        let dir = std::env::temp_dir().join(format!("opsboard-demo-{}", std::process::id()));
        make_uploads(&dir.join("uploads"))?;

        Ok(DemoWorld {
            services,
            scrapes,
            instances,
            redis: redis_addr,
            devices: devices_addr,
            dir,
            with_cluster: true,
            api_release,
        })
    }

    /// Watch the demo's simulated cluster, and nothing else.
    pub fn kube_settings(&self) -> Option<crate::clients::kube::KubeSettings> {
        if !self.with_cluster {
            return None;
        }
        Some(crate::clients::kube::KubeSettings {
            kubeconfig: Some(self.dir.join("kubeconfig")),
            contexts: vec![DEMO_CONTEXT.into()],
            namespaces: vec![],
            namespace_flag: None,
            watch_timeout: crate::clients::kube::connect::WATCH_TIMEOUT,
        })
    }

    /// Starts the simulated cluster and writes its kubeconfig. Building its
    /// history takes ~0.1 s of CPU, so the board runs this after drawing its
    /// first frame; the returned guard keeps the cluster alive.
    pub fn cluster_setup(&self) -> crate::runtime::KubeSetup {
        let kubeconfig = self.dir.join("kubeconfig");
        let release = self.api_release.clone();
        Box::pin(async move {
            let cluster = kube::SimCluster::start(kube::World::demo())
                .await
                .map_err(|e| format!("simulated cluster: {e}"))?;
            cluster
                .write_kubeconfig(&kubeconfig, DEMO_CONTEXT)
                .map_err(|e| format!("simulated cluster kubeconfig: {e}"))?;
            let cluster = std::sync::Arc::new(cluster);
            let watched = cluster.clone();
            // api's errors follow how many of its ready pods run the bad
            // release: a rollback (or a new rollout) brings them down.
            let follow = tokio::spawn(async move {
                loop {
                    if let Some(share) = bad_share(&watched) {
                        release.set(share);
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            });
            Ok(Box::new(DemoCluster {
                _cluster: cluster,
                follow,
            }) as Box<dyn std::any::Any + Send>)
        })
    }

    /// Where the demo writes its audit log and backups.
    pub fn locations(&self) -> crate::assemble::Locations {
        crate::assemble::Locations {
            audit_log: Some(self.dir.join("audit.jsonl")),
            backup_base: Some(self.dir.join("backups")),
        }
    }
}

/// The running simulated cluster and the task that ties api's errors to
/// its pods; dropping it stops both.
struct DemoCluster {
    _cluster: std::sync::Arc<kube::SimCluster>,
    follow: tokio::task::JoinHandle<()>,
}

impl Drop for DemoCluster {
    fn drop(&mut self) {
        self.follow.abort();
    }
}

/// The share of api's ready pods that run [`BAD_API_IMAGE`]; `None` while
/// none is ready (the last share holds).
fn bad_share(cluster: &kube::SimCluster) -> Option<f64> {
    let ready: Vec<bool> = cluster
        .objects("pods", Some("shop"))
        .iter()
        .filter(|p| p.pointer("/metadata/labels/app").and_then(|v| v.as_str()) == Some("api"))
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .filter(|p| {
            p.pointer("/status/conditions")
                .and_then(|c| c.as_array())
                .is_some_and(|cs| {
                    cs.iter().any(|c| {
                        c.get("type").and_then(|t| t.as_str()) == Some("Ready")
                            && c.get("status").and_then(|t| t.as_str()) == Some("True")
                    })
                })
        })
        .map(|p| {
            p.pointer("/spec/containers/0/image")
                .and_then(|i| i.as_str())
                == Some(BAD_API_IMAGE)
        })
        .collect();
    if ready.is_empty() {
        return None;
    }
    Some(ready.iter().filter(|b| **b).count() as f64 / ready.len() as f64)
}

/// A small uploads tree for the demo's `files` backup.
fn make_uploads(dir: &std::path::Path) -> std::io::Result<()> {
    for sub in ["avatars", "invoices/2026-10", "invoices/2026-11"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    for i in 0..24u64 {
        let sub = ["avatars", "invoices/2026-10", "invoices/2026-11"][(i % 3) as usize];
        let body: Vec<u8> = (0..32 * 1024u64)
            .map(|n| (script::jitter(i, n) * 255.0) as u8)
            .collect();
        std::fs::write(dir.join(sub).join(format!("file-{i:03}.bin")), body)?;
    }
    std::fs::write(dir.join("README.txt"), "customer uploads (demo data)\n")
}
