//! The Fleet pane's grid arithmetic, shared by the reducer (cursor moves,
//! scrolling) and the renderer: which lines the grid has at a given size,
//! how wide a cell is, which blocks are expanded.

use super::fleet::{Cursor, FleetState};

/// Columns before the first cell of a row (under the block's marker).
pub const INDENT: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridLine {
    /// A block's header: its name, counts and offline share (collapsed:
    /// also a bar).
    Header(usize),
    /// Cells `start..end` of a block's members.
    Cells {
        block: usize,
        start: usize,
        end: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub lines: Vec<GridLine>,
    /// 2 (glyph and a space) or 1 when that is what it takes to fit.
    pub cell_w: usize,
    pub per_row: usize,
    /// Blocks are collapsed to one line unless the operator expanded them.
    pub compact: bool,
}

impl Grid {
    /// The grid for `width` columns and `rows` lines.
    pub fn new(f: &FleetState, width: u16, rows: usize) -> Grid {
        let usable = (width as usize).saturating_sub(INDENT).max(1);
        let lines_all = |cell_w: usize| {
            let per_row = (usable / cell_w).max(1);
            f.blocks
                .iter()
                .map(|b| 1 + b.members.len().div_ceil(per_row))
                .sum::<usize>()
        };
        let (cell_w, compact) = if lines_all(2) <= rows {
            (2, false)
        } else if lines_all(1) <= rows {
            (1, false)
        } else {
            (2, true)
        };
        let per_row = (usable / cell_w).max(1);
        let mut lines = Vec::new();
        for (bi, b) in f.blocks.iter().enumerate() {
            lines.push(GridLine::Header(bi));
            if compact != f.toggled.contains(&b.key) {
                continue;
            }
            let mut start = 0;
            while start < b.members.len() {
                let end = (start + per_row).min(b.members.len());
                lines.push(GridLine::Cells {
                    block: bi,
                    start,
                    end,
                });
                start = end;
            }
        }
        Grid {
            lines,
            cell_w,
            per_row,
            compact,
        }
    }

    pub fn expanded(&self, f: &FleetState, block: usize) -> bool {
        f.blocks
            .get(block)
            .is_some_and(|b| self.compact == f.toggled.contains(&b.key))
    }

    /// The line the cursor is on.
    pub fn line_of(&self, c: Cursor) -> usize {
        self.lines
            .iter()
            .position(|l| match (*l, c.cell) {
                (GridLine::Header(b), None) => b == c.block,
                (GridLine::Cells { block, start, end }, Some(cell)) => {
                    block == c.block && (start..end).contains(&cell)
                }
                _ => false,
            })
            .unwrap_or(0)
    }

    /// The cursor for `line`, keeping column `col` where the line has it.
    pub fn cursor_at(&self, line: usize, col: usize) -> Cursor {
        match self.lines.get(line) {
            Some(GridLine::Header(b)) => Cursor {
                block: *b,
                cell: None,
            },
            Some(GridLine::Cells { block, start, end }) => Cursor {
                block: *block,
                cell: Some((start + col).min(end - 1)),
            },
            None => Cursor::default(),
        }
    }

    /// The cursor's column within its row.
    pub fn col_of(&self, c: Cursor) -> usize {
        match self.lines.get(self.line_of(c)) {
            Some(GridLine::Cells { start, .. }) => c.cell.unwrap_or(0) - start,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fleet::Block;
    use crate::model::fleet::StatusCounts;

    fn fleet(sizes: &[usize]) -> FleetState {
        let mut f = FleetState::default();
        f.blocks = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| Block {
                key: format!("b{i}"),
                members: (0..*n)
                    .map(|idx| super::super::fleet::InstanceRef {
                        seg: 0,
                        idx: idx as u32,
                    })
                    .collect(),
                counts: StatusCounts::default(),
            })
            .collect();
        f
    }

    #[test]
    fn everything_expanded_when_it_fits_else_narrow_cells_else_compact() {
        let f = fleet(&[10, 100]);
        // 80 wide: 39 cells of 2 per row → 1 + 1 + 1 + 3 = 6 lines.
        let g = Grid::new(&f, 80, 20);
        assert_eq!((g.cell_w, g.compact, g.lines.len()), (2, false, 6));
        // 5 rows: cells of 1 (78 per row) → 1 + 1 + 1 + 2 = 5 lines.
        let g = Grid::new(&f, 80, 5);
        assert_eq!((g.cell_w, g.compact, g.lines.len()), (1, false, 5));
        let g = Grid::new(&f, 80, 3);
        assert!(g.compact);
        assert_eq!(g.lines, [GridLine::Header(0), GridLine::Header(1)]);
    }

    #[test]
    fn toggling_expands_one_block_in_compact_mode() {
        let mut f = fleet(&[10, 100]);
        f.toggled.insert("b1".into());
        let g = Grid::new(&f, 80, 3);
        assert_eq!(g.lines.len(), 2 + 3);
        assert!(g.expanded(&f, 1) && !g.expanded(&f, 0));
    }

    #[test]
    fn cursor_keeps_its_column_between_rows() {
        let f = fleet(&[100]);
        let g = Grid::new(&f, 80, 20);
        let c = g.cursor_at(1, 5);
        assert_eq!(c.cell, Some(5));
        assert_eq!(g.col_of(c), 5);
        let below = g.cursor_at(g.line_of(c) + 1, g.col_of(c));
        assert_eq!(below.cell, Some(39 + 5));
        // The last row is short: the column is clamped.
        let last = g.cursor_at(3, 30);
        assert_eq!(last.cell, Some(99));
    }
}
