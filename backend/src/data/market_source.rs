//! The built-in market-data source that stands in for a broker: a fixed set of instruments whose
//! bars are a deterministic function of (symbol, timeframe, bar time), so a fetched range always
//! agrees with the seeded sample files and with any other fetch.

use chrono::{DateTime, TimeZone, Utc};

use super::bars::{Bar, Timeframe};
use crate::random::{splitmix64, stable_hash};

/// Most bars one request to the source returns (a broker's per-request limit).
pub const BARS_PER_SEGMENT: usize = 500;

/// Autocorrelation of successive bar returns.
const MOMENTUM: f64 = 0.1;

/// Persistence of the slowly changing trend (the drift of returns), per bar. Together with
/// [`MOMENTUM`] this is the learnable structure in the data.
const TREND_PERSISTENCE: f64 = 0.97;

/// Standard deviation of the trend, in units of the per-bar volatility.
const TREND_SCALE: f64 = 0.3;

/// Trading minutes in one session, the unit of the daily volatility and volume.
const SESSION_MINUTES: f64 = 420.0;

struct Instrument {
    symbol: &'static str,
    first_price: f64,
    daily_volatility: f64,
    daily_volume: f64,
}

const INSTRUMENTS: &[Instrument] = &[
    Instrument {
        symbol: "AAPL",
        first_price: 130.0,
        daily_volatility: 0.016,
        daily_volume: 60e6,
    },
    Instrument {
        symbol: "MSFT",
        first_price: 220.0,
        daily_volatility: 0.015,
        daily_volume: 25e6,
    },
    Instrument {
        symbol: "GOOGL",
        first_price: 90.0,
        daily_volatility: 0.018,
        daily_volume: 30e6,
    },
    Instrument {
        symbol: "AMZN",
        first_price: 160.0,
        daily_volatility: 0.02,
        daily_volume: 40e6,
    },
    Instrument {
        symbol: "META",
        first_price: 270.0,
        daily_volatility: 0.022,
        daily_volume: 20e6,
    },
    Instrument {
        symbol: "NVDA",
        first_price: 130.0,
        daily_volatility: 0.028,
        daily_volume: 45e6,
    },
    Instrument {
        symbol: "TSLA",
        first_price: 240.0,
        daily_volatility: 0.03,
        daily_volume: 90e6,
    },
    Instrument {
        symbol: "SPY",
        first_price: 370.0,
        daily_volatility: 0.01,
        daily_volume: 70e6,
    },
    Instrument {
        symbol: "QQQ",
        first_price: 310.0,
        daily_volatility: 0.013,
        daily_volume: 45e6,
    },
];

/// The first and last instants the source has bars for.
pub fn available_range() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2021, 1, 4, 0, 0, 0)
            .single()
            .unwrap_or_default(),
        Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59)
            .single()
            .unwrap_or_default(),
    )
}

/// The source's bars for `symbol` with open times in `[from, to]` (`None`: unknown instrument).
pub fn fetch(
    symbol: &str,
    timeframe: Timeframe,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<Vec<Bar>> {
    let instrument = INSTRUMENTS
        .iter()
        .find(|instrument| instrument.symbol == symbol)?;
    let (first, last) = available_range();
    let to = to.min(last);
    let session_share = timeframe.session_minutes() / SESSION_MINUTES;
    let volatility = instrument.daily_volatility * session_share.sqrt();
    let volume = instrument.daily_volume * session_share;
    let seed =
        stable_hash(symbol) ^ (timeframe.minutes() as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);

    let mut bars = Vec::new();
    let mut close = instrument.first_price;
    let mut last_return = 0.0;
    let mut trend = 0.0;
    let trend_noise =
        TREND_SCALE * volatility * (1.0 - TREND_PERSISTENCE * TREND_PERSISTENCE).sqrt();
    for (index, time) in timeframe.bar_times(first, to).enumerate() {
        let noise = Noise::new(seed, index as u64);
        trend = TREND_PERSISTENCE * trend + trend_noise * noise.normal(4);
        let bar_return = trend + MOMENTUM * last_return + volatility * noise.normal(0);
        let open = close;
        close = round4(open * bar_return.exp());
        last_return = bar_return;
        if time < from {
            continue;
        }
        let wick = volatility * 0.5;
        bars.push(Bar {
            time,
            open,
            high: round4(open.max(close) * (1.0 + wick * noise.normal(1).abs())),
            low: round4(open.min(close) * (1.0 - wick * noise.normal(2).abs())),
            close,
            volume: (volume * (0.6 + 0.8 * noise.uniform(3))).round(),
        });
    }
    Some(bars)
}

/// Splits `[from, to]` into request windows of at most [`BARS_PER_SEGMENT`] bars each.
pub fn plan_segments(
    timeframe: Timeframe,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let (first, last) = available_range();
    let times: Vec<DateTime<Utc>> = timeframe.bar_times(from.max(first), to.min(last)).collect();
    times
        .chunks(BARS_PER_SEGMENT)
        .filter_map(|chunk| Some((*chunk.first()?, *chunk.last()?)))
        .collect()
}

fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// Deterministic pseudo-random draws for one bar.
struct Noise {
    key: u64,
}

impl Noise {
    fn new(seed: u64, index: u64) -> Self {
        Self {
            key: splitmix64(seed ^ splitmix64(index)),
        }
    }

    /// A uniform draw in (0, 1) for `stream`.
    fn uniform(&self, stream: u64) -> f64 {
        let bits = splitmix64(
            self.key
                .wrapping_add(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
        ((bits >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard normal draw for `stream` (Box–Muller).
    fn normal(&self, stream: u64) -> f64 {
        let u1 = self.uniform(stream * 2 + 100);
        let u2 = self.uniform(stream * 2 + 101);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_deterministic_consistent_and_sane() {
        let from = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2024, 3, 31, 0, 0, 0).unwrap();
        let month = fetch("AAPL", Timeframe::H1, from, to).unwrap();
        let again = fetch("AAPL", Timeframe::H1, from, to).unwrap();
        assert_eq!(month, again);
        let mid = month[40].time;
        let tail = fetch("AAPL", Timeframe::H1, mid, to).unwrap();
        assert_eq!(
            &month[40..],
            &tail[..],
            "a sub-range fetch agrees with the wider one"
        );
        for bar in &month {
            assert!(
                bar.low <= bar.open.min(bar.close) && bar.high >= bar.open.max(bar.close),
                "{bar:?}"
            );
            assert!(bar.volume > 0.0);
        }
        assert!(fetch("NOPE", Timeframe::H1, from, to).is_none());
    }

    #[test]
    fn segments_hold_at_most_the_request_limit() {
        let (first, last) = available_range();
        let segments = plan_segments(Timeframe::H1, first, last);
        let total: usize = Timeframe::H1.bar_times(first, last).count();
        assert_eq!(segments.len(), total.div_ceil(BARS_PER_SEGMENT));
        assert!(segments.windows(2).all(|pair| pair[0].1 < pair[1].0));
    }
}
