//! The request/response pairs of section 9 of the contract (`ktrdr-api.md`), against the real
//! binary: same status codes, same field names and types, same error shapes.

mod common;

use std::time::Duration;

use common::{assert_keys, assert_pydantic_time, Backend, PERFORMANCE_KEYS};
use serde_json::{json, Value};

const OPERATION_INFO_KEYS: [&str; 12] = [
    "operation_id",
    "operation_type",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "progress",
    "metadata",
    "error_message",
    "warnings",
    "errors",
    "result_summary",
];
const PROGRESS_KEYS: [&str; 8] = [
    "percentage",
    "current_step",
    "steps_completed",
    "steps_total",
    "items_processed",
    "items_total",
    "current_item",
    "context",
];
const SUMMARY_KEYS: [&str; 8] = [
    "operation_id",
    "operation_type",
    "status",
    "created_at",
    "progress_percentage",
    "current_step",
    "symbol",
    "duration_seconds",
];

fn assert_operation_shape(operation: &Value) {
    assert_keys(operation, &OPERATION_INFO_KEYS);
    assert_keys(&operation["progress"], &PROGRESS_KEYS);
    assert_keys(
        &operation["metadata"],
        &[
            "symbol",
            "timeframe",
            "mode",
            "start_date",
            "end_date",
            "parameters",
        ],
    );
    assert_pydantic_time(&operation["created_at"]);
    assert!(operation["warnings"].is_array() && operation["errors"].is_array());
    assert!(operation["progress"]["percentage"].is_f64());
}

#[test]
fn health_root_and_unknown_routes() {
    let backend = Backend::start(&[]);
    let (status, body) = backend.get("/health");
    assert_eq!((status, body["status"].clone()), (200, json!("ok")));
    assert_keys(&body, &["status", "version"]);
    assert!(body["version"].is_string());
    assert_eq!(
        backend.get_url(&format!("{}/health", backend.root)),
        (404, json!({"detail": "Not Found"}))
    );
    assert_eq!(
        backend.get_url(&format!("{}/", backend.root)),
        (
            200,
            json!({"message": "KTRDR API is running. Visit /api/v1/docs for documentation"})
        )
    );
    // Absent upstream, absent here.
    assert_eq!(
        backend.post("/operations/op_x/cancel", ""),
        (404, json!({"detail": "Not Found"}))
    );
    assert_eq!(
        backend.get("/trainings/op_training_x"),
        (404, json!({"detail": "Not Found"}))
    );
    assert_eq!(
        backend.put("/operations"),
        (405, json!({"detail": "Method Not Allowed"}))
    );
}

#[test]
fn operations_list_validation() {
    let backend = Backend::start(&[]);
    assert_eq!(
        backend.get("/operations"),
        (
            200,
            json!({"success": true, "data": [], "total_count": 0, "active_count": 0})
        )
    );
    let cases = [
        (
            "limit=0",
            json!({"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1","input":"0","ctx":{"ge":1}}),
        ),
        (
            "limit=1001",
            json!({"type":"less_than_equal","loc":["query","limit"],"msg":"Input should be less than or equal to 1000","input":"1001","ctx":{"le":1000}}),
        ),
        (
            "status=bogus",
            json!({"type":"enum","loc":["query","status"],"msg":"Input should be 'pending', 'running', 'completed', 'failed' or 'cancelled'","input":"bogus","ctx":{"expected":"'pending', 'running', 'completed', 'failed' or 'cancelled'"}}),
        ),
        (
            "operation_type=backtest",
            json!({"type":"enum","loc":["query","operation_type"],"msg":"Input should be 'data_load', 'training', 'backtesting', 'indicator_compute', 'fuzzy_analysis' or 'dummy'","input":"backtest","ctx":{"expected":"'data_load', 'training', 'backtesting', 'indicator_compute', 'fuzzy_analysis' or 'dummy'"}}),
        ),
        (
            "active_only=maybe",
            json!({"type":"bool_parsing","loc":["query","active_only"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}),
        ),
    ];
    for (query, error) in cases {
        assert_eq!(
            backend.get(&format!("/operations?{query}")),
            (422, json!({"detail": [error]})),
            "{query}"
        );
    }
    assert_eq!(
        backend.get("/operations?active_only=1"),
        (
            200,
            json!({"success": true, "data": [], "total_count": 0, "active_count": 0})
        )
    );
}

#[test]
fn cached_data_symbols_and_info() {
    let backend = Backend::start(&[]);
    let (status, body) = backend.get("/data/AAPL/1h?start_date=2024-01-02&end_date=2024-01-03");
    assert_eq!(status, 200);
    assert_keys(&body, &["success", "data", "error"]);
    let data = &body["data"];
    assert_keys(data, &["dates", "ohlcv", "points", "metadata"]);
    let dates: Vec<&str> = data["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let expected: Vec<String> = (14..=20)
        .map(|hour| format!("2024-01-02T{hour}:00:00"))
        .collect();
    assert_eq!(dates, expected);
    let first = data["ohlcv"][0].as_array().unwrap();
    assert_eq!(first.len(), 5);
    assert!(first.iter().all(Value::is_f64), "{first:?}");
    assert_eq!(data["points"], Value::Null);
    assert_eq!(
        data["metadata"],
        json!({"symbol":"AAPL","timeframe":"1h","start_date":"2024-01-02T14:00:00+00:00","end_date":"2024-01-02T20:00:00+00:00","point_count":7})
    );

    let empty = |symbol: &str, timeframe: &str| json!({"success":true,"data":{"dates":[],"ohlcv":[],"points":null,"metadata":{"symbol":symbol,"timeframe":timeframe,"start":"","end":"","points":0}},"error":null});
    assert_eq!(
        backend.get("/data/AAPL/1h?start_date=2024-01-02&end_date=2024-01-02"),
        (200, empty("AAPL", "1h"))
    );
    assert_eq!(backend.get("/data/ZZZZ/1h"), (200, empty("ZZZZ", "1h")));
    assert_eq!(backend.get("/data/info/AAPL"), (200, empty("INFO", "AAPL")));
    assert_eq!(
        backend.get("/data/AAPL/1h?start_date=notadate"),
        (
            400,
            json!({"success":false,"error":{"code":"DATA-InvalidDate","message":"Invalid start_date format. Use YYYY-MM-DD","details":{"start_date":"notadate"}}})
        )
    );

    let (status, daily) = backend.get("/data/AAPL/1d");
    assert_eq!(status, 200);
    assert_eq!(daily["data"]["dates"][0], json!("2022-01-03T00:00:00"));
    assert_eq!(
        daily["data"]["metadata"]["point_count"].as_u64().unwrap() as usize,
        daily["data"]["dates"].as_array().unwrap().len()
    );

    let (status, symbols) = backend.get("/symbols");
    assert_eq!(status, 200);
    assert_eq!(
        symbols["data"][0],
        json!({"symbol":"AAPL","name":"AAPL","type":"unknown","exchange":"unknown","currency":"unknown","available_timeframes":["1d","1h"],"trading_hours":null})
    );
    assert_eq!(symbols["data"][1]["symbol"], json!("MSFT"));
    assert_eq!(symbols["error"], Value::Null);

    let (status, info) = backend.get("/data/info");
    assert_eq!(status, 200);
    assert_eq!(info["data"]["total_symbols"], json!(2));
    assert_eq!(info["data"]["total_timeframes"], json!(10));
    let aapl = info["data"]["available_symbols"][0].as_str().unwrap();
    assert!(
        aapl.starts_with("{'symbol': 'AAPL', 'name': 'AAPL'")
            && aapl.contains("'start_date': '2022-01-03T00:00:00+00:00'"),
        "{aapl}"
    );
}

#[test]
fn local_data_load_lifecycle_and_errors() {
    let backend = Backend::start(&[]);
    let (status, started) = backend.post(
        "/data/load",
        r#"{"symbol":"AAPL","timeframe":"1h","mode":"local"}"#,
    );
    assert_eq!(status, 200);
    let id = started["data"]["operation_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(id.starts_with("op_data_load_"), "{id}");
    assert_eq!(
        started,
        json!({"success":true,"data":{"status":"started","operation_id":id,"fetched_bars":0,"cached_before":false,"merged_file":"","gaps_analyzed":0,"segments_fetched":0,"ib_requests_made":0,"execution_time_seconds":0.0,"error_message":null},"error":null})
    );
    let done = backend
        .until_final(&id, Duration::from_secs(30))
        .pop()
        .unwrap();
    assert_operation_shape(&done);
    assert_eq!(done["status"], "completed");
    assert_pydantic_time(&done["completed_at"]);
    assert_eq!(done["progress"]["percentage"], json!(100.0));
    assert_eq!(
        done["progress"]["current_step"],
        json!("Operation data_load completed [100/100] (100.0%)")
    );
    // Not upstream's "N/A" bug: the real request.
    assert_eq!(
        (
            &done["metadata"]["symbol"],
            &done["metadata"]["timeframe"],
            &done["metadata"]["mode"]
        ),
        (&json!("AAPL"), &json!("1h"), &json!("local"))
    );
    let summary = &done["result_summary"];
    assert_keys(
        summary,
        &[
            "status",
            "fetched_bars",
            "cached_before",
            "merged_file",
            "gaps_analyzed",
            "segments_fetched",
            "ib_requests_made",
            "execution_time_seconds",
        ],
    );
    let (_, bars) = backend.get("/data/AAPL/1h");
    assert_eq!(
        summary["fetched_bars"],
        json!(bars["data"]["dates"].as_array().unwrap().len())
    );
    assert_eq!(
        (
            &summary["status"],
            &summary["cached_before"],
            &summary["merged_file"]
        ),
        (&json!("success"), &json!(true), &json!("AAPL_1h.csv"))
    );
    assert_eq!(summary["ib_requests_made"], json!(0));

    assert_eq!(
        backend.get(&format!("/operations/{id}/results")),
        (
            200,
            json!({"success":true,"operation_id":id,"operation_type":"data_load","status":"completed","results":summary})
        )
    );
    let (status, list) = backend.get("/operations");
    assert_eq!(status, 200);
    assert_keys(&list["data"][0], &SUMMARY_KEYS);
    assert_eq!(
        (
            &list["total_count"],
            &list["active_count"],
            &list["data"][0]["symbol"]
        ),
        (&json!(1), &json!(0), &json!("AAPL"))
    );
    assert!(list["data"][0]["duration_seconds"].is_f64());

    for (method, path) in [
        ("GET", "/operations/op_nope"),
        ("GET", "/operations/op_nope/results"),
        ("DELETE", "/operations/op_nope"),
    ] {
        let response = if method == "GET" {
            backend.get(path)
        } else {
            backend.delete(path, None)
        };
        assert_eq!(
            response,
            (404, json!({"detail": "Operation not found: op_nope"})),
            "{method} {path}"
        );
    }
    assert_eq!(
        backend.delete(&format!("/operations/{id}"), Some(r#"{"reason":"test"}"#)),
        (
            400,
            json!({"detail": format!("Operation {id} cannot be cancelled (status: OperationStatus.COMPLETED)")})
        )
    );

    let missing = backend.load(r#"{"symbol":"NOPE","timeframe":"1h","mode":"local"}"#);
    let failed = backend
        .until_final(&missing, Duration::from_secs(30))
        .pop()
        .unwrap();
    assert_eq!(
        (
            &failed["status"],
            &failed["error_message"],
            &failed["result_summary"]
        ),
        (
            &json!("failed"),
            &json!("Data not found for NOPE (1h)"),
            &Value::Null
        )
    );
    assert_eq!(
        backend.get(&format!("/operations/{missing}/results")),
        (
            200,
            json!({"success":true,"operation_id":missing,"operation_type":"data_load","status":"failed","results":{}})
        )
    );
}

#[test]
fn data_load_request_validation() {
    let backend = Backend::start(&[]);
    let cases = [
        (
            r#"{"symbol":"AAPL","timeframe":"3h"}"#,
            422,
            json!({"detail":[{"type":"value_error","loc":["body","timeframe"],"msg":"Value error, Timeframe must be one of ['1m', '5m', '15m', '30m', '1h', '2h', '4h', '1d', '1w', '1M']","input":"3h","ctx":{"error":{}}}]}),
        ),
        (
            r#"{"symbol":"AAPL","timeframe":"1h","mode":"ib"}"#,
            422,
            json!({"detail":[{"type":"literal_error","loc":["body","mode"],"msg":"Input should be 'local', 'tail', 'backfill' or 'full'","input":"ib","ctx":{"expected":"'local', 'tail', 'backfill' or 'full'"}}]}),
        ),
        (
            r#"{"timeframe":"1h"}"#,
            422,
            json!({"detail":[{"type":"missing","loc":["body","symbol"],"msg":"Field required","input":{"timeframe":"1h"}}]}),
        ),
        (
            r#"{"symbol":"  ","timeframe":"1h"}"#,
            400,
            json!({"success":false,"error":{"code":"DATA-InvalidSymbol","message":"Symbol is required and cannot be empty","details":{"symbol":"  "}}}),
        ),
        (
            r#"{"symbol":"AAPL","timeframe":"1h","start_date":"2024-03-01","end_date":"2024-02-01"}"#,
            422,
            json!({"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, start_date must be before end_date","input":{"symbol":"AAPL","timeframe":"1h","start_date":"2024-03-01","end_date":"2024-02-01"},"ctx":{"error":{}}}]}),
        ),
    ];
    for (body, status, expected) in cases {
        assert_eq!(
            backend.post("/data/load", body),
            (status, expected),
            "{body}"
        );
    }
    assert_eq!(
        backend.get("/operations").1["total_count"],
        json!(0),
        "no operation was started"
    );
}

#[test]
fn training_lifecycle_performance_and_models() {
    let backend = Backend::start(&[]);
    let (status, started) = backend.post(
        "/trainings/start",
        r#"{"symbols":["AAPL"],"timeframes":["1h"],"strategy_name":"mlp_basic"}"#,
    );
    assert_eq!(status, 200, "{started}");
    let id = started["task_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("op_training_"));
    assert_eq!(
        started,
        json!({"success":true,"operation_id":id,"task_id":id,"status":"training_started","message":"Neural network training started for AAPL using mlp_basic strategy","symbols":["AAPL"],"timeframes":["1h"],"strategy_name":"mlp_basic","estimated_duration_minutes":30})
    );
    let running = backend.operation(&id);
    if running["status"] == "running" {
        assert_eq!(
            backend.get(&format!("/operations/{id}/results")),
            (
                400,
                json!({"detail": "Operation not finished (status: running)"})
            )
        );
    }
    assert_eq!(
        (&running["metadata"]["symbol"], &running["metadata"]["mode"]),
        (&json!("AAPL"), &json!("training"))
    );
    let parameters = &running["metadata"]["parameters"];
    assert_eq!(
        (
            &parameters["strategy_name"],
            &parameters["epochs"],
            &parameters["training_mode"]
        ),
        (&json!("mlp_basic"), &json!(60), &json!("local"))
    );

    let done = backend
        .until_final(&id, Duration::from_secs(120))
        .pop()
        .unwrap();
    assert_operation_shape(&done);
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["progress"]["current_step"]
            .as_str()
            .unwrap()
            .split(" · ")
            .next(),
        Some("Epoch 60/60")
    );
    // Not upstream's 500: status and results of a finished training serialize.
    let (status, results) = backend.get(&format!("/operations/{id}/results"));
    assert_eq!(status, 200);
    let summary = &results["results"];
    for section in [
        "training_metrics",
        "validation_metrics",
        "test_metrics",
        "resource_usage",
        "artifacts",
        "session_info",
        "model_info",
    ] {
        assert!(summary[section].is_object(), "missing {section}");
    }
    assert_eq!(summary["training_metrics"]["epochs_completed"], json!(60));
    let model_path = summary["artifacts"]["model_path"].as_str().unwrap();
    assert!(
        std::path::Path::new(model_path)
            .join("model.json")
            .is_file(),
        "{model_path}"
    );

    let (status, performance) = backend.get(&format!("/trainings/{id}/performance"));
    assert_eq!(status, 200);
    assert_keys(&performance, &PERFORMANCE_KEYS);
    assert_keys(
        &performance["training_metrics"],
        &[
            "final_train_loss",
            "final_val_loss",
            "final_train_accuracy",
            "final_val_accuracy",
            "epochs_completed",
            "early_stopped",
            "training_time_minutes",
        ],
    );
    assert_keys(
        &performance["test_metrics"],
        &[
            "test_loss",
            "test_accuracy",
            "precision",
            "recall",
            "f1_score",
        ],
    );
    assert_keys(
        &performance["model_info"],
        &["model_size_bytes", "parameters_count", "architecture"],
    );
    assert_eq!(
        performance["model_info"]["architecture"],
        json!("multi_symbol_mlp_1symbols")
    );
    assert_eq!(
        backend.get("/trainings/nope/performance"),
        (404, json!({"detail": "Training task nope not found"}))
    );

    let (status, models) = backend.get("/models");
    assert_eq!(status, 200);
    assert_eq!(models["models"].as_array().unwrap().len(), 1);
    let model = &models["models"][0];
    assert_keys(
        model,
        &[
            "model_id",
            "model_name",
            "symbol",
            "timeframe",
            "created_at",
            "training_accuracy",
            "test_accuracy",
            "description",
        ],
    );
    assert_eq!(
        (&model["symbol"], &model["timeframe"], &model["model_name"]),
        (&json!("AAPL"), &json!("1h"), &json!("mlp_basic"))
    );
    assert_eq!(
        model["test_accuracy"],
        summary["test_metrics"]["test_accuracy"]
    );

    let (status, list) = backend.get("/operations?operation_type=training");
    assert_eq!(status, 200);
    assert_eq!(
        (
            &list["data"][0]["symbol"],
            &list["data"][0]["progress_percentage"]
        ),
        (&json!("AAPL"), &json!(100.0))
    );
}

#[test]
fn long_training_is_listed_cancelled_and_stays_cancelled() {
    let backend = Backend::start(&[]);
    let id = backend.train("mlp_long", "AAPL");
    let running = backend
        .watch(&id, Duration::from_secs(60), |op| {
            op["progress"]["items_processed"].as_u64() > Some(0)
        })
        .pop()
        .unwrap();
    assert_eq!(running["status"], "running");
    let progress = &running["progress"];
    assert_eq!(progress["steps_total"], json!(4000));
    let context = &progress["context"];
    for key in [
        "operation",
        "service",
        "phase",
        "phase_name",
        "epoch_index",
        "total_epochs",
        "batch_index",
        "batch_number",
        "batch_total_per_epoch",
        "current_item",
        "batch_metrics",
    ] {
        assert!(!context[key].is_null(), "context lacks {key}: {context}");
    }
    assert_keys(
        &context["batch_metrics"],
        &[
            "epoch",
            "total_epochs",
            "batch",
            "total_batches_per_epoch",
            "completed_batches",
            "total_batches",
            "train_loss",
            "train_accuracy",
            "progress_type",
            "multi_symbol",
        ],
    );

    let (status, active) = backend.get("/operations?active_only=true");
    assert_eq!(status, 200);
    assert_eq!(
        (
            &active["total_count"],
            &active["active_count"],
            &active["data"][0]["operation_id"]
        ),
        (&json!(1), &json!(1), &json!(id))
    );
    assert!(active["data"][0]["duration_seconds"].is_f64());

    let (status, cancelled) = backend.delete(
        &format!("/operations/{id}"),
        Some(r#"{"reason":"contract test"}"#),
    );
    assert_eq!(status, 200);
    let data = &cancelled["data"];
    assert_keys(
        data,
        &[
            "success",
            "operation_id",
            "status",
            "cancelled_at",
            "cancellation_reason",
            "task_cancelled",
            "training_session_cancelled",
        ],
    );
    assert_eq!(
        (
            &data["status"],
            &data["cancellation_reason"],
            &data["task_cancelled"]
        ),
        (&json!("cancelled"), &json!("contract test"), &json!(true))
    );
    assert!(data["cancelled_at"].as_str().unwrap().ends_with("+00:00"));

    std::thread::sleep(Duration::from_millis(300));
    let after = backend.operation(&id);
    assert_eq!(
        (&after["status"], &after["error_message"]),
        (&json!("cancelled"), &json!("contract test"))
    );
    assert_eq!(
        backend.get(&format!("/operations/{id}/results")),
        (
            400,
            json!({"detail": "Operation not finished (status: cancelled)"})
        )
    );
    assert_eq!(
        backend.delete(&format!("/operations/{id}"), None),
        (
            400,
            json!({"detail": format!("Operation {id} cannot be cancelled (status: OperationStatus.CANCELLED)")})
        )
    );
    assert_eq!(
        backend.get("/operations?active_only=1").1["active_count"],
        json!(0)
    );
}

#[test]
fn dummy_operation_starts_and_cancels() {
    let backend = Backend::start(&[]);
    let (status, started) = backend.post("/dummy/start", "");
    assert_eq!(status, 200);
    let id = started["data"]["operation_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(id.starts_with("op_dummy_"));
    assert_eq!(
        started,
        json!({"success":true,"data":{"operation_id":id,"status":"started","message":"Started dummy_task operation"},"error":null})
    );
    let (status, cancelled) = backend.delete(&format!("/operations/{id}"), None);
    assert_eq!(status, 200);
    assert_eq!(cancelled["data"]["cancellation_reason"], Value::Null);
    let done = backend
        .until_final(&id, Duration::from_secs(5))
        .pop()
        .unwrap();
    assert_eq!(
        (&done["status"], &done["error_message"]),
        (&json!("cancelled"), &json!("Operation cancelled by user"))
    );
    assert_eq!(
        done["metadata"]["parameters"],
        json!({"operation_name":"dummy_task","service_name":"DummyService"})
    );
}

#[test]
fn training_request_errors() {
    let backend = Backend::start(&[]);
    let (status, body) = backend.post(
        "/trainings/start",
        r#"{"symbols":["AAPL"],"timeframes":["1h"],"strategy_name":"no_such_strategy"}"#,
    );
    assert_eq!(status, 400);
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Strategy file not found: no_such_strategy.yaml (searched: ")
            && detail.contains("mlp_basic.yaml"),
        "{detail}"
    );
    assert_eq!(
        backend.post(
            "/trainings/start",
            r#"{"symbols":["AAPL"],"timeframes":["1h"],"strategy_name":"../etc/passwd"}"#
        ),
        (
            400,
            json!({"detail": "Strategy name may only contain alphanumerics, dashes, or underscores"})
        )
    );
    assert_eq!(
        backend.post(
            "/trainings/start",
            r#"{"symbols":[],"timeframes":["1h"],"strategy_name":"mlp_basic"}"#
        ),
        (
            422,
            json!({"detail":[{"type":"value_error","loc":["body","symbols"],"msg":"Value error, At least one symbol must be specified","input":[],"ctx":{"error":{}}}]})
        )
    );
    let request = json!({"symbols":["AAPL"],"timeframe":"1h","config":{"epochs":100}});
    assert_eq!(
        backend.post("/trainings/start", &request.to_string()),
        (
            422,
            json!({"detail":[
                {"type":"missing","loc":["body","timeframes"],"msg":"Field required","input":request},
                {"type":"missing","loc":["body","strategy_name"],"msg":"Field required","input":request},
            ]})
        )
    );
}

#[test]
fn list_paging_filters_and_order() {
    let backend = Backend::start(&[]);
    let loads: Vec<String> = ["AAPL", "MSFT", "AAPL"]
        .iter()
        .map(|s| backend.load(&format!(r#"{{"symbol":"{s}","timeframe":"1d"}}"#)))
        .collect();
    for id in &loads {
        backend.until_final(id, Duration::from_secs(30));
    }
    let (_, started) = backend.post("/dummy/start", "");
    let dummy = started["data"]["operation_id"]
        .as_str()
        .unwrap()
        .to_string();

    let (_, all) = backend.get("/operations");
    let ids: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["operation_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [dummy.as_str(), &loads[2], &loads[1], &loads[0]],
        "newest first"
    );
    assert_eq!(
        (&all["total_count"], &all["active_count"]),
        (&json!(4), &json!(1))
    );

    let (_, page) = backend.get("/operations?limit=2&offset=1");
    let paged: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["operation_id"].as_str().unwrap())
        .collect();
    assert_eq!(paged, [&loads[2], &loads[1]]);
    assert_eq!(page["total_count"], json!(4));

    let (_, filtered) = backend.get("/operations?status=completed&operation_type=data_load");
    assert_eq!(
        (&filtered["total_count"], &filtered["active_count"]),
        (&json!(3), &json!(1))
    );
    let (_, none) = backend.get("/operations?status=completed&operation_type=dummy");
    assert_eq!(
        (&none["total_count"], &none["data"]),
        (&json!(0), &json!([]))
    );
    backend.delete(&format!("/operations/{dummy}"), None);
}
