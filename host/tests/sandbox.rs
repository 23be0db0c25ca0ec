//! The sandbox and the limits, probed from inside test components: outgoing HTTP only to the
//! backend (and `--allow-host`), no filesystem, only the two configuration variables, and calls
//! that loop or hog memory stopped by their limits while the server goes on.

mod common;

use common::{call, connect, error_of, test_component, text_of, Backend, RawSession};
use serde_json::json;

fn probe() -> String {
    test_component("probe").display().to_string()
}

#[tokio::test]
async fn requests_to_other_hosts_are_blocked_and_logged() {
    let backend = Backend::start();
    let other = Backend::start();
    let mut session = RawSession::start(&backend.api_url, &["--component", &probe()]);
    session.initialize().await;
    let fetch = |id: u64, url: &str| {
        json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": { "name": "fetch", "arguments": { "url": url } } })
        .to_string()
    };
    session
        .send(&fetch(1, &format!("{}/health", backend.api_url)))
        .await;
    let allowed = session.response(1).await;
    assert_eq!(allowed["result"]["content"][0]["text"], "200", "{allowed}");

    let other_authority = other.api_url.trim_end_matches("/api/v1").to_string();
    session
        .send(&fetch(2, &format!("{}/health", other.api_url)))
        .await;
    let blocked = session.response(2).await;
    assert_eq!(blocked["result"]["isError"], true, "{blocked}");
    let text = blocked["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("HttpRequestDenied"), "{text}");
    session
        .wait_for_stderr(&other_authority, "the denied authority was not logged")
        .await;

    session.send(&fetch(3, "https://example.com/")).await;
    assert_eq!(session.response(3).await["result"]["isError"], true);
    assert_eq!(session.close().await, Some(0));
}

#[tokio::test]
async fn allow_host_opens_one_more_authority() {
    let backend = Backend::start();
    let other = Backend::start();
    let authority = other
        .api_url
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1")
        .to_string();
    let probe = probe();
    let client = connect(
        &backend.api_url,
        &["--component", &probe, "--allow-host", &authority],
    )
    .await;
    let reply = call(
        &client,
        "fetch",
        json!({ "url": format!("{}/health", other.api_url) }),
    )
    .await;
    assert_eq!(text_of(&reply), "200");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_component_sees_only_its_configuration() {
    let probe = probe();
    let client = connect(
        "http://127.0.0.1:9/api/v1",
        &["--component", &probe, "--timeout", "7"],
    )
    .await;
    let environment: serde_json::Value =
        serde_json::from_str(&text_of(&call(&client, "environment", json!({})).await)).unwrap();
    assert_eq!(
        environment,
        json!([
            ["KTRDR_API_URL", "http://127.0.0.1:9/api/v1"],
            ["API_TIMEOUT", "7"]
        ])
    );
    for path in ["/etc/passwd", ".", "Cargo.toml"] {
        let read = call(&client, "read_file", json!({ "path": path })).await;
        assert_eq!(
            read.is_error,
            Some(true),
            "{path} was readable: {}",
            text_of(&read)
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_cpu_loop_is_stopped_by_the_deadline_and_the_server_goes_on() {
    let probe = probe();
    let client = connect(
        "http://127.0.0.1:9/api/v1",
        &["--component", &probe, "--timeout", "1"],
    )
    .await;
    let error = error_of(&call(&client, "spin", json!({})).await);
    assert_eq!(error["code"], "timeout", "{error:?}");
    assert!(
        error["message"].as_str().unwrap().contains("6 s deadline"),
        "{error:?}"
    );
    let reply = call(&client, "echo", json!({ "message": "alive" })).await;
    assert_eq!(common::success_of(&reply)["text"], "alive");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_instance_serves_again_until_it_fails_or_its_memory_grows() {
    let probe = probe();
    let client = connect(
        "http://127.0.0.1:9/api/v1",
        &[
            "--component",
            &probe,
            "--timeout",
            "1",
            "--max-memory-mb",
            "32",
        ],
    )
    .await;
    let served = || async { text_of(&call(&client, "calls_served", json!({})).await) };
    assert_eq!(served().await, "1");
    assert_eq!(served().await, "2", "a healthy instance is reused");
    let timeout = error_of(&call(&client, "spin", json!({})).await);
    assert_eq!(timeout["code"], "timeout", "{timeout:?}");
    assert_eq!(served().await, "1", "the timed-out instance was dropped");
    assert_eq!(served().await, "2");
    let capped = error_of(&call(&client, "hog", json!({ "mebibytes": 64 })).await);
    assert_eq!(capped["code"], "memory_limit", "{capped:?}");
    assert_eq!(
        served().await,
        "1",
        "the instance that hit the cap was dropped"
    );
    let grown = call(&client, "hog", json!({ "mebibytes": 8 })).await;
    assert_eq!(text_of(&grown), "8");
    assert_eq!(
        served().await,
        "1",
        "an instance whose memory grew past 2 MiB is not kept"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_memory_hog_is_stopped_by_the_cap_and_the_server_goes_on() {
    let probe = probe();
    let client = connect(
        "http://127.0.0.1:9/api/v1",
        &["--component", &probe, "--max-memory-mb", "32"],
    )
    .await;
    let fits = call(&client, "hog", json!({ "mebibytes": 8 })).await;
    assert_eq!(text_of(&fits), "8");
    let error = error_of(&call(&client, "hog", json!({ "mebibytes": 64 })).await);
    assert_eq!(error["code"], "memory_limit", "{error:?}");
    assert!(
        error["message"].as_str().unwrap().contains("32 MiB"),
        "{error:?}"
    );
    let reply = call(&client, "echo", json!({ "message": "alive" })).await;
    assert_eq!(common::success_of(&reply)["text"], "alive");
    client.cancel().await.unwrap();
}
