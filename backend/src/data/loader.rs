//! The data-load operation (`POST /data/load`): read the cache, find the gaps the mode asks to
//! fill, fetch them from the market-data source in paced segments, merge, validate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::bars::{Bar, Timeframe};
use super::csv_store::{file_name, in_range, DataStore, ReadError};
use super::market_source;
use crate::choice::choice_enum;
use crate::config::ApiGeneration;
use crate::models::{OperationMetadata, OperationProgress, OperationType};
use crate::registry::{Cancelled, OperationHandle, Outcome, Registry};
use crate::time_format::pydantic_utc;

choice_enum! {
    /// How a load gets its bars (`DataLoadRequest.mode`).
    pub enum DataMode {
        /// Only the local cache.
        Local => "local",
        /// Bars after the cache's last bar.
        Tail => "tail",
        /// Bars before the cache's first bar.
        Backfill => "backfill",
        /// The whole requested range again.
        Full => "full",
    }
}

/// A validated `DataLoadRequest`.
#[derive(Debug, Clone)]
pub struct LoadRequest {
    /// Upper-cased, trimmed symbol.
    pub symbol: String,
    /// Bar size.
    pub timeframe: Timeframe,
    /// Mode.
    pub mode: DataMode,
    /// Range start (inclusive).
    pub start: Option<DateTime<Utc>>,
    /// Range end (inclusive).
    pub end: Option<DateTime<Utc>>,
    /// `filters.trading_hours_only`. The source only has regular-session bars, so every bar passes.
    pub trading_hours_only: bool,
    /// `filters.include_extended`. No extended-hours bars exist, so nothing is added.
    pub include_extended: bool,
}

const STEPS: u64 = 5;
/// The step that fetches segments; its progress advances segment by segment.
const FETCH_STEP: u64 = 3;

/// Registers and starts a data-load operation whose result summary has `api`'s keys; returns
/// its id.
pub fn start(
    registry: &Arc<Registry>,
    store: Arc<DataStore>,
    segment_delay: Duration,
    request: LoadRequest,
    api: ApiGeneration,
) -> String {
    let mut parameters = Map::new();
    parameters.insert("operation_name".into(), json!("data_load"));
    parameters.insert("service_name".into(), json!("Data/IB"));
    parameters.insert(
        "filters".into(),
        json!({ "trading_hours_only": request.trading_hours_only, "include_extended": request.include_extended }),
    );
    let metadata = OperationMetadata {
        symbol: Some(request.symbol.clone()),
        timeframe: Some(request.timeframe.as_str().to_string()),
        mode: Some(request.mode.as_str().to_string()),
        start_date: request.start,
        end_date: request.end,
        parameters,
    };
    let job = LoadJob {
        request,
        store,
        segment_delay,
        api,
    };
    let initial = job.progress(
        0,
        0.0,
        "Queued",
        "Waiting for a worker",
        &SegmentCounts::default(),
    );
    registry.spawn(OperationType::DataLoad, metadata, initial, move |handle| {
        job.run(handle)
    })
}

enum LoadError {
    Cancelled,
    Failed(String),
}

impl From<Cancelled> for LoadError {
    fn from(_: Cancelled) -> Self {
        Self::Cancelled
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct SegmentCounts {
    total: usize,
    fetched: usize,
    bars: usize,
}

struct LoadJob {
    request: LoadRequest,
    store: Arc<DataStore>,
    segment_delay: Duration,
    api: ApiGeneration,
}

impl LoadJob {
    fn run(&self, handle: &OperationHandle) -> Outcome {
        let started = Instant::now();
        match self.execute(handle, started) {
            Ok((summary, counts)) => Outcome::Completed {
                summary,
                progress: Some(self.final_progress(&counts)),
            },
            Err(LoadError::Failed(message)) => Outcome::Failed(message),
            Err(LoadError::Cancelled) => Outcome::Cancelled(Some(json!({
                "status": "cancelled",
                "fetched_bars": 0,
                "message": format!("Data load of {} cancelled", self.label()),
            }))),
        }
    }

    fn label(&self) -> String {
        format!(
            "{} ({})",
            self.request.symbol,
            self.request.timeframe.as_str()
        )
    }

    fn not_found(&self) -> LoadError {
        LoadError::Failed(format!("Data not found for {}", self.label()))
    }

    fn execute(
        &self,
        handle: &OperationHandle,
        started: Instant,
    ) -> Result<(Value, SegmentCounts), LoadError> {
        let LoadRequest {
            symbol,
            timeframe,
            mode,
            ..
        } = &self.request;
        let tf = timeframe.as_str();
        let mut counts = SegmentCounts::default();
        let report =
            |step: u64, fraction: f64, name: &str, detail: &str, counts: &SegmentCounts| {
                handle.report(self.progress(step, fraction, name, detail, counts));
            };

        report(
            1,
            0.0,
            "Loading local data from cache",
            &format!("Reading {symbol} {tf} from local storage"),
            &counts,
        );
        let cached = match self.store.read(symbol, tf) {
            Ok(cached) => {
                cached
                    .issues
                    .iter()
                    .for_each(|issue| handle.warn(format!("{}: {issue}", file_name(symbol, tf))));
                Some(cached.bars)
            }
            Err(ReadError::NotFound) if *mode == DataMode::Local => return Err(self.not_found()),
            Err(ReadError::NotFound) => None,
            Err(ReadError::Invalid(error)) => {
                return Err(LoadError::Failed(format!(
                    "Invalid cached data for {}: {error}",
                    self.label()
                )))
            }
        };
        let cached_before = cached.is_some();
        handle.checkpoint()?;

        report(
            2,
            0.0,
            "Analyzing gaps",
            "Comparing the cached range with the requested range",
            &counts,
        );
        let gaps = self.gaps(cached.as_deref());
        let segments: Vec<_> = gaps
            .iter()
            .flat_map(|(from, to)| market_source::plan_segments(*timeframe, *from, *to))
            .collect();
        counts.total = segments.len();
        handle.checkpoint()?;

        let mut fetched: Vec<Bar> = Vec::new();
        for (index, (from, to)) in segments.iter().enumerate() {
            let detail = format!(
                "Segment {}/{}: {} to {}",
                index + 1,
                counts.total,
                from.format("%Y-%m-%d %H:%M"),
                to.format("%Y-%m-%d %H:%M")
            );
            report(
                FETCH_STEP,
                index as f64 / counts.total as f64,
                "Fetching data from the market-data source",
                &detail,
                &counts,
            );
            handle.pause(self.segment_delay)?;
            let bars = market_source::fetch(symbol, *timeframe, *from, *to)
                .ok_or_else(|| self.not_found())?;
            counts.fetched += 1;
            counts.bars += bars.len();
            fetched.extend(bars);
        }
        handle.checkpoint()?;

        let all_bars = if *mode == DataMode::Local || fetched.is_empty() {
            cached.unwrap_or_default()
        } else {
            report(
                4,
                0.0,
                "Merging fetched data into the cache",
                &format!(
                    "Merging {} new bars into {}",
                    counts.bars,
                    file_name(symbol, tf)
                ),
                &counts,
            );
            self.store.merge(symbol, tf, fetched).map_err(|error| {
                LoadError::Failed(format!("Cannot merge data for {}: {error}", self.label()))
            })?
        };
        let bars = in_range(&all_bars, self.request.start, self.request.end);
        report(
            5,
            0.0,
            "Validating data quality",
            &format!(
                "Checking {} data points for completeness and accuracy",
                bars.len()
            ),
            &counts,
        );
        if all_bars.is_empty() {
            return Err(self.not_found());
        }
        handle.checkpoint()?;

        if self.api == ApiGeneration::V2026 {
            return Ok((self.acquisition_summary(gaps.len(), &counts), counts));
        }
        let found = !bars.is_empty();
        let summary = json!({
            "status": "success",
            "fetched_bars": bars.len(),
            "cached_before": cached_before && found,
            "merged_file": if found { file_name(symbol, tf) } else { String::new() },
            "gaps_analyzed": if *mode == DataMode::Local { usize::from(found) } else { gaps.len() },
            "segments_fetched": if *mode == DataMode::Local { usize::from(found) } else { counts.fetched },
            "ib_requests_made": counts.fetched,
            "execution_time_seconds": (started.elapsed().as_secs_f64() * 1e6).round() / 1e6,
        });
        Ok((summary, counts))
    }

    /// The 2026 API's result summary: `mode` only when something was fetched.
    fn acquisition_summary(&self, gaps: usize, counts: &SegmentCounts) -> Value {
        let request = &self.request;
        let fetched = counts.fetched > 0;
        let mut summary = Map::new();
        if fetched {
            summary.insert("mode".into(), json!(request.mode.as_str()));
        }
        summary.insert("symbol".into(), json!(request.symbol));
        summary.insert("timeframe".into(), json!(request.timeframe.as_str()));
        summary.insert("cache_hit".into(), json!(!fetched));
        summary.insert("gaps_filled".into(), json!(if fetched { gaps } else { 0 }));
        summary.insert("rows_downloaded".into(), json!(counts.bars));
        Value::Object(summary)
    }

    /// The time windows to fetch: none for `local`; after the cache for `tail`; before it for
    /// `backfill`; the whole requested range for `full` (and for any mode without a cache).
    fn gaps(&self, cached: Option<&[Bar]>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let (source_first, source_last) = market_source::available_range();
        let from = self.request.start.unwrap_or(source_first);
        let to = self.request.end.unwrap_or(source_last);
        let cached_range = cached.and_then(|bars| Some((bars.first()?.time, bars.last()?.time)));
        let one_second = chrono::Duration::seconds(1);
        let window = match (self.request.mode, cached_range) {
            (DataMode::Local, _) => None,
            (DataMode::Tail, Some((_, last))) => Some((from.max(last + one_second), to)),
            (DataMode::Backfill, Some((first, _))) => Some((from, to.min(first - one_second))),
            _ => Some((from, to)),
        };
        window.filter(|(from, to)| from <= to).into_iter().collect()
    }

    fn context(&self, detail: &str, counts: &SegmentCounts) -> Map<String, Value> {
        let request = &self.request;
        let mut context = Map::new();
        context.insert("symbol".into(), json!(request.symbol));
        context.insert("timeframe".into(), json!(request.timeframe.as_str()));
        context.insert("mode".into(), json!(request.mode.as_str()));
        context.insert("operation_type".into(), json!("data_load"));
        context.insert(
            "start_date".into(),
            json!(request.start.as_ref().map(pydantic_utc)),
        );
        context.insert(
            "end_date".into(),
            json!(request.end.as_ref().map(pydantic_utc)),
        );
        context.insert("current_item_detail".into(), json!(detail));
        context.insert("segments_total".into(), json!(counts.total));
        context.insert("segments_fetched".into(), json!(counts.fetched));
        context.insert("bars_fetched".into(), json!(counts.bars));
        context
    }

    /// Progress at `step` of 5 (`fraction` of the way through it), in upstream's wording:
    /// `⚡ Validating data quality (AAPL 1h, local mode) [5/5] - Checking 1204 data points…`.
    fn progress(
        &self,
        step: u64,
        fraction: f64,
        name: &str,
        detail: &str,
        counts: &SegmentCounts,
    ) -> OperationProgress {
        let request = &self.request;
        let current_step = format!(
            "⚡ {name} ({} {}, {} mode) [{step}/{STEPS}] - {detail}",
            request.symbol,
            request.timeframe.as_str(),
            request.mode.as_str()
        );
        let fetching = step == FETCH_STEP;
        let steps_done = if fetching {
            (step - 1) as f64 + fraction
        } else {
            step as f64
        };
        OperationProgress {
            percentage: steps_done * 100.0 / STEPS as f64,
            current_step: Some(current_step),
            steps_completed: step,
            steps_total: STEPS,
            items_processed: counts.fetched as u64,
            items_total: Some(counts.total as u64),
            current_item: fetching.then(|| detail.to_string()),
            context: self.context(detail, counts),
        }
    }

    /// Upstream's generic completion progress, keeping what was loaded in the context.
    fn final_progress(&self, counts: &SegmentCounts) -> OperationProgress {
        let mut context = Map::new();
        context.insert("operation".into(), json!("data_load"));
        context.insert("service".into(), json!("Data/IB"));
        context.extend(self.context("Data load completed", counts));
        OperationProgress {
            percentage: 100.0,
            current_step: Some("Operation data_load completed [100/100] (100.0%)".into()),
            steps_completed: 100,
            steps_total: 100,
            items_processed: counts.fetched as u64,
            items_total: Some(counts.total as u64),
            current_item: None,
            context,
        }
    }
}
