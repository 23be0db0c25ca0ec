//! The seven KTRDR tools of the bundled component against the reference backend.

mod common;

use std::collections::HashMap;
use std::time::Instant;

use common::{
    assert_conforms, assert_valid_schema, call, connect, dead_url, error_of, success_of, Backend,
    Client,
};
use serde_json::{json, Value};

const TOOLS: [&str; 7] = [
    "list_operations",
    "get_operation_status",
    "cancel_operation",
    "get_operation_results",
    "trigger_data_loading",
    "start_training",
    "get_market_data",
];

/// Output schemas by tool name.
async fn output_schemas(client: &Client) -> HashMap<String, Value> {
    client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|t| {
            Some((
                t.name.to_string(),
                Value::Object(t.output_schema?.as_ref().clone()),
            ))
        })
        .collect()
}

/// Calls a tool that must succeed and checks its result against its outputSchema.
async fn ok(
    client: &Client,
    schemas: &HashMap<String, Value>,
    tool: &str,
    arguments: Value,
) -> Value {
    let value = success_of(&call(client, tool, arguments).await);
    assert_conforms(&schemas[tool], &value);
    value
}

async fn wait_for_status(
    client: &Client,
    schemas: &HashMap<String, Value>,
    id: &str,
    done: &[&str],
) -> Value {
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let status = ok(
            client,
            schemas,
            "get_operation_status",
            json!({ "operation_id": id }),
        )
        .await;
        if done.contains(&status["status"].as_str().unwrap()) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{id} stayed {}",
            status["status"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_seven_tools_have_valid_schemas_and_hints() {
    let client = connect(&dead_url(), &[]).await;
    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    let mut expected = TOOLS;
    expected.sort_unstable();
    assert_eq!(names, expected);
    for tool in &tools {
        let input = Value::Object(tool.input_schema.as_ref().clone());
        let output = Value::Object(
            tool.output_schema
                .as_ref()
                .expect("an outputSchema")
                .as_ref()
                .clone(),
        );
        assert_valid_schema(&input);
        assert_valid_schema(&output);
        assert_eq!(
            (input["type"].as_str(), output["type"].as_str()),
            (Some("object"), Some("object"))
        );
        assert!(
            tool.description.as_ref().is_some_and(|d| d.len() > 40),
            "{}",
            tool.name
        );
        for (name, property) in input["properties"].as_object().unwrap() {
            assert!(
                property["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{}.{name}",
                tool.name
            );
        }
        let hints = tool.annotations.as_ref().expect("annotations");
        let read_only = [
            "list_operations",
            "get_operation_status",
            "get_operation_results",
            "get_market_data",
        ]
        .contains(&tool.name.as_ref());
        assert_eq!(hints.read_only_hint, Some(read_only), "{}", tool.name);
        match tool.name.as_ref() {
            "cancel_operation" => assert_eq!(
                (hints.destructive_hint, hints.idempotent_hint),
                (Some(true), Some(true))
            ),
            "trigger_data_loading" | "start_training" => {
                assert_eq!(hints.open_world_hint, Some(true))
            }
            _ => assert_eq!(hints.destructive_hint, Some(false)),
        }
    }
    let listing = Value::Object(
        tools
            .iter()
            .find(|t| t.name == "list_operations")
            .unwrap()
            .input_schema
            .as_ref()
            .clone(),
    );
    assert!(listing.get("required").is_none());
    assert_eq!(listing["properties"]["limit"]["default"], 10);
    assert_eq!(
        (
            listing["properties"]["limit"]["minimum"].clone(),
            listing["properties"]["limit"]["maximum"].clone()
        ),
        (json!(1), json!(1000))
    );
    assert!(listing["properties"]["operation_type"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("data_load")));
    let loading = Value::Object(
        tools
            .iter()
            .find(|t| t.name == "trigger_data_loading")
            .unwrap()
            .input_schema
            .as_ref()
            .clone(),
    );
    assert_eq!(loading["required"], json!(["symbol"]));
    assert_eq!(
        loading["properties"]["mode"]["enum"],
        json!(["local", "tail", "backfill", "full"])
    );
    assert_eq!(loading["properties"]["timeframe"]["default"], "1h");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn each_tool_works_against_the_backend() {
    let backend = Backend::start();
    let client = connect(&backend.api_url, &[]).await;
    let schemas = output_schemas(&client).await;

    let started = ok(
        &client,
        &schemas,
        "trigger_data_loading",
        json!({ "symbol": "aapl", "timeframe": "1h", "mode": "local" }),
    )
    .await;
    let load_id = started["operation_id"].as_str().unwrap().to_string();
    assert_eq!(started["operation_type"], "data_load");
    let finished = wait_for_status(&client, &schemas, &load_id, &["completed", "failed"]).await;
    assert_eq!(finished["status"], "completed", "{finished}");
    let results = ok(
        &client,
        &schemas,
        "get_operation_results",
        json!({ "operation_id": load_id }),
    )
    .await;
    assert!(
        results["results"]["fetched_bars"].as_u64().unwrap() > 0,
        "{results}"
    );
    let bars = ok(
        &client,
        &schemas,
        "get_market_data",
        json!({ "symbol": "AAPL", "timeframe": "1h", "limit": 5 }),
    )
    .await;
    assert_eq!(bars["bars"].as_array().unwrap().len(), 5, "{bars}");
    assert_eq!(bars["truncated"], true, "{bars}");

    let training = ok(
        &client,
        &schemas,
        "start_training",
        json!({ "strategy_config_path": "mlp_basic", "symbols": ["AAPL"], "timeframes": ["1h"] }),
    )
    .await;
    let training_id = training["operation_id"].as_str().unwrap().to_string();
    let listed = ok(
        &client,
        &schemas,
        "list_operations",
        json!({ "operation_type": "training", "limit": 5 }),
    )
    .await;
    assert!(
        listed["operations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["operation_id"] == training_id.as_str()),
        "{listed}"
    );
    let cancelled = call(
        &client,
        "cancel_operation",
        json!({ "operation_id": training_id, "reason": "test" }),
    )
    .await;
    if cancelled.is_error == Some(true) {
        // The training may have finished already; then the backend refuses the cancel.
        assert_eq!(error_of(&cancelled)["code"], "rejected");
    } else {
        let value = success_of(&cancelled);
        assert_conforms(&schemas["cancel_operation"], &value);
        assert_eq!(value["status"], "cancelled");
    }
    wait_for_status(
        &client,
        &schemas,
        &training_id,
        &["completed", "failed", "cancelled"],
    )
    .await;

    let missing = error_of(
        &call(
            &client,
            "get_operation_status",
            json!({ "operation_id": "op_missing" }),
        )
        .await,
    );
    assert_eq!(
        (missing["code"].clone(), missing["status_code"].clone()),
        (json!("not_found"), json!(404))
    );
    assert!(common::text_of(
        &call(
            &client,
            "get_operation_status",
            json!({ "operation_id": "op_missing" })
        )
        .await
    )
    .starts_with("not_found (HTTP 404): "));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn wrong_arguments_get_an_error_naming_them() {
    let backend = Backend::start();
    let client = connect(&backend.api_url, &[]).await;
    let cases = [
        ("list_operations", json!({ "limit": "ten" }), "limit"),
        ("list_operations", json!({ "limit": 0 }), "limit"),
        ("list_operations", json!({ "status": "finished" }), "status"),
        ("list_operations", json!({ "colour": "red" }), "colour"),
        ("get_operation_status", json!({}), "operation_id"),
        (
            "get_operation_status",
            json!({ "operation_id": 42 }),
            "operation_id",
        ),
        (
            "start_training",
            json!({ "strategy_config_path": "mlp_basic", "symbols": "AAPL" }),
            "symbols",
        ),
    ];
    for (tool, arguments, named) in cases {
        let error = error_of(&call(&client, tool, arguments.clone()).await);
        assert_eq!(error["code"], "invalid_argument", "{tool} {arguments}");
        assert!(
            error["message"].as_str().unwrap().contains(named),
            "{tool} {arguments}: {error:?}"
        );
        success_of(&call(&client, "list_operations", json!({})).await);
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_backend_that_is_down_gets_a_clear_error_and_the_next_call_works() {
    let url = dead_url();
    let client = connect(&url, &[]).await;
    for _ in 0..2 {
        let error = error_of(&call(&client, "list_operations", json!({})).await);
        assert_eq!(
            (error["code"].clone(), error["status_code"].clone()),
            (json!("unavailable"), json!(0)),
            "{error:?}"
        );
        let message = error["message"].as_str().unwrap();
        let port = url
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches("/api/v1");
        assert!(
            message.contains("KTRDR_API_URL") || message.contains(port),
            "{message}"
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn sixteen_concurrent_calls_complete() {
    let backend = Backend::start();
    let client = connect(&backend.api_url, &[]).await;
    let schemas = output_schemas(&client).await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..16 {
        let peer = client.peer().clone();
        calls.spawn(async move {
            let tool = if i % 2 == 0 {
                "list_operations"
            } else {
                "trigger_data_loading"
            };
            let arguments = if i % 2 == 0 {
                json!({ "limit": 3 })
            } else {
                json!({ "symbol": "MSFT", "timeframe": "1d" })
            };
            let Value::Object(arguments) = arguments else {
                unreachable!()
            };
            let result = peer
                .call_tool(rmcp::model::CallToolRequestParams::new(tool).with_arguments(arguments))
                .await
                .unwrap();
            (tool, result)
        });
    }
    let mut completed = 0;
    while let Some(joined) = calls.join_next().await {
        let (tool, result) = joined.unwrap();
        assert_conforms(&schemas[tool], &success_of(&result));
        completed += 1;
    }
    assert_eq!(completed, 16);
    client.cancel().await.unwrap();
}
