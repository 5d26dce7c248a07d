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
