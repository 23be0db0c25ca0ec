//! The MCP protocol as clients of both eras see it, the JSON-RPC errors rmcp's clients never
//! provoke (malformed lines, unknown methods, unknown tools, closing stdin), a host that waits
//! for messages without using the CPU, and start-up: the compiled-code cache and a clear error
//! when the instance pool does not fit.

mod common;

use common::{call, connect, dead_url, test_component, RawSession};
use rmcp::model::ProtocolVersion;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt};
use rmcp::transport::TokioChildProcess;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

fn probe_args() -> Vec<String> {
    vec![
        "--component".into(),
        test_component("probe").display().to_string(),
    ]
}

fn args(owned: &[String]) -> Vec<&str> {
    owned.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn initialize_handshake_serves_tools() {
    let probe = probe_args();
    let client = connect(&dead_url(), &args(&probe)).await;
    let info = client.peer_info().expect("initialize result");
    assert_eq!(info.protocol_version, ProtocolVersion::V_2025_11_25);
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("ktrdr-mcp")
    );
    assert!(info.capabilities.tools.is_some());
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "echo"));
    let reply = call(&client, "echo", json!({ "message": "hi" })).await;
    assert_eq!(common::success_of(&reply)["text"], "hi");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn older_initialize_versions_are_negotiated() {
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
        session
            .send(
                &json!({
                    "jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": { "protocolVersion": version, "capabilities": {},
                                "clientInfo": { "name": "old", "version": "1" } },
                })
                .to_string(),
            )
            .await;
        let response = session.response(1).await;
        assert_eq!(response["result"]["protocolVersion"], version, "{response}");
        session
            .send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
        session
            .send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#)
            .await;
        let listing = session.response(2).await;
        assert!(listing["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));
        assert_eq!(session.close().await, Some(0));
    }
}

#[tokio::test]
async fn stateless_discover_era_serves_tools() {
    let (transport, _) =
        TokioChildProcess::builder(common::host_command(&dead_url(), &args(&probe_args())))
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
    let mode = ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    let client = ().serve_with_lifecycle(transport, mode).await.expect("discover failed");
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "echo"));
    let reply = call(
        &client,
        "echo",
        json!({ "message": "new era", "repeat": 2 }),
    )
    .await;
    assert_eq!(common::success_of(&reply)["text"], "new eranew era");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn raw_server_discover_lists_the_versions() {
    let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
    session
        .send(
            &json!({
                "jsonrpc": "2.0", "id": 1, "method": "server/discover",
                "params": { "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                    "io.modelcontextprotocol/clientInfo": { "name": "raw", "version": "1" },
                } },
            })
            .to_string(),
        )
        .await;
    let response = session.response(1).await;
    let text = response.to_string();
    assert!(response.get("result").is_some(), "{text}");
    assert!(
        text.contains("2026-07-28") && text.contains("2025-11-25"),
        "{text}"
    );
    assert!(text.contains("ktrdr-mcp"), "{text}");
    assert_eq!(session.close().await, Some(0));
}

#[tokio::test]
async fn a_malformed_line_gets_a_parse_error_and_the_session_goes_on() {
    let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
    session.initialize().await;
    for garbage in ["{not json", "]", "{\"jsonrpc\":\"2.0\",\"id\":7,"] {
        session.send(garbage).await;
        let error = session.receive().await;
        assert_eq!(error["error"]["code"], -32700, "{error}");
        assert_eq!(error.get("id"), Some(&Value::Null), "{error}");
    }
    session
        .send(r#"{"jsonrpc":"2.0","id":"bad","method":"tools/call","params":"not an object"}"#)
        .await;
    let error = session.receive().await;
    assert_eq!(error["error"]["code"], -32600, "{error}");
    assert_eq!(error["id"], "bad", "{error}");
    session
        .send(r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#)
        .await;
    assert!(session.response(3).await["result"]["tools"].is_array());
    assert_eq!(session.close().await, Some(0));
}

#[tokio::test]
async fn an_unknown_method_gets_method_not_found() {
    let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
    session.initialize().await;
    session
        .send(r#"{"jsonrpc":"2.0","id":4,"method":"tools/destroy","params":{}}"#)
        .await;
    let error = session.response(4).await;
    assert_eq!(error["error"]["code"], -32601, "{error}");
    session
        .send(r#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#)
        .await;
    assert!(session.response(5).await["result"]["tools"].is_array());
    assert_eq!(session.close().await, Some(0));
}

#[tokio::test]
async fn an_unknown_tool_is_named_in_the_error() {
    let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
    session.initialize().await;
    session
        .send(r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"drop_database","arguments":{}}}"#)
        .await;
    let error = session.response(6).await;
    assert_eq!(error["error"]["code"], -32602, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("drop_database") && message.contains("echo"),
        "{message}"
    );
    session
        .send(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"still here"}}}"#)
        .await;
    assert_eq!(
        session.response(7).await["result"]["structuredContent"]["text"],
        "still here"
    );
    assert_eq!(session.close().await, Some(0));
}

#[tokio::test]
async fn messages_before_the_first_request_are_ignored() {
    let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
    session
        .send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        .await;
    session
        .send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#)
        .await;
    session
        .send(r#"{"jsonrpc":"2.0","id":99,"result":{}}"#)
        .await;
    session.initialize().await;
    session
        .send(r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#)
        .await;
    assert!(session.response(3).await["result"]["tools"].is_array());
    assert_eq!(session.close().await, Some(0));
}

#[test]
fn too_little_address_space_for_the_instance_pool_is_a_clear_startup_error() {
    // Under 8 GB of address space not even one call slot (16 GiB reserved) fits.
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 8000000 && exec "$0" --api-url "$1" --max-concurrent-calls 1"#)
        .arg(common::host_bin())
        .arg(dead_url())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the host under `ulimit -v`");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reserve the instance pool")
            && stderr.contains("16 GiB of address space")
            && stderr.contains("lower --max-concurrent-calls"),
        "{stderr}"
    );
}

/// Starts the host with the compiled-code cache in `cache` and stdin closed, so that it exits
/// once ready; returns its log.
fn start_with_cache(cache: &Path) -> String {
    let output = std::process::Command::new(common::host_bin())
        .arg("--api-url")
        .arg(dead_url())
        .arg("--component")
        .arg(test_component("probe"))
        .arg("--cache-dir")
        .arg(cache)
        .env_clear()
        .env("RUST_LOG", "ktrdr_mcp=debug")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the host");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{log}");
    log
}

#[test]
fn compiled_code_is_cached_reused_and_a_broken_cache_is_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    assert!(start_with_cache(&cache).contains("component compiled"));
    assert!(start_with_cache(&cache).contains("loaded from the cache"));

    let mut pending = vec![cache.clone()];
    let mut entries = 0;
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            std::fs::write(&path, b"not compiled code").unwrap();
            entries += 1;
        }
    }
    assert!(entries > 0, "nothing was written to the cache");
    let log = start_with_cache(&cache);
    assert!(
        log.contains("component compiled"),
        "a broken entry was used: {log}"
    );
    assert!(
        start_with_cache(&cache).contains("loaded from the cache"),
        "not rewritten"
    );

    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"").unwrap();
    let log = start_with_cache(&not_a_dir);
    assert!(log.contains("compiling at every start"), "{log}");
}

#[tokio::test]
async fn closing_stdin_exits_zero() {
    let session = RawSession::start(&dead_url(), &args(&probe_args()));
    assert_eq!(session.close().await, Some(0), "before initialize");
    let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
    session.initialize().await;
    assert_eq!(session.close().await, Some(0), "after initialize");
}

#[tokio::test]
async fn notifications_cancelled_stops_the_call_in_flight() {
    let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
    session.initialize().await;
    session
        .send(r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"spin","arguments":{}}}"#)
        .await;
    // Wait until the call runs (it logs nothing; a short pause lets it instantiate).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    session
        .send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":8,"reason":"test"}}"#)
        .await;
    session
        .send(r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"message":"after"}}}"#)
        .await;
    assert_eq!(
        session.response(9).await["result"]["structuredContent"]["text"],
        "after"
    );
    session
        .wait_for_stderr(
            "was cancelled by the client",
            "the spinning call was not stopped",
        )
        .await;
    assert_eq!(session.close().await, Some(0));
}

#[tokio::test]
async fn stdout_carries_only_protocol_messages() {
    // Every line `receive` reads is parsed as JSON; a log line on stdout would fail it.
    let mut session = RawSession::start(&dead_url(), &args(&probe_args()));
    session.initialize().await;
    session
        .send(r#"{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"hog","arguments":{"mebibytes":100}}}"#)
        .await;
    let response = session.response(10).await;
    assert_eq!(response["result"]["isError"], true);
    assert_eq!(session.close().await, Some(0));
}

#[tokio::test]
async fn a_host_waiting_after_a_burst_of_messages_uses_no_cpu() {
    // After a quick burst of messages, a host waiting for the next one must sleep.
    let probe = probe_args();
    let mut session = RawSession::start(&dead_url(), &args(&probe));
    session.initialize().await;
    for id in 1..=200 {
        session
            .send(&json!({ "jsonrpc": "2.0", "id": id, "method": "ping" }).to_string())
            .await;
        assert_eq!(session.response(id).await["result"], json!({}));
    }
    let before = session.cpu_time();
    assert!(before > Duration::ZERO, "no CPU time read for the host");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let used = session.cpu_time() - before;
    // A host spinning through the wait would use most of the 500 ms.
    assert!(
        used < Duration::from_millis(50),
        "an idle host used {used:?} of CPU in 500 ms"
    );
    assert_eq!(session.close().await, Some(0));
}
