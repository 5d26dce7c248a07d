//! What a simulated container writes: believable lines for its kind of
//! program (an HTTP server's requests, the ML service's GPU trouble, a
//! worker's jobs, Redis saves, PostgreSQL checkpoints), made up from the
//! container instance and the time alone (a Job's run: a finite script, see
//! `log_lines_batch`), so any window of its log can be
//! produced at once, the same every time it is asked for.

#[path = "log_lines_batch.rs"]
mod batch;

use super::clock::SimTime;
use super::util::fnv32a;

/// Lines kept per container instance, as the kubelet's log rotation would:
/// older lines are gone.
pub const KEPT: u64 = 2000;

/// What kind of program the container runs, read off its image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Nginx,
    Api,
    Web,
    Ml,
    Worker,
    Redis,
    Postgres,
    Prometheus,
    Other,
}

impl Profile {
    pub fn of(image: &str) -> Profile {
        let base = image.rsplit('/').next().unwrap_or(image);
        let name = base.split(':').next().unwrap_or(base);
        match name {
            n if n.contains("nginx") => Profile::Nginx,
            n if n.contains("ml") => Profile::Ml,
            n if n.contains("worker") => Profile::Worker,
            n if n.contains("redis") => Profile::Redis,
            n if n.contains("postgres") => Profile::Postgres,
            n if n.contains("prometheus") || n.contains("exporter") || n.contains("grafana") => {
                Profile::Prometheus
            }
            n if n.contains("web") => Profile::Web,
            n if n.contains("api") => Profile::Api,
            _ => Profile::Other,
        }
    }

    /// Milliseconds between two lines of normal running.
    fn period(self) -> i64 {
        match self {
            Profile::Api => 700,
            Profile::Nginx => 900,
            Profile::Web => 1500,
            Profile::Ml => 2500,
            Profile::Worker => 2000,
            Profile::Redis => 20_000,
            Profile::Postgres => 15_000,
            Profile::Prometheus | Profile::Other => 10_000,
        }
    }
}

/// One run of a container: from its start to its end, if it ended.
#[derive(Debug, Clone)]
pub struct Instance {
    pub pod: String,
    pub container: String,
    pub image: String,
    pub port: Option<i64>,
    pub started: SimTime,
    /// When and why it ended (`OOMKilled`, `Error`), for a terminated one.
    pub ended: Option<(SimTime, String)>,
    /// Lines per second instead of the profile's own pace (a chatty pod).
    pub rate: Option<u32>,
    /// A run to completion (a Job's pod) planned to end then: its log is a
    /// finite script (`log_lines_batch`).
    pub run_to: Option<SimTime>,
}

/// A line: when it was written, whether to stderr, and its text.
pub type Written = (SimTime, String);

impl Instance {
    fn profile(&self) -> Profile {
        Profile::of(&self.image)
    }

    fn period(&self) -> i64 {
        match self.rate {
            Some(r) if r > 0 => (1000 / i64::from(r)).max(1),
            _ => self.profile().period(),
        }
    }

    pub(super) fn seed(&self) -> u32 {
        fnv32a(format!("{}/{}/{}", self.pod, self.container, self.started).as_bytes())
    }

    /// When the first line of normal running is written.
    fn base(&self) -> SimTime {
        self.started + 1500
    }

    fn end(&self) -> SimTime {
        self.ended.as_ref().map_or(SimTime::MAX, |(t, _)| *t)
    }

    /// The lines written in `(after, until]`, oldest first, at most the
    /// last `KEPT` of the instance's life.
    pub fn between(&self, after: SimTime, until: SimTime) -> Vec<Written> {
        if let Some(end) = self.run_to {
            return batch::between(self, end, after, until);
        }
        let until = until.min(self.end());
        let mut out = Vec::new();
        if until < self.started {
            return out;
        }
        let period = self.period();
        let last_k = (until - self.base()).div_euclid(period);
        let kept_from = last_k - KEPT as i64;
        if kept_from < 0 {
            for (i, text) in self.startup().into_iter().enumerate() {
                let t = self.started + 10 * i as i64;
                if t > after && t <= until {
                    out.push((t, text));
                }
            }
        }
        let first_k = (after.saturating_sub(self.base()).div_euclid(period)).max(kept_from.max(0));
        for k in first_k..=last_k {
            let t = self.at(k);
            if t > after && t <= until {
                out.push((t, self.line(k)));
            }
        }
        if let Some((end, reason)) = &self.ended
            && *end > after
            && *end <= until
        {
            out.extend(self.last_words(reason).into_iter().map(|l| (*end, l)));
        }
        out
    }

    /// The time of the `k`th running line: on its beat, a little late.
    fn at(&self, k: i64) -> SimTime {
        let period = self.period();
        let jitter = i64::from(mix(self.seed(), k as u32) % 1000) * (period / 2) / 1000;
        self.base() + k * period + jitter
    }

    fn startup(&self) -> Vec<String> {
        let port = self.port.unwrap_or(8080);
        let c = &self.container;
        match self.profile() {
            Profile::Redis => vec![
                "1:C oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo".into(),
                format!("1:M * Running mode=standalone, port={port}."),
                "1:M * Ready to accept connections tcp".into(),
            ],
            Profile::Postgres => vec![
                "LOG:  starting PostgreSQL 16.2 on x86_64-pc-linux-gnu".into(),
                format!("LOG:  listening on IPv4 address \"0.0.0.0\", port {port}"),
                "LOG:  database system is ready to accept connections".into(),
            ],
            Profile::Nginx => vec![
                "/docker-entrypoint.sh: Configuration complete; ready for start up".into(),
                "[notice] 1#1: start worker processes".into(),
            ],
            Profile::Ml => vec![
                format!("INFO starting {c} ({})", self.image),
                "INFO CUDA available: 1 device(s), cuda:0 Tesla T4 15.7GiB".into(),
                "INFO loading model resnet50-v3 onto cuda:0".into(),
                format!("INFO serving on 0.0.0.0:{port}"),
            ],
            _ => vec![
                format!("INFO starting {c} ({})", self.image),
                format!("INFO listening on :{port}"),
                "INFO ready to serve requests".into(),
            ],
        }
    }

    /// The `k`th line of normal running.
    fn line(&self, k: i64) -> String {
        let r = mix(self.seed() ^ 0x9e37, k as u32);
        let pick = |xs: &[&'static str]| xs[(r as usize / 7) % xs.len()];
        let ms = 3 + r % 90;
        match self.profile() {
            Profile::Api | Profile::Web | Profile::Other => {
                let path = pick(&[
                    "/api/orders",
                    "/api/orders/1042",
                    "/api/cart",
                    "/api/products?page=2",
                    "/health",
                    "/api/checkout",
                ]);
                let method = if path.contains("checkout") || path == "/api/cart" {
                    "POST"
                } else {
                    "GET"
                };
                match r % 97 {
                    0..=2 => format!(
                        "ERROR {method} {path} 500 {}ms: upstream redis: connection reset by peer",
                        ms + 200
                    ),
                    3..=5 => format!("WARN {method} {path} 429 {ms}ms: rate limited"),
                    _ => format!("INFO {method} {path} 200 {ms}ms"),
                }
            }
            Profile::Nginx => {
                let ip = format!("10.244.{}.{}", r % 3 + 1, r % 250 + 2);
                let path = pick(&["/", "/api/orders", "/static/app.js", "/api/cart"]);
                let code = if r.is_multiple_of(89) { 502 } else { 200 };
                format!(
                    "{ip} - - \"GET {path} HTTP/1.1\" {code} {} \"-\" \"Mozilla/5.0\"",
                    200 + r % 4000
                )
            }
            Profile::Ml => match r % 11 {
                0 => format!(
                    "WARN CUDA out of memory. Tried to allocate {}.00 MiB (GPU 0; 15.70 GiB total capacity; 14.{} GiB already allocated)",
                    256 << (r % 3),
                    r % 9
                ),
                1 => "WARN batch split in two after GPU OOM; retrying".into(),
                _ => format!(
                    "INFO inference batch={} took {}ms gpu_mem={}.{}GiB",
                    8 << (r % 3),
                    40 + r % 200,
                    12 + r % 3,
                    r % 10
                ),
            },
            // Each replica takes its own jobs off the queue.
            Profile::Worker => match r % 23 {
                0 => format!(
                    "ERROR job {} failed: deadline exceeded after 30s; will retry",
                    self.job(k)
                ),
                _ => format!("INFO job {} processed in {}ms", self.job(k), 20 + r % 400),
            },
            Profile::Redis => match k % 2 {
                0 => "1:M * 100 changes in 300 seconds. Saving...".into(),
                _ => "1:M * Background saving terminated with success".into(),
            },
            Profile::Postgres => match k % 2 {
                0 => "LOG:  checkpoint starting: time".into(),
                _ => format!(
                    "LOG:  checkpoint complete: wrote {} buffers ({}.{}%)",
                    r % 500,
                    r % 3,
                    r % 10
                ),
            },
            Profile::Prometheus => format!("level=info msg=\"ok\" component={}", self.container),
        }
    }

    /// The id of the `k`th job this replica took: replicas share the queue,
    /// so no two of them report the same job.
    fn job(&self, k: i64) -> i64 {
        100_000 + k * 16 + i64::from(self.seed() % 16)
    }

    /// What a dying container writes last.
    fn last_words(&self, reason: &str) -> Vec<String> {
        match (self.profile(), reason) {
            (Profile::Ml, _) => vec![
                "ERROR RuntimeError: CUDA error: out of memory".into(),
                "ERROR worker process died while loading batch; rss=3.9GiB limit=4GiB".into(),
            ],
            (_, "OOMKilled") => vec!["fatal error: runtime: out of memory".into()],
            _ => vec![
                "panic: unrecoverable error, exiting with status 1".into(),
                "goroutine 1 [running]:".into(),
            ],
        }
    }
}

/// A stable pseudo-random number from a seed and an index.
pub(super) fn mix(seed: u32, k: u32) -> u32 {
    let mut x = seed ^ k.wrapping_mul(0x9e37_79b9);
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(image: &str, ended: Option<(SimTime, &str)>) -> Instance {
        Instance {
            pod: "api-7b4c9-x2k".into(),
            container: "api".into(),
            image: image.into(),
            port: Some(8080),
            started: 1_000_000,
            ended: ended.map(|(t, r)| (t, r.to_string())),
            rate: None,
            run_to: None,
        }
    }

    #[test]
    fn windows_join_up_without_gaps_or_repeats() {
        let i = inst("registry.local/api:1.4.2", None);
        let whole = i.between(0, 1_060_000);
        let mut parts = i.between(0, 1_030_000);
        parts.extend(i.between(1_030_000, 1_060_000));
        assert_eq!(whole, parts);
        assert!(whole.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
        assert!(whole[0].1.contains("starting api"));
        assert!(whole.len() > 60, "{} lines in a minute", whole.len());
    }

    #[test]
    fn an_old_container_keeps_only_the_rotated_tail() {
        let i = inst("registry.local/api:1.4.2", None);
        let lines = i.between(0, 1_000_000 + 30 * 24 * 3600 * 1000);
        let n = lines.len() as u64;
        assert!((KEPT..=KEPT + 1).contains(&n), "{n} lines kept");
        assert!(!lines[0].1.contains("starting"));
    }

    #[test]
    fn a_killed_ml_container_ends_with_its_gpu_error() {
        let i = inst(
            "registry.local/ml-service:0.9.0",
            Some((1_090_000, "OOMKilled")),
        );
        let lines = i.between(0, 5_000_000);
        let last = &lines.last().unwrap().1;
        assert!(last.contains("rss=3.9GiB"), "{last}");
        assert!(lines.iter().any(|(_, l)| l.contains("CUDA out of memory")));
        assert!(lines.iter().all(|(t, _)| *t <= 1_090_000));
    }

    #[test]
    fn a_chatty_container_writes_at_its_rate() {
        let mut i = inst("busybox", None);
        i.rate = Some(1000);
        let n = i.between(1_010_000, 1_011_000).len();
        assert!((900..=1100).contains(&n), "{n} lines in a second");
    }

    #[test]
    fn profiles_are_read_off_the_image() {
        assert_eq!(Profile::of("nginx:1.25.3"), Profile::Nginx);
        assert_eq!(Profile::of("registry.local/web-client:2.3.1"), Profile::Web);
        assert_eq!(
            Profile::of("prom/node-exporter:v1.7.0"),
            Profile::Prometheus
        );
        assert_eq!(Profile::of("redis:7.2.4"), Profile::Redis);
    }
}
