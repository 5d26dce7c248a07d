//! The fleet as the board holds it: instances derived from the other
//! sources (pods, nodes, containers, scrape targets), device fleets updated
//! in place by their pollers, and the Fleet pane's grouping, filter and
//! cursor.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::SystemTime;

use super::list::Filter;
use crate::model::fleet::{
    DevicePoll, GroupBy, Instance, InstanceKind, QueriedDevice, StatusCounts,
};
use crate::model::fleet_spec::FleetPlan;
use crate::model::{Fault, Health};
use crate::rules::FleetGroupCount;

/// The cursor's block key and instance (kind, source, name), to find them
/// again after a regroup.
type Selection = (String, Option<(InstanceKind, String, String)>);

/// One configured device fleet and its devices.
#[derive(Debug, Clone, Default)]
pub struct DeviceFleet {
    pub name: String,
    pub service: Option<String>,
    pub threshold: Option<f64>,
    pub group_thresholds: BTreeMap<String, f64>,
    pub devices: Vec<Instance>,
    /// Why the last query failed, in words (query fleets); set while
    /// failing.
    pub error: Option<String>,
    /// The same failure with its raw chain and since when it lasts.
    pub fault: Option<Fault>,
    pub updated: Option<SystemTime>,
}

/// An instance: segment 0 is the derived instances, segment n the devices
/// of `fleets[n - 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceRef {
    pub seg: u32,
    pub idx: u32,
}

/// One labelled block of the grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub key: String,
    pub members: Vec<InstanceRef>,
    pub counts: StatusCounts,
}

/// Where the grid cursor is: a block's header, or one of its cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub block: usize,
    pub cell: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct FleetState {
    pub others: Vec<Instance>,
    pub fleets: Vec<DeviceFleet>,
    pub group_by: GroupBy,
    pub filter: Filter,
    /// Blocks whose expansion the operator flipped from the default.
    pub toggled: BTreeSet<String>,
    pub cursor: Cursor,
    /// First grid line shown.
    pub offset: usize,
    /// The grid, as of the last [`FleetState::refresh`].
    pub blocks: Vec<Block>,
    /// Label names seen on any instance, for `G`.
    pub labels: Vec<String>,
    /// Sources behind `others` changed; rebuilt on the next refresh.
    pub others_stale: bool,
    membership: u64,
    statuses: u64,
    built: Option<(u64, u64, GroupBy, String)>,
}

impl FleetState {
    pub fn from_plan<S>(plan: &FleetPlan<S>) -> FleetState {
        FleetState {
            fleets: plan
                .fleets
                .iter()
                .map(|f| DeviceFleet {
                    name: f.name.clone(),
                    service: f.service.clone(),
                    threshold: f.threshold,
                    group_thresholds: f.group_thresholds.clone(),
                    devices: f.initial_devices(),
                    error: None,
                    fault: None,
                    updated: None,
                })
                .collect(),
            others_stale: true,
            membership: 1,
            ..FleetState::default()
        }
    }

    pub fn get(&self, r: InstanceRef) -> Option<&Instance> {
        match r.seg {
            0 => self.others.get(r.idx as usize),
            n => self.fleets.get(n as usize - 1)?.devices.get(r.idx as usize),
        }
    }

    pub fn len(&self) -> usize {
        self.others.len() + self.fleets.iter().map(|f| f.devices.len()).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every instance with its reference.
    pub fn iter(&self) -> impl Iterator<Item = (InstanceRef, &Instance)> {
        let others = self.others.iter().enumerate().map(|(i, x)| {
            let r = InstanceRef {
                seg: 0,
                idx: i as u32,
            };
            (r, x)
        });
        let devices = self.fleets.iter().enumerate().flat_map(|(f, fleet)| {
            fleet.devices.iter().enumerate().map(move |(i, x)| {
                let r = InstanceRef {
                    seg: f as u32 + 1,
                    idx: i as u32,
                };
                (r, x)
            })
        });
        others.chain(devices)
    }

    /// Poll results of an endpoint fleet. Returns whether any status moved.
    pub fn apply_polls(&mut self, fleet: usize, results: Vec<DevicePoll>) -> bool {
        let Some(f) = self.fleets.get_mut(fleet) else {
            return false;
        };
        let mut changed = false;
        for r in results {
            if let Some(d) = f.devices.get_mut(r.device as usize) {
                let before = (d.status, d.reason.is_some());
                d.record_poll(r.status, r.reason, r.at);
                changed |= before != (d.status, d.reason.is_some());
                f.updated = Some(r.at);
            }
        }
        if changed {
            self.statuses += 1;
        }
        changed
    }

    /// A query fleet's whole device set. A device missing from the answer
    /// is kept, unknown, with when it was last seen, until it has been
    /// gone for ten polls' worth of time.
    pub fn apply_query(
        &mut self,
        fleet: usize,
        at: SystemTime,
        devices: Result<Vec<QueriedDevice>, String>,
    ) {
        let Some(f) = self.fleets.get_mut(fleet) else {
            return;
        };
        let devices = match devices {
            Ok(d) => d,
            Err(e) => {
                let fault = Fault::update(f.fault.as_ref(), e, at);
                // The devices are what the query said last: not current.
                let stale = crate::model::Stale {
                    source: format!("fleet {}", f.name),
                    since: fault.since,
                };
                for d in &mut f.devices {
                    if f.fault.is_none() && d.status != Health::Unknown {
                        d.reason = Some(format!("{} (was {})", stale.reason(), d.status.word()));
                        d.status = Health::Unknown;
                    }
                }
                f.error = Some(fault.words.clone());
                f.fault = Some(fault);
                self.statuses += 1;
                return;
            }
        };
        f.error = None;
        f.fault = None;
        f.updated = Some(at);
        let mut old: HashMap<String, Instance> = std::mem::take(&mut f.devices)
            .into_iter()
            .map(|d| (d.name.clone(), d))
            .collect();
        let source = format!("fleet {}", f.name);
        for q in devices {
            let mut d = old.remove(&q.name).unwrap_or_else(|| {
                let mut d = Instance::new(InstanceKind::Device, q.name.clone(), source.clone());
                d.host = Some(host_of(&q.name).to_string());
                d
            });
            d.location = q.location;
            d.labels = q.labels;
            d.service = f.service.clone();
            let reason = (q.status == Health::Down).then(|| format!("value {}", q.value));
            d.record_poll(q.status, reason, at);
            f.devices.push(d);
        }
        for (_, mut d) in old {
            d.status = Health::Unknown;
            d.reason = Some("absent from the query's answer".into());
            f.devices.push(d);
        }
        f.devices.sort_by(|a, b| a.name.cmp(&b.name));
        self.membership += 1;
    }

    /// Rebuilds the derived instances from services, clusters and targets.
    pub fn set_others(&mut self, others: Vec<Instance>) {
        if others != self.others {
            self.others = others;
            self.membership += 1;
        }
        self.others_stale = false;
    }

    /// Per device fleet and location: totals and offline counts, for the
    /// FleetGroupOffline rule.
    pub fn group_counts(&self) -> Vec<FleetGroupCount> {
        let mut out = Vec::new();
        for f in &self.fleets {
            let mut groups: BTreeMap<Option<&str>, (usize, usize)> = BTreeMap::new();
            for d in &f.devices {
                let e = groups.entry(d.location.as_deref()).or_default();
                e.0 += 1;
                e.1 += usize::from(d.offline());
            }
            for (location, (total, offline)) in groups {
                out.push(FleetGroupCount {
                    fleet: f.name.clone(),
                    group: location.map_or("(no location)".into(), |l| format!("location {l}")),
                    total,
                    offline,
                    service: f.service.clone(),
                    threshold: location
                        .and_then(|l| f.group_thresholds.get(l).copied())
                        .or(f.threshold),
                });
            }
        }
        out
    }

    /// Regroups when membership, grouping or filter changed; recounts when
    /// only statuses did. Keeps the cursor on the same instance.
    pub fn refresh(&mut self) {
        let key = (
            self.membership,
            self.statuses,
            self.group_by.clone(),
            self.filter.text.clone(),
        );
        if self.built.as_ref() == Some(&key) {
            return;
        }
        let regroup = match &self.built {
            Some((m, _, g, f)) => {
                // A status change moves instances in or out only when the
                // filter could match a status word (`down`, `deg`…).
                *m != key.0
                    || *g != key.2
                    || *f != key.3
                    || crate::model::fleet::filter_sees_status(&self.filter.text)
            }
            None => true,
        };
        if regroup {
            let keep = self.selected_identity();
            self.regroup();
            self.restore(keep);
        } else {
            self.recount();
        }
        self.built = Some(key);
    }

    fn regroup(&mut self) {
        let needle = self.filter.text.to_lowercase();
        let mut by_key: HashMap<&str, Vec<InstanceRef>> = HashMap::new();
        let mut labels = BTreeSet::new();
        for (r, i) in self.iter() {
            for (k, _) in &i.labels {
                if !labels.contains(k.as_str()) {
                    labels.insert(k.as_str());
                }
            }
            if i.matches(&needle) {
                by_key.entry(self.group_by.key(i)).or_default().push(r);
            }
        }
        let mut blocks: Vec<Block> = by_key
            .into_iter()
            .map(|(k, mut members)| {
                members.sort_by(|a, b| {
                    let name = |r: &InstanceRef| self.get(*r).map_or("", |i| i.name.as_str());
                    natural_cmp(name(a), name(b))
                });
                Block {
                    key: k.to_string(),
                    members,
                    counts: StatusCounts::default(),
                }
            })
            .collect();
        blocks.sort_by(|a, b| {
            (a.key == "(none)")
                .cmp(&(b.key == "(none)"))
                .then_with(|| natural_cmp(&a.key, &b.key))
        });
        self.labels = labels.into_iter().map(str::to_string).collect();
        self.blocks = blocks;
        self.recount();
    }

    fn recount(&mut self) {
        let mut blocks = std::mem::take(&mut self.blocks);
        for b in &mut blocks {
            b.counts = StatusCounts::default();
            for r in &b.members {
                if let Some(i) = self.get(*r) {
                    b.counts.add(i.status);
                }
            }
        }
        self.blocks = blocks;
    }

    /// Counts over every shown instance.
    pub fn totals(&self) -> StatusCounts {
        let mut c = StatusCounts::default();
        for b in &self.blocks {
            for (n, v) in b.counts.0.iter().enumerate() {
                c.0[n] += v;
            }
        }
        c
    }

    pub fn selected(&self) -> Option<InstanceRef> {
        let b = self.blocks.get(self.cursor.block)?;
        b.members.get(self.cursor.cell?).copied()
    }

    pub fn selected_instance(&self) -> Option<&Instance> {
        self.get(self.selected()?)
    }

    fn selected_identity(&self) -> Option<Selection> {
        let b = self.blocks.get(self.cursor.block)?;
        let i = self.selected_instance();
        Some((
            b.key.clone(),
            i.map(|i| (i.kind, i.source.clone(), i.name.clone())),
        ))
    }

    fn restore(&mut self, keep: Option<Selection>) {
        let Some((key, who)) = keep else {
            self.cursor = Cursor::default();
            return;
        };
        // The instance wherever it went (a regroup moves it), else the
        // same block, else the first.
        if let Some((kind, source, name)) = &who {
            for (bi, b) in self.blocks.iter().enumerate() {
                if let Some(ci) = b.members.iter().position(|r| {
                    self.get(*r)
                        .is_some_and(|i| i.kind == *kind && i.source == *source && i.name == *name)
                }) {
                    self.cursor = Cursor {
                        block: bi,
                        cell: Some(ci),
                    };
                    return;
                }
            }
        }
        let block = self.blocks.iter().position(|b| b.key == key).unwrap_or(0);
        let cell = self.cursor.cell.and_then(|c| {
            let n = self.blocks.get(block)?.members.len();
            (n > 0).then(|| c.min(n - 1))
        });
        self.cursor = Cursor { block, cell };
    }

    /// Next grouping (`G`).
    pub fn cycle_grouping(&mut self) {
        self.group_by = self.group_by.next(&self.labels);
        self.toggled.clear();
        self.offset = 0;
    }

    /// The offline share that alerts for a block, when the pane groups by
    /// location and a device fleet sets one for it.
    pub fn threshold_for(&self, key: &str) -> Option<f64> {
        if self.group_by != GroupBy::Location {
            return None;
        }
        self.fleets.iter().find_map(|f| {
            f.group_thresholds.get(key).copied().or_else(|| {
                f.threshold
                    .filter(|_| f.devices.iter().any(|d| d.location.as_deref() == Some(key)))
            })
        })
    }

    /// Query fleets that failed, for the notice line: the fault in words
    /// (`fleet edge: connection refused`); the raw chain is in `fault` and
    /// the log.
    pub fn errors(&self) -> Vec<String> {
        self.fleets
            .iter()
            .filter_map(|f| {
                let words = match (&f.fault, &f.error) {
                    (Some(fault), _) => fault.words.clone(),
                    (None, Some(e)) => crate::model::fault::words(e),
                    (None, None) => return None,
                };
                Some(format!(
                    "fleet {}: {words}",
                    crate::model::text::safe(&f.name)
                ))
            })
            .collect()
    }
}

/// `rpi-1:9100` → `rpi-1`, `[::1]:9100` → `[::1]`.
pub fn host_of(instance: &str) -> &str {
    match instance.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => instance,
    }
}

/// Compares so that `rpi-2` sorts before `rpi-10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let dx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let dy = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (nx, ny) = (trim_zeros(&x[..dx]), trim_zeros(&y[..dy]));
                let o = nx.len().cmp(&ny.len()).then_with(|| nx.cmp(ny));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
                x = &x[dx..];
                y = &y[dy..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|c| **c == b'0').count();
    &d[n.min(d.len().saturating_sub(1))..]
}

#[cfg(test)]
#[path = "fleet_tests.rs"]
mod tests;
