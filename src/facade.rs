//! The facade: one entry point over the domain clients, and the export of the WIT
//! `tools` interface that calls it (wasm only).
//!
//! Each tool call checks its arguments, sends one request, and maps any failure to a
//! `tool-error`. The configuration is read from the environment by the instance's first call
//! that finds it valid and kept for its later calls: an instance's environment never changes.

use std::sync::OnceLock;

use crate::config::Config;
use crate::data::{DataClient, LoadArgs, MarketDataQuery};
use crate::error::ApiError;
use crate::http::HttpClient;
use crate::operations::{ListFilter, OperationsClient};
use crate::tools::{
    CancelResult, DataLoadStarted, DataMode, Guest, Json, MarketData, OperationInfo, OperationList,
    OperationResults, OperationStatus, OperationType, Timeframe, ToolError, TrainingStarted,
};
use crate::training::{TrainingArgs, TrainingClient};

/// All domain clients over one transport.
pub struct Ktrdr {
    http: HttpClient,
}

impl Ktrdr {
    /// A facade for the backend in `config`.
    pub fn new(config: Config) -> Self {
        Ktrdr {
            http: HttpClient::new(config),
        }
    }

    /// A facade for the backend configured in the environment (read once per instance).
    pub fn from_env() -> Result<Self, ApiError> {
        static CONFIG: OnceLock<Config> = OnceLock::new();
        if let Some(config) = CONFIG.get() {
            return Ok(Ktrdr::new(config.clone()));
        }
        let config = Config::from_env()?;
        Ok(Ktrdr::new(CONFIG.get_or_init(|| config).clone()))
    }

    /// The operations client.
    pub fn operations(&self) -> OperationsClient<'_> {
        OperationsClient::new(&self.http)
    }

    /// The data client.
    pub fn data(&self) -> DataClient<'_> {
        DataClient::new(&self.http)
    }

    /// The training client.
    pub fn training(&self) -> TrainingClient<'_> {
        TrainingClient::new(&self.http)
    }
}

/// Runs one tool call against the configured backend and maps its failure to a `tool-error`.
fn call<T>(tool: impl FnOnce(&Ktrdr) -> Result<T, ApiError>) -> Result<T, ToolError> {
    Ktrdr::from_env()
        .and_then(|ktrdr| tool(&ktrdr))
        .map_err(ApiError::into_tool_error)
}

/// The component: the WIT export of the seven tools.
struct Component;

impl Guest for Component {
    fn list_operations(
        operation_type: Option<OperationType>,
        status: Option<OperationStatus>,
        active_only: Option<bool>,
        limit: Option<u32>,
        offset: Option<u32>,
    ) -> Result<OperationList, ToolError> {
        let filter = ListFilter::new(operation_type, status, active_only, limit, offset)
            .map_err(ApiError::into_tool_error)?;
        call(|ktrdr| ktrdr.operations().list_operations(&filter))
    }

    fn get_operation_status(operation_id: String) -> Result<OperationInfo, ToolError> {
        call(|ktrdr| ktrdr.operations().get_operation_status(&operation_id))
    }

    fn cancel_operation(
        operation_id: String,
        reason: Option<String>,
    ) -> Result<CancelResult, ToolError> {
        call(|ktrdr| {
            ktrdr
                .operations()
                .cancel_operation(&operation_id, reason.as_deref())
        })
    }

    fn get_operation_results(operation_id: String) -> Result<OperationResults, ToolError> {
        call(|ktrdr| ktrdr.operations().get_operation_results(&operation_id))
    }

    fn trigger_data_loading(
        symbol: String,
        timeframe: Option<Timeframe>,
        mode: Option<DataMode>,
        start_date: Option<String>,
        end_date: Option<String>,
    ) -> Result<DataLoadStarted, ToolError> {
        let args = LoadArgs::new(
            &symbol,
            timeframe,
            mode,
            start_date.as_deref(),
            end_date.as_deref(),
        )
        .map_err(ApiError::into_tool_error)?;
        call(|ktrdr| ktrdr.data().trigger_data_loading(&args))
    }

    fn start_training(
        strategy_config_path: String,
        symbols: Vec<String>,
        timeframes: Option<Vec<Timeframe>>,
        training_config: Option<Json>,
        start_date: Option<String>,
        end_date: Option<String>,
    ) -> Result<TrainingStarted, ToolError> {
        let args = TrainingArgs::new(
            &strategy_config_path,
            &symbols,
            timeframes.as_deref(),
            training_config.as_deref(),
            start_date.as_deref(),
            end_date.as_deref(),
        )
        .map_err(ApiError::into_tool_error)?;
        call(|ktrdr| ktrdr.training().start_training(&args))
    }

    fn get_market_data(
        symbol: String,
        timeframe: Option<Timeframe>,
        start_date: Option<String>,
        end_date: Option<String>,
        trading_hours_only: Option<bool>,
        limit: Option<u32>,
    ) -> Result<MarketData, ToolError> {
        let query = MarketDataQuery::new(
            &symbol,
            timeframe,
            start_date.as_deref(),
            end_date.as_deref(),
            trading_hours_only,
            limit,
        )
        .map_err(ApiError::into_tool_error)?;
        call(|ktrdr| ktrdr.data().get_market_data(&query))
    }
}

crate::export!(Component with_types_in crate);
