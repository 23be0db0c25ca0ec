//! The data client: start a market-data load, read cached bars.
//!
//! Endpoints (contract §4 and §8): data loads are `POST /data/load` on plan-era backends
//! (answer `{"success", "data": {"operation_id", …}}`) and `POST /data/acquire/download` on
//! 2026 backends (flat answer `{"success", "operation_id", "status", "message"}`); the client
//! finds which one the backend has and remembers it. Cached bars are
//! `GET /data/{symbol}/{timeframe}`, trimmed client-side to the newest `limit`.

use crate::error::ApiError;
use crate::http::{ApiRequest, Method};
use crate::json::{Fields, ShapeError};
use crate::tools::{Bar, DataLoadStarted, DataMode, MarketData, OperationType, Timeframe};
use crate::validate;
use serde_json::{Map, Value};

/// The backend's spelling of a timeframe: `1m 5m 15m 30m 1h 2h 4h 1d 1w 1M`.
pub fn timeframe_name(timeframe: Timeframe) -> &'static str {
    match timeframe {
        Timeframe::Min1 => "1m",
        Timeframe::Min5 => "5m",
        Timeframe::Min15 => "15m",
        Timeframe::Min30 => "30m",
        Timeframe::Hour1 => "1h",
        Timeframe::Hour2 => "2h",
        Timeframe::Hour4 => "4h",
        Timeframe::Day1 => "1d",
        Timeframe::Week1 => "1w",
        Timeframe::Month1 => "1M",
    }
}

/// The backend's spelling of a load mode: `local tail backfill full`.
pub fn mode_name(mode: DataMode) -> &'static str {
    match mode {
        DataMode::Local => "local",
        DataMode::Tail => "tail",
        DataMode::Backfill => "backfill",
        DataMode::Full => "full",
    }
}

/// The route a backend takes data loads on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadRoute {
    /// `POST /data/load`: plan-era backends, all four modes.
    Load,
    /// `POST /data/acquire/download`: 2026 backends, no `local` mode.
    AcquireDownload,
}

impl LoadRoute {
    /// The route to try first for a load in `mode` while the backend's route is not known:
    /// only plan-era backends have `local`, and only 2026 backends are current.
    pub fn first_guess(mode: DataMode) -> Self {
        match mode {
            DataMode::Local => LoadRoute::Load,
            _ => LoadRoute::AcquireDownload,
        }
    }

    /// The other route.
    pub fn other(self) -> Self {
        match self {
            LoadRoute::Load => LoadRoute::AcquireDownload,
            LoadRoute::AcquireDownload => LoadRoute::Load,
        }
    }

    fn segments(self) -> &'static [&'static str] {
        match self {
            LoadRoute::Load => &["data", "load"],
            LoadRoute::AcquireDownload => &["data", "acquire", "download"],
        }
    }
}

/// The validated arguments of `trigger_data_loading`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadArgs {
    /// Upper-cased symbol.
    pub symbol: String,
    /// Bar size.
    pub timeframe: Timeframe,
    /// Where the bars come from.
    pub mode: DataMode,
    /// Start of the range as given.
    pub start_date: Option<String>,
    /// End of the range as given.
    pub end_date: Option<String>,
}

impl LoadArgs {
    /// Checks the arguments and applies the defaults (`1h`, `tail`).
    pub fn new(
        symbol: &str,
        timeframe: Option<Timeframe>,
        mode: Option<DataMode>,
        start_date: Option<&str>,
        end_date: Option<&str>,
    ) -> Result<Self, ApiError> {
        let symbol = validate::symbol("symbol", symbol)?;
        let (start_date, end_date) = validate::date_range(start_date, end_date)?;
        Ok(LoadArgs {
            symbol,
            timeframe: timeframe.unwrap_or(Timeframe::Hour1),
            mode: mode.unwrap_or(DataMode::Tail),
            start_date,
            end_date,
        })
    }

    /// Refuses a mode that a backend taking loads on `route` does not have.
    pub fn check_route(&self, route: LoadRoute) -> Result<(), ApiError> {
        if route == LoadRoute::AcquireDownload && self.mode == DataMode::Local {
            return Err(ApiError::invalid(
                "mode",
                "`local` is not offered by this backend (the KTRDR 2026 API loads with tail, \
                 backfill or full); use `tail` to fetch bars newer than the cache, or \
                 get_market_data to read what is cached",
            ));
        }
        Ok(())
    }

    /// The load request on `route`, with `{symbol, timeframe, mode[, start_date][, end_date]}`.
    pub fn request(&self, route: LoadRoute) -> ApiRequest {
        let mut body = Map::new();
        body.insert("symbol".to_owned(), Value::from(self.symbol.as_str()));
        body.insert(
            "timeframe".to_owned(),
            Value::from(timeframe_name(self.timeframe)),
        );
        body.insert("mode".to_owned(), Value::from(mode_name(self.mode)));
        if let Some(start) = &self.start_date {
            body.insert("start_date".to_owned(), Value::from(start.as_str()));
        }
        if let Some(end) = &self.end_date {
            body.insert("end_date".to_owned(), Value::from(end.as_str()));
        }
        ApiRequest::new(Method::Post, route.segments()).with_json(Value::Object(body))
    }

    /// Reads either answer shape into the start result: plan-era `{"success", "data":
    /// {"status", "operation_id", …}}` or 2026 `{"success", "operation_id", "status",
    /// "message"}`.
    pub fn parse(&self, body: &Value) -> Result<DataLoadStarted, ShapeError> {
        let top = Fields::of(body, "")?;
        let answer = match top.get("data") {
            Some(Value::Object(_)) => top.object("data", "data")?,
            _ => top,
        };
        if answer.opt_string("status")?.as_deref() == Some("failed") {
            let reason = match answer.opt_string("error_message")? {
                Some(reason) => reason,
                None => answer
                    .opt_string("message")?
                    .unwrap_or_else(|| "no error message".to_owned()),
            };
            return Err(ShapeError(format!(
                "status: the backend reports the load as failed at start ({reason})"
            )));
        }
        let operation_id = answer.string("operation_id")?;
        if operation_id.trim().is_empty() {
            return Err(ShapeError(
                "operation_id: empty (no id to track the load with)".to_owned(),
            ));
        }
        Ok(DataLoadStarted {
            message: format!(
                "Started loading {} {} ({} mode) as {operation_id}; poll get_operation_status \
                 with the operation_id",
                self.symbol,
                timeframe_name(self.timeframe),
                mode_name(self.mode)
            ),
            operation_id,
            operation_type: OperationType::DataLoad,
            status: "started".to_owned(),
            symbol: self.symbol.clone(),
            timeframe: self.timeframe,
            mode: self.mode,
        })
    }
}

/// The validated arguments of `get_market_data`.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketDataQuery {
    /// Upper-cased symbol.
    pub symbol: String,
    /// Bar size.
    pub timeframe: Timeframe,
    /// Only bars at or after this date.
    pub start_date: Option<String>,
    /// Only bars before this date.
    pub end_date: Option<String>,
    /// Only bars within trading hours.
    pub trading_hours_only: bool,
    /// Keep only the newest this many bars (done here: the backend has no limit).
    pub limit: u32,
}

impl MarketDataQuery {
    /// Checks the symbol, the dates and the limit; applies the defaults (`1h`, all hours, 50
    /// bars).
    pub fn new(
        symbol: &str,
        timeframe: Option<Timeframe>,
        start_date: Option<&str>,
        end_date: Option<&str>,
        trading_hours_only: Option<bool>,
        limit: Option<u32>,
    ) -> Result<Self, ApiError> {
        let symbol = validate::symbol("symbol", symbol)?;
        let (start_date, end_date) = validate::date_range(start_date, end_date)?;
        Ok(MarketDataQuery {
            symbol,
            timeframe: timeframe.unwrap_or(Timeframe::Hour1),
            start_date,
            end_date,
            trading_hours_only: trading_hours_only.unwrap_or(false),
            limit: validate::limit(limit, validate::DEFAULT_BARS_LIMIT)?,
        })
    }

    /// `GET /data/{symbol}/{timeframe}[?start_date][&end_date][&trading_hours_only=true]`.
    pub fn request(&self) -> ApiRequest {
        let mut request = ApiRequest::new(
            Method::Get,
            &["data", &self.symbol, timeframe_name(self.timeframe)],
        );
        if let Some(start) = &self.start_date {
            request = request.with_query("start_date", start.clone());
        }
        if let Some(end) = &self.end_date {
            request = request.with_query("end_date", end.clone());
        }
        if self.trading_hours_only {
            request = request.with_query("trading_hours_only", "true");
        }
        request
    }

    /// Reads `{"success", "data": {"dates", "ohlcv", "points", "metadata"}}` (one
    /// `[open, high, low, close, volume]` row per date) and keeps the newest `limit` bars.
    pub fn parse(&self, body: &Value) -> Result<MarketData, ShapeError> {
        let data = Fields::of(body, "")?.object("data", "data")?;
        let dates = data.strings("dates")?;
        let rows = data.array("ohlcv")?;
        if rows.len() != dates.len() {
            return Err(ShapeError(format!(
                "data.ohlcv: {} rows for {} dates",
                rows.len(),
                dates.len()
            )));
        }
        let available = dates.len();
        let skipped = available.saturating_sub(self.limit as usize);
        let bars = dates
            .into_iter()
            .zip(rows)
            .skip(skipped)
            .map(|(timestamp, row)| read_bar(timestamp, row))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MarketData {
            symbol: self.symbol.clone(),
            timeframe: self.timeframe,
            bars,
            available_count: u32::try_from(available).unwrap_or(u32::MAX),
            truncated: skipped > 0,
        })
    }
}

/// One `[open, high, low, close, volume]` row as a bar.
fn read_bar(timestamp: String, row: &Value) -> Result<Bar, ShapeError> {
    let numbers: Option<Vec<f64>> = row
        .as_array()
        .filter(|values| values.len() == 5)
        .and_then(|values| values.iter().map(Value::as_f64).collect());
    let Some([open, high, low, close, volume]) = numbers.as_deref() else {
        return Err(ShapeError(format!(
            "data.ohlcv: expected rows of [open, high, low, close, volume], got {row}"
        )));
    };
    Ok(Bar {
        timestamp,
        open: *open,
        high: *high,
        low: *low,
        close: *close,
        volume: *volume,
    })
}

/// The data client over the wasi-http transport.
#[cfg(target_arch = "wasm32")]
pub struct DataClient<'a> {
    http: &'a crate::http::HttpClient,
}

#[cfg(target_arch = "wasm32")]
impl<'a> DataClient<'a> {
    /// A client sending through `http`.
    pub fn new(http: &'a crate::http::HttpClient) -> Self {
        DataClient { http }
    }

    /// Starts loading bars; returns at once with the operation id. The first load of an
    /// instance finds the backend's load route (a route the backend lacks answers 404 or 405
    /// and has no effect), later loads use it directly.
    pub fn trigger_data_loading(&self, args: &LoadArgs) -> Result<DataLoadStarted, ApiError> {
        static KNOWN_ROUTE: std::sync::OnceLock<LoadRoute> = std::sync::OnceLock::new();
        if let Some(route) = KNOWN_ROUTE.get() {
            return self.load_on(*route, args);
        }
        let mut route = LoadRoute::first_guess(args.mode);
        let mut outcome = self.load_on(route, args);
        let first_missing = matches!(&outcome, Err(error) if error.is_missing_route());
        if first_missing {
            route = route.other();
            outcome = self.load_on(route, args);
        }
        // The route is known once the backend answered on it, or lacked the other one.
        let known = match &outcome {
            Ok(_) => true,
            Err(error) if error.is_missing_route() => false,
            Err(error) => first_missing || error.is_backend_answer(),
        };
        if known {
            let _ = KNOWN_ROUTE.set(route);
        }
        outcome
    }

    fn load_on(&self, route: LoadRoute, args: &LoadArgs) -> Result<DataLoadStarted, ApiError> {
        args.check_route(route)?;
        self.http
            .execute(&args.request(route), |body| args.parse(body))
    }

    /// Reads cached bars.
    pub fn get_market_data(&self, query: &MarketDataQuery) -> Result<MarketData, ApiError> {
        self.http
            .execute(&query.request(), |body| query.parse(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ErrorCode;
    use serde_json::json;

    #[test]
    fn load_request_uses_backend_spellings_and_defaults() {
        let args = LoadArgs::new(" aapl ", None, None, None, None).unwrap();
        let request = args.request(LoadRoute::AcquireDownload);
        assert_eq!(request.method(), Method::Post);
        assert_eq!(request.path_and_query(), "/data/acquire/download");
        assert_eq!(
            request.body(),
            Some(&json!({"symbol": "AAPL", "timeframe": "1h", "mode": "tail"}))
        );
        assert_eq!(args.request(LoadRoute::Load).path_and_query(), "/data/load");
    }

    #[test]
    fn load_request_sends_dates_only_when_given() {
        let args = LoadArgs::new(
            "EURUSD",
            Some(Timeframe::Month1),
            Some(DataMode::Backfill),
            Some("2024-01-01"),
            Some("2024-02-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(
            args.request(LoadRoute::Load).body(),
            Some(
                &json!({"symbol": "EURUSD", "timeframe": "1M", "mode": "backfill",
                         "start_date": "2024-01-01", "end_date": "2024-02-01T00:00:00Z"})
            )
        );
    }

    #[test]
    fn local_loads_try_the_plan_era_route_first_and_are_refused_on_the_2026_route() {
        assert_eq!(LoadRoute::first_guess(DataMode::Local), LoadRoute::Load);
        assert_eq!(
            LoadRoute::first_guess(DataMode::Tail),
            LoadRoute::AcquireDownload
        );
        assert_eq!(LoadRoute::Load.other(), LoadRoute::AcquireDownload);
        let local = LoadArgs::new("AAPL", None, Some(DataMode::Local), None, None).unwrap();
        assert!(local.check_route(LoadRoute::Load).is_ok());
        let refused = local.check_route(LoadRoute::AcquireDownload).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::InvalidArgument);
        assert!(refused.to_string().contains("`mode`"), "{refused}");
        assert!(refused.to_string().contains("tail"), "{refused}");
        let tail = LoadArgs::new("AAPL", None, None, None, None).unwrap();
        assert!(tail.check_route(LoadRoute::AcquireDownload).is_ok());
    }

    #[test]
    fn every_timeframe_and_mode_has_its_backend_spelling() {
        let names: Vec<_> = [
            Timeframe::Min1,
            Timeframe::Min5,
            Timeframe::Min15,
            Timeframe::Min30,
            Timeframe::Hour1,
            Timeframe::Hour2,
            Timeframe::Hour4,
            Timeframe::Day1,
            Timeframe::Week1,
            Timeframe::Month1,
        ]
        .into_iter()
        .map(timeframe_name)
        .collect();
        assert_eq!(
            names,
            ["1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d", "1w", "1M"]
        );
        let modes: Vec<_> = [
            DataMode::Local,
            DataMode::Tail,
            DataMode::Backfill,
            DataMode::Full,
        ]
        .into_iter()
        .map(mode_name)
        .collect();
        assert_eq!(modes, ["local", "tail", "backfill", "full"]);
    }

    #[test]
    fn load_arguments_are_checked_before_any_request() {
        let blank = LoadArgs::new("  ", None, None, None, None).unwrap_err();
        assert_eq!(blank.code(), ErrorCode::InvalidArgument);
        assert!(blank.to_string().contains("`symbol`"));
        let backwards =
            LoadArgs::new("AAPL", None, None, Some("2024-03-01"), Some("2024-02-01")).unwrap_err();
        assert!(backwards.to_string().contains("`end_date`"));
        let bad_date = LoadArgs::new("AAPL", None, None, Some("01/02/2024"), None).unwrap_err();
        assert!(bad_date.to_string().contains("`start_date`"));
    }

    #[test]
    fn both_answer_shapes_give_the_operation_id() {
        let args = LoadArgs::new("AAPL", None, None, None, None).unwrap();
        let plan_era = json!({"success": true, "data": {"status": "started",
                              "operation_id": "op_data_load_1", "fetched_bars": 0}});
        let flat = json!({"success": true, "operation_id": "op_data_load_2",
                          "status": "started", "message": "Started tail download for AAPL 1h"});
        assert_eq!(
            args.parse(&plan_era).unwrap().operation_id,
            "op_data_load_1"
        );
        let started = args.parse(&flat).unwrap();
        assert_eq!(started.operation_id, "op_data_load_2");
        assert_eq!(started.symbol, "AAPL");
        assert_eq!(started.timeframe, Timeframe::Hour1);
        assert_eq!(started.mode, DataMode::Tail);
    }

    #[test]
    fn load_start_with_failed_status_is_not_reported_as_started() {
        let args = LoadArgs::new("AAPL", None, None, None, None).unwrap();
        let body = json!({"success": true, "data": {"status": "failed", "operation_id": "op_x",
                          "error_message": "IB down"}});
        let error = args.parse(&body).unwrap_err();
        assert!(error.0.contains("IB down"));
        let flat = json!({"success": true, "status": "failed", "operation_id": "op_x",
                          "message": "no host service"});
        assert!(args.parse(&flat).unwrap_err().0.contains("no host service"));
        let no_id = json!({"success": true, "data": {"status": "started", "operation_id": " "}});
        assert!(args.parse(&no_id).unwrap_err().0.contains("operation_id"));
    }

    #[test]
    fn market_data_request_encodes_symbol_and_filters() {
        let query = MarketDataQuery::new(
            "es=f",
            Some(Timeframe::Day1),
            Some("2024-01-02"),
            Some("2024-01-03T00:00:00+00:00"),
            Some(true),
            Some(5),
        )
        .unwrap();
        assert_eq!(
            query.request().path_and_query(),
            "/data/ES%3DF/1d?start_date=2024-01-02&end_date=2024-01-03T00%3A00%3A00%2B00%3A00\
             &trading_hours_only=true"
        );
        let defaults = MarketDataQuery::new("aapl", None, None, None, None, None).unwrap();
        assert_eq!(defaults.request().path_and_query(), "/data/AAPL/1h");
        assert_eq!(defaults.limit, 50);
        for bad in [0, 1001] {
            let error =
                MarketDataQuery::new("AAPL", None, None, None, None, Some(bad)).unwrap_err();
            assert!(error.to_string().contains("`limit`"), "{error}");
        }
        let slash =
            MarketDataQuery::new("../x", Some(Timeframe::Day1), None, None, None, None).unwrap();
        assert_eq!(slash.request().path_and_query(), "/data/..%2FX/1d");
    }

    #[test]
    fn market_data_keeps_the_newest_bars() {
        let body = json!({"success": true, "data": {
            "dates": ["d1", "d2", "d3"],
            "ohlcv": [[1, 1, 1, 1, 10], [2, 2, 2, 2, 20], [3.5, 4, 3, 3.5, 30]],
            "points": null,
            "metadata": {"symbol": "AAPL", "timeframe": "1d", "point_count": 3}
        }, "error": null});
        let query = MarketDataQuery::new("AAPL", None, None, None, None, Some(2)).unwrap();
        let data = query.parse(&body).unwrap();
        let dates: Vec<_> = data.bars.iter().map(|bar| bar.timestamp.as_str()).collect();
        assert_eq!(dates, ["d2", "d3"]);
        assert_eq!(data.bars[1].open, 3.5);
        assert_eq!(data.bars[1].high, 4.0);
        assert_eq!(data.bars[1].volume, 30.0);
        assert_eq!(data.available_count, 3);
        assert!(data.truncated);

        let all = MarketDataQuery::new("AAPL", None, None, None, None, Some(3)).unwrap();
        let data = all.parse(&body).unwrap();
        assert_eq!(data.bars.len(), 3);
        assert!(!data.truncated);

        let empty = json!({"success": true, "data": {"dates": [], "ohlcv": [], "points": null,
                           "metadata": {"symbol": "NOPE", "start": "", "end": "", "points": 0}}});
        let data = all.parse(&empty).unwrap();
        assert!(data.bars.is_empty());
        assert_eq!(data.available_count, 0);
    }

    #[test]
    fn market_data_rejects_malformed_rows() {
        let query = MarketDataQuery::new("AAPL", None, None, None, None, None).unwrap();
        for body in [
            json!({"data": {"dates": ["d1"], "ohlcv": [5], "metadata": {}}}),
            json!({"data": {"dates": ["d1"], "ohlcv": [[1, 2, 3, 4]], "metadata": {}}}),
            json!({"data": {"dates": ["d1"], "ohlcv": [[1, 2, 3, 4, "x"]], "metadata": {}}}),
            json!({"data": {"dates": ["d1", "d2"], "ohlcv": [[1, 2, 3, 4, 5]], "metadata": {}}}),
            json!({"data": {"dates": [1], "ohlcv": [], "metadata": {}}}),
        ] {
            assert!(query.parse(&body).is_err(), "{body}");
        }
    }
}
