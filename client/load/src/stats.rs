//! Latency percentiles of `loanctl load` (measurements, so f64 is fine here; never money).

use serde::Serialize;

/// The nearest-rank percentile `p` (0 < p ≤ 100) of `sorted` (ascending): the smallest value
/// such that at least p % of the values are at or below it. `None` for no values.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// p50, p90, p99 and max, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Latency {
    /// From latencies in microseconds (sorted here); all zero when there are none.
    pub fn from_micros(mut micros: Vec<u64>) -> Latency {
        micros.sort_unstable();
        let ms = |p: f64| percentile(&micros, p).map(|us| us as f64 / 1000.0).unwrap_or(0.0);
        Latency { p50: ms(50.0), p90: ms(90.0), p99: ms(99.0), max: ms(100.0) }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn exact_on_known_inputs() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 90.0), Some(90));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&[7], 50.0), Some(7));
        assert_eq!(percentile(&[1, 2], 50.0), Some(1));
        assert_eq!(percentile(&[1, 2, 3], 50.0), Some(2));
        assert_eq!(percentile(&[], 50.0), None);
        let l = Latency::from_micros(vec![3_000, 1_000, 2_000, 1_500_250]);
        assert_eq!(l, Latency { p50: 2.0, p90: 1500.25, p99: 1500.25, max: 1500.25 });
        assert_eq!(Latency::from_micros(vec![]), Latency::default());
    }

    proptest! {
        #[test]
        fn percentiles_are_monotone_and_within_the_data(mut v in proptest::collection::vec(0u64..10_000_000, 1..500)) {
            let l = Latency::from_micros(v.clone());
            prop_assert!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
            v.sort_unstable();
            let (min, max) = (v[0], v[v.len() - 1]);
            for p in [1.0, 50.0, 90.0, 99.0, 100.0] {
                let x = percentile(&v, p).unwrap();
                prop_assert!(min <= x && x <= max);
                prop_assert!(v.contains(&x));
                // Nearest rank: at least p % of the values are at or below x.
                let at_or_below = v.iter().filter(|&&y| y <= x).count() as f64;
                prop_assert!(at_or_below >= p / 100.0 * v.len() as f64 - 1e-9);
            }
            prop_assert_eq!(percentile(&v, 100.0), Some(max));
        }
    }
}
