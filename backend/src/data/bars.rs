//! OHLCV bars, timeframes, and the trading calendar that places bars in time.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

use crate::choice::choice_enum;

/// One OHLCV bar; `time` is the bar's open time (UTC).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Open time.
    pub time: DateTime<Utc>,
    /// Open price.
    pub open: f64,
    /// High price.
    pub high: f64,
    /// Low price.
    pub low: f64,
    /// Close price.
    pub close: f64,
    /// Volume.
    pub volume: f64,
}

choice_enum! {
    /// A bar size accepted by the API.
    pub enum Timeframe {
        /// One minute.
        M1 => "1m",
        /// Five minutes.
        M5 => "5m",
        /// Fifteen minutes.
        M15 => "15m",
        /// Thirty minutes.
        M30 => "30m",
        /// One hour.
        H1 => "1h",
        /// Two hours.
        H2 => "2h",
        /// Four hours.
        H4 => "4h",
        /// One day.
        D1 => "1d",
        /// One week.
        W1 => "1w",
        /// One month.
        Mo1 => "1M",
    }
}

/// Regular session: 14:00–21:00 UTC on weekdays (no holidays).
const SESSION_OPEN_HOUR: u32 = 14;
const SESSION_MINUTES: i64 = 7 * 60;

impl Timeframe {
    /// Bar length in minutes (a month counts as 30 days).
    pub fn minutes(self) -> i64 {
        match self {
            Self::M1 => 1,
            Self::M5 => 5,
            Self::M15 => 15,
            Self::M30 => 30,
            Self::H1 => 60,
            Self::H2 => 120,
            Self::H4 => 240,
            Self::D1 => 24 * 60,
            Self::W1 => 7 * 24 * 60,
            Self::Mo1 => 30 * 24 * 60,
        }
    }

    /// Trading minutes one bar covers (a daily bar covers a whole session).
    pub fn session_minutes(self) -> f64 {
        match self {
            Self::D1 => SESSION_MINUTES as f64,
            Self::W1 => 5.0 * SESSION_MINUTES as f64,
            Self::Mo1 => 21.0 * SESSION_MINUTES as f64,
            intraday => intraday.minutes() as f64,
        }
    }

    /// When the bar opened at `open` closes.
    pub fn close_time(self, open: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Mo1 => {
                let (year, month) = if open.month() == 12 {
                    (open.year() + 1, 1)
                } else {
                    (open.year(), open.month() + 1)
                };
                Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
                    .single()
                    .unwrap_or(open + Duration::days(30))
            }
            other => open + Duration::minutes(other.minutes()),
        }
    }

    /// Open times of every bar in `[from, to]`, in order.
    pub fn bar_times(
        self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = DateTime<Utc>> {
        let first_day = from.date_naive();
        let last_day = to.date_naive();
        first_day
            .iter_days()
            .take_while(move |day| *day <= last_day)
            .flat_map(move |day| self.day_bar_times(day))
            .filter(move |time| *time >= from && *time <= to)
    }

    fn day_bar_times(self, day: NaiveDate) -> Vec<DateTime<Utc>> {
        let weekday = day.weekday();
        let midnight = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default());
        if matches!(weekday, Weekday::Sat | Weekday::Sun) {
            return Vec::new();
        }
        match self {
            Self::D1 => vec![midnight],
            Self::W1 => {
                if weekday == Weekday::Mon {
                    vec![midnight]
                } else {
                    Vec::new()
                }
            }
            Self::Mo1 => {
                if day.day() == 1 {
                    vec![midnight]
                } else {
                    Vec::new()
                }
            }
            intraday => {
                let open = midnight + Duration::hours(i64::from(SESSION_OPEN_HOUR));
                let step = intraday.minutes();
                (0..(SESSION_MINUTES + step - 1) / step)
                    .map(|k| open + Duration::minutes(k * step))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn hourly_bars_cover_the_session_on_weekdays() {
        // 2024-01-05 is a Friday, 01-08 a Monday.
        let times: Vec<_> = Timeframe::H1
            .bar_times(utc(2024, 1, 5, 0), utc(2024, 1, 8, 15))
            .collect();
        assert_eq!(times.len(), 7 + 2);
        assert_eq!(times[0], utc(2024, 1, 5, 14));
        assert_eq!(times[6], utc(2024, 1, 5, 20));
        assert_eq!(times[8], utc(2024, 1, 8, 15));
        let days: Vec<_> = Timeframe::D1
            .bar_times(utc(2024, 1, 5, 0), utc(2024, 1, 8, 0))
            .collect();
        assert_eq!(days, [utc(2024, 1, 5, 0), utc(2024, 1, 8, 0)]);
        assert_eq!(
            Timeframe::Mo1.close_time(utc(2024, 12, 1, 0)),
            utc(2025, 1, 1, 0)
        );
    }
}
