//! `/trainings/start`, `/trainings/{id}/performance` and `/models`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, PathParams};
use super::AppState;
use crate::choice::python_list;
use crate::data::bars::Timeframe;
use crate::data::csv_store::is_safe_name;
use crate::errors::ApiError;
use crate::models::{OperationStatus, OperationType};
use crate::time_format::parse_datetime;
use crate::training::model_store;
use crate::training::runner::{self, TrainingJob, WorkerContext};
use crate::training::strategy;
use crate::validation::{BodyFields, FieldError};

/// Upstream's fixed estimate in the start response.
const ESTIMATED_DURATION_MINUTES: u32 = 30;

/// A `TrainingRequest` after pydantic-level validation.
struct TrainingRequest {
    symbols: Vec<String>,
    timeframes: Vec<String>,
    strategy_name: String,
    start_date: Option<String>,
    end_date: Option<String>,
    detailed_analytics: bool,
}

fn parse_training_request(body: Option<&Value>) -> Result<TrainingRequest, ApiError> {
    let mut fields = BodyFields::of(body)?;
    let non_empty_list = |fields: &mut BodyFields, name: &str, what: &str| {
        let items: Vec<String> = fields
            .required_string_list(name)?
            .iter()
            .map(|item| item.trim().to_string())
            .collect();
        let problem = if items.is_empty() {
            Some(format!("At least one {what} must be specified"))
        } else {
            items
                .iter()
                .any(String::is_empty)
                .then(|| format!("A {what} cannot be blank"))
        };
        if let Some(message) = problem {
            fields.push(FieldError::value_error(
                fields.loc(name),
                &message,
                fields.body()[name].clone(),
            ));
            return None;
        }
        Some(items)
    };
    let symbols = non_empty_list(&mut fields, "symbols", "symbol");
    let timeframes = non_empty_list(&mut fields, "timeframes", "timeframe");
    let strategy_name = fields.required_string("strategy_name");
    let start_date = fields.optional_string("start_date");
    let end_date = fields.optional_string("end_date");
    // Accepted as upstream; the operation id is always generated.
    fields.optional_string("task_id");
    let detailed_analytics = fields.bool_or("detailed_analytics", false);
    fields.finish()?;
    match (symbols, timeframes, strategy_name) {
        (Some(symbols), Some(timeframes), Some(strategy_name)) => Ok(TrainingRequest {
            symbols,
            timeframes,
            strategy_name,
            start_date,
            end_date,
            detailed_analytics,
        }),
        _ => Err(ApiError::bad_request("Invalid training request")),
    }
}

fn parse_date(
    name: &str,
    text: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    parse_datetime(text).map(Some).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Invalid {name} format: '{text}'. Use YYYY-MM-DD or ISO 8601"
        ))
    })
}

/// A free training worker, or the 2026 API's 503 saying none is.
fn training_worker(app: &AppState) -> Result<WorkerContext, ApiError> {
    let Some(slot) = app.workers.try_acquire() else {
        let registered = app.workers.registered().unwrap_or_default();
        return Err(ApiError::Detail {
            status: StatusCode::SERVICE_UNAVAILABLE,
            detail: json!({
                "error": "No training workers available",
                "hint": format!(
                    "All {registered} registered training worker(s) are busy; wait for a running training to end (or cancel one), or start more workers, then retry"
                ),
                "registered_workers": registered,
                "worker_type": "training",
                "backend_uptime_seconds": (app.started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            }),
        });
    };
    Ok(WorkerContext::new(slot, app.checkpoints.clone()))
}

/// `POST /trainings/start`: validates the request and strategy, starts the training.
pub async fn start(
    State(app): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let request = parse_training_request(body.as_ref())?;
    let mut symbols = Vec::with_capacity(request.symbols.len());
    for symbol in &request.symbols {
        let symbol = symbol.to_uppercase();
        if !is_safe_name(&symbol) {
            return Err(ApiError::bad_request(format!(
                "Invalid symbol '{symbol}': use letters, digits, '.', '_' and '-', starting with a letter or digit"
            )));
        }
        symbols.push(symbol);
    }
    let mut timeframes = Vec::with_capacity(request.timeframes.len());
    for text in &request.timeframes {
        let timeframe = Timeframe::parse(text).ok_or_else(|| {
            ApiError::bad_request(format!(
                "Invalid timeframe '{text}': must be one of {}",
                python_list(Timeframe::NAMES.iter().copied())
            ))
        })?;
        timeframes.push(timeframe);
    }
    let start = parse_date("start_date", request.start_date.as_deref())?;
    let end = parse_date("end_date", request.end_date.as_deref())?;
    if let (Some(start), Some(end)) = (start, end) {
        if start >= end {
            return Err(ApiError::bad_request("start_date must be before end_date"));
        }
    }
    let settings = &app.settings;
    let (strategy_path, strategy) =
        strategy::resolve(&settings.strategies_dir, &request.strategy_name)
            .map_err(|error| ApiError::bad_request(error.to_string()))?;

    let job = TrainingJob {
        strategy_name: request.strategy_name.clone(),
        strategy_path,
        strategy,
        symbols: symbols.clone(),
        timeframes,
        start,
        end,
        analytics: request.detailed_analytics,
        store: Arc::clone(&app.store),
        models_dir: settings.models_dir.clone(),
    };
    let worker = training_worker(&app)?;
    let operation_id = runner::start(&app.registry, job, worker);
    tracing::info!(%operation_id, strategy = %request.strategy_name, "training started");
    Ok(Json(json!({
        "success": true,
        "operation_id": operation_id,
        "task_id": operation_id,
        "status": "training_started",
        "message": format!("Neural network training started for {} using {} strategy", symbols.join(", "), request.strategy_name),
        "symbols": symbols,
        "timeframes": request.timeframes,
        "strategy_name": request.strategy_name,
        "estimated_duration_minutes": ESTIMATED_DURATION_MINUTES,
    })))
}

/// `GET /trainings/{id}/performance`: the metrics of a completed training.
pub async fn performance(
    State(app): State<AppState>,
    PathParams(task_id): PathParams<String>,
) -> Result<Json<Value>, ApiError> {
    let info = app
        .registry
        .get(&task_id)
        .filter(|info| info.operation_type == OperationType::Training)
        .ok_or_else(|| ApiError::not_found(format!("Training task {task_id} not found")))?;
    let summary = match (info.status, info.result_summary) {
        (OperationStatus::Completed, Some(summary)) => summary,
        (status, _) => {
            return Err(ApiError::bad_request(format!(
                "Training task {task_id} is not completed (status: {})",
                status.as_str()
            )));
        }
    };
    let training = &summary["training_metrics"];
    let model = &summary["model_info"];
    Ok(Json(json!({
        "success": true,
        "task_id": task_id,
        "status": "completed",
        "training_metrics": {
            "final_train_loss": training["final_train_loss"],
            "final_val_loss": training["final_val_loss"],
            "final_train_accuracy": training["final_train_accuracy"],
            "final_val_accuracy": training["final_val_accuracy"],
            "epochs_completed": training["epochs_completed"],
            "early_stopped": training["early_stopped"],
            "training_time_minutes": training["training_time_minutes"],
        },
        "test_metrics": summary["test_metrics"],
        "model_info": {
            "model_size_bytes": model["model_size_bytes"],
            "parameters_count": model["parameters_count"],
            "architecture": model["architecture"],
        },
    })))
}

/// `GET /models`: every saved model, newest first.
pub async fn models(State(app): State<AppState>) -> Json<Value> {
    let models: Vec<Value> = model_store::list(&app.settings.models_dir)
        .into_iter()
        .map(|metadata| {
            let text = |key: &str| json!(metadata[key].as_str().unwrap_or_default());
            let number = |key: &str| json!(metadata[key].as_f64().unwrap_or_default());
            json!({
                "model_id": text("model_id"),
                "model_name": text("model_name"),
                "symbol": text("symbol"),
                "timeframe": text("timeframe"),
                "created_at": text("created_at"),
                "training_accuracy": number("training_accuracy"),
                "test_accuracy": number("test_accuracy"),
                "description": text("description"),
            })
        })
        .collect();
    Json(json!({ "success": true, "models": models }))
}
