//! The data client: start a market-data load, read cached bars.
//!
//! Endpoints (contract §4): `POST /data/load` (asynchronous; the id is at `data.operation_id`)
//! and `GET /data/{symbol}/{timeframe}` (cached OHLCV bars, trimmed client-side by `limit`).

use crate::error::ApiError;
use crate::http::{ApiRequest, Method};
use crate::json::{Fields, ShapeError};
use crate::tools::{DataLoadStarted, DataMode, OperationType, Timeframe};
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
    /// Checks the arguments and applies the defaults (`hour1`, `local`).
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
            mode: mode.unwrap_or(DataMode::Local),
            start_date,
            end_date,
        })
    }

    /// `POST /data/load` with `{symbol, timeframe, mode[, start_date][, end_date]}`.
    pub fn request(&self) -> ApiRequest {
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
        ApiRequest::new(Method::Post, &["data", "load"]).with_json(Value::Object(body))
    }

    /// Reads `{"success", "data": {"status", "operation_id", "fetched_bars", …}}` into the
    /// normalised start result (operation id at the top level).
    pub fn parse(&self, body: &Value) -> Result<DataLoadStarted, ShapeError> {
        let data = Fields::of(body, "")?.object("data", "data")?;
        if data.opt_string("status")?.as_deref() == Some("failed") {
            return Err(ShapeError(format!(
                "data.status: the backend reports the load as failed at start ({})",
                data.opt_string("error_message")?
                    .unwrap_or_else(|| "no error message".to_owned())
            )));
        }
        let operation_id = data.string("operation_id")?;
        if operation_id.trim().is_empty() {
            return Err(ShapeError(
                "data.operation_id: empty (no id to track the load with)".to_owned(),
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
            fetched_bars: data.u64_or_zero("fetched_bars")?,
            cached_before: data.bool_or_false("cached_before")?,
            merged_file: data.opt_string("merged_file")?.unwrap_or_default(),
            gaps_analyzed: data.u64_or_zero("gaps_analyzed")?,
            segments_fetched: data.u64_or_zero("segments_fetched")?,
            ib_requests_made: data.u64_or_zero("ib_requests_made")?,
            execution_time_seconds: data.f64_or_zero("execution_time_seconds")?,
        })
    }
}

/// The validated arguments of a cached-data read.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedDataQuery {
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
    /// With `trading_hours_only`, include extended hours.
    pub include_extended: bool,
    /// Keep only the last this many bars (done here: the backend has no limit).
    pub limit: Option<usize>,
}

impl CachedDataQuery {
    /// Checks the symbol, the dates and the limit (at least 1).
    pub fn new(
        symbol: &str,
        timeframe: Timeframe,
        start_date: Option<&str>,
        end_date: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Self, ApiError> {
        let symbol = validate::symbol("symbol", symbol)?;
        let (start_date, end_date) = validate::date_range(start_date, end_date)?;
        if limit == Some(0) {
            return Err(ApiError::invalid(
                "limit",
                "must be at least 1 (or omitted for all bars)",
            ));
        }
        Ok(CachedDataQuery {
            symbol,
            timeframe,
            start_date,
            end_date,
            trading_hours_only: false,
            include_extended: false,
            limit,
        })
    }

    /// `GET /data/{symbol}/{timeframe}[?start_date][&end_date][&trading_hours_only=true]
    /// [&include_extended=true]`.
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
        if self.include_extended {
            request = request.with_query("include_extended", "true");
        }
        request
    }

    /// Reads `{"success", "data": {"dates", "ohlcv", "points", "metadata"}}` and keeps the last
    /// `limit` entries of each list; when it trims, `metadata.points` is the count of dates kept
    /// and `metadata.limited_by_client` is `true`.
    pub fn parse(&self, body: &Value) -> Result<CachedData, ShapeError> {
        let data = Fields::of(body, "")?.object("data", "data")?;
        let mut dates = data.strings("dates")?;
        let mut ohlcv = data.array("ohlcv")?.to_vec();
        if let Some(bad) = ohlcv.iter().find(|row| !row.is_array()) {
            return Err(ShapeError(format!(
                "data.ohlcv: expected rows of [open, high, low, close, volume], got {bad}"
            )));
        }
        let mut points = data.get("points").cloned().unwrap_or(Value::Null);
        let mut metadata: Map<String, Value> = match data.get("metadata") {
            None => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            Some(other) => {
                return Err(ShapeError(format!(
                    "data.metadata: expected an object, got {other}"
                )))
            }
        };
        if let Some(limit) = self.limit {
            let points_len = points.as_array().map_or(0, Vec::len);
            if dates.len().max(ohlcv.len()).max(points_len) > limit {
                keep_last(&mut dates, limit);
                keep_last(&mut ohlcv, limit);
                if let Value::Array(list) = &mut points {
                    keep_last(list, limit);
                }
                metadata.insert("points".to_owned(), Value::from(dates.len()));
                metadata.insert("limited_by_client".to_owned(), Value::Bool(true));
            }
        }
        Ok(CachedData {
            dates,
            ohlcv,
            points,
            metadata,
        })
    }
}

/// Drops all but the last `keep` items.
fn keep_last<T>(items: &mut Vec<T>, keep: usize) {
    let excess = items.len().saturating_sub(keep);
    items.drain(..excess);
}

/// Cached OHLCV bars as the backend returns them (after any client-side trimming).
#[derive(Debug, Clone, PartialEq)]
pub struct CachedData {
    /// Bar timestamps, oldest first (naive ISO 8601).
    pub dates: Vec<String>,
    /// One `[open, high, low, close, volume]` row per date.
    pub ohlcv: Vec<Value>,
    /// The backend's `points` field (usually null).
    pub points: Value,
    /// The backend's metadata; its keys differ between empty and non-empty results.
    pub metadata: Map<String, Value>,
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

    /// Starts loading bars; returns at once with the operation id.
    pub fn trigger_data_loading(&self, args: &LoadArgs) -> Result<DataLoadStarted, ApiError> {
        self.http.execute(&args.request(), |body| args.parse(body))
    }

    /// Reads cached bars.
    pub fn get_cached_data(&self, query: &CachedDataQuery) -> Result<CachedData, ApiError> {
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
        let request = args.request();
        assert_eq!(request.method(), Method::Post);
        assert_eq!(request.path_and_query(), "/data/load");
        assert_eq!(
            request.body(),
            Some(&json!({"symbol": "AAPL", "timeframe": "1h", "mode": "local"}))
        );
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
            args.request().body(),
            Some(
                &json!({"symbol": "EURUSD", "timeframe": "1M", "mode": "backfill",
                         "start_date": "2024-01-01", "end_date": "2024-02-01T00:00:00Z"})
            )
        );
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
    fn load_start_with_failed_status_is_not_reported_as_started() {
        let args = LoadArgs::new("AAPL", None, None, None, None).unwrap();
        let body = json!({"success": true, "data": {"status": "failed", "operation_id": "op_x",
                          "error_message": "IB down"}});
        let error = args.parse(&body).unwrap_err();
        assert!(error.0.contains("IB down"));
        let no_id = json!({"success": true, "data": {"status": "started", "operation_id": " "}});
        assert!(args
            .parse(&no_id)
            .unwrap_err()
            .0
            .contains("data.operation_id"));
    }

    #[test]
    fn cached_data_request_encodes_symbol_and_filters() {
        let mut query = CachedDataQuery::new(
            "es=f",
            Timeframe::Day1,
            Some("2024-01-02"),
            Some("2024-01-03T00:00:00+00:00"),
            Some(5),
        )
        .unwrap();
        query.trading_hours_only = true;
        assert_eq!(
            query.request().path_and_query(),
            "/data/ES%3DF/1d?start_date=2024-01-02&end_date=2024-01-03T00%3A00%3A00%2B00%3A00\
             &trading_hours_only=true"
        );
        assert!(CachedDataQuery::new("AAPL", Timeframe::Day1, None, None, Some(0)).is_err());
        let slash = CachedDataQuery::new("../x", Timeframe::Day1, None, None, None).unwrap();
        assert_eq!(slash.request().path_and_query(), "/data/..%2FX/1d");
    }

    #[test]
    fn client_side_limit_keeps_the_last_bars_and_marks_metadata() {
        let body = json!({"success": true, "data": {
            "dates": ["d1", "d2", "d3"],
            "ohlcv": [[1, 1, 1, 1, 10], [2, 2, 2, 2, 20], [3, 3, 3, 3, 30]],
            "points": null,
            "metadata": {"symbol": "AAPL", "timeframe": "1d", "point_count": 3}
        }, "error": null});
        let query = CachedDataQuery::new("AAPL", Timeframe::Day1, None, None, Some(2)).unwrap();
        let data = query.parse(&body).unwrap();
        assert_eq!(data.dates, ["d2", "d3"]);
        assert_eq!(
            data.ohlcv,
            [json!([2, 2, 2, 2, 20]), json!([3, 3, 3, 3, 30])]
        );
        assert_eq!(data.metadata["points"], json!(2));
        assert_eq!(data.metadata["limited_by_client"], json!(true));
        assert_eq!(data.metadata["point_count"], json!(3));

        let unlimited = CachedDataQuery::new("AAPL", Timeframe::Day1, None, None, Some(3)).unwrap();
        let data = unlimited.parse(&body).unwrap();
        assert_eq!(data.dates.len(), 3);
        assert!(!data.metadata.contains_key("limited_by_client"));
    }

    #[test]
    fn cached_data_rejects_malformed_rows() {
        let query = CachedDataQuery::new("AAPL", Timeframe::Day1, None, None, None).unwrap();
        let body = json!({"data": {"dates": ["d1"], "ohlcv": [5], "metadata": {}}});
        assert!(query.parse(&body).unwrap_err().0.contains("data.ohlcv"));
        let body = json!({"data": {"dates": [1], "ohlcv": [], "metadata": {}}});
        assert!(query.parse(&body).is_err());
    }
}
