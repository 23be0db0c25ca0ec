//! Technical indicators on closing prices, each expressed on the scale its fuzzy sets use.

/// A supported indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndicatorKind {
    /// Wilder's RSI, 0..100.
    Rsi,
    /// % distance of the close from its simple moving average.
    Sma,
    /// % distance of the close from its exponential moving average.
    Ema,
    /// % rate of change over the period.
    Roc,
}

impl IndicatorKind {
    /// The indicator named `name` in a strategy file.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "rsi" => Some(Self::Rsi),
            "sma" => Some(Self::Sma),
            "ema" => Some(Self::Ema),
            "roc" => Some(Self::Roc),
            _ => None,
        }
    }

    /// Values for every bar (`None` during the warm-up).
    pub fn compute(self, closes: &[f64], period: usize) -> Vec<Option<f64>> {
        match self {
            Self::Rsi => rsi(closes, period),
            Self::Sma => distance_percent(closes, &sma(closes, period)),
            Self::Ema => distance_percent(closes, &ema(closes, period)),
            Self::Roc => roc(closes, period),
        }
    }
}

fn sma(closes: &[f64], period: usize) -> Vec<Option<f64>> {
    let mut sum = 0.0;
    closes
        .iter()
        .enumerate()
        .map(|(index, close)| {
            sum += close;
            if index >= period {
                sum -= closes[index - period];
            }
            (index + 1 >= period).then(|| sum / period as f64)
        })
        .collect()
}

fn ema(closes: &[f64], period: usize) -> Vec<Option<f64>> {
    let alpha = 2.0 / (period as f64 + 1.0);
    let seed = sma(closes, period);
    let mut value = None;
    closes
        .iter()
        .zip(seed)
        .map(|(close, seed)| {
            value = match value {
                None => seed,
                Some(previous) => Some(previous + alpha * (close - previous)),
            };
            value
        })
        .collect()
}

fn rsi(closes: &[f64], period: usize) -> Vec<Option<f64>> {
    let mut values = vec![None; closes.len()];
    let (mut gain, mut loss) = (0.0, 0.0);
    for index in 1..closes.len() {
        let change = closes[index] - closes[index - 1];
        let (up, down) = (change.max(0.0), (-change).max(0.0));
        if index <= period {
            gain += up / period as f64;
            loss += down / period as f64;
        } else {
            gain = (gain * (period as f64 - 1.0) + up) / period as f64;
            loss = (loss * (period as f64 - 1.0) + down) / period as f64;
        }
        if index >= period {
            values[index] = Some(if loss == 0.0 {
                100.0
            } else {
                100.0 - 100.0 / (1.0 + gain / loss)
            });
        }
    }
    values
}

fn roc(closes: &[f64], period: usize) -> Vec<Option<f64>> {
    (0..closes.len())
        .map(|index| {
            (index >= period).then(|| (closes[index] / closes[index - period] - 1.0) * 100.0)
        })
        .collect()
}

fn distance_percent(closes: &[f64], averages: &[Option<f64>]) -> Vec<Option<f64>> {
    closes
        .iter()
        .zip(averages)
        .map(|(close, average)| average.map(|average| (close / average - 1.0) * 100.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_match_hand_computed_values() {
        let closes = [10.0, 11.0, 12.0, 11.0, 13.0];
        assert_eq!(
            sma(&closes, 2),
            [None, Some(10.5), Some(11.5), Some(11.5), Some(12.0)]
        );
        assert!((roc(&closes, 1)[1].unwrap() - 10.0).abs() < 1e-9);
        let rsi = rsi(&closes, 2);
        assert_eq!(rsi[1], None);
        assert_eq!(rsi[2], Some(100.0));
        // After a -1 move: gain = (1*1 + 0)/2 = 0.5, loss = (0 + 1)/2 = 0.5 → RSI 50.
        assert_eq!(rsi[3], Some(50.0));
        let ema = ema(&closes, 2);
        assert_eq!(ema[1], Some(10.5));
        assert!((ema[2].unwrap() - (10.5 + 2.0 / 3.0 * 1.5)).abs() < 1e-12);
    }
}
