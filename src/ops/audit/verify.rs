//! The chain walk: which lines were modified, deleted, inserted, reordered
//! or torn, from the file alone.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use super::entry::{AuditLine, GENESIS_PREV, parse_line};
use super::lines::{is_torn, parse_reason, split_lines};
use super::reorder::reorder_problem;
use super::report::{Problem, ProblemKind, RecordedHead, VerifyReport};

/// A line that parsed as an entry or an anchor.
pub(super) struct Rec {
    pub line: u64,
    pub item: AuditLine,
    /// 0 for an anchor.
    pub seq: u64,
    /// Empty for an anchor: nothing comes before it.
    pub prev: String,
    pub hash: String,
    /// The hash matches the content and the bytes are exactly what append
    /// writes for that content.
    pub intact: bool,
}

impl Rec {
    fn is_anchor(&self) -> bool {
        matches!(self.item, AuditLine::Anchor(_))
    }
}

/// The report, and the chain it was drawn from (for the head checks).
pub(super) struct Walked {
    pub report: VerifyReport,
    /// Chain order: the anchor (if any), then entries.
    pub chain: Vec<Rec>,
    /// `(line, hash)` of parsed lines the chain does not pass through.
    pub off_chain: Vec<(u64, String)>,
}

pub(super) fn lines_word(n: u64) -> &'static str {
    if n == 1 { "line" } else { "lines" }
}

pub(super) fn short(hash: &str) -> String {
    crate::model::text::clean(hash.get(..12).unwrap_or(hash)).into_owned()
}

/// The verifier. Three passes:
///
/// 1. Parse each line. Lines that end before their JSON does are `Torn`
///    (superseded if more lines follow); other failures are `Unparsable`.
///    For parsed lines, a hash that does not match the content, or bytes
///    that differ from the canonical line (fields added, removed,
///    reformatted) is `Modified`.
/// 2. Walk the chain by links, not by file position: start at the first
///    anchor line (or, for a log without one, at `prev` = 64 zeros) and
///    repeatedly take the unused line whose `prev` is the current line's
///    stored `hash` (a modified line keeps its stored hash, so its
///    successor still links to it and only that one line is reported).
///    When several lines link (a copy, a forged fork), prefer the one whose
///    `seq` fits, then the one some other line links to, then an intact
///    one, then the nearest one after the current line in the file.
///    When none links, re-synchronise at the unused line with the smallest
///    `seq` above the current one (ignoring strays: lines before the current
///    one in the file that no line links to):
///    * a `seq` jump means lines were deleted (`Deleted`, with both line
///      numbers and both seqs); a first entry that chains from neither
///      zeros nor an anchor in the file means the anchor was deleted;
///    * the very next `seq` with a `prev` that does not link means either
///      the previous line was altered and re-hashed (if a later line links
///      to this one, it is genuine and its predecessor is the forgery:
///      `Modified` at the predecessor) or this line is a forgery
///      (`Inserted`).
/// 3. Lines the walk never took are `Inserted` (a copy of line M / a second
///    line claiming seq S / a second anchor / not part of the chain). Lines
///    it took in another order than the file holds them are `Reordered`.
pub(super) fn verify_bytes(data: &[u8]) -> Walked {
    let raw = split_lines(data);
    let total = raw.len();
    let mut problems = Vec::new();
    let mut recs: Vec<Rec> = Vec::new();

    for (i, r) in raw.iter().enumerate() {
        let n = r.number;
        match parse_line(r.bytes) {
            Ok(item) => {
                let hash_ok = item.hash_is_valid();
                let canonical_ok = item.to_line().as_bytes() == r.bytes;
                let what = if matches!(item, AuditLine::Anchor(_)) {
                    format!("line {n} (the anchor)")
                } else {
                    format!("line {n}")
                };
                if !hash_ok {
                    problems.push(Problem {
                        line: n,
                        kind: ProblemKind::Modified,
                        message: format!(
                            "{what} was modified: its content does not match its hash"
                        ),
                    });
                } else if !canonical_ok {
                    problems.push(Problem {
                        line: n,
                        kind: ProblemKind::Modified,
                        message: format!(
                            "{what} was modified: it is not byte-for-byte what was written \
                             (fields added, dropped or reformatted)"
                        ),
                    });
                }
                let (seq, prev) = match &item {
                    AuditLine::Anchor(_) => (0, String::new()),
                    AuditLine::Entry(e) => (e.seq, e.prev.clone()),
                };
                recs.push(Rec {
                    line: n,
                    seq,
                    prev,
                    hash: item.hash().to_string(),
                    item,
                    intact: hash_ok && canonical_ok,
                });
            }
            Err(e) if is_torn(r.bytes, &e) => {
                let message = if !r.terminated {
                    format!(
                        "line {n} is torn: the file ends in the middle of an entry (an append \
                         was interrupted); the next append starts a fresh line"
                    )
                } else if i + 1 < total {
                    format!(
                        "line {n} is torn: an interrupted append, superseded by the lines after \
                         it (the chain skips it)"
                    )
                } else {
                    format!("line {n} is torn: it ends in the middle of an entry")
                };
                problems.push(Problem {
                    line: n,
                    kind: ProblemKind::Torn,
                    message,
                });
            }
            Err(e) => problems.push(Problem {
                line: n,
                kind: ProblemKind::Unparsable,
                message: format!("line {n}: {}", parse_reason(r.bytes, &e)),
            }),
        }
    }

    let (chain, used) = walk(&recs, &mut problems);
    off_chain_problems(&recs, &chain, &used, &mut problems);

    // Order: chain position of every chained line, in file order.
    let mut pos = vec![usize::MAX; recs.len()];
    for (p, &c) in chain.iter().enumerate() {
        pos[c] = p;
    }
    let order: Vec<usize> = (0..recs.len()).filter(|&i| used[i]).collect();
    let mut start = 0;
    let mut max_pos = 0;
    for k in 0..order.len() {
        max_pos = max_pos.max(pos[order[k]]);
        if max_pos == k {
            if k > start {
                let line = |i: usize| recs[i].line;
                let seq = |i: usize| recs[i].seq;
                problems.push(reorder_problem(&line, &seq, &chain, &pos, &order, start, k));
            }
            start = k + 1;
        }
    }
    problems.sort_by_key(|p| p.line);

    let anchor = chain.first().and_then(|&c| match &recs[c].item {
        AuditLine::Anchor(a) => Some(a.anchor.clone()),
        AuditLine::Entry(_) => None,
    });
    let last = chain.last().map(|&c| &recs[c]);
    let report = VerifyReport {
        lines: total as u64,
        problems,
        head: last.map(|r| r.hash.clone()),
        head_at: last.map(|r| (r.line, r.seq)),
        anchor,
        recorded: RecordedHead::NotKept,
        expected: None,
        unfinished: Vec::new(),
    };
    let mut slots: Vec<Option<Rec>> = recs.into_iter().map(Some).collect();
    let off_chain = used
        .iter()
        .zip(&slots)
        .filter(|(u, _)| !**u)
        .filter_map(|(_, r)| r.as_ref().map(|r| (r.line, r.hash.clone())))
        .collect();
    let chain = chain.iter().filter_map(|&c| slots[c].take()).collect();
    Walked {
        report,
        chain,
        off_chain,
    }
}

/// Pass 2. Returns the chain (indexes into `recs`) and which recs it used.
fn walk(recs: &[Rec], problems: &mut Vec<Problem>) -> (Vec<usize>, Vec<bool>) {
    let mut by_prev: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_seq: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, r) in recs.iter().enumerate().filter(|(_, r)| !r.is_anchor()) {
        by_prev.entry(r.prev.as_str()).or_default().push(i);
        by_seq.entry(r.seq).or_default().push(i);
    }
    let has_succ = |i: usize| {
        by_prev
            .get(recs[i].hash.as_str())
            .is_some_and(|v| v.iter().any(|&j| j != i))
    };
    let mut used = vec![false; recs.len()];
    let mut chain: Vec<usize> = Vec::new();
    let mut cur: Option<usize> = None;
    let mut cur_hash: &str = GENESIS_PREV;
    let mut cur_seq: u64 = 0;
    // The chain starts at the first anchor in the file; others are copies
    // or forgeries, reported as inserted.
    if let Some(a) = recs.iter().position(Rec::is_anchor) {
        used[a] = true;
        chain.push(a);
        cur = Some(a);
        cur_hash = recs[a].hash.as_str();
    }
    loop {
        let cur_line = cur.map_or(0, |c| recs[c].line);
        let next_seq = cur_seq.saturating_add(1);
        let best = |cands: &mut dyn Iterator<Item = usize>| {
            cands.max_by_key(|&i| {
                let r = &recs[i];
                (
                    r.seq == next_seq,
                    has_succ(i),
                    r.intact,
                    r.line > cur_line,
                    std::cmp::Reverse(r.line),
                )
            })
        };
        let linked = by_prev
            .get(cur_hash)
            .and_then(|v| best(&mut v.iter().copied().filter(|&i| !used[i])));
        let (pick, by_link) = match linked {
            Some(i) => (i, true),
            None => {
                // A line that links to nothing, that nothing links to and
                // that sits before the current line is a stray, not where
                // the chain goes on.
                let resumes = |i: usize| recs[i].line > cur_line || has_succ(i);
                let resync = by_seq
                    .range((Bound::Excluded(cur_seq), Bound::Unbounded))
                    .find_map(|(_, v)| best(&mut v.iter().copied().filter(|&i| resumes(i))));
                match resync {
                    Some(i) => (i, false),
                    None => break,
                }
            }
        };
        let r = &recs[pick];
        let s = r.seq;
        if by_link {
            if r.intact && s != next_seq {
                problems.push(Problem {
                    line: r.line,
                    kind: ProblemKind::Modified,
                    message: format!(
                        "line {} was altered and its hash recomputed: it follows seq {cur_seq} \
                         but claims seq {s}",
                        r.line
                    ),
                });
            }
            // The link is the evidence; a modified line's seq is not.
            cur_seq = next_seq;
        } else {
            if let Some(p) = broken_link(recs, cur, pick, next_seq, has_succ(pick)) {
                problems.push(p);
            }
            cur_seq = s;
        }
        used[pick] = true;
        if let Some(v) = by_seq.get_mut(&s) {
            v.retain(|&i| i != pick);
            if v.is_empty() {
                by_seq.remove(&s);
            }
        }
        chain.push(pick);
        cur = Some(pick);
        cur_hash = recs[pick].hash.as_str();
    }
    (chain, used)
}

/// What it means that the chain resumes at `pick` without a link from
/// `cur`.
fn broken_link(
    recs: &[Rec],
    cur: Option<usize>,
    pick: usize,
    next_seq: u64,
    pick_has_succ: bool,
) -> Option<Problem> {
    let r = &recs[pick];
    let s = r.seq;
    let cur_seq = next_seq - 1;
    if s > next_seq {
        let gap = s - next_seq;
        let w = lines_word(gap);
        let message = match cur {
            Some(c) if recs[c].is_anchor() => format!(
                "{gap} {w} deleted at the start of the log, between the anchor on line {} and \
                 line {} (the first entry left is seq {s})",
                recs[c].line, r.line
            ),
            Some(c) => format!(
                "{gap} {w} deleted between line {} and line {} (seq {cur_seq} → {s})",
                recs[c].line, r.line
            ),
            None => format!(
                "{gap} {w} deleted at the start of the log, before line {} (the chain begins \
                 at seq {s})",
                r.line
            ),
        };
        return Some(Problem {
            line: r.line,
            kind: ProblemKind::Deleted,
            message,
        });
    }
    if !r.intact {
        // Reported in pass 1: its `prev` is probably what changed.
        return None;
    }
    // The right seq, but `prev` does not link.
    let p = match cur {
        // The predecessor's hash field was edited: reported.
        Some(c) if !recs[c].intact => return None,
        Some(c) if pick_has_succ => Problem {
            line: recs[c].line,
            kind: ProblemKind::Modified,
            message: if recs[c].is_anchor() {
                format!(
                    "the anchor on line {} was replaced: line {} (seq {s}) records a different \
                     hash for it",
                    recs[c].line, r.line
                )
            } else {
                format!(
                    "line {} was replaced or altered and its hash recomputed: line {} (seq {s}) \
                     records a different hash for its predecessor",
                    recs[c].line, r.line
                )
            },
        },
        Some(c) => Problem {
            line: r.line,
            kind: ProblemKind::Inserted,
            message: format!(
                "line {} was inserted (or line {} was altered and its hash recomputed): it \
                 claims seq {s} but does not chain from line {} (its prev is {}…)",
                r.line,
                recs[c].line,
                recs[c].line,
                short(&r.prev)
            ),
        },
        // No anchor in the file and seq 1 does not chain from zeros: the
        // anchor line is gone (or the first line was forged).
        None => Problem {
            line: r.line,
            kind: ProblemKind::Deleted,
            message: format!(
                "the log's anchor line was deleted (or line {} was forged): line {} claims seq \
                 {s} but chains from {}…, which is neither 64 zeros nor an anchor in the file",
                r.line,
                r.line,
                short(&r.prev)
            ),
        },
    };
    Some(p)
}

/// Pass 3a: lines off the chain.
fn off_chain_problems(recs: &[Rec], chain: &[usize], used: &[bool], out: &mut Vec<Problem>) {
    let mut chain_by_hash: HashMap<&str, usize> = HashMap::new();
    let mut chain_by_seq: HashMap<u64, usize> = HashMap::new();
    for &c in chain {
        chain_by_hash.entry(recs[c].hash.as_str()).or_insert(c);
        chain_by_seq.entry(recs[c].seq).or_insert(c);
    }
    for (i, r) in recs.iter().enumerate() {
        if used[i] {
            continue;
        }
        let s = r.seq;
        let copy_of = chain_by_hash
            .get(r.hash.as_str())
            .filter(|&&c| recs[c].item == r.item);
        let mut message = if let Some(&c) = copy_of {
            format!(
                "line {} was inserted: it is a copy of line {}",
                r.line, recs[c].line
            )
        } else if r.is_anchor() {
            let first = chain.first().map_or(0, |&c| recs[c].line);
            format!(
                "line {} was inserted: a second anchor (the log starts at the anchor on line \
                 {first})",
                r.line
            )
        } else if let Some(&c) = chain_by_seq.get(&s) {
            format!(
                "line {} was inserted: it claims seq {s}, which line {} holds in the chain",
                r.line, recs[c].line
            )
        } else {
            format!(
                "line {} was inserted: it is not part of the chain (seq {s}, prev {}…)",
                r.line,
                short(&r.prev)
            )
        };
        if !r.intact {
            message.push_str(" (and was modified)");
        }
        out.push(Problem {
            line: r.line,
            kind: ProblemKind::Inserted,
            message,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::audit::test_support::{chain_lines, entry};

    fn verify_lines(lines: &[String]) -> VerifyReport {
        let mut text = lines.join("\n");
        text.push('\n');
        verify_bytes(text.as_bytes()).report
    }

    #[test]
    fn a_reversed_large_log_is_one_capped_problem_and_fast() {
        let mut lines = chain_lines(10_000);
        assert!(verify_lines(&lines).is_ok());
        lines.reverse();
        let started = std::time::Instant::now();
        let r = verify_lines(&lines);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems.first());
        let p = &r.problems[0];
        assert_eq!((p.line, p.kind), (1, ProblemKind::Reordered));
        assert!(p.message.contains("more)"), "{}", p.message);
        assert!(p.message.len() < 300, "{}", p.message);
    }

    #[test]
    fn absurd_seqs_do_not_overflow() {
        let mut lines = chain_lines(3);
        let mut e = entry();
        e.seq = u64::MAX;
        e.prev = "f".repeat(64);
        e.hash = e.compute_hash();
        lines.push(e.to_line());
        let r = verify_lines(&lines);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert_eq!(r.problems[0].kind, ProblemKind::Deleted);
    }

    #[test]
    fn control_characters_in_a_forged_prev_do_not_reach_the_message() {
        let mut lines = chain_lines(3);
        let mut e = entry();
        e.seq = 40;
        e.prev = "\x1b]52;c;AAAA\x07".into();
        e.hash = e.compute_hash();
        lines.insert(1, e.to_line());
        let r = verify_lines(&lines);
        let all = format!("{:?}", r.problems);
        assert!(
            r.problems.iter().all(|p| !p.message.contains('\x1b')),
            "{all}"
        );
    }
}
