//! Latency statistics: nearest-rank percentiles of a series of durations, in microseconds.

use std::time::Duration;

/// The p50, p95 and p99 of a series, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl Percentiles {
    /// The percentiles of `samples` (which must not be empty).
    pub fn of(samples: &[Duration]) -> Self {
        let mut micros: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        micros.sort_by(f64::total_cmp);
        Self {
            p50: quantile(&micros, 0.50),
            p95: quantile(&micros, 0.95),
            p99: quantile(&micros, 0.99),
        }
    }
}

/// The nearest-rank `q`-quantile (`0 < q <= 1`) of ascending `sorted` values: the smallest value
/// with at least a fraction `q` of the values at or below it.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "the quantile of no samples");
    assert!(q > 0.0 && q <= 1.0, "quantile {q} outside (0, 1]");
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_to(n: u32) -> Vec<f64> {
        (1..=n).map(f64::from).collect()
    }

    #[test]
    fn nearest_rank_of_one_to_a_hundred_is_the_rank_itself() {
        let values = one_to(100);
        assert_eq!(quantile(&values, 0.50), 50.0);
        assert_eq!(quantile(&values, 0.95), 95.0);
        assert_eq!(quantile(&values, 0.99), 99.0);
        assert_eq!(quantile(&values, 1.0), 100.0);
    }

    #[test]
    fn ranks_round_up_between_values() {
        let values = one_to(10);
        assert_eq!(quantile(&values, 0.50), 5.0);
        assert_eq!(quantile(&values, 0.95), 10.0);
        assert_eq!(quantile(&values, 0.11), 2.0);
    }

    #[test]
    fn a_single_sample_is_every_percentile() {
        assert_eq!(quantile(&[7.0], 0.01), 7.0);
        assert_eq!(quantile(&[7.0], 0.99), 7.0);
    }

    #[test]
    fn percentiles_sort_their_input_and_convert_to_microseconds() {
        let samples: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        assert_eq!(
            Percentiles::of(&samples),
            Percentiles {
                p50: 50.0,
                p95: 95.0,
                p99: 99.0
            }
        );
    }

    #[test]
    #[should_panic(expected = "no samples")]
    fn no_samples_is_a_bug() {
        quantile(&[], 0.5);
    }
}
