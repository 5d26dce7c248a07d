//! Prometheus' `histogram_quantile` over classic (`le`) buckets, so the
//! board's p95 agrees with the same query on a dashboard.

/// The `q`-quantile of cumulative `(le, count)` buckets, in any order.
///
/// Follows Prometheus' `bucketQuantile`: linear interpolation within the
/// bucket; the lowest bucket starts at 0 when its bound is > 0 (otherwise
/// its bound is returned); a rank in the `+Inf` bucket returns the highest
/// finite bound; `q < 0` → `-Inf`, `q > 1` → `+Inf`; NaN when `q` is NaN,
/// there is no `+Inf` bucket, fewer than two buckets, or no observations.
/// Equal bounds are merged and non-monotonic counts are raised to the
/// running maximum, as Prometheus does. Buckets with a NaN bound or count
/// are ignored.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    let mut b: Vec<(f64, f64)> = buckets
        .iter()
        .copied()
        .filter(|(le, n)| !le.is_nan() && !n.is_nan())
        .collect();
    b.sort_by(|x, y| x.0.total_cmp(&y.0));
    if b.last().is_none_or(|(le, _)| *le != f64::INFINITY) {
        return f64::NAN;
    }
    coalesce(&mut b);
    correct_precision_errors(&mut b, 1e-12);
    ensure_monotonic(&mut b);
    let [.., second_highest, (_, observations)] = b[..] else {
        return f64::NAN;
    };
    if observations == 0.0 {
        return f64::NAN;
    }
    let rank = q * observations;
    // First bucket (excluding +Inf) whose cumulative count reaches the rank.
    let i = b[..b.len() - 1].partition_point(|(_, n)| *n < rank);
    if i == b.len() - 1 {
        return second_highest.0;
    }
    let (end, n) = b[i];
    if i == 0 {
        if end <= 0.0 {
            return end;
        }
        return end * (rank / n);
    }
    let (start, below) = b[i - 1];
    start + (end - start) * ((rank - below) / (n - below))
}

/// Merges buckets with the same bound (input sorted by bound).
fn coalesce(b: &mut Vec<(f64, f64)>) {
    b.dedup_by(|later, kept| {
        if later.0 == kept.0 {
            kept.1 += later.1;
            true
        } else {
            false
        }
    });
}

/// Float sums across series can make equal counts differ in the last bits;
/// treat those as equal rather than as a decrease.
fn correct_precision_errors(b: &mut [(f64, f64)], tolerance: f64) {
    let Some(&(_, mut prev)) = b.first() else {
        return;
    };
    for bucket in b.iter_mut().skip(1) {
        let delta = (bucket.1 - prev).abs();
        if delta == 0.0 {
            continue;
        }
        if delta / bucket.1 <= tolerance {
            bucket.1 = prev;
        } else {
            prev = bucket.1;
        }
    }
}

/// Raises each count to the running maximum: a higher bound has counted at
/// least every observation a lower one did.
fn ensure_monotonic(b: &mut [(f64, f64)]) {
    let mut max = f64::NEG_INFINITY;
    for bucket in b.iter_mut() {
        if bucket.1 > max {
            max = bucket.1;
        } else {
            bucket.1 = max;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INF: f64 = f64::INFINITY;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    const EXAMPLE: [(f64, f64); 4] = [(0.1, 10.0), (0.5, 20.0), (1.0, 30.0), (INF, 30.0)];

    #[test]
    fn quantile_interpolates_within_the_bucket() {
        // rank 15 falls in (0.1, 0.5] holding 10: 0.1 + 0.4 * (15-10)/10.
        assert!(close(histogram_quantile(0.5, &EXAMPLE), 0.3));
        // rank 28.5 in (0.5, 1]: 0.5 + 0.5 * 8.5/10.
        assert!(close(histogram_quantile(0.95, &EXAMPLE), 0.925));
        // rank 29.7: 0.5 + 0.5 * 9.7/10.
        assert!(close(histogram_quantile(0.99, &EXAMPLE), 0.985));
        assert!(close(histogram_quantile(1.0, &EXAMPLE), 1.0));
    }

    #[test]
    fn quantile_lowest_bucket_starts_at_zero() {
        // rank 5 of the 10 in [0, 0.1].
        assert!(close(histogram_quantile(1.0 / 6.0, &EXAMPLE), 0.05));
        // A lowest bound ≤ 0 is returned as is.
        let negative = [(-1.0, 10.0), (1.0, 20.0), (INF, 20.0)];
        assert_eq!(histogram_quantile(0.25, &negative), -1.0);
    }

    #[test]
    fn quantile_in_the_inf_bucket_is_the_highest_finite_bound() {
        let b = [(0.1, 10.0), (1.0, 20.0), (INF, 30.0)];
        assert_eq!(histogram_quantile(0.9, &b), 1.0);
    }

    #[test]
    fn quantile_special_cases() {
        assert_eq!(histogram_quantile(-0.1, &EXAMPLE), f64::NEG_INFINITY);
        assert_eq!(histogram_quantile(1.1, &EXAMPLE), INF);
        assert!(histogram_quantile(f64::NAN, &EXAMPLE).is_nan());
        assert!(histogram_quantile(0.5, &[]).is_nan());
        assert!(
            histogram_quantile(0.5, &[(INF, 10.0)]).is_nan(),
            "one bucket"
        );
        assert!(
            histogram_quantile(0.5, &[(0.1, 0.0), (INF, 0.0)]).is_nan(),
            "zero observations"
        );
        assert!(
            histogram_quantile(0.5, &[(0.1, 10.0), (1.0, 20.0)]).is_nan(),
            "no +Inf bucket"
        );
    }

    #[test]
    fn quantile_sorts_merges_and_fixes_monotonicity() {
        let shuffled = [(INF, 30.0), (0.5, 20.0), (1.0, 30.0), (0.1, 10.0)];
        assert!(close(histogram_quantile(0.5, &shuffled), 0.3));
        let split = [
            (0.1, 4.0),
            (0.1, 6.0),
            (0.5, 20.0),
            (1.0, 30.0),
            (INF, 30.0),
        ];
        assert!(close(histogram_quantile(0.5, &split), 0.3));
        // 8 < 10 is raised to 10, so (0.5, 1] holds 20: 0.5 + 0.5 * 5/20.
        // Interpolating from the raw 8 would give 0.659.
        let dented = [(0.1, 10.0), (0.5, 8.0), (1.0, 30.0), (INF, 30.0)];
        assert!(close(histogram_quantile(0.5, &dented), 0.625));
        let with_nan = [
            (0.1, 10.0),
            (f64::NAN, 5.0),
            (0.5, 20.0),
            (0.7, f64::NAN),
            (1.0, 30.0),
            (INF, 30.0),
        ];
        assert!(close(histogram_quantile(0.5, &with_nan), 0.3));
    }
}
