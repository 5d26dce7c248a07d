//! The last pass over every frame before it reaches the terminal: no cell
//! may hold a control character, and no row may show a registered secret.
//!
//! Panes already clean what they draw; this pass makes the guarantee hold
//! for every pane, dialog and future widget, and does not rely on the
//! terminal library happening to drop control characters.

use ratatui::buffer::Buffer;

use crate::model::text::{self, is_unsafe_char};

/// Replaces control characters in every cell and masks secret values that
/// are visible in one row.
pub fn scrub(buf: &mut Buffer) {
    let area = buf.area;
    let secrets = text::secrets_registered() > 0;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            if cell.symbol().chars().any(is_unsafe_char) {
                let cleaned = text::clean(cell.symbol()).into_owned();
                cell.set_symbol(&cleaned);
            }
        }
        if secrets {
            mask_row(buf, y);
        }
    }
}

/// Masks, cell by cell, every secret that appears in row `y` as drawn.
fn mask_row(buf: &mut Buffer, y: u16) {
    let area = buf.area;
    let mut row = String::with_capacity(area.width as usize * 2);
    for x in area.left()..area.right() {
        row.push_str(buf[(x, y)].symbol());
    }
    let masked = text::secret_spans(&row);
    if masked.is_empty() {
        return;
    }
    // Only now map each byte of the row back to the cell it came from.
    let mut cell_of = Vec::with_capacity(row.len());
    for x in area.left()..area.right() {
        cell_of.extend(std::iter::repeat_n(x, buf[(x, y)].symbol().len()));
    }
    for (start, end) in masked {
        let (Some(&first), Some(&last)) = (cell_of.get(start), cell_of.get(end.saturating_sub(1)))
        else {
            continue;
        };
        for x in first..=last {
            buf[(x, y)].set_symbol("*");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn control_characters_and_secrets_never_stay_in_a_frame() {
        crate::model::text::register_secret("scrub-Canary-77");
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 2));
        buf.set_string(
            0,
            0,
            "token scrub-Canary-77 end",
            ratatui::style::Style::default(),
        );
        // Written cell by cell, as a widget that does not clean would.
        buf[(0, 1)].set_symbol("\x1b");
        buf[(1, 1)].set_symbol("]");
        buf[(2, 1)].set_symbol("\u{9b}");
        scrub(&mut buf);
        let row0: String = (0..40).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        assert!(!row0.contains("scrub-Canary-77"), "{row0}");
        assert!(row0.starts_with("token *************** end"), "{row0}");
        let row1: String = (0..3).map(|x| buf[(x, 1)].symbol().to_string()).collect();
        assert!(!row1.chars().any(is_unsafe_char), "{row1:?}");
    }
}
