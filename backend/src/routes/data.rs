//! `/data/load` (plan-era API), `/data/acquire/download` (2026 API), `/data/{symbol}/{timeframe}`,
//! `/data/info` and `/symbols`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, PathParams};
use super::AppState;
use crate::choice::python_list;
use crate::data::bars::Timeframe;
use crate::data::csv_store::{in_range, is_safe_name, ReadError};
use crate::data::loader::{self, DataMode, LoadRequest};
use crate::errors::ApiError;
use crate::time_format::{naive_iso, parse_datetime, python_utc};
use crate::validation::{body_loc, BodyFields, FieldError, QueryParams};

/// Starts the load of a validated request; returns its operation id.
fn start_load(app: &AppState, request: LoadRequest) -> String {
    let delay = Duration::from_millis(app.settings.segment_delay_ms);
    tracing::info!(symbol = %request.symbol, timeframe = request.timeframe.as_str(), mode = request.mode.as_str(), "data load requested");
    loader::start(
        &app.registry,
        Arc::clone(&app.store),
        delay,
        request,
        app.settings.api,
    )
}

/// `POST /data/load` (plan-era API): validates a `DataLoadRequest` (mode `local` by default)
/// and starts the load.
pub async fn load(
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let request = parse_load_request(body.as_ref(), DataMode::Local, |fields| {
        FieldError::value_error(
            vec![json!("body")],
            "start_date must be before end_date",
            fields.body().clone(),
        )
        .into()
    })?;
    let operation_id = start_load(&app, request);
    Ok(Json(json!({
        "success": true,
        "data": {
            "status": "started",
            "operation_id": operation_id,
            "fetched_bars": 0,
            "cached_before": false,
            "merged_file": "",
            "gaps_analyzed": 0,
            "segments_fetched": 0,
            "ib_requests_made": 0,
            "execution_time_seconds": 0.0,
            "error_message": null,
        },
        "error": null,
    })))
}

/// `POST /data/acquire/download` (2026 API): the same `DataLoadRequest` (mode `tail` by
/// default, `local` refused with a 500 as upstream), a flat answer.
pub async fn acquire_download(
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let request = parse_load_request(body.as_ref(), DataMode::Tail, |fields| {
        ApiError::Envelope {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "VALIDATION_ERROR".into(),
            message: "start_date must be before end_date".into(),
            details: json!({
                "start_date": fields.body()["start_date"],
                "end_date": fields.body()["end_date"],
            }),
        }
        .into()
    })?;
    if request.mode == DataMode::Local {
        return Err(ApiError::detail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Data acquisition failed: Invalid mode: local. Must be 'tail', 'backfill', or 'full'",
        ));
    }
    let message = format!(
        "Started {} download for {} {}",
        request.mode.as_str(),
        request.symbol,
        request.timeframe.as_str()
    );
    let operation_id = start_load(&app, request);
    Ok(Json(json!({
        "success": true,
        "operation_id": operation_id,
        "status": "started",
        "message": message,
    })))
}

/// The 400 envelope of an unusable symbol.
fn invalid_symbol(message: &str, raw: &str) -> ApiError {
    ApiError::data_error("DATA-InvalidSymbol", message, json!({ "symbol": raw }))
}

/// What a start date after the end date is reported as: a field error joining the request's
/// other 422 errors (plan-era API), or an answer of its own.
enum RangeError {
    Field(FieldError),
    Answer(ApiError),
}

impl From<FieldError> for RangeError {
    fn from(error: FieldError) -> Self {
        Self::Field(error)
    }
}

impl From<ApiError> for RangeError {
    fn from(error: ApiError) -> Self {
        Self::Answer(error)
    }
}

/// Validates a `DataLoadRequest`; `mode` defaults to `default_mode`, and `range_error` reports
/// a start after the end.
fn parse_load_request(
    body: Option<&Value>,
    default_mode: DataMode,
    range_error: impl FnOnce(&BodyFields) -> RangeError,
) -> Result<LoadRequest, ApiError> {
    let mut fields = BodyFields::of(body)?;
    let raw_symbol = fields.required_string("symbol");
    let timeframe = fields.required_string("timeframe").and_then(|text| {
        let parsed = Timeframe::parse(&text);
        if parsed.is_none() {
            let message = format!(
                "Timeframe must be one of {}",
                python_list(Timeframe::NAMES.iter().copied())
            );
            fields.push(FieldError::value_error(
                body_loc("timeframe"),
                &message,
                json!(text),
            ));
        }
        parsed
    });
    let mode = fields.literal_or("mode", default_mode, DataMode::NAMES, DataMode::parse);
    let start = fields.optional_datetime("start_date");
    let end = fields.optional_datetime("end_date");
    let (trading_hours_only, include_extended) = fields
        .optional_model("filters", "DataFilters", |filters| {
            (
                filters.bool_or("trading_hours_only", false),
                filters.bool_or("include_extended", false),
            )
        })
        .unwrap_or_default();
    if let (true, Some(start), Some(end)) = (fields.is_clean(), start, end) {
        if start >= end {
            match range_error(&fields) {
                RangeError::Field(error) => fields.push(error),
                RangeError::Answer(answer) => return Err(answer),
            }
        }
    }
    fields.finish()?;
    let (Some(raw_symbol), Some(timeframe)) = (raw_symbol, timeframe) else {
        return Err(ApiError::bad_request("Invalid request"));
    };
    let symbol = raw_symbol.trim().to_uppercase();
    if symbol.is_empty() {
        return Err(invalid_symbol(
            "Symbol is required and cannot be empty",
            &raw_symbol,
        ));
    }
    if !is_safe_name(&symbol) {
        return Err(invalid_symbol(
            "Symbol may only contain letters, digits, '.', '_' and '-', starting with a letter or digit",
            &raw_symbol,
        ));
    }
    Ok(LoadRequest {
        symbol,
        timeframe,
        mode,
        start,
        end,
        trading_hours_only,
        include_extended,
    })
}

/// `GET /data/{symbol}/{timeframe}`: cached bars, optionally within `[start_date, end_date]`.
/// Unknown symbols answer 200 with empty arrays, as upstream.
pub async fn cached_bars(
    State(app): State<AppState>,
    PathParams((symbol, timeframe)): PathParams<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let mut params = QueryParams::parse(raw.as_deref());
    // Accepted as upstream; the cache only holds regular-session bars, so they select everything.
    params.bool_or("trading_hours_only", false);
    params.bool_or("include_extended", false);
    let start_text = params.get("start_date").map(str::to_string);
    let end_text = params.get("end_date").map(str::to_string);
    params.finish()?;
    let start = parse_query_date("start_date", start_text.as_deref())?;
    let end = parse_query_date("end_date", end_text.as_deref())?;

    let symbol = symbol.to_uppercase();
    let bars = match app.store.read(&symbol, &timeframe) {
        Ok(cached) => in_range(&cached.bars, start, end),
        Err(ReadError::NotFound) => Vec::new(),
        Err(ReadError::Invalid(error)) => {
            return Err(ApiError::data_error(
                "DATA_ERROR",
                format!("Cannot read cached data for {symbol} ({timeframe}): {error}"),
                json!({ "symbol": symbol, "timeframe": timeframe }),
            ))
        }
    };
    let metadata = match (bars.first(), bars.last()) {
        (Some(first), Some(last)) => json!({
            "symbol": symbol,
            "timeframe": timeframe,
            "start_date": python_utc(&first.time),
            "end_date": python_utc(&last.time),
            "point_count": bars.len(),
        }),
        _ => {
            json!({ "symbol": symbol, "timeframe": timeframe, "start": "", "end": "", "points": 0 })
        }
    };
    let dates: Vec<String> = bars
        .iter()
        .map(|bar| naive_iso(&bar.time.naive_utc()))
        .collect();
    let ohlcv: Vec<[f64; 5]> = bars
        .iter()
        .map(|bar| [bar.open, bar.high, bar.low, bar.close, bar.volume])
        .collect();
    Ok(Json(json!({
        "success": true,
        "data": { "dates": dates, "ohlcv": ohlcv, "points": null, "metadata": metadata },
        "error": null,
    })))
}

fn parse_query_date(
    name: &str,
    text: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    parse_datetime(text).map(Some).ok_or_else(|| {
        ApiError::data_error(
            "DATA-InvalidDate",
            format!("Invalid {name} format. Use YYYY-MM-DD"),
            json!({ name: text }),
        )
    })
}

/// `GET /symbols`: every symbol in the cache with its timeframes.
pub async fn symbols(State(app): State<AppState>) -> Json<Value> {
    let symbols: Vec<Value> = app
        .store
        .inventory()
        .into_iter()
        .map(|files| {
            json!({
                "symbol": files.symbol,
                "name": files.symbol,
                "type": "unknown",
                "exchange": "unknown",
                "currency": "unknown",
                "available_timeframes": files.timeframes,
                "trading_hours": null,
            })
        })
        .collect();
    Json(json!({ "success": true, "data": symbols, "error": null }))
}

/// Upstream's timeframe descriptions, for `/data/info`.
const TIMEFRAME_NAMES: [(&str, &str, &str); 10] = [
    ("1m", "1 Minute", "One-minute interval data"),
    ("5m", "5 Minutes", "Five-minute interval data"),
    ("15m", "15 Minutes", "Fifteen-minute interval data"),
    ("30m", "30 Minutes", "Thirty-minute interval data"),
    ("1h", "1 Hour", "One-hour interval data"),
    ("2h", "2 Hours", "Two-hour interval data"),
    ("4h", "4 Hours", "Four-hour interval data"),
    ("1d", "Daily", "Daily interval data"),
    ("1w", "Weekly", "Weekly interval data"),
    ("1M", "Monthly", "Monthly interval data"),
];

/// `GET /data/info`: the cache's inventory, with upstream's stringified (Python `repr`) entries.
pub async fn info(State(app): State<AppState>) -> Json<Value> {
    let inventory = app.store.inventory();
    let available_symbols: Vec<String> = inventory
        .iter()
        .map(|files| {
            let bars = files.timeframes.first().and_then(|tf| app.store.read(&files.symbol, tf).ok()).map(|cached| cached.bars);
            let date = |bar: Option<&crate::data::bars::Bar>| {
                bar.map_or("None".to_string(), |bar| format!("'{}'", python_utc(&bar.time)))
            };
            let bars = bars.unwrap_or_default();
            format!(
                "{{'symbol': '{0}', 'name': '{0}', 'type': 'unknown', 'exchange': 'unknown', 'currency': 'unknown', \
                 'available_timeframes': {1}, 'start_date': {2}, 'end_date': {3}}}",
                files.symbol,
                python_list(files.timeframes.iter().map(String::as_str)),
                date(bars.first()),
                date(bars.last()),
            )
        })
        .collect();
    let timeframes: Vec<String> = TIMEFRAME_NAMES
        .iter()
        .map(|(id, name, description)| {
            format!("{{'id': '{id}', 'name': '{name}', 'description': '{description}'}}")
        })
        .collect();
    let symbol_types = if inventory.is_empty() {
        json!({})
    } else {
        json!({ "unknown": inventory.len() })
    };
    Json(json!({
        "success": true,
        "data": {
            "data_directory": app.store.dir().display().to_string(),
            "total_symbols": inventory.len(),
            "available_symbols": available_symbols,
            "symbol_types": symbol_types,
            "timeframes_available": timeframes,
            "total_timeframes": TIMEFRAME_NAMES.len(),
            "data_sources": ["local_files", "market_data_source"],
            "features": ["symbol_discovery", "data_validation", "gap_filling"],
        },
        "error": null,
    }))
}
