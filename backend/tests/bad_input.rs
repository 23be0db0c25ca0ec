//! Hostile and malformed requests get the contract's 4xx bodies: never a 500, never a panic.

mod common;

use common::Backend;
use serde_json::{json, Value};

/// The body is one of the contract's three error shapes.
fn assert_error_shape(status: u16, body: &Value) {
    assert!((400..500).contains(&status), "status {status}: {body}");
    let detail_shape = body.as_object().is_some_and(|o| o.len() == 1)
        && (body["detail"].is_string() || body["detail"].is_array());
    let envelope = body["success"] == json!(false) && body["error"]["code"].is_string();
    assert!(
        detail_shape || envelope,
        "not a contract error body: {body}"
    );
    if let Some(items) = body["detail"].as_array() {
        for item in items {
            for key in ["type", "loc", "msg", "input"] {
                assert!(item.get(key).is_some(), "422 item without {key}: {item}");
            }
        }
    }
}

#[test]
fn malformed_json_is_a_fastapi_json_invalid_error() {
    let backend = Backend::start(&[]);
    for path in ["/data/load", "/trainings/start"] {
        let (status, body) = backend.post(path, r#"{"symbol": }"#);
        assert_eq!(
            (status, body),
            (
                422,
                json!({"detail":[{"type":"json_invalid","loc":["body",11],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]})
            ),
            "{path}"
        );
    }
    let (status, body) = backend.delete("/operations/op_x", Some("{not json"));
    assert_eq!(
        (status, &body["detail"][0]["type"]),
        (422, &json!("json_invalid"))
    );
    assert_eq!(
        backend.post("/data/load", ""),
        (
            422,
            json!({"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]})
        )
    );
    assert_eq!(
        backend.post("/data/load", "[1, 2]"),
        (
            422,
            json!({"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":[1, 2]}]})
        )
    );
}

#[test]
fn wrong_types_are_reported_per_field() {
    let backend = Backend::start(&[]);
    let (status, body) = backend.post(
        "/data/load",
        r#"{"symbol":42,"timeframe":["1h"],"mode":null,"filters":"x","start_date":"soon"}"#,
    );
    assert_eq!(status, 422);
    let items: Vec<(String, Value)> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["type"].as_str().unwrap().to_string(), i["loc"].clone()))
        .collect();
    assert_eq!(
        items,
        [
            ("string_type".to_string(), json!(["body", "symbol"])),
            ("string_type".to_string(), json!(["body", "timeframe"])),
            ("literal_error".to_string(), json!(["body", "mode"])),
            (
                "datetime_from_date_parsing".to_string(),
                json!(["body", "start_date"])
            ),
            ("model_type".to_string(), json!(["body", "filters"])),
        ]
    );
    let (status, body) = backend.post("/trainings/start", r#"{"symbols":"AAPL","timeframes":["1h", 5],"strategy_name":"mlp_basic","detailed_analytics":"perhaps"}"#);
    assert_eq!(status, 422);
    let kinds: Vec<&str> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["list_type", "string_type", "bool_parsing"]);
    assert_eq!(body["detail"][1]["loc"], json!(["body", "timeframes", 1]));
    let (status, body) = backend.delete(
        "/operations/op_x",
        Some(r#"{"reason": 5, "force": "sure"}"#),
    );
    assert_eq!(status, 422);
    assert_eq!(body["detail"].as_array().unwrap().len(), 2);
    let (status, body) = backend.get("/operations?limit=ten&offset=-1");
    assert_eq!(status, 422);
    let kinds: Vec<&str> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["int_parsing", "greater_than_equal"]);
}

#[test]
fn unknown_fields_are_ignored_like_fastapi() {
    let backend = Backend::start(&[]);
    let (status, body) = backend.post(
        "/data/load",
        r#"{"symbol":"aapl","timeframe":"1d","async_mode":true,"extra":{"a":1}}"#,
    );
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["operation_id"].as_str().unwrap();
    assert_eq!(
        backend.operation(id)["metadata"]["symbol"],
        json!("AAPL"),
        "symbols are trimmed and upper-cased"
    );
}

#[test]
fn traversal_in_names_never_reaches_the_file_system() {
    let backend = Backend::start(&[]);
    std::fs::write(
        backend.data_file("../SECRET_1h.csv"),
        "date,open,high,low,close,volume\n2024-01-02T14:00:00Z,1,1,1,1,1\n",
    )
    .unwrap();
    std::fs::write(
        backend.strategies_dir().join("../outside.yaml"),
        "name: x\n",
    )
    .unwrap();
    for name in [
        "../outside",
        "..",
        "a/b",
        "mlp_basic/../mlp_basic",
        "mlp basic",
        ".hidden",
        "x".repeat(300).as_str(),
    ] {
        let body = json!({"symbols":["AAPL"],"timeframes":["1h"],"strategy_name":name});
        assert_eq!(
            backend.post("/trainings/start", &body.to_string()),
            (
                400,
                json!({"detail":"Strategy name may only contain alphanumerics, dashes, or underscores"})
            ),
            "{name}"
        );
    }
    for symbol in ["../SECRET", "a/b", "..\\x", "."] {
        let body = json!({"symbol":symbol,"timeframe":"1h","mode":"local"});
        let (status, response) = backend.post("/data/load", &body.to_string());
        assert_eq!(
            (status, &response["error"]["code"]),
            (400, &json!("DATA-InvalidSymbol")),
            "{symbol}"
        );
    }
    let (status, body) = backend.post(
        "/trainings/start",
        r#"{"symbols":["../SECRET"],"timeframes":["1h"],"strategy_name":"mlp_basic"}"#,
    );
    assert_error_shape(status, &body);
    assert_eq!(status, 400);
    let (status, body) = backend.post(
        "/trainings/start",
        r#"{"symbols":["AAPL"],"timeframes":["../1h"],"strategy_name":"mlp_basic"}"#,
    );
    assert_eq!(status, 400, "{body}");
    for path in [
        "/data/..%2FSECRET/1h",
        "/data/%2E%2E/x",
        "/data/AAPL/..%2F..%2Fetc",
    ] {
        let (status, body) = backend.get(path);
        assert_eq!(
            (status, &body["data"]["dates"]),
            (200, &json!([])),
            "{path}"
        );
    }
    assert_eq!(backend.get("/operations/..%2F..%2Fetc%2Fpasswd").0, 404);
}

#[test]
fn a_barrage_of_bad_requests_never_gets_a_500() {
    let backend = Backend::start(&[]);
    let bodies = [
        "",
        "null",
        "true",
        "0",
        "\"text\"",
        "[]",
        "{}",
        "{",
        "}",
        "{\"symbol\":",
        "\u{0}",
        "{\"symbol\":\"\\ud800\"}",
        r#"{"symbol":null,"timeframe":null}"#,
        r#"{"symbol":"A","timeframe":"1h","mode":5}"#,
        r#"{"symbol":"A","timeframe":"1h","start_date":12345}"#,
        r#"{"symbol":"A","timeframe":"1h","filters":{"trading_hours_only":2}}"#,
        r#"{"symbols":[null],"timeframes":[],"strategy_name":null}"#,
        r#"{"symbols":["A"],"timeframes":["1h"],"strategy_name":"mlp_basic","start_date":"tomorrow"}"#,
        r#"{"symbols":["A"],"timeframes":["1h"],"strategy_name":"mlp_basic","start_date":"2024-05-01","end_date":"2024-01-01"}"#,
        &format!(r#"{{"symbol":"{}","timeframe":"1h"}}"#, "A".repeat(10_000)),
        &"[".repeat(10_000),
    ];
    for path in ["/data/load", "/trainings/start"] {
        for body in bodies {
            let (status, response) = backend.post(path, body);
            assert_error_shape(status, &response);
        }
    }
    for query in [
        "limit=",
        "limit=1e3",
        "limit=99999999999999999999999",
        "offset=x",
        "status=",
        "operation_type=DUMMY",
        "active_only=",
    ] {
        let (status, response) = backend.get(&format!("/operations?{query}"));
        assert_error_shape(status, &response);
    }
    for query in [
        "start_date=2024-13-45",
        "end_date=yesterday",
        "trading_hours_only=perhaps",
    ] {
        let (status, response) = backend.get(&format!("/data/AAPL/1h?{query}"));
        assert_error_shape(status, &response);
    }
    let (status, response) = backend.get("/health");
    assert_eq!(
        (status, &response["status"]),
        (200, &json!("ok")),
        "still serving"
    );
}
