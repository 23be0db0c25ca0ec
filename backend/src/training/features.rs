//! From bars to samples: indicator values, fuzzy memberships, look-back windows across
//! timeframes (as-of aligned to the base timeframe), zigzag labels, splits and scaling.

use super::indicators::IndicatorKind;
use super::strategy::{FuzzySetSpec, Strategy};
use crate::data::bars::{Bar, Timeframe};

/// Class names, in label order.
pub const CLASSES: [&str; 3] = ["BUY", "HOLD", "SELL"];

/// Feature vectors with their labels, in time order.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    /// One feature vector per sample.
    pub features: Vec<Vec<f32>>,
    /// One class index per sample.
    pub labels: Vec<usize>,
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True without samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    fn extend_from(&mut self, other: &Samples, range: std::ops::Range<usize>) {
        self.features
            .extend_from_slice(&other.features[range.clone()]);
        self.labels.extend_from_slice(&other.labels[range]);
    }
}

/// Chronological train/validation/test sets.
#[derive(Debug, Clone, Default)]
pub struct Split {
    /// Training samples.
    pub train: Samples,
    /// Validation samples.
    pub validation: Samples,
    /// Test samples.
    pub test: Samples,
}

/// Per-feature standardization fitted on the training set.
#[derive(Debug, Clone)]
pub struct Scaler {
    /// Means.
    pub mean: Vec<f32>,
    /// Standard deviations (1 where constant).
    pub std: Vec<f32>,
}

/// Triangular membership of `x` in `[a, b, c]` (shoulders when `a == b` or `b == c`).
fn triangular(x: f64, set: &FuzzySetSpec) -> f64 {
    let (a, b, c) = (set.parameters[0], set.parameters[1], set.parameters[2]);
    if x < a || x > c {
        0.0
    } else if x <= b {
        if b == a {
            1.0
        } else {
            (x - a) / (b - a)
        }
    } else if c == b {
        1.0
    } else {
        (c - x) / (c - b)
    }
}

/// Names of one bar's inputs: `<indicator>_<set>`, or `<indicator>` when it has no fuzzy sets.
fn bar_feature_names(strategy: &Strategy) -> Vec<String> {
    strategy
        .indicators
        .iter()
        .flat_map(|indicator| match strategy.fuzzy_sets.get(indicator.key()) {
            Some(sets) if !sets.is_empty() => sets
                .keys()
                .map(|set| format!("{}_{set}", indicator.key()))
                .collect(),
            _ => vec![indicator.key().to_string()],
        })
        .collect()
}

/// Every feature name, in sample order: per timeframe, per look-back lag, per bar feature.
pub fn feature_names(strategy: &Strategy, timeframes: &[Timeframe]) -> Vec<String> {
    let per_bar = bar_feature_names(strategy);
    let lags = strategy.model.features.lookback_periods;
    let mut names = Vec::with_capacity(timeframes.len() * lags * per_bar.len());
    for tf in timeframes {
        for lag in 0..lags {
            names.extend(
                per_bar
                    .iter()
                    .map(|name| format!("{}_{name}_lag{lag}", tf.as_str())),
            );
        }
    }
    names
}

/// One row of inputs per bar (`None` while any indicator warms up).
type BarRows = Vec<Option<Vec<f32>>>;

/// One bar's inputs for every bar.
fn bar_features(strategy: &Strategy, bars: &[Bar]) -> BarRows {
    let closes: Vec<f64> = bars.iter().map(|bar| bar.close).collect();
    let series: Vec<Vec<Option<f64>>> = strategy
        .indicators
        .iter()
        .map(|indicator| {
            IndicatorKind::parse(&indicator.name).map_or_else(
                || vec![None; bars.len()],
                |kind| kind.compute(&closes, indicator.period),
            )
        })
        .collect();
    (0..bars.len())
        .map(|index| {
            let mut row = Vec::new();
            for (indicator, values) in strategy.indicators.iter().zip(&series) {
                let value = values[index]?;
                match strategy.fuzzy_sets.get(indicator.key()) {
                    Some(sets) if !sets.is_empty() => {
                        row.extend(sets.values().map(|set| triangular(value, set) as f32))
                    }
                    _ => row.push(value as f32),
                }
            }
            Some(row)
        })
        .collect()
}

/// Zigzag label of each bar: BUY if the close first rises by `threshold` within `lookahead`
/// bars, SELL if it first falls by it, HOLD otherwise; `None` without a full look-ahead.
fn zigzag_labels(bars: &[Bar], threshold: f64, lookahead: usize) -> Vec<Option<usize>> {
    (0..bars.len())
        .map(|index| {
            if index + lookahead >= bars.len() {
                return None;
            }
            let start = bars[index].close;
            let crossing = bars[index + 1..=index + lookahead].iter().find_map(|bar| {
                let change = bar.close / start - 1.0;
                if change >= threshold {
                    Some(0)
                } else if change <= -threshold {
                    Some(2)
                } else {
                    None
                }
            });
            Some(crossing.unwrap_or(1))
        })
        .collect()
}

/// For each base bar, the index of the last bar of `other` closed when the base bar closes.
fn as_of_indices(base: (Timeframe, &[Bar]), other: (Timeframe, &[Bar])) -> Vec<Option<usize>> {
    let mut next = 0;
    base.1
        .iter()
        .map(|bar| {
            let closed_by = base.0.close_time(bar.time);
            while next < other.1.len() && other.0.close_time(other.1[next].time) <= closed_by {
                next += 1;
            }
            next.checked_sub(1)
        })
        .collect()
}

/// Samples of one symbol: `frames` holds its bars per timeframe, the base timeframe first.
pub fn build_samples(strategy: &Strategy, frames: &[(Timeframe, Vec<Bar>)]) -> Samples {
    let Some((base_tf, base_bars)) = frames.first() else {
        return Samples::default();
    };
    let lags = strategy.model.features.lookback_periods;
    let labels = &strategy.training.labels;
    let targets = zigzag_labels(base_bars, labels.zigzag_threshold, labels.label_lookahead);
    let per_frame: Vec<(BarRows, Vec<Option<usize>>)> = frames
        .iter()
        .map(|(tf, bars)| {
            (
                bar_features(strategy, bars),
                as_of_indices((*base_tf, base_bars), (*tf, bars)),
            )
        })
        .collect();
    let mut samples = Samples::default();
    'bars: for (index, target) in targets.iter().enumerate() {
        let Some(label) = target else { continue };
        let mut features = Vec::new();
        for (rows, aligned) in &per_frame {
            let Some(position) = aligned[index] else {
                continue 'bars;
            };
            for lag in 0..lags {
                let Some(Some(row)) = position.checked_sub(lag).map(|at| &rows[at]) else {
                    continue 'bars;
                };
                features.extend_from_slice(row);
            }
        }
        samples.features.push(features);
        samples.labels.push(*label);
    }
    samples
}

/// Splits each symbol's samples chronologically by the strategy's shares and pools them.
pub fn split(per_symbol: &[Samples], train_share: f64, validation_share: f64) -> Split {
    let mut split = Split::default();
    for samples in per_symbol {
        let total = samples.len();
        let train_end = (total as f64 * train_share).floor() as usize;
        let validation_end = (total as f64 * (train_share + validation_share)).floor() as usize;
        split.train.extend_from(samples, 0..train_end);
        split
            .validation
            .extend_from(samples, train_end..validation_end.min(total));
        split
            .test
            .extend_from(samples, validation_end.min(total)..total);
    }
    split
}

impl Scaler {
    /// Fits means and deviations on `samples`.
    pub fn fit(samples: &Samples) -> Self {
        let width = samples.features.first().map_or(0, Vec::len);
        let count = samples.len().max(1) as f64;
        let mut mean = vec![0.0f64; width];
        let mut square = vec![0.0f64; width];
        for row in &samples.features {
            for (column, value) in row.iter().enumerate() {
                mean[column] += f64::from(*value) / count;
                square[column] += f64::from(*value).powi(2) / count;
            }
        }
        let std = mean
            .iter()
            .zip(&square)
            .map(|(m, s)| {
                let deviation = (s - m * m).max(0.0).sqrt();
                if deviation < 1e-9 {
                    1.0
                } else {
                    deviation as f32
                }
            })
            .collect();
        Self {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            std,
        }
    }

    /// Standardizes `samples` in place.
    pub fn apply(&self, samples: &mut Samples) {
        for row in &mut samples.features {
            for ((value, mean), std) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *value = (*value - mean) / std;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    fn bars(closes: &[f64], timeframe: Timeframe) -> Vec<Bar> {
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        closes
            .iter()
            .enumerate()
            .map(|(i, &close)| Bar {
                time: start + Duration::minutes(timeframe.minutes() * i as i64),
                open: close,
                high: close,
                low: close,
                close,
                volume: 1.0,
            })
            .collect()
    }

    #[test]
    fn triangular_memberships() {
        let set = FuzzySetSpec {
            kind: "triangular".into(),
            parameters: vec![0.0, 10.0, 20.0],
        };
        assert_eq!(triangular(5.0, &set), 0.5);
        assert_eq!(triangular(10.0, &set), 1.0);
        assert_eq!(triangular(25.0, &set), 0.0);
        let shoulder = FuzzySetSpec {
            kind: "triangular".into(),
            parameters: vec![0.0, 0.0, 20.0],
        };
        assert_eq!(triangular(0.0, &shoulder), 1.0);
    }

    #[test]
    fn zigzag_labels_look_ahead() {
        let series = bars(&[100.0, 101.0, 103.0, 100.0, 97.0, 97.5], Timeframe::H1);
        let labels = zigzag_labels(&series, 0.02, 2);
        assert_eq!(labels, [Some(0), Some(1), Some(2), Some(2), None, None]);
    }

    #[test]
    fn higher_timeframes_are_aligned_without_look_ahead() {
        let hourly = bars(&[1.0; 50], Timeframe::H1);
        let daily = bars(&[1.0; 3], Timeframe::D1);
        let aligned = as_of_indices((Timeframe::H1, &hourly), (Timeframe::D1, &daily));
        // Hour 0 closes at 01:00: no daily bar has closed yet. Hour 23 closes at midnight.
        assert_eq!(aligned[0], None);
        assert_eq!(aligned[22], None);
        assert_eq!(aligned[23], Some(0));
        assert_eq!(aligned[47], Some(1));
    }

    #[test]
    fn scaling_standardizes_the_training_set() {
        let mut samples = Samples {
            features: vec![vec![1.0, 5.0], vec![3.0, 5.0]],
            labels: vec![0, 1],
        };
        let scaler = Scaler::fit(&samples);
        scaler.apply(&mut samples);
        assert_eq!(samples.features, vec![vec![-1.0, 0.0], vec![1.0, 0.0]]);
    }
}
