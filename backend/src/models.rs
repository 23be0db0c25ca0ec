//! The contract's operation models (ktrdr/api/models/operations.py) as serializable types.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::choice::choice_enum;
use crate::time_format::{serialize_optional_pydantic, serialize_pydantic};

choice_enum! {
    /// The kind of work an operation does (`OperationType`).
    pub enum OperationType {
        /// Loading OHLCV bars into the local cache.
        DataLoad => "data_load",
        /// Training a model from a strategy.
        Training => "training",
        /// Backtesting (known to the API, never started by this backend).
        Backtesting => "backtesting",
        /// Indicator computation (known to the API, never started by this backend).
        IndicatorCompute => "indicator_compute",
        /// Fuzzy analysis (known to the API, never started by this backend).
        FuzzyAnalysis => "fuzzy_analysis",
        /// The cancellable demonstration operation.
        Dummy => "dummy",
    }
}

choice_enum! {
    /// Where an operation is in its life (`OperationStatus`).
    pub enum OperationStatus {
        /// Created, its worker not started yet.
        Pending => "pending",
        /// Running again from a checkpoint after `POST /operations/{id}/resume` (2026 API).
        Resuming => "resuming",
        /// Its worker is running.
        Running => "running",
        /// Finished successfully.
        Completed => "completed",
        /// Finished with an error.
        Failed => "failed",
        /// Stopped by a cancel request.
        Cancelled => "cancelled",
    }
}

impl OperationStatus {
    /// The statuses of the plan-era API, which has no `resuming`.
    pub const PLAN_ERA_NAMES: &'static [&'static str] =
        &["pending", "running", "completed", "failed", "cancelled"];

    /// Pending or running: what `active_only` and `active_count` count (not `resuming`, as
    /// upstream).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }

    /// Not final yet: pending, running or resuming.
    pub fn is_unfinished(self) -> bool {
        matches!(self, Self::Pending | Self::Running | Self::Resuming)
    }

    /// A worker is working on it: running or resuming.
    pub fn is_working(self) -> bool {
        matches!(self, Self::Running | Self::Resuming)
    }

    /// Python's `str()` of the enum member, as upstream puts it in cancel errors:
    /// `OperationStatus.COMPLETED`.
    pub fn python_repr(self) -> String {
        format!("OperationStatus.{}", self.as_str().to_uppercase())
    }
}

/// `OperationProgress`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OperationProgress {
    /// 0..=100.
    pub percentage: f64,
    /// Human-readable description of the current step.
    pub current_step: Option<String>,
    /// Steps done.
    pub steps_completed: u64,
    /// Steps in all.
    pub steps_total: u64,
    /// Items (bars, batches, iterations) done.
    pub items_processed: u64,
    /// Items in all, when known.
    pub items_total: Option<u64>,
    /// The item being worked on.
    pub current_item: Option<String>,
    /// Operation-specific details.
    pub context: Map<String, Value>,
}

/// `OperationMetadata`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OperationMetadata {
    /// Main symbol, if any.
    pub symbol: Option<String>,
    /// Main timeframe, if any.
    pub timeframe: Option<String>,
    /// Mode (data-load mode, `training`, ...).
    pub mode: Option<String>,
    /// Requested range start.
    #[serde(serialize_with = "serialize_optional_pydantic")]
    pub start_date: Option<DateTime<Utc>>,
    /// Requested range end.
    #[serde(serialize_with = "serialize_optional_pydantic")]
    pub end_date: Option<DateTime<Utc>>,
    /// Everything else the operation was started with.
    pub parameters: Map<String, Value>,
}

/// `OperationInfo`: the full state of one operation.
#[derive(Debug, Clone, Serialize)]
pub struct OperationInfo {
    /// `op_{type}_{YYYYMMDD}_{HHMMSS}_{8 hex}`.
    pub operation_id: String,
    /// Kind of work.
    pub operation_type: OperationType,
    /// Life-cycle status.
    pub status: OperationStatus,
    /// When it was registered.
    #[serde(serialize_with = "serialize_pydantic")]
    pub created_at: DateTime<Utc>,
    /// When its worker started.
    #[serde(serialize_with = "serialize_optional_pydantic")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    #[serde(serialize_with = "serialize_optional_pydantic")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Latest progress.
    pub progress: OperationProgress,
    /// What it was started with.
    pub metadata: OperationMetadata,
    /// Why it failed or was cancelled.
    pub error_message: Option<String>,
    /// Non-fatal problems met on the way.
    pub warnings: Vec<String>,
    /// Errors met on the way.
    pub errors: Vec<String>,
    /// What it produced, once finished.
    pub result_summary: Option<Value>,
}

impl OperationInfo {
    /// `OperationSummary` of this operation, with its duration measured at `now`.
    pub fn summary(&self, now: DateTime<Utc>) -> OperationSummary {
        let duration_seconds = self.started_at.map(|started| {
            let end = self.completed_at.unwrap_or(now);
            let micros = (end - started).num_microseconds().unwrap_or(0).max(0);
            micros as f64 / 1e6
        });
        OperationSummary {
            operation_id: self.operation_id.clone(),
            operation_type: self.operation_type,
            status: self.status,
            created_at: self.created_at,
            progress_percentage: self.progress.percentage,
            current_step: self.progress.current_step.clone(),
            symbol: self.metadata.symbol.clone(),
            duration_seconds,
        }
    }
}

/// `OperationSummary`: one row of the list.
#[derive(Debug, Clone, Serialize)]
pub struct OperationSummary {
    /// Operation id.
    pub operation_id: String,
    /// Kind of work.
    pub operation_type: OperationType,
    /// Life-cycle status.
    pub status: OperationStatus,
    /// When it was registered.
    #[serde(serialize_with = "serialize_pydantic")]
    pub created_at: DateTime<Utc>,
    /// `progress.percentage`.
    pub progress_percentage: f64,
    /// `progress.current_step`.
    pub current_step: Option<String>,
    /// `metadata.symbol`.
    pub symbol: Option<String>,
    /// Seconds from start to completion (or to now); null if not started.
    pub duration_seconds: Option<f64>,
}
