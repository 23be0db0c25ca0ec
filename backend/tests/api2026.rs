//! `--api 2026`: the 2026-04 upstream API (contract section 8) — the data-load route and its
//! flat answer, no `local` mode, the 2026 result keys and operation fields, the cancel answer,
//! `resuming` through `POST /operations/{id}/resume`, and the 503 when no training worker is
//! free. The plan-era default keeps none of it.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{assert_keys, assert_pydantic_time, Backend};
use serde_json::{json, Value};

const API_2026: [&str; 2] = ["--api", "2026"];

/// Starts a 2026 data load and returns its operation id, checking the flat answer.
fn acquire(backend: &Backend, body: &str) -> String {
    let (status, answer) = backend.post("/data/acquire/download", body);
    assert_eq!(status, 200, "{answer}");
    assert_keys(&answer, &["success", "operation_id", "status", "message"]);
    assert_eq!(
        (&answer["success"], &answer["status"]),
        (&json!(true), &json!("started"))
    );
    let id = answer["operation_id"].as_str().expect("operation_id");
    assert!(id.starts_with("op_data_load_"), "{id}");
    id.to_string()
}

/// Writes `mlp_long` with `epochs` epochs as strategy `name`.
fn strategy_with_epochs(backend: &Backend, name: &str, epochs: u32) {
    let dir = backend.strategies_dir();
    let long = std::fs::read_to_string(dir.join("mlp_long.yaml")).expect("mlp_long.yaml");
    let text = long
        .replace("name: mlp_long", &format!("name: {name}"))
        .replace("epochs: 4000", &format!("epochs: {epochs}"));
    assert_ne!(text, long);
    std::fs::write(dir.join(format!("{name}.yaml")), text).expect("write strategy");
}

/// Polls until the training has completed at least `epochs` epochs; returns that snapshot.
fn after_epochs(backend: &Backend, id: &str, epochs: u64) -> Value {
    backend
        .watch(id, Duration::from_secs(60), |op| {
            op["progress"]["steps_completed"].as_u64().unwrap_or(0) >= epochs
                && op["progress"]["current_step"]
                    .as_str()
                    .is_some_and(|step| step.starts_with("Epoch"))
        })
        .pop()
        .unwrap()
}

/// Cancels an operation and returns the answer's `data`.
fn cancel(backend: &Backend, id: &str) -> Value {
    let (status, answer) = backend.delete(&format!("/operations/{id}"), None);
    assert_eq!(status, 200, "{answer}");
    answer["data"].clone()
}

fn assert_generation_fields(row: &Value, backend_local: bool) {
    assert_eq!(row["parent_operation_id"], Value::Null, "{row}");
    assert_eq!(row["metrics"], Value::Null, "{row}");
    assert_eq!(row["is_backend_local"], json!(backend_local), "{row}");
}

#[test]
fn data_loads_move_to_acquire_download_with_the_2026_answers() {
    let backend = Backend::start(&["--api", "2026", "--segment-delay-ms", "20"]);
    assert_eq!(
        backend.post("/data/load", r#"{"symbol":"AAPL","timeframe":"1h"}"#),
        (404, json!({"detail": "Not Found"}))
    );
    assert_eq!(
        backend.post(
            "/data/acquire/download",
            r#"{"symbol":"AAPL","timeframe":"1h","mode":"local"}"#
        ),
        (
            500,
            json!({"detail": "Data acquisition failed: Invalid mode: local. Must be 'tail', 'backfill', or 'full'"})
        )
    );
    let (status, error) = backend.post(
        "/data/acquire/download",
        r#"{"symbol":"AAPL","timeframe":"1h","start_date":"2024-03-01","end_date":"2024-02-01"}"#,
    );
    assert_eq!(status, 422, "{error}");
    assert_keys(&error, &["success", "error"]);
    assert_eq!(error["success"], json!(false));
    assert_keys(&error["error"], &["code", "message", "details"]);
    assert_eq!(error["error"]["code"], json!("VALIDATION_ERROR"));
    assert_eq!(
        error["error"]["details"],
        json!({"start_date": "2024-03-01", "end_date": "2024-02-01"})
    );
    let (status, error) = backend.post(
        "/data/acquire/download",
        r#"{"symbol":"AAPL","timeframe":"1h","mode":"ib"}"#,
    );
    assert_eq!(
        (status, &error["detail"][0]["type"]),
        (422, &json!("literal_error"))
    );

    // The default mode is tail: the source's bars after the sample are downloaded.
    let (status, answer) = backend.post(
        "/data/acquire/download",
        r#"{"symbol":"AAPL","timeframe":"1h"}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(
        answer["message"],
        json!("Started tail download for AAPL 1h")
    );
    let id = answer["operation_id"].as_str().unwrap().to_string();
    let done = backend
        .until_final(&id, Duration::from_secs(60))
        .pop()
        .unwrap();
    assert_eq!(done["status"], "completed", "{done}");
    assert_generation_fields(&done, true);
    let (status, results) = backend.get(&format!("/operations/{id}/results"));
    assert_eq!(status, 200, "{results}");
    let summary = &results["results"];
    assert_keys(
        summary,
        &[
            "mode",
            "symbol",
            "timeframe",
            "cache_hit",
            "gaps_filled",
            "rows_downloaded",
        ],
    );
    assert_eq!(
        (
            &summary["mode"],
            &summary["symbol"],
            &summary["timeframe"],
            &summary["cache_hit"]
        ),
        (&json!("tail"), &json!("AAPL"), &json!("1h"), &json!(false))
    );
    assert!(summary["gaps_filled"].as_u64().unwrap() >= 1, "{summary}");
    assert!(
        summary["rows_downloaded"].as_u64().unwrap() > 100,
        "{summary}"
    );
    assert_eq!(done["result_summary"], *summary);

    // Nothing left to download: a cache hit, and no `mode`.
    let again = acquire(
        &backend,
        r#"{"symbol":"AAPL","timeframe":"1h","mode":"tail"}"#,
    );
    let done = backend
        .until_final(&again, Duration::from_secs(30))
        .pop()
        .unwrap();
    assert_eq!(
        done["result_summary"],
        json!({"symbol":"AAPL","timeframe":"1h","cache_hit":true,"gaps_filled":0,"rows_downloaded":0})
    );

    let (status, list) = backend.get("/operations");
    assert_eq!(status, 200);
    for row in list["data"].as_array().unwrap() {
        assert_generation_fields(row, true);
    }
    let (status, list) = backend.get("/operations?status=resuming");
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total_count"], json!(0));
}

#[test]
fn the_plan_era_default_has_none_of_the_2026_api() {
    let backend = Backend::start(&[]);
    let body = r#"{"symbol":"AAPL","timeframe":"1h"}"#;
    // The path matches `GET /data/{symbol}/{timeframe}`, so FastAPI answers 405, not 404.
    assert_eq!(
        backend.post("/data/acquire/download", body),
        (405, json!({"detail": "Method Not Allowed"}))
    );
    let id = backend.load(body);
    assert_eq!(
        backend.post(&format!("/operations/{id}/resume"), ""),
        (404, json!({"detail": "Not Found"}))
    );
    let done = backend
        .until_final(&id, Duration::from_secs(30))
        .pop()
        .unwrap();
    assert_eq!(done["result_summary"]["merged_file"], json!("AAPL_1h.csv"));
    assert!(done.get("is_backend_local").is_none(), "{done}");
    let (status, error) = backend.get("/operations?status=resuming");
    assert_eq!(status, 422);
    assert_eq!(
        error["detail"][0]["msg"],
        json!("Input should be 'pending', 'running', 'completed', 'failed' or 'cancelled'")
    );
    let (status, list) = backend.get("/operations");
    assert_eq!(status, 200);
    assert!(list["data"][0].get("parent_operation_id").is_none());
}

#[test]
fn a_cancelled_training_resumes_as_resuming_until_it_ends() {
    let backend = Backend::start(&API_2026);
    strategy_with_epochs(&backend, "mlp_resume", 150);
    let id = backend.train("mlp_resume", "AAPL");
    let before = after_epochs(&backend, &id, 3);
    assert_generation_fields(&before, false);
    let cancelled = cancel(&backend, &id);
    assert_keys(
        &cancelled,
        &[
            "success",
            "operation_id",
            "status",
            "cancelled_at",
            "cancellation_reason",
            "task_cancelled",
            "remote_cancelled",
            "children_cancelled",
        ],
    );
    assert_eq!(
        (
            &cancelled["task_cancelled"],
            &cancelled["remote_cancelled"],
            &cancelled["children_cancelled"]
        ),
        (&json!(true), &json!(true), &json!([]))
    );

    let (status, resumed) = backend.post(&format!("/operations/{id}/resume"), "");
    assert_eq!(status, 200, "{resumed}");
    assert_keys(&resumed, &["success", "data"]);
    let data = &resumed["data"];
    assert_keys(data, &["operation_id", "status", "resumed_from"]);
    assert_eq!(
        (&data["operation_id"], &data["status"]),
        (&json!(id), &json!("resuming"))
    );
    let from = &data["resumed_from"];
    assert_keys(from, &["checkpoint_type", "created_at", "epoch"]);
    assert_eq!(from["checkpoint_type"], json!("cancellation"));
    assert_pydantic_time(&from["created_at"]);
    let epoch = from["epoch"].as_u64().unwrap();
    assert!(epoch >= 3, "{from}");

    let resuming = backend.operation(&id);
    assert_eq!(resuming["status"], "resuming", "{resuming}");
    assert_eq!(
        (&resuming["completed_at"], &resuming["error_message"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        backend.get(&format!("/operations/{id}/results")),
        (
            400,
            json!({"detail": "Operation not finished (status: resuming)"})
        )
    );
    assert_eq!(
        backend.post(&format!("/operations/{id}/resume"), ""),
        (
            409,
            json!({"detail": format!("Operation {id} is already resuming")})
        )
    );
    let (_, listed) = backend.get("/operations?status=resuming");
    assert_eq!(
        (&listed["total_count"], &listed["data"][0]["operation_id"]),
        (&json!(1), &json!(id))
    );
    let (_, active) = backend.get("/operations?active_only=true");
    assert_eq!(
        (&active["total_count"], &active["active_count"]),
        (&json!(0), &json!(0))
    );

    // It continues from the checkpoint's epoch and reads `resuming` to the end.
    let snapshots = backend.until_final(&id, Duration::from_secs(120));
    let done = snapshots.last().unwrap();
    assert!(
        snapshots[..snapshots.len() - 1]
            .iter()
            .all(|op| op["status"] == "resuming"),
        "left resuming before the end"
    );
    let epochs_seen: Vec<u64> = snapshots
        .iter()
        .filter(|op| op["status"] == "resuming")
        .filter_map(|op| op["progress"]["context"]["epoch_index"].as_u64())
        .collect();
    assert!(
        epochs_seen.first().is_some_and(|first| *first > epoch)
            && epochs_seen.windows(2).all(|pair| pair[0] <= pair[1])
            && epochs_seen.last() > epochs_seen.first(),
        "epochs while resuming: {epochs_seen:?}"
    );
    assert_eq!(done["status"], "completed", "{done}");
    let (status, results) = backend.get(&format!("/operations/{id}/results"));
    assert_eq!(status, 200);
    assert_eq!(
        results["results"]["training_metrics"]["epochs_completed"],
        json!(150)
    );
    assert_eq!(
        backend.post(&format!("/operations/{id}/resume"), ""),
        (
            409,
            json!({"detail": format!("Operation {id} is already completed")})
        )
    );
}

#[test]
fn a_resuming_training_can_be_cancelled_and_resumed_again() {
    let backend = Backend::start(&API_2026);
    let id = backend.train("mlp_long", "AAPL");
    after_epochs(&backend, &id, 2);
    cancel(&backend, &id);
    let (status, first) = backend.post(&format!("/operations/{id}/resume"), "");
    assert_eq!(status, 200, "{first}");
    let first_epoch = first["data"]["resumed_from"]["epoch"].as_u64().unwrap();
    after_epochs(&backend, &id, first_epoch + 2);
    let cancelled = cancel(&backend, &id);
    assert_eq!(cancelled["task_cancelled"], json!(true));
    let stopped = backend
        .until_final(&id, Duration::from_secs(5))
        .pop()
        .unwrap();
    assert_eq!(stopped["status"], "cancelled");
    let (status, second) = backend.post(&format!("/operations/{id}/resume"), "");
    assert_eq!(status, 200, "{second}");
    assert!(second["data"]["resumed_from"]["epoch"].as_u64().unwrap() >= first_epoch + 2);
    cancel(&backend, &id);
}

#[test]
fn resume_refusals_follow_upstream() {
    let backend = Backend::start(&API_2026);
    assert_eq!(
        backend.post("/operations/op_nope/resume", ""),
        (404, json!({"detail": "Operation not found: op_nope"}))
    );
    let load = acquire(
        &backend,
        r#"{"symbol":"AAPL","timeframe":"1d","mode":"tail"}"#,
    );
    backend.until_final(&load, Duration::from_secs(30));
    assert_eq!(
        backend.post(&format!("/operations/{load}/resume"), ""),
        (
            409,
            json!({"detail": format!("Operation {load} is already completed")})
        )
    );
    let training = backend.train("mlp_long", "AAPL");
    backend.watch(&training, Duration::from_secs(30), |op| {
        op["status"] == "running"
    });
    assert_eq!(
        backend.post(&format!("/operations/{training}/resume"), ""),
        (
            409,
            json!({"detail": format!("Operation {training} is already running")})
        )
    );
    cancel(&backend, &training);
    // Nothing checkpoints a dummy operation: the resume fails it, as upstream.
    let (_, started) = backend.post("/dummy/start", "");
    let dummy = started["data"]["operation_id"]
        .as_str()
        .unwrap()
        .to_string();
    cancel(&backend, &dummy);
    let message = format!("No checkpoint available for operation {dummy}");
    assert_eq!(
        backend.post(&format!("/operations/{dummy}/resume"), ""),
        (404, json!({"detail": message}))
    );
    let failed = backend.operation(&dummy);
    assert_eq!(
        (&failed["status"], &failed["error_message"]),
        (&json!("failed"), &json!(message))
    );
}

#[test]
fn with_one_training_worker_a_second_training_gets_503() {
    let backend = Backend::start(&["--api", "2026", "--training-workers", "1"]);
    let first = backend.train("mlp_long", "AAPL");
    let body = r#"{"symbols":["MSFT"],"timeframes":["1h"],"strategy_name":"mlp_long"}"#;
    let (status, busy) = backend.post("/trainings/start", body);
    assert_eq!(status, 503, "{busy}");
    assert_keys(&busy, &["detail"]);
    let detail = &busy["detail"];
    assert_keys(
        detail,
        &[
            "error",
            "hint",
            "registered_workers",
            "worker_type",
            "backend_uptime_seconds",
        ],
    );
    assert_eq!(
        (
            &detail["error"],
            &detail["registered_workers"],
            &detail["worker_type"]
        ),
        (
            &json!("No training workers available"),
            &json!(1),
            &json!("training")
        )
    );
    assert!(detail["hint"].as_str().is_some_and(|hint| !hint.is_empty()));
    assert!(detail["backend_uptime_seconds"]
        .as_f64()
        .is_some_and(|s| s >= 0.0));

    // The worker is free again once the cancelled training has stopped.
    after_epochs(&backend, &first, 1);
    cancel(&backend, &first);
    let deadline = Instant::now() + Duration::from_secs(5);
    let second = loop {
        let (status, answer) = backend.post("/trainings/start", body);
        if status == 200 {
            break answer["task_id"].as_str().unwrap().to_string();
        }
        assert_eq!(status, 503, "{answer}");
        assert!(Instant::now() < deadline, "the worker was never freed");
        std::thread::sleep(Duration::from_millis(20));
    };
    // A resume needs a worker too; refused, the operation stays cancelled and resumable.
    assert_eq!(
        backend.post(&format!("/operations/{first}/resume"), ""),
        (
            503,
            json!({"detail": "No training worker available to resume operation"})
        )
    );
    assert_eq!(backend.operation(&first)["status"], "cancelled");
    cancel(&backend, &second);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, answer) = backend.post(&format!("/operations/{first}/resume"), "");
        if status == 200 {
            assert_eq!(answer["data"]["status"], "resuming");
            break;
        }
        assert_eq!(status, 503, "{answer}");
        assert!(Instant::now() < deadline, "the worker was never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn flags_of_the_other_generation_are_refused() {
    for (args, message) in [
        (
            vec!["--training-workers", "1"],
            "--training-workers needs --api 2026",
        ),
        (
            vec!["--api", "2026", "--defect", "training-result-500"],
            "--defect training-result-500 is a plan-era defect",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_ktrdr-backend"))
            .args(["--port", "0"])
            .args(&args)
            .output()
            .expect("run ktrdr-backend");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?} announced a port");
    }
}
