//! The fleet: every instance the board knows of (Kubernetes nodes and pods,
//! Docker containers, Prometheus scrape targets, devices of configured
//! fleets), each with the keys it can be grouped by.

use std::time::SystemTime;

use super::Health;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKind {
    Node,
    Pod,
    Container,
    Target,
    Device,
}

impl InstanceKind {
    pub fn word(self) -> &'static str {
        match self {
            InstanceKind::Node => "node",
            InstanceKind::Pod => "pod",
            InstanceKind::Container => "container",
            InstanceKind::Target => "target",
            InstanceKind::Device => "device",
        }
    }
}

/// One cell of the Fleet pane.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub kind: InstanceKind,
    /// What the cell's detail calls it: a pod, container, node or host name.
    pub name: String,
    /// Where it was reported from: `k8s demo`, `docker local`,
    /// `prometheus main`, `fleet edge`.
    pub source: String,
    pub status: Health,
    /// Why it is not up.
    pub reason: Option<String>,
    /// When it last answered (a device, a target) or was last listed.
    pub last_seen: Option<SystemTime>,
    pub service: Option<String>,
    /// The node a pod runs on, a container's Docker host, a device's or
    /// target's host.
    pub host: Option<String>,
    pub namespace: Option<String>,
    pub location: Option<String>,
    /// Any other labels (`job`, `context`, `project`, a device group's own).
    pub labels: Vec<(String, String)>,
    /// Devices: the last 16 poll results, newest in bit 0 (1 = answered
    /// up), and how many polls that history holds.
    pub history: u16,
    pub polls: u8,
}

impl Instance {
    pub fn new(kind: InstanceKind, name: impl Into<String>, source: impl Into<String>) -> Self {
        Instance {
            kind,
            name: name.into(),
            source: source.into(),
            status: Health::Unknown,
            reason: None,
            last_seen: None,
            service: None,
            host: None,
            namespace: None,
            location: None,
            labels: Vec::new(),
            history: 0,
            polls: 0,
        }
    }

    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Down counts as offline; unknown (never polled) does not.
    pub fn offline(&self) -> bool {
        self.status == Health::Down
    }

    /// Status changes among the last eight polls.
    pub fn flaps(&self) -> u32 {
        let n = u32::from(self.polls.min(8));
        if n < 2 {
            return 0;
        }
        let window = u32::from(self.history) & ((1 << n) - 1);
        ((window ^ (window >> 1)) & ((1 << (n - 1)) - 1)).count_ones()
    }

    /// Records a poll result: status, reason and history. A device that
    /// answers but changed state three or more times in its last eight
    /// polls is shown degraded (flapping), so it stands out from the
    /// steady ones.
    pub fn record_poll(&mut self, status: Health, reason: Option<String>, at: SystemTime) {
        let up = status == Health::Up || status == Health::Degraded;
        self.history = (self.history << 1) | u16::from(up);
        self.polls = self.polls.saturating_add(1).min(16);
        if up {
            self.last_seen = Some(at);
        }
        let flaps = self.flaps();
        if status == Health::Up && flaps >= 3 {
            self.status = Health::Degraded;
            self.reason = Some(format!("flapping: {flaps} changes in the last 8 polls"));
        } else {
            self.status = status;
            self.reason = reason;
        }
    }

    /// Whether `needle` (lower case) is in its name, keys, service, kind or
    /// status word.
    pub fn matches(&self, needle: &str) -> bool {
        if needle.is_empty() {
            return true;
        }
        let has = |s: &str| contains_ci(s, needle);
        has(&self.name)
            || has(&self.source)
            || has(self.kind.word())
            || has(self.status.word())
            || [&self.service, &self.host, &self.namespace, &self.location]
                .into_iter()
                .flatten()
                .any(|s| has(s))
            || self.labels.iter().any(|(k, v)| has(k) || has(v))
    }
}

/// Whether a filter could match an instance by its status word, so a
/// status change can move it in or out of the filtered grid.
pub fn filter_sees_status(filter: &str) -> bool {
    let needle = filter.to_lowercase();
    !needle.is_empty()
        && [Health::Up, Health::Degraded, Health::Down, Health::Unknown]
            .iter()
            .any(|h| h.word().contains(&needle))
}

/// Case-insensitive `contains` for an already lower-case needle, without
/// allocating.
fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return false;
    }
    if hay.is_ascii() && needle.is_ascii() {
        return h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}

/// One device's poll result, as a fleet poller sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct DevicePoll {
    /// Index into the fleet's device list.
    pub device: u32,
    pub status: Health,
    pub reason: Option<String>,
    pub at: SystemTime,
}

/// One series of a query-backed fleet: a device.
#[derive(Debug, Clone, PartialEq)]
pub struct QueriedDevice {
    pub name: String,
    pub location: Option<String>,
    /// The series' other labels.
    pub labels: Vec<(String, String)>,
    pub status: Health,
    pub value: f64,
}

/// What the Fleet pane groups instances by; `G` cycles through them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum GroupBy {
    #[default]
    Service,
    /// A pod's node, a container's Docker host, a device's host.
    Host,
    Namespace,
    Location,
    Kind,
    /// Any label, by name.
    Label(String),
}

impl GroupBy {
    pub fn title(&self) -> String {
        match self {
            GroupBy::Service => "service".into(),
            GroupBy::Host => "node/host".into(),
            GroupBy::Namespace => "namespace".into(),
            GroupBy::Location => "location".into(),
            GroupBy::Kind => "kind".into(),
            GroupBy::Label(l) => format!("label {l}"),
        }
    }

    /// The block an instance falls in under this grouping.
    pub fn key<'a>(&self, i: &'a Instance) -> &'a str {
        let none = "(none)";
        match self {
            GroupBy::Service => i.service.as_deref().unwrap_or(&i.source),
            GroupBy::Host => i.host.as_deref().unwrap_or(none),
            GroupBy::Namespace => i.namespace.as_deref().unwrap_or(none),
            GroupBy::Location => i.location.as_deref().unwrap_or(none),
            GroupBy::Kind => i.kind.word(),
            GroupBy::Label(l) => i.label(l).unwrap_or(none),
        }
    }

    /// The next grouping: the fixed ones, then each label name in `labels`
    /// (sorted), then back to service.
    pub fn next(&self, labels: &[String]) -> GroupBy {
        match self {
            GroupBy::Service => GroupBy::Host,
            GroupBy::Host => GroupBy::Namespace,
            GroupBy::Namespace => GroupBy::Location,
            GroupBy::Location => GroupBy::Kind,
            GroupBy::Kind => labels
                .first()
                .map_or(GroupBy::Service, |l| GroupBy::Label(l.clone())),
            GroupBy::Label(l) => labels
                .iter()
                .position(|x| x == l)
                .and_then(|p| labels.get(p + 1))
                .map_or(GroupBy::Service, |n| GroupBy::Label(n.clone())),
        }
    }
}

/// Counts per status, in the order Down, Degraded, Unknown, Up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts(pub [usize; 4]);

impl StatusCounts {
    pub fn add(&mut self, h: Health) {
        self.0[h as usize] += 1;
    }

    pub fn get(&self, h: Health) -> usize {
        self.0[h as usize]
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    /// Share offline (down), 0..=1; 0 for an empty group.
    pub fn offline_share(&self) -> f64 {
        let t = self.total();
        if t == 0 {
            0.0
        } else {
            self.get(Health::Down) as f64 / t as f64
        }
    }

    pub fn worst(&self) -> Health {
        [Health::Down, Health::Degraded, Health::Unknown, Health::Up]
            .into_iter()
            .find(|h| self.get(*h) > 0)
            .unwrap_or(Health::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s)
    }

    #[test]
    fn a_device_that_keeps_changing_is_flapping() {
        let mut d = Instance::new(InstanceKind::Device, "rpi-001", "fleet edge");
        for (n, h) in [
            Health::Up,
            Health::Down,
            Health::Up,
            Health::Down,
            Health::Up,
        ]
        .into_iter()
        .enumerate()
        {
            d.record_poll(h, None, at(n as u64));
        }
        assert_eq!(d.flaps(), 4);
        assert_eq!(d.status, Health::Degraded);
        assert!(d.reason.as_deref().unwrap().contains("flapping"));
        assert_eq!(d.last_seen, Some(at(4)));
        // Steady for eight polls: up again.
        for n in 5..13 {
            d.record_poll(Health::Up, None, at(n));
        }
        assert_eq!(d.flaps(), 0);
        assert_eq!(d.status, Health::Up);
    }

    #[test]
    fn a_device_that_went_down_once_is_down_not_flapping() {
        let mut d = Instance::new(InstanceKind::Device, "rpi-002", "fleet edge");
        d.record_poll(Health::Up, None, at(1));
        d.record_poll(Health::Down, Some("timed out".into()), at(2));
        assert_eq!(d.status, Health::Down);
        assert!(d.offline());
        assert_eq!(d.last_seen, Some(at(1)));
        assert_eq!(d.flaps(), 1);
    }

    #[test]
    fn filter_matches_keys_and_status_case_insensitively() {
        let mut i = Instance::new(InstanceKind::Pod, "web-7d9f-abc", "k8s demo");
        i.namespace = Some("Shop".into());
        i.labels.push(("job".into(), "edge".into()));
        i.status = Health::Down;
        for n in ["web", "shop", "edge", "down", "pod", "k8s"] {
            assert!(i.matches(n), "{n}");
        }
        assert!(!i.matches("redis"));
        assert!(filter_sees_status("Down") && filter_sees_status("deg"));
        assert!(!filter_sees_status("rpi-1") && !filter_sees_status(""));
    }

    #[test]
    fn grouping_cycles_through_labels_and_back() {
        let labels = vec!["job".to_string(), "rack".to_string()];
        let mut g = GroupBy::Service;
        let mut seen = vec![];
        for _ in 0..8 {
            seen.push(g.title());
            g = g.next(&labels);
        }
        assert_eq!(
            seen,
            [
                "service",
                "node/host",
                "namespace",
                "location",
                "kind",
                "label job",
                "label rack",
                "service"
            ]
        );
    }

    #[test]
    fn counts_and_offline_share() {
        let mut c = StatusCounts::default();
        for h in [Health::Up, Health::Up, Health::Down, Health::Unknown] {
            c.add(h);
        }
        assert_eq!(c.total(), 4);
        assert_eq!(c.offline_share(), 0.25);
        assert_eq!(c.worst(), Health::Down);
    }
}
