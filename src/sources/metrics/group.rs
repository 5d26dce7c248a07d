//! Which family a sample or a metadata line belongs to.
//!
//! The common case, a sample following its own family, is one string
//! comparison against the current family. Only a switch of family touches
//! the name index, so a scrape costs O(samples) however many families it has.

use std::collections::HashMap;

use super::exposition::{Family, MetricKind};

/// Every suffix any kind allows, for looking a stray sample's family up.
const ALL_SUFFIXES: [&str; 8] = [
    "_total", "_created", "_bucket", "_sum", "_count", "_gcount", "_gsum", "_info",
];

/// Series-name suffixes a family of `kind` owns besides its bare name.
fn suffixes(kind: MetricKind) -> &'static [&'static str] {
    match kind {
        MetricKind::Counter => &["_total", "_created"],
        MetricKind::Histogram => &["_bucket", "_sum", "_count", "_created"],
        MetricKind::GaugeHistogram => &["_gcount", "_gsum", "_bucket"],
        MetricKind::Summary => &["_sum", "_count", "_created"],
        MetricKind::Info => &["_info"],
        MetricKind::Gauge | MetricKind::StateSet | MetricKind::Untyped => &[],
    }
}

/// The bare name always matches: text-format counters are commonly written
/// `# TYPE x counter` / `x 1`, and harmlessly so for every other kind.
fn belongs(series: &str, family: &Family<'_>) -> bool {
    match series.strip_prefix(family.name) {
        Some("") => true,
        Some(suffix) => suffixes(family.kind).contains(&suffix),
        None => false,
    }
}

/// What a family has been told so far, to reject contradictory metadata.
#[derive(Default, Clone, Copy)]
pub(super) struct Declared {
    pub(super) kind: bool,
}

#[derive(Default)]
pub(super) struct Grouper<'a> {
    families: Vec<Family<'a>>,
    declared: Vec<Declared>,
    index: HashMap<&'a str, usize>,
    current: Option<usize>,
}

impl<'a> Grouper<'a> {
    pub(super) fn family_mut(&mut self, i: usize) -> Option<(&mut Family<'a>, &mut Declared)> {
        Some((self.families.get_mut(i)?, self.declared.get_mut(i)?))
    }

    pub(super) fn into_families(self) -> Vec<Family<'a>> {
        self.families
    }

    /// The family a HELP/TYPE/UNIT line for `name` describes: the current
    /// one, an earlier one of that name (reopened), or a new one.
    pub(super) fn for_metadata(&mut self, name: &'a str) -> usize {
        if let Some(i) = self.current
            && self.families.get(i).is_some_and(|f| f.name == name)
        {
            return i;
        }
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => self.create(name),
        };
        self.current = Some(i);
        i
    }

    /// The family a sample named `series` goes into.
    pub(super) fn for_sample(&mut self, series: &'a str) -> usize {
        if let Some(i) = self.current
            && self.families.get(i).is_some_and(|f| belongs(series, f))
        {
            return i;
        }
        let i = self.lookup(series).unwrap_or_else(|| self.create(series));
        self.current = Some(i);
        i
    }

    /// A family declared earlier that `series` belongs to, if any.
    fn lookup(&self, series: &str) -> Option<usize> {
        if let Some(&i) = self.index.get(series) {
            return Some(i);
        }
        ALL_SUFFIXES.iter().find_map(|suffix| {
            let base = series.strip_suffix(suffix)?;
            let &i = self.index.get(base)?;
            let family = self.families.get(i)?;
            suffixes(family.kind).contains(suffix).then_some(i)
        })
    }

    fn create(&mut self, name: &'a str) -> usize {
        let i = self.families.len();
        self.families.push(Family {
            name,
            kind: MetricKind::Untyped,
            help: None,
            unit: None,
            samples: Vec::new(),
        });
        self.declared.push(Declared::default());
        self.index.insert(name, i);
        i
    }
}
