//! Tools come from the component: its WIT types and doc comments become the tools, a function
//! added to the WIT becomes a tool with no host change, and so does every function of a second
//! exported interface.

mod common;

use std::collections::BTreeSet;

use common::{
    assert_conforms, assert_valid_schema, call, connect, dead_url, error_of, success_of,
    test_component,
};
use rmcp::model::Tool;
use serde_json::{json, Value};

async fn tools_of(component: &str) -> Vec<Tool> {
    let path = test_component(component).display().to_string();
    let client = connect(&dead_url(), &["--component", &path]).await;
    let tools = client.list_all_tools().await.unwrap();
    client.cancel().await.unwrap();
    tools
}

fn schema_of(tool: &Tool) -> Value {
    Value::Object(tool.input_schema.as_ref().clone())
}

#[tokio::test]
async fn a_function_added_to_the_wit_becomes_a_tool() {
    let before: BTreeSet<String> = tools_of("probe")
        .await
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    let after_tools = tools_of("probe_plus").await;
    let after: BTreeSet<String> = after_tools.iter().map(|t| t.name.to_string()).collect();
    let added: Vec<&String> = after.difference(&before).collect();
    assert_eq!(added, ["count_chars", "reverse"]);
    assert!(before.is_subset(&after));

    let counter = after_tools
        .iter()
        .find(|t| t.name == "count_chars")
        .unwrap();
    assert_eq!(
        counter.description.as_deref(),
        Some("Added after the first release: count the characters of a text.")
    );
    assert_eq!(schema_of(counter)["required"], json!(["text"]));
    assert_eq!(
        counter.annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );

    let path = test_component("probe_plus").display().to_string();
    let client = connect(&dead_url(), &["--component", &path]).await;
    let counted = call(&client, "count_chars", json!({ "text": "héllo" })).await;
    assert_eq!(common::text_of(&counted), "5");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_exported_interface_serves_its_functions_and_tells_its_overview() {
    let path = test_component("probe_plus").display().to_string();
    let client = connect(&dead_url(), &["--component", &path]).await;
    let tools = client.list_all_tools().await.unwrap();
    let reverse = tools.iter().find(|t| t.name == "reverse").unwrap();
    assert_eq!(reverse.description.as_deref(), Some("Reverse a text."));
    assert_eq!(
        reverse.annotations.as_ref().unwrap().idempotent_hint,
        Some(true)
    );
    let reversed = call(&client, "reverse", json!({ "text": "abc" })).await;
    assert_eq!(common::text_of(&reversed), "\"cba\"");
    let echoed = call(&client, "echo", json!({ "message": "still" })).await;
    assert_eq!(success_of(&echoed)["text"], "still");

    let instructions = client
        .peer_info()
        .and_then(|info| info.instructions.clone())
        .expect("no instructions");
    let mut overviews: Vec<&str> = instructions.split("\n\n").collect();
    overviews.sort_unstable();
    assert_eq!(
        overviews,
        [
            "Functions that probe a tools host: argument conversion, results and errors, the sandbox and\nthe resource limits.",
            "Text functions, in an interface of their own: its functions are tools too.",
        ],
        "the overview of each interface: {instructions}"
    );
    assert!(
        !instructions.contains("Notes for hosts"),
        "sections under a heading are for hosts: {instructions}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn enum_cases_take_their_documented_json_names() {
    let path = test_component("probe").display().to_string();
    let client = connect(&dead_url(), &["--component", &path]).await;
    let tools = client.list_all_tools().await.unwrap();
    let periods = tools.iter().find(|t| t.name == "periods").unwrap();
    let input = schema_of(periods);
    let names = json!(["1m", "1h", "1M", "trading_session"]);
    assert_eq!(input["properties"]["period"]["enum"], names);
    assert_eq!(input["properties"]["period"]["default"], "1h");
    assert_eq!(input["properties"]["periods"]["items"]["enum"], names);
    assert_eq!(
        input["properties"]["periods"]["default"],
        json!(["1h", "trading_session"])
    );
    let description = input["properties"]["period"]["description"]
        .as_str()
        .unwrap();
    assert!(
        description.contains("- \"1M\": One-month bars.\n") && !description.contains("JSON:"),
        "{description}"
    );
    let output = Value::Object(periods.output_schema.as_ref().unwrap().as_ref().clone());
    assert_eq!(output["properties"]["period"]["enum"], names);

    let given = success_of(
        &call(
            &client,
            "periods",
            json!({ "period": "1M", "periods": ["1m", "trading-session"] }),
        )
        .await,
    );
    assert_eq!(
        given,
        json!({ "period": "1M", "periods": ["1m", "trading_session"] })
    );
    let defaults = success_of(&call(&client, "periods", json!({})).await);
    assert_eq!(
        (&defaults["period"], &defaults["periods"]),
        (
            &input["properties"]["period"]["default"],
            &input["properties"]["periods"]["default"]
        ),
        "the documented defaults are what the component uses"
    );

    let refused = error_of(&call(&client, "periods", json!({ "period": "hour1" })).await);
    assert_eq!(refused["code"], "invalid_argument");
    assert_eq!(
        refused["message"],
        "Argument `period` must be one of \"1m\", \"1h\", \"1M\" or \"trading_session\"; got \"hour1\". Fix it and call again."
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn schemas_follow_the_wit_types_and_docs() {
    let tools = tools_of("probe").await;
    for tool in &tools {
        assert_valid_schema(&schema_of(tool));
        if let Some(output) = &tool.output_schema {
            assert_valid_schema(&Value::Object(output.as_ref().clone()));
        }
    }
    let echo = tools.iter().find(|t| t.name == "echo").unwrap();
    let input = schema_of(echo);
    assert_eq!(input["type"], "object");
    assert_eq!(input["additionalProperties"], false);
    assert_eq!(input["required"], json!(["message"]));
    let properties = &input["properties"];
    assert_eq!(properties["repeat"]["type"], "integer");
    assert_eq!(
        (
            properties["repeat"]["minimum"].clone(),
            properties["repeat"]["maximum"].clone()
        ),
        (json!(1), json!(5))
    );
    assert_eq!(properties["repeat"]["default"], 1);
    assert_eq!(
        properties["color"]["enum"],
        json!(["light_red", "deep_blue"])
    );
    assert_eq!(properties["color"]["default"], "deep_blue");
    assert!(properties["color"]["description"]
        .as_str()
        .unwrap()
        .contains("A deep blue."));
    assert_eq!(properties["tags"]["type"], "array");
    assert_eq!(properties["message"]["description"], "Text to echo.");
    assert_eq!(
        echo.description
            .as_deref()
            .map(|d| d.starts_with("Echo the arguments back.")),
        Some(true)
    );
    let hints = echo.annotations.as_ref().unwrap();
    assert_eq!(
        (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint
        ),
        (Some(true), Some(false), Some(true), Some(false))
    );
    let output = Value::Object(echo.output_schema.as_ref().unwrap().as_ref().clone());
    assert_eq!(
        output["properties"]["stamp"]["properties"]["offset"]["minimum"],
        -32768
    );
    let spin = tools.iter().find(|t| t.name == "spin").unwrap();
    assert!(
        spin.annotations.is_none(),
        "no # Annotations section, no hints"
    );
}

#[tokio::test]
async fn arguments_are_converted_and_results_conform_to_the_output_schema() {
    let path = test_component("probe").display().to_string();
    let client = connect(&dead_url(), &["--component", &path]).await;
    let tools = client.list_all_tools().await.unwrap();
    let echo = tools.iter().find(|t| t.name == "echo").unwrap();
    let output = Value::Object(echo.output_schema.as_ref().unwrap().as_ref().clone());

    let full = success_of(
        &call(
            &client,
            "echo",
            json!({
                "message": "ab", "repeat": 3, "color": "light_red", "tags": ["x", "y"],
                "extra": { "nested": [1, 2, { "k": null }] },
            }),
        )
        .await,
    );
    assert_conforms(&output, &full);
    assert_eq!(full["text"], "ababab");
    assert_eq!(full["color"], "light_red");
    assert_eq!(
        full["extra"],
        json!({ "nested": [1, 2, { "k": null }] }),
        "json arrives as real JSON"
    );
    assert_eq!(full["stamp"], json!({ "seconds": 42, "offset": -7 }));

    let minimal =
        success_of(&call(&client, "echo", json!({ "message": "m", "color": null })).await);
    assert_conforms(&output, &minimal);
    assert_eq!(
        (minimal["color"].clone(), minimal["extra"].clone()),
        (Value::Null, Value::Null)
    );

    let error = error_of(&call(&client, "echo", json!({ "message": "fail" })).await);
    assert_eq!(error["status_code"], 404);
    assert_eq!(error["code"], "not_found");
    assert_eq!(error["details"], json!({ "message": "fail" }));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_arguments_are_named_with_what_is_expected() {
    let path = test_component("probe").display().to_string();
    let client = connect(&dead_url(), &["--component", &path]).await;
    let cases = [
        (json!({}), "message", "required"),
        (json!({ "message": 3 }), "message", "a string"),
        (
            json!({ "message": "m", "repeat": 6 }),
            "repeat",
            "from 1 to 5",
        ),
        (
            json!({ "message": "m", "repeat": "two" }),
            "repeat",
            "an integer",
        ),
        (
            json!({ "message": "m", "color": "green" }),
            "color",
            "\"light_red\" or \"deep_blue\"",
        ),
        (
            json!({ "message": "m", "tags": ["a", 2] }),
            "tags[1]",
            "a string",
        ),
        (
            json!({ "message": "m", "colour": "light_red" }),
            "colour",
            "\"color\"",
        ),
    ];
    for (arguments, named, expected) in cases {
        let result = call(&client, "echo", arguments.clone()).await;
        let error = error_of(&result);
        assert_eq!(error["code"], "invalid_argument", "{arguments}");
        assert_eq!(error["status_code"], 0);
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("`{named}`")),
            "{arguments}: {message}"
        );
        assert!(message.contains(expected), "{arguments}: {message}");
        assert!(
            common::text_of(&result).starts_with("invalid_argument: "),
            "{arguments}"
        );
    }
    let still = call(&client, "echo", json!({ "message": "ok" })).await;
    assert_eq!(success_of(&still)["text"], "ok");
    client.cancel().await.unwrap();
}
