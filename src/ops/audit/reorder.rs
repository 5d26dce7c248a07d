//! Pass 3b of the verifier: lines the chain passes through in another order
//! than the file holds them. The file is split into the smallest blocks
//! that hold a contiguous stretch of the chain; a block with two misplaced
//! lines is a swap, one misplaced line that leaves the rest in order was
//! moved, anything else is listed (capped).

use super::report::{Problem, ProblemKind};

/// `order[start..=end]` holds exactly chain positions `start..=end`, not in
/// order. `line`/`seq` look up a chained line's number and seq by index.
pub(super) fn reorder_problem(
    line: &dyn Fn(usize) -> u64,
    seq: &dyn Fn(usize) -> u64,
    chain: &[usize],
    pos: &[usize],
    order: &[usize],
    start: usize,
    end: usize,
) -> Problem {
    let block = &order[start..=end];
    let misplaced: Vec<usize> = (start..=end)
        .filter(|&k| pos[order[k]] != k)
        .map(|k| order[k])
        .collect();
    if let [a, b] = misplaced[..] {
        return Problem {
            line: line(a),
            kind: ProblemKind::Reordered,
            message: format!(
                "lines {} and {} are out of order: they are swapped (line {} holds seq {}, \
                 line {} holds seq {})",
                line(a),
                line(b),
                line(a),
                seq(a),
                line(b),
                seq(b)
            ),
        };
    }
    // One line moved: without it, the rest of the block is in order. If
    // such a line exists it is at the first descent or just after it.
    let ps: Vec<usize> = block.iter().map(|&i| pos[i]).collect();
    let in_order_without = |skip: usize| {
        let mut rest = ps.iter().enumerate().filter(|&(k, _)| k != skip);
        let mut last = rest.next().map(|(_, &p)| p);
        rest.all(|(_, &p)| {
            let ok = last.is_none_or(|l| l < p);
            last = Some(p);
            ok
        })
    };
    let moved = ps
        .windows(2)
        .position(|w| w[0] > w[1])
        .and_then(|k| [k, k + 1].into_iter().find(|&c| in_order_without(c)))
        .map(|c| block[c]);
    if let Some(m) = moved {
        let p = pos[m];
        let place = if p > 0 {
            format!(
                "after line {} (seq {})",
                line(chain[p - 1]),
                seq(chain[p - 1])
            )
        } else {
            format!(
                "before line {} (seq {})",
                line(chain[p + 1]),
                seq(chain[p + 1])
            )
        };
        return Problem {
            line: line(m),
            kind: ProblemKind::Reordered,
            message: format!(
                "line {} (seq {}) is out of order: it belongs {place}",
                line(m),
                seq(m)
            ),
        };
    }
    const SHOWN: usize = 8;
    let list = |f: &dyn Fn(usize) -> u64| {
        let mut items: Vec<String> = misplaced
            .iter()
            .take(SHOWN)
            .map(|&i| f(i).to_string())
            .collect();
        if misplaced.len() > SHOWN {
            items.push(format!("… ({} more)", misplaced.len() - SHOWN));
        }
        items.join(", ")
    };
    Problem {
        line: line(misplaced[0]),
        kind: ProblemKind::Reordered,
        message: format!(
            "lines {} are out of order (they hold seqs {} in that order)",
            list(line),
            list(seq)
        ),
    }
}
