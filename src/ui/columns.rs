//! The services table's columns: their titles, minimum widths and drop
//! priorities, and which of them fit a width (on a narrow terminal the
//! least important drop out whole, so nothing overlaps or wraps).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Status,
    Name,
    Env,
    Pods,
    Rollout,
    Latency,
    P95,
    Uptime,
    Restarts,
    Hpa,
    Image,
    Revision,
    Trend,
    Reason,
    Rps,
    ErrorRate,
    ReqP95,
    Traffic,
}

impl Column {
    /// Columns that only make sense when some service has metrics.
    fn is_metrics(self) -> bool {
        matches!(
            self,
            Column::Rps | Column::ErrorRate | Column::ReqP95 | Column::Traffic
        )
    }

    /// Columns that only make sense when some service has a workload.
    fn is_kube(self) -> bool {
        matches!(
            self,
            Column::Pods
                | Column::Rollout
                | Column::Restarts
                | Column::Hpa
                | Column::Image
                | Column::Revision
        )
    }
}

impl Column {
    pub fn title(self) -> &'static str {
        match self {
            Column::Status => "STATUS",
            Column::Name => "SERVICE",
            Column::Env => "ENV",
            Column::Latency => "LAT",
            Column::P95 => "P95",
            Column::Uptime => "UPTIME",
            Column::Trend => "TREND",
            Column::Reason => "FAILING / REASON",
            Column::Pods => "PODS",
            Column::Rollout => "ROLLOUT",
            Column::Restarts => "RST",
            Column::Hpa => "HPA",
            Column::Image => "IMAGE",
            Column::Revision => "REV",
            Column::Rps => "REQ/S",
            Column::ErrorRate => "ERR%",
            Column::ReqP95 => "REQ95",
            Column::Traffic => "TRAFFIC",
        }
    }
}

/// Columns in display order with (minimum width, drop priority: higher
/// drops first).
const COLUMNS: &[(Column, u16, u8)] = &[
    (Column::Status, 6, 0),
    (Column::Name, 12, 0),
    (Column::Env, 8, 12),
    (Column::Pods, 5, 2),
    (Column::Rollout, 11, 10),
    (Column::Rps, 6, 3),
    (Column::ErrorRate, 5, 4),
    (Column::ReqP95, 6, 7),
    (Column::Latency, 6, 5),
    (Column::P95, 6, 9),
    (Column::Uptime, 6, 6),
    (Column::Restarts, 4, 8),
    (Column::Hpa, 9, 13),
    (Column::Image, 16, 14),
    (Column::Revision, 4, 15),
    (Column::Traffic, 10, 16),
    (Column::Trend, 10, 11),
    (Column::Reason, 24, 1),
];

/// The columns that fit in `width`, with their widths.
pub fn fit_columns(
    width: u16,
    name_need: u16,
    show_env: bool,
    env_need: u16,
    show_kube: bool,
    show_metrics: bool,
) -> Vec<(Column, u16)> {
    let mut cols: Vec<(Column, u16, u8)> = COLUMNS
        .iter()
        .copied()
        .filter(|(c, _, _)| show_env || *c != Column::Env)
        .filter(|(c, _, _)| show_kube || !c.is_kube())
        .filter(|(c, _, _)| show_metrics || !c.is_metrics())
        .collect();
    let total = |cols: &[(Column, u16, u8)]| -> u16 {
        cols.iter().map(|c| c.1).sum::<u16>() + cols.len().saturating_sub(1) as u16
    };
    while total(&cols) > width {
        let Some(worst) = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.2 > 0)
            .max_by_key(|(_, c)| c.2)
            .map(|(i, _)| i)
        else {
            break;
        };
        if cols[worst].0 == Column::Reason {
            // The reason is worth more than any number: shrink it instead.
            let others = total(&cols) - cols[worst].1;
            cols[worst].1 = width.saturating_sub(others).max(8);
            break;
        }
        cols.remove(worst);
    }
    // Spare room: the name grows to fit names, the env to its values, the
    // trend to 24, and the reason takes the rest.
    let mut spare = width.saturating_sub(total(&cols));
    let mut grow = |cols: &mut Vec<(Column, u16, u8)>, which: Column, upto: u16| {
        if let Some(c) = cols.iter_mut().find(|c| c.0 == which) {
            let add = upto.saturating_sub(c.1).min(spare);
            c.1 += add;
            spare -= add;
        }
    };
    grow(&mut cols, Column::Name, name_need.min(32));
    grow(&mut cols, Column::Env, env_need.min(16));
    grow(&mut cols, Column::Trend, 24);
    grow(&mut cols, Column::Image, 28);
    grow(&mut cols, Column::Traffic, 24);
    grow(&mut cols, Column::Reason, u16::MAX);
    grow(&mut cols, Column::Trend, 60);
    cols.into_iter().map(|(c, w, _)| (c, w)).collect()
}

/// `s` right-aligned in `w` columns.
pub fn right(s: String, w: usize) -> String {
    format!("{s:>w$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_drop_columns_by_priority() {
        let at = |w| {
            fit_columns(w, 14, false, 0, false, false)
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            at(80),
            vec![
                Column::Status,
                Column::Name,
                Column::Latency,
                Column::P95,
                Column::Uptime,
                Column::Trend,
                Column::Reason
            ]
        );
        assert_eq!(
            at(60),
            vec![
                Column::Status,
                Column::Name,
                Column::Latency,
                Column::Uptime,
                Column::Reason
            ]
        );
        assert_eq!(at(40), vec![Column::Status, Column::Name, Column::Reason]);
        assert_eq!(
            fit_columns(40, 14, false, 0, false, false).last(),
            Some(&(Column::Reason, 20))
        );
        // With environments shown, 80 columns trade ENV for the reason.
        let with_env: Vec<Column> = fit_columns(80, 14, true, 10, false, false)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert!(!with_env.contains(&Column::Env));
        assert!(
            fit_columns(120, 14, true, 10, false, false)
                .iter()
                .any(|c| c.0 == Column::Env)
        );
        for w in [30u16, 40, 60, 80, 120, 200] {
            let used: u16 = fit_columns(w, 14, true, 10, false, true)
                .iter()
                .map(|c| c.1 + 1)
                .sum::<u16>()
                - 1;
            assert!(used <= w.max(35), "width {w}: used {used}");
        }
    }
}
