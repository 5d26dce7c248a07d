//! Resource use of the containers on screen, computed like `docker stats`.
//! One streaming stats request per visible running container (the daemon
//! sends a sample a second, with the previous one as `precpu_stats`); the
//! newest sample is kept and read when a snapshot is built.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bollard::Docker;
use bollard::models::{ContainerMemoryStats, ContainerStatsResponse};
use bollard::query_parameters::StatsOptions;
use futures::StreamExt;
use tokio::task::JoinHandle;

use crate::model::ContainerStats;

/// CPU in percent of one core: (Δcontainer / Δsystem) × online CPUs × 100,
/// against the previous sample the daemon sends along. `None` while there
/// is no previous sample.
pub fn cpu_percent(s: &ContainerStatsResponse) -> Option<f64> {
    let cpu = s.cpu_stats.as_ref()?;
    let pre = s.precpu_stats.as_ref()?;
    let total = cpu.cpu_usage.as_ref()?.total_usage?;
    let pre_total = pre
        .cpu_usage
        .as_ref()
        .and_then(|u| u.total_usage)
        .unwrap_or(0);
    let system = cpu.system_cpu_usage?;
    let pre_system = pre.system_cpu_usage.unwrap_or(0);
    if pre_system == 0 {
        return None;
    }
    let online = match cpu.online_cpus {
        Some(n) if n > 0 => n as f64,
        _ => cpu
            .cpu_usage
            .as_ref()
            .and_then(|u| u.percpu_usage.as_ref())
            .map_or(1, |p| p.len().max(1)) as f64,
    };
    let cpu_delta = total.saturating_sub(pre_total) as f64;
    let system_delta = system.saturating_sub(pre_system) as f64;
    if system_delta <= 0.0 {
        return Some(0.0);
    }
    Some(cpu_delta / system_delta * online * 100.0)
}

/// Memory as `docker stats` shows it: usage less the page cache that can be
/// dropped (`total_inactive_file` on cgroup v1, `inactive_file` on v2).
pub fn mem_bytes(m: &ContainerMemoryStats) -> u64 {
    let usage = m.usage.unwrap_or(0);
    let stats = m.stats.as_ref();
    if let Some(v) = stats.and_then(|s| s.get("total_inactive_file"))
        && *v < usage
    {
        return usage - v;
    }
    match stats.and_then(|s| s.get("inactive_file")) {
        Some(v) if *v < usage => usage - v,
        _ => usage,
    }
}

/// One sample as the board shows it.
pub fn compute(s: &ContainerStatsResponse) -> Option<ContainerStats> {
    let cpu_percent = cpu_percent(s)?;
    let mem = s.memory_stats.as_ref();
    Some(ContainerStats {
        cpu_percent,
        mem_bytes: mem.map(mem_bytes).unwrap_or(0),
        mem_limit: mem.and_then(|m| m.limit).unwrap_or(0),
    })
}

struct Follower {
    task: JoinHandle<()>,
    latest: Arc<Mutex<Option<ContainerStats>>>,
}

/// Stats streams for the containers that are wanted; dropping it stops them.
pub struct StatsCollector {
    docker: Docker,
    followers: HashMap<String, Follower>,
}

impl Drop for StatsCollector {
    fn drop(&mut self) {
        for f in self.followers.values() {
            f.task.abort();
        }
    }
}

impl StatsCollector {
    pub fn new(docker: Docker) -> StatsCollector {
        StatsCollector {
            docker,
            followers: HashMap::new(),
        }
    }

    /// Follows exactly `wanted` (visible and running): stops the others and
    /// (re)starts streams that are missing or ended.
    pub fn sync(&mut self, wanted: &HashSet<String>) {
        self.followers.retain(|id, f| {
            let keep = wanted.contains(id) && !f.task.is_finished();
            if !keep {
                f.task.abort();
            }
            keep
        });
        for id in wanted {
            if self.followers.contains_key(id) {
                continue;
            }
            let latest = Arc::new(Mutex::new(None));
            let task = tokio::spawn(follow(self.docker.clone(), id.clone(), latest.clone()));
            self.followers.insert(id.clone(), Follower { task, latest });
        }
    }

    /// The newest sample of each followed container.
    pub fn latest(&self) -> HashMap<String, ContainerStats> {
        self.followers
            .iter()
            .filter_map(|(id, f)| {
                let s = *f.latest.lock().unwrap_or_else(|p| p.into_inner());
                s.map(|s| (id.clone(), s))
            })
            .collect()
    }
}

async fn follow(docker: Docker, id: String, latest: Arc<Mutex<Option<ContainerStats>>>) {
    let mut stream = docker.stats(
        &id,
        Some(StatsOptions {
            stream: true,
            one_shot: false,
        }),
    );
    while let Some(item) = stream.next().await {
        match item {
            Ok(s) => {
                if let Some(c) = compute(&s) {
                    *latest.lock().unwrap_or_else(|p| p.into_inner()) = Some(c);
                }
            }
            Err(e) => {
                tracing::debug!(container = %id, "stats stream ended: {e}");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerCpuStats, ContainerCpuUsage};

    fn cpu(total: u64, system: u64, online: Option<u32>, percpu: usize) -> ContainerCpuStats {
        ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                percpu_usage: Some(vec![0; percpu]),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: online,
            ..Default::default()
        }
    }

    #[test]
    fn cpu_like_docker_stats() {
        // One core busy on a two-core machine: Δcontainer is half of
        // Δsystem (which counts every core), so 100 %.
        let s = ContainerStatsResponse {
            cpu_stats: Some(cpu(3_000_000_000, 20_000_000_000, Some(2), 2)),
            precpu_stats: Some(cpu(2_000_000_000, 18_000_000_000, Some(2), 2)),
            ..Default::default()
        };
        assert!((cpu_percent(&s).unwrap() - 100.0).abs() < 1e-9);
        // online_cpus missing: the per-CPU list's length (cgroup v1).
        let s = ContainerStatsResponse {
            cpu_stats: Some(cpu(3_000_000_000, 20_000_000_000, None, 4)),
            precpu_stats: Some(cpu(2_000_000_000, 18_000_000_000, None, 4)),
            ..Default::default()
        };
        assert!((cpu_percent(&s).unwrap() - 200.0).abs() < 1e-9);
        // The first sample of a stream has no previous one.
        let s = ContainerStatsResponse {
            cpu_stats: Some(cpu(3_000_000_000, 20_000_000_000, Some(2), 2)),
            precpu_stats: Some(ContainerCpuStats::default()),
            ..Default::default()
        };
        assert_eq!(cpu_percent(&s), None);
    }

    #[test]
    fn memory_less_inactive_file() {
        let m = |stats: &[(&str, u64)]| ContainerMemoryStats {
            usage: Some(10_000),
            limit: Some(1 << 30),
            stats: Some(stats.iter().map(|(k, v)| (k.to_string(), *v)).collect()),
            ..Default::default()
        };
        assert_eq!(
            mem_bytes(&m(&[("total_inactive_file", 3_000), ("inactive_file", 1)])),
            7_000
        );
        assert_eq!(mem_bytes(&m(&[("inactive_file", 4_000)])), 6_000);
        assert_eq!(mem_bytes(&m(&[])), 10_000);
        assert_eq!(mem_bytes(&m(&[("inactive_file", 20_000)])), 10_000);
    }
}
