//! The HTTP API: every route under the `/api/v1` prefix, FastAPI-shaped fallbacks, and the
//! request extractors that answer in the contract's error shapes.

mod data;
mod extract;
mod operations;
mod system;
mod training;

use std::sync::Arc;
use std::time::Instant;

use axum::routing::{get, post};
use axum::Router;

use crate::config::Settings;
use crate::data::csv_store::DataStore;
use crate::errors::ApiError;
use crate::registry::Registry;
use crate::training::runner::Checkpoints;
use crate::workers::WorkerPool;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The operations registry.
    pub registry: Arc<Registry>,
    /// The CSV bar cache.
    pub store: Arc<DataStore>,
    /// Runtime settings.
    pub settings: Arc<Settings>,
    /// The training workers.
    pub workers: Arc<WorkerPool>,
    /// Checkpoints of cancelled trainings, kept only where resuming exists (2026 API).
    pub checkpoints: Option<Arc<Checkpoints>>,
    /// When the backend started.
    pub started: Instant,
}

/// The API prefix of every route but `/`.
pub const API_PREFIX: &str = "/api/v1";

fn api(path: &str) -> String {
    format!("{API_PREFIX}{path}")
}

/// The application's router, with the routes of the configured API generation.
pub fn router(state: AppState) -> Router {
    let generation_routes = if state.settings.is_2026() {
        Router::new()
            .route(&api("/data/acquire/download"), post(data::acquire_download))
            .route(
                &api("/operations/{operation_id}/resume"),
                post(operations::resume),
            )
    } else {
        Router::new().route(&api("/data/load"), post(data::load))
    };
    Router::new()
        .route("/", get(system::root))
        .route(&api("/health"), get(system::health))
        .route(&api("/dummy/start"), post(system::start_dummy))
        .route(&api("/operations"), get(operations::list))
        .route(
            &api("/operations/{operation_id}"),
            get(operations::status).delete(operations::cancel),
        )
        .route(
            &api("/operations/{operation_id}/results"),
            get(operations::results),
        )
        .route(&api("/data/info"), get(data::info))
        .route(&api("/data/{symbol}/{timeframe}"), get(data::cached_bars))
        .route(&api("/symbols"), get(data::symbols))
        .route(&api("/trainings/start"), post(training::start))
        .route(
            &api("/trainings/{task_id}/performance"),
            get(training::performance),
        )
        .route(&api("/models"), get(training::models))
        .merge(generation_routes)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::detail(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    )
}
