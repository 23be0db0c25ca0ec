//! The demonstration operation (`POST /dummy/start`): 100 cancellable iterations.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::models::{OperationMetadata, OperationProgress, OperationType};
use crate::registry::{OperationHandle, Outcome, Registry};

/// Iterations of one dummy operation.
const ITERATIONS: u64 = 100;

/// Time one iteration takes.
const ITERATION_TIME: Duration = Duration::from_millis(50);

/// Registers and starts a dummy operation; returns its id.
pub fn start(registry: &Arc<Registry>) -> String {
    let mut parameters = Map::new();
    parameters.insert("operation_name".into(), json!("dummy_task"));
    parameters.insert("service_name".into(), json!("DummyService"));
    let metadata = OperationMetadata {
        symbol: Some("N/A".into()),
        timeframe: Some("N/A".into()),
        mode: Some("N/A".into()),
        parameters,
        ..OperationMetadata::default()
    };
    registry.spawn(OperationType::Dummy, metadata, progress(0), run)
}

fn run(handle: &OperationHandle) -> Outcome {
    for iteration in 0..ITERATIONS {
        handle.report(progress(iteration));
        if handle.pause(ITERATION_TIME).is_err() {
            return Outcome::Cancelled(Some(summary("cancelled", iteration)));
        }
    }
    let mut done = progress(ITERATIONS);
    done.current_step = Some(format!(
        "Operation dummy_task completed [{ITERATIONS}/{ITERATIONS}] (100.0%)"
    ));
    Outcome::Completed {
        summary: summary("success", ITERATIONS),
        progress: Some(done),
    }
}

fn summary(status: &str, iterations: u64) -> Value {
    json!({
        "status": status,
        "iterations_completed": iterations,
        "message": format!("Dummy task {status} after {iterations} of {ITERATIONS} iterations"),
    })
}

/// Progress after `done` iterations, in upstream's shape.
fn progress(done: u64) -> OperationProgress {
    let current = (done + 1).min(ITERATIONS);
    let current_step = format!("Iteration {current}/{ITERATIONS}");
    let current_item = format!("Processing step {current}");
    let mut context = Map::new();
    context.insert("operation".into(), json!("dummy_task"));
    context.insert("service".into(), json!("DummyService"));
    context.insert(
        "context".into(),
        json!({ "current_step": current_step, "current_item": current_item }),
    );
    OperationProgress {
        percentage: done as f64 * 100.0 / ITERATIONS as f64,
        current_step: Some(current_step),
        steps_completed: done,
        steps_total: ITERATIONS,
        items_processed: done,
        items_total: Some(ITERATIONS),
        current_item: Some(current_item),
        context,
    }
}
