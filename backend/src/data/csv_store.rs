//! The local bar cache: one `<SYMBOL>_<tf>.csv` file per symbol and timeframe in the data
//! directory (header `date,open,high,low,close,volume`, ISO UTC dates), read with validation
//! and written atomically.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::bars::{Bar, Timeframe};
use crate::registry::lock;
use crate::time_format::parse_datetime;

const HEADER: &str = "date,open,high,low,close,volume";

/// Bars read from a file, repaired where possible, with what was repaired.
#[derive(Debug, Default)]
pub struct CachedBars {
    /// Bars in time order, one per timestamp.
    pub bars: Vec<Bar>,
    /// Data-quality problems found and repaired.
    pub issues: Vec<String>,
}

/// Why a cache file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// No file for this symbol and timeframe (or an unusable name).
    NotFound,
    /// The file exists but cannot be parsed.
    Invalid(String),
}

/// The symbols and timeframes present in the cache.
#[derive(Debug)]
pub struct SymbolFiles {
    /// Symbol, as in the file name.
    pub symbol: String,
    /// Timeframes with a file, sorted.
    pub timeframes: Vec<String>,
}

/// The CSV cache in one directory.
pub struct DataStore {
    dir: PathBuf,
    write_lock: Mutex<()>,
}

/// A symbol or timeframe usable in a file name: `[A-Za-z0-9][A-Za-z0-9._-]*`, at most 64 chars.
pub fn is_safe_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The cache file name of a symbol and timeframe: `AAPL_1h.csv`.
pub fn file_name(symbol: &str, timeframe: &str) -> String {
    format!("{symbol}_{timeframe}.csv")
}

impl DataStore {
    /// A store over `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            write_lock: Mutex::new(()),
        }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, symbol: &str, timeframe: &str) -> Option<PathBuf> {
        (is_safe_name(symbol) && is_safe_name(timeframe))
            .then(|| self.dir.join(file_name(symbol, timeframe)))
    }

    /// Whether a cache file exists for `symbol` and `timeframe`.
    pub fn exists(&self, symbol: &str, timeframe: &str) -> bool {
        self.path(symbol, timeframe)
            .is_some_and(|path| path.is_file())
    }

    /// Reads and validates the bars of `symbol` at `timeframe`.
    pub fn read(&self, symbol: &str, timeframe: &str) -> Result<CachedBars, ReadError> {
        let path = self.path(symbol, timeframe).ok_or(ReadError::NotFound)?;
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(ReadError::NotFound)
            }
            Err(error) => return Err(ReadError::Invalid(error.to_string())),
        };
        parse_csv(&text).map_err(|error| {
            ReadError::Invalid(format!("{}: {error}", file_name(symbol, timeframe)))
        })
    }

    /// Writes `bars` as the cache file of `symbol` at `timeframe` (atomically: temp file + rename).
    pub fn write(&self, symbol: &str, timeframe: &str, bars: &[Bar]) -> io::Result<()> {
        let _guard = lock(&self.write_lock);
        self.write_locked(symbol, timeframe, bars)
    }

    fn write_locked(&self, symbol: &str, timeframe: &str, bars: &[Bar]) -> io::Result<()> {
        let path = self.path(symbol, timeframe).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "unusable symbol or timeframe")
        })?;
        fs::create_dir_all(&self.dir)?;
        let temporary = self
            .dir
            .join(format!(".{}.tmp", file_name(symbol, timeframe)));
        fs::write(&temporary, render_csv(bars))?;
        fs::rename(&temporary, &path)
    }

    /// Merges `fetched` into the current cache file (fetched bars replace cached ones at the same
    /// time) and writes the result; returns every bar now cached.
    pub fn merge(
        &self,
        symbol: &str,
        timeframe: &str,
        fetched: Vec<Bar>,
    ) -> Result<Vec<Bar>, String> {
        let _guard = lock(&self.write_lock);
        let mut bars = match self.read(symbol, timeframe) {
            Ok(cached) => cached.bars,
            Err(ReadError::NotFound) => Vec::new(),
            Err(ReadError::Invalid(error)) => return Err(error),
        };
        bars.extend(fetched);
        let merged = keep_last_per_time(bars);
        self.write_locked(symbol, timeframe, &merged)
            .map_err(|error| format!("cannot write the cache: {error}"))?;
        Ok(merged)
    }

    /// Every symbol with at least one cache file, sorted, with its timeframes.
    pub fn inventory(&self) -> Vec<SymbolFiles> {
        let mut found: Vec<(String, String)> = fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let (symbol, timeframe) = name.strip_suffix(".csv")?.rsplit_once('_')?;
                (is_safe_name(symbol) && Timeframe::parse(timeframe).is_some())
                    .then(|| (symbol.to_string(), timeframe.to_string()))
            })
            .collect();
        found.sort();
        let mut inventory: Vec<SymbolFiles> = Vec::new();
        for (symbol, timeframe) in found {
            match inventory.last_mut() {
                Some(last) if last.symbol == symbol => last.timeframes.push(timeframe),
                _ => inventory.push(SymbolFiles {
                    symbol,
                    timeframes: vec![timeframe],
                }),
            }
        }
        inventory
    }
}

/// Bars with open times in `[start, end]` (either bound optional).
pub fn in_range(
    bars: &[Bar],
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> Vec<Bar> {
    bars.iter()
        .filter(|bar| {
            start.is_none_or(|start| bar.time >= start) && end.is_none_or(|end| bar.time <= end)
        })
        .copied()
        .collect()
}

/// Sorts by time and keeps the last bar given for each time.
fn keep_last_per_time(mut bars: Vec<Bar>) -> Vec<Bar> {
    bars.reverse();
    bars.sort_by_key(|bar| bar.time); // stable: the last given comes first within a time
    bars.dedup_by_key(|bar| bar.time);
    bars
}

/// Renders bars as a cache file.
pub fn render_csv(bars: &[Bar]) -> String {
    let mut text = String::with_capacity(64 * (bars.len() + 1));
    text.push_str(HEADER);
    text.push('\n');
    for bar in bars {
        text.push_str(&format!(
            "{},{},{},{},{},{}\n",
            bar.time.format("%Y-%m-%dT%H:%M:%SZ"),
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.volume
        ));
    }
    text
}

/// Parses a cache file: a syntax error is fatal; data-quality problems are repaired and listed.
pub fn parse_csv(text: &str) -> Result<CachedBars, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    let (_, header) = lines.next().ok_or("the file is empty")?;
    let columns: Vec<String> = header
        .split(',')
        .map(|column| column.trim().to_ascii_lowercase())
        .collect();
    if columns.join(",") != HEADER {
        return Err(format!(
            "expected the header '{HEADER}', found '{}'",
            header.trim()
        ));
    }
    let mut bars = Vec::new();
    for (index, line) in lines {
        bars.push(parse_row(line).map_err(|error| format!("line {}: {error}", index + 1))?);
    }
    Ok(repair(bars))
}

fn parse_row(line: &str) -> Result<Bar, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    if fields.len() != 6 {
        return Err(format!("expected 6 fields, found {}", fields.len()));
    }
    let time = parse_datetime(fields[0]).ok_or_else(|| format!("invalid date '{}'", fields[0]))?;
    let number = |index: usize, name: &str| -> Result<f64, String> {
        fields[index]
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite())
            .ok_or_else(|| format!("invalid {name} '{}'", fields[index]))
    };
    Ok(Bar {
        time,
        open: number(1, "open")?,
        high: number(2, "high")?,
        low: number(3, "low")?,
        close: number(4, "close")?,
        volume: number(5, "volume")?,
    })
}

/// Sorts, de-duplicates, drops bars with non-positive prices, and widens high/low to cover
/// open and close; reports each kind of repair.
fn repair(bars: Vec<Bar>) -> CachedBars {
    let mut issues = Vec::new();
    let unordered = bars
        .windows(2)
        .filter(|pair| pair[1].time < pair[0].time)
        .count();
    if unordered > 0 {
        issues.push(format!(
            "{unordered} bars were out of time order and have been sorted"
        ));
    }
    let total = bars.len();
    let bars = keep_last_per_time(bars);
    if bars.len() < total {
        issues.push(format!(
            "{} duplicate timestamps (the last bar of each was kept)",
            total - bars.len()
        ));
    }
    let before = bars.len();
    let mut bars: Vec<Bar> = bars
        .into_iter()
        .filter(|bar| {
            [bar.open, bar.high, bar.low, bar.close]
                .iter()
                .all(|price| *price > 0.0)
        })
        .collect();
    if bars.len() < before {
        issues.push(format!(
            "{} bars with non-positive prices were dropped",
            before - bars.len()
        ));
    }
    let mut inconsistent = 0;
    for bar in &mut bars {
        let high = bar.high.max(bar.open).max(bar.close).max(bar.low);
        let low = bar.low.min(bar.open).min(bar.close).min(bar.high);
        let volume = bar.volume.max(0.0);
        if high != bar.high || low != bar.low || volume != bar.volume {
            inconsistent += 1;
            (bar.high, bar.low, bar.volume) = (high, low, volume);
        }
    }
    if inconsistent > 0 {
        issues.push(format!(
            "{inconsistent} bars had inconsistent high/low/volume and were repaired"
        ));
    }
    CachedBars { bars, issues }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_repairs() {
        let text = "date,open,high,low,close,volume\n\
                    2024-01-02T15:00:00Z,10,11,9,10.5,100\n\
                    2024-01-02T14:00:00Z,9,9.5,8.5,10,50\n\
                    2024-01-02T15:00:00Z,10,12,9,11,200\n\
                    \n";
        let parsed = parse_csv(text).unwrap();
        assert_eq!(parsed.bars.len(), 2);
        assert_eq!(parsed.bars[1].close, 11.0, "the last duplicate wins");
        assert_eq!(parsed.bars[0].high, 10.0, "high widened to the close");
        assert_eq!(parsed.issues.len(), 3, "{:?}", parsed.issues);
        let again = parse_csv(&render_csv(&parsed.bars)).unwrap();
        assert_eq!(again.bars, parsed.bars);
        assert!(again.issues.is_empty());
    }

    #[test]
    fn rejects_malformed_files() {
        assert!(parse_csv("").is_err());
        assert!(parse_csv("time,o,h,l,c,v\n")
            .unwrap_err()
            .contains("header"));
        let error =
            parse_csv("date,open,high,low,close,volume\n2024-01-02,1,2,x,1,1\n").unwrap_err();
        assert_eq!(error, "line 2: invalid low 'x'");
    }

    #[test]
    fn only_safe_names_map_to_files() {
        for good in ["AAPL", "BRK.B", "EUR_USD", "1h"] {
            assert!(is_safe_name(good), "{good}");
        }
        for bad in ["", "..", "../etc", "a/b", ".hidden", "a\\b", "x y"] {
            assert!(!is_safe_name(bad), "{bad}");
        }
    }
}
