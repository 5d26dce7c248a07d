//! Screen arithmetic shared by the reducer (to keep the selection visible)
//! and the renderer (to draw it). Plain numbers, no drawing.

/// Rows of the header bar.
/// Rows of the header: the title bar and the tabs/status row.
pub const HEADER_ROWS: u16 = 2;
/// Rows of the footer hint bar.
pub const FOOTER_ROWS: u16 = 1;
/// The services table's column-title row.
pub const TABLE_HEADER_ROWS: u16 = 1;

/// Rows left for the body (between header, optional notice line and footer).
pub fn body_rows(height: u16, notice_rows: u16) -> u16 {
    height.saturating_sub(HEADER_ROWS + FOOTER_ROWS + notice_rows)
}

/// Service rows visible in the table.
pub fn list_rows(height: u16, notice_rows: u16) -> usize {
    body_rows(height, notice_rows).saturating_sub(TABLE_HEADER_ROWS) as usize
}

/// Keeps `selected` inside a window of `rows` starting at `offset`,
/// moving the window as little as possible.
pub fn scroll_to_show(selected: usize, offset: usize, rows: usize, len: usize) -> usize {
    if rows == 0 || len == 0 {
        return 0;
    }
    let max_offset = len.saturating_sub(rows);
    let offset = if selected < offset {
        selected
    } else if selected >= offset + rows {
        selected + 1 - rows
    } else {
        offset
    };
    offset.min(max_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolls_minimally() {
        assert_eq!(scroll_to_show(0, 0, 10, 100), 0);
        assert_eq!(scroll_to_show(9, 0, 10, 100), 0);
        assert_eq!(scroll_to_show(10, 0, 10, 100), 1);
        assert_eq!(scroll_to_show(5, 20, 10, 100), 5);
        assert_eq!(scroll_to_show(99, 0, 10, 100), 90);
        // Shrinking the list pulls the window back.
        assert_eq!(scroll_to_show(3, 50, 10, 12), 2);
    }
}
