//! A text sparkline that fits in a table cell.

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values as bars scaled to their max; `None` (a failed
/// sample) is drawn as `×` so failures read without colour.
pub fn render(values: impl Iterator<Item = Option<u64>>, width: usize) -> String {
    let all: Vec<Option<u64>> = values.collect();
    let tail = &all[all.len().saturating_sub(width)..];
    let max = tail.iter().flatten().copied().max().unwrap_or(0).max(1);
    tail.iter()
        .map(|v| match v {
            None => '×',
            Some(v) => {
                let i = ((*v as f64 / max as f64) * (BARS.len() - 1) as f64).round() as usize;
                BARS[i.min(BARS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn scales_and_marks_failures() {
        let s = super::render([Some(1), Some(8), None, Some(4)].into_iter(), 10);
        assert_eq!(s, "▂█×▅");
        let s = super::render((0..20).map(Some), 5);
        assert_eq!(s.chars().count(), 5);
    }
}
