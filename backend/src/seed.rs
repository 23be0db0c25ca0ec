//! Sample data and shipped strategies: deterministic bars from the market-data source for a few
//! symbols, and the strategy files embedded in the binary, written where missing.

use std::fs;
use std::io;
use std::path::Path;

use chrono::{TimeZone, Utc};

use crate::data::bars::Timeframe;
use crate::data::csv_store::DataStore;
use crate::data::market_source;

/// A sample file: symbol, timeframe, first and last day (inclusive).
struct Sample {
    symbol: &'static str,
    timeframe: Timeframe,
    first_day: (i32, u32, u32),
    last_day: (i32, u32, u32),
}

/// ~2900 hourly bars and ~640 daily bars per symbol, ending before the source's last bar so
/// that a `tail` load has something to fetch.
const SAMPLES: [Sample; 4] = [
    Sample {
        symbol: "AAPL",
        timeframe: Timeframe::H1,
        first_day: (2023, 1, 2),
        last_day: (2024, 8, 30),
    },
    Sample {
        symbol: "AAPL",
        timeframe: Timeframe::D1,
        first_day: (2022, 1, 3),
        last_day: (2024, 6, 20),
    },
    Sample {
        symbol: "MSFT",
        timeframe: Timeframe::H1,
        first_day: (2023, 1, 2),
        last_day: (2024, 8, 30),
    },
    Sample {
        symbol: "MSFT",
        timeframe: Timeframe::D1,
        first_day: (2022, 1, 3),
        last_day: (2024, 6, 20),
    },
];

/// The shipped strategies: name and YAML.
pub const STRATEGIES: [(&str, &str); 2] = [
    ("mlp_basic", include_str!("../strategies/mlp_basic.yaml")),
    ("mlp_long", include_str!("../strategies/mlp_long.yaml")),
];

/// Writes every sample file and shipped strategy that does not exist yet; returns how many
/// files were written.
pub fn seed(store: &DataStore, strategies_dir: &Path) -> io::Result<usize> {
    let mut written = 0;
    for sample in &SAMPLES {
        let tf = sample.timeframe.as_str();
        if store.exists(sample.symbol, tf) {
            continue;
        }
        let midnight = |(year, month, day): (i32, u32, u32)| {
            Utc.with_ymd_and_hms(year, month, day, 0, 0, 0).single()
        };
        let (Some(from), Some(last_midnight)) =
            (midnight(sample.first_day), midnight(sample.last_day))
        else {
            continue;
        };
        let to = last_midnight + chrono::Duration::days(1) - chrono::Duration::seconds(1);
        let bars =
            market_source::fetch(sample.symbol, sample.timeframe, from, to).unwrap_or_default();
        store.write(sample.symbol, tf, &bars)?;
        written += 1;
    }
    fs::create_dir_all(strategies_dir)?;
    for (name, yaml) in STRATEGIES {
        let path = strategies_dir.join(format!("{name}.yaml"));
        if !path.exists() {
            fs::write(path, yaml)?;
            written += 1;
        }
    }
    Ok(written)
}
