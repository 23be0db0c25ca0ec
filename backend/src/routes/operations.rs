//! `/operations`: list, status, cancel, results.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, PathParams};
use super::AppState;
use crate::errors::ApiError;
use crate::models::{OperationInfo, OperationStatus, OperationType};
use crate::registry::{CancelError, ListQuery};
use crate::time_format::python_utc;
use crate::validation::{BodyFields, QueryParams};

fn find(app: &AppState, operation_id: &str) -> Result<OperationInfo, ApiError> {
    app.registry
        .get(operation_id)
        .ok_or_else(|| ApiError::not_found(format!("Operation not found: {operation_id}")))
}

/// `GET /operations`: newest first, filtered and paged; default limit 10 (1..=1000).
pub async fn list(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let mut params = QueryParams::parse(raw.as_deref());
    let status = params.optional_choice("status", OperationStatus::NAMES, OperationStatus::parse);
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
    Ok(Json(json!({
        "success": true,
        "data": page.operations,
        "total_count": page.total_count,
        "active_count": page.active_count,
    })))
}

/// `GET /operations/{id}`.
pub async fn status(
    State(app): State<AppState>,
    PathParams(operation_id): PathParams<String>,
) -> Result<Json<Value>, ApiError> {
    let info = find(&app, &operation_id)?;
    Ok(Json(json!({ "success": true, "data": info })))
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
            CancelError::NotFound => {
                ApiError::not_found(format!("Operation not found: {operation_id}"))
            }
            CancelError::Finished(status) => ApiError::bad_request(format!(
                "Operation {operation_id} cannot be cancelled (status: {})",
                status.python_repr()
            )),
        })?;
    tracing::info!(%operation_id, reason = reason.as_deref().unwrap_or("-"), "operation cancelled");
    Ok(Json(json!({
        "success": true,
        "data": {
            "success": true,
            "operation_id": operation_id,
            "status": "cancelled",
            "cancelled_at": python_utc(&receipt.cancelled_at),
            "cancellation_reason": reason,
            "task_cancelled": receipt.task_cancelled,
            "training_session_cancelled": false,
        },
    })))
}

/// `GET /operations/{id}/results`: only for completed or failed operations.
pub async fn results(
    State(app): State<AppState>,
    PathParams(operation_id): PathParams<String>,
) -> Result<Json<Value>, ApiError> {
    let info = find(&app, &operation_id)?;
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
