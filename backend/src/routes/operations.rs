//! `/operations`: list, status, cancel, results, and resume (2026 API).

use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, PathParams};
use super::AppState;
use crate::connection::Connection;
use crate::errors::ApiError;
use crate::models::{OperationInfo, OperationStatus, OperationType};
use crate::registry::{CancelError, ListQuery, ResumeError};
use crate::time_format::{pydantic_utc, python_utc};
use crate::training::runner::{self, WorkerContext};
use crate::validation::{BodyFields, QueryParams};

/// How long a resume waits for a just-cancelled training's worker to stop.
const RESUME_WAIT: Duration = Duration::from_secs(5);

fn not_found(operation_id: &str) -> ApiError {
    ApiError::not_found(format!("Operation not found: {operation_id}"))
}

fn find(app: &AppState, operation_id: &str) -> Result<OperationInfo, ApiError> {
    app.registry
        .get(operation_id)
        .ok_or_else(|| not_found(operation_id))
}

/// The operation as status and results may show it: with `--defect training-result-500`, a
/// completed training is upstream's 500 (its result summary held a tensor), after which the
/// connection is dropped as uvicorn does.
fn find_readable(
    app: &AppState,
    operation_id: &str,
    connection: &Connection,
) -> Result<OperationInfo, ApiError> {
    let info = find(app, operation_id)?;
    if app.settings.training_result_500()
        && info.operation_type == OperationType::Training
        && info.status == OperationStatus::Completed
    {
        connection.drop_after_answer();
        return Err(ApiError::unhandled("PydanticSerializationError"));
    }
    Ok(info)
}

/// Adds the operation fields of the 2026 API (to status data and list rows) when it is served.
fn with_generation_fields(app: &AppState, mut row: Value, kind: OperationType) -> Value {
    if let (true, Value::Object(fields)) = (app.settings.is_2026(), &mut row) {
        fields.insert("parent_operation_id".into(), Value::Null);
        fields.insert("metrics".into(), Value::Null);
        // Trainings run on a training worker, everything else in the backend process.
        fields.insert(
            "is_backend_local".into(),
            json!(kind != OperationType::Training),
        );
    }
    row
}

/// `GET /operations`: newest first, filtered and paged; default limit 10 (1..=1000).
pub async fn list(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let mut params = QueryParams::parse(raw.as_deref());
    let status = if app.settings.is_2026() {
        params.optional_choice("status", OperationStatus::NAMES, OperationStatus::parse)
    } else {
        params.optional_choice("status", OperationStatus::PLAN_ERA_NAMES, |text| {
            OperationStatus::parse(text).filter(|status| *status != OperationStatus::Resuming)
        })
    };
    let operation_type =
        params.optional_choice("operation_type", OperationType::NAMES, OperationType::parse);
    let limit = params.int_in_range("limit", 10, 1, 1000);
    let offset = params.int_in_range("offset", 0, 0, i64::MAX);
    let active_only = params.bool_or("active_only", false);
    params.finish()?;
    let page = app.registry.list(ListQuery {
        operation_type,
        status,
        active_only,
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
    });
    let rows: Vec<Value> = page
        .operations
        .iter()
        .map(|row| {
            let value = serde_json::to_value(row).unwrap_or_default();
            with_generation_fields(&app, value, row.operation_type)
        })
        .collect();
    Ok(Json(json!({
        "success": true,
        "data": rows,
        "total_count": page.total_count,
        "active_count": page.active_count,
    })))
}

/// `GET /operations/{id}`.
pub async fn status(
    State(app): State<AppState>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    PathParams(operation_id): PathParams<String>,
) -> Result<Json<Value>, ApiError> {
    let info = find_readable(&app, &operation_id, &connection)?;
    let kind = info.operation_type;
    let data = with_generation_fields(&app, serde_json::to_value(info).unwrap_or_default(), kind);
    Ok(Json(json!({ "success": true, "data": data })))
}

/// `DELETE /operations/{id}` with an optional `{reason, force}` body.
pub async fn cancel(
    State(app): State<AppState>,
    PathParams(operation_id): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let reason = match body.as_ref() {
        None => None,
        Some(body) => {
            let mut fields = BodyFields::of(Some(body))?;
            let reason = fields.optional_string("reason");
            // `force` is accepted for compatibility: cancellation is always immediate here.
            fields.bool_or("force", false);
            fields.finish()?;
            reason
        }
    };
    let receipt = app
        .registry
        .cancel(&operation_id, reason.as_deref())
        .map_err(|error| match error {
            CancelError::NotFound => not_found(&operation_id),
            CancelError::Finished(status) => ApiError::bad_request(format!(
                "Operation {operation_id} cannot be cancelled (status: {})",
                status.python_repr()
            )),
        })?;
    tracing::info!(%operation_id, reason = reason.as_deref().unwrap_or("-"), "operation cancelled");
    let mut data = json!({
        "success": true,
        "operation_id": operation_id,
        "status": "cancelled",
        "cancelled_at": python_utc(&receipt.cancelled_at),
        "cancellation_reason": reason,
        "task_cancelled": receipt.task_cancelled,
    });
    if app.settings.is_2026() {
        // A running training is cancelled on its worker; there are no child operations.
        let remote = receipt.task_cancelled && receipt.operation_type == OperationType::Training;
        data["remote_cancelled"] = json!(remote);
        data["children_cancelled"] = json!([]);
    } else {
        data["training_session_cancelled"] = json!(false);
    }
    Ok(Json(json!({ "success": true, "data": data })))
}

/// `GET /operations/{id}/results`: only for completed or failed operations.
pub async fn results(
    State(app): State<AppState>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    PathParams(operation_id): PathParams<String>,
) -> Result<Json<Value>, ApiError> {
    let info = find_readable(&app, &operation_id, &connection)?;
    if !matches!(
        info.status,
        OperationStatus::Completed | OperationStatus::Failed
    ) {
        return Err(ApiError::bad_request(format!(
            "Operation not finished (status: {})",
            info.status.as_str()
        )));
    }
    Ok(Json(json!({
        "success": true,
        "operation_id": info.operation_id,
        "operation_type": info.operation_type,
        "status": info.status,
        "results": info.result_summary.unwrap_or_else(|| json!({})),
    })))
}

/// Upstream's answer to a resume of an operation in the wrong state.
fn resume_refusal(operation_id: &str, error: ResumeError) -> ApiError {
    let conflict = |detail: String| ApiError::detail(StatusCode::CONFLICT, detail);
    match error {
        ResumeError::NotFound => not_found(operation_id),
        ResumeError::NotResumable(
            status @ (OperationStatus::Running
            | OperationStatus::Resuming
            | OperationStatus::Completed),
        ) => conflict(format!(
            "Operation {operation_id} is already {}",
            status.as_str()
        )),
        ResumeError::NotResumable(status) => conflict(format!(
            "Cannot resume operation {operation_id} from status {}",
            status.as_str()
        )),
        ResumeError::WorkerBusy => conflict(format!(
            "Operation {operation_id} is still stopping; retry in a moment"
        )),
    }
}

/// `POST /operations/{id}/resume` (2026 API): runs a cancelled training again from the
/// checkpoint its cancel left; it reads `resuming` until it ends. Operations without a
/// checkpoint (other types, trainings that failed or were cancelled before their first batch)
/// are marked failed and answered 404, as upstream does.
pub async fn resume(
    State(app): State<AppState>,
    PathParams(operation_id): PathParams<String>,
) -> Result<Json<Value>, ApiError> {
    let deadline = Instant::now() + RESUME_WAIT;
    loop {
        match app.registry.resumable(&operation_id) {
            Ok(()) => break,
            Err(ResumeError::WorkerBusy) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(error) => return Err(resume_refusal(&operation_id, error)),
        }
    }
    let checkpoints = app.checkpoints.as_ref();
    let Some(checkpoint) = checkpoints.and_then(|store| store.take(&operation_id)) else {
        let message = format!("No checkpoint available for operation {operation_id}");
        app.registry.fail_finished(&operation_id, message.clone());
        return Err(ApiError::not_found(message));
    };
    let resumed_from = json!({
        "checkpoint_type": checkpoint.checkpoint_type,
        "created_at": pydantic_utc(&checkpoint.created_at),
        "epoch": checkpoint.epoch,
    });
    let put_back = |checkpoint| {
        if let Some(store) = checkpoints {
            store.save(&operation_id, checkpoint);
        }
    };
    let Some(slot) = app.workers.try_acquire() else {
        put_back(checkpoint);
        return Err(ApiError::detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "No training worker available to resume operation",
        ));
    };
    let context = WorkerContext::new(slot, app.checkpoints.clone());
    if let Err((error, checkpoint)) =
        runner::resume(&app.registry, &operation_id, checkpoint, context)
    {
        put_back(checkpoint);
        return Err(resume_refusal(&operation_id, error));
    }
    tracing::info!(%operation_id, "operation resuming");
    Ok(Json(json!({
        "success": true,
        "data": {
            "operation_id": operation_id,
            "status": "resuming",
            "resumed_from": resumed_from,
        },
    })))
}
