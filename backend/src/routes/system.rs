//! `/`, `/health` and the demonstration operation.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
use crate::dummy;

/// `GET /`: the banner.
pub async fn root() -> Json<Value> {
    Json(json!({ "message": "KTRDR API is running. Visit /api/v1/docs for documentation" }))
}

/// `GET /api/v1/health`.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// `POST /api/v1/dummy/start`: a 100-iteration cancellable operation.
pub async fn start_dummy(State(app): State<AppState>) -> Json<Value> {
    let operation_id = dummy::start(&app.registry);
    Json(json!({
        "success": true,
        "data": { "operation_id": operation_id, "status": "started", "message": "Started dummy_task operation" },
        "error": null,
    }))
}
