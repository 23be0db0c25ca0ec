//! Operations from `running` to `completed` with monotonic progress, and cancellation of long
//! ones within one second (measured from the cancel request to the final status, by polling).

mod common;

use std::time::{Duration, Instant};

use common::{assert_monotonic, Backend};
use serde_json::json;

/// The issue's bound for a cancelled operation to reach its final status.
const CANCEL_BOUND: Duration = Duration::from_secs(1);

fn cached_dates(backend: &Backend, path: &str) -> Vec<String> {
    let (status, body) = backend.get(path);
    assert_eq!(status, 200);
    body["data"]["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_data_load_mode_runs_to_completion_with_monotonic_progress() {
    let backend = Backend::start(&["--segment-delay-ms", "100"]);
    let before = cached_dates(&backend, "/data/AAPL/1h");
    for mode in ["local", "tail", "backfill", "full"] {
        let id = backend.load(&format!(
            r#"{{"symbol":"AAPL","timeframe":"1h","mode":"{mode}","start_date":"2022-06-01"}}"#
        ));
        let snapshots = backend.until_final(&id, Duration::from_secs(60));
        assert_monotonic(&snapshots);
        let done = snapshots.last().unwrap();
        assert_eq!(done["status"], "completed", "{mode}: {done}");
        let summary = &done["result_summary"];
        assert_eq!(summary["merged_file"], "AAPL_1h.csv", "{mode}");
        if mode != "local" {
            assert!(
                snapshots.iter().any(|op| op["status"] == "running"),
                "{mode} was never seen running"
            );
            let context = &snapshots
                .iter()
                .rev()
                .find(|op| op["status"] == "running")
                .unwrap()["progress"]["context"];
            assert_eq!(
                (&context["symbol"], &context["timeframe"], &context["mode"]),
                (&json!("AAPL"), &json!("1h"), &json!(mode))
            );
            assert!(
                context["segments_total"].is_u64() && context["segments_fetched"].is_u64(),
                "{context}"
            );
            assert_eq!(summary["ib_requests_made"], summary["segments_fetched"]);
        }
    }
    // tail added the source's bars after the sample, backfill those from 2022-06-01 before it.
    let after = cached_dates(&backend, "/data/AAPL/1h");
    assert!(
        after.first().unwrap().as_str() < before.first().unwrap().as_str(),
        "backfill reached back"
    );
    assert!(
        after.last().unwrap().as_str() > before.last().unwrap().as_str(),
        "tail reached forward"
    );
    assert!(
        after.last().unwrap().starts_with("2024-12-31"),
        "{}",
        after.last().unwrap()
    );
    assert!(
        after.windows(2).all(|pair| pair[0] < pair[1]),
        "merged bars are sorted and unique"
    );
    // Every original bar is still there, unchanged in time.
    let kept: std::collections::HashSet<&String> = after.iter().collect();
    assert!(before.iter().all(|date| kept.contains(date)));
}

#[test]
fn a_paced_tail_load_is_observably_running() {
    let backend = Backend::start(&[]);
    let id = backend.load(r#"{"symbol":"MSFT","timeframe":"1h","mode":"tail"}"#);
    let snapshots = backend.until_final(&id, Duration::from_secs(30));
    assert!(
        snapshots
            .iter()
            .filter(|op| op["status"] == "running")
            .count()
            >= 3,
        "default pacing lets a poller see the load run"
    );
    assert_monotonic(&snapshots);
    let done = snapshots.last().unwrap();
    assert_eq!(done["status"], "completed");
    assert!(done["result_summary"]["segments_fetched"].as_u64().unwrap() >= 1);
    assert!(done["result_summary"]["fetched_bars"].as_u64().unwrap() > 0);
}

#[test]
fn a_tail_load_of_an_unknown_instrument_fails_with_the_contract_message() {
    let backend = Backend::start(&["--segment-delay-ms", "10"]);
    let id = backend.load(r#"{"symbol":"nope","timeframe":"1h","mode":"tail"}"#);
    let done = backend
        .until_final(&id, Duration::from_secs(30))
        .pop()
        .unwrap();
    assert_eq!(
        (&done["status"], &done["error_message"]),
        (&json!("failed"), &json!("Data not found for NOPE (1h)"))
    );
}

#[test]
fn training_runs_to_completion_with_monotonic_batch_progress() {
    let backend = Backend::start(&[]);
    let id = backend.train("mlp_basic", "MSFT");
    let snapshots = backend.until_final(&id, Duration::from_secs(120));
    assert_monotonic(&snapshots);
    let done = snapshots.last().unwrap();
    assert_eq!(done["status"], "completed", "{done}");
    let batch_updates = snapshots
        .iter()
        .filter(|op| {
            op["status"] == "running" && op["progress"]["context"]["batch_number"].is_u64()
        })
        .count();
    assert!(
        batch_updates >= 2,
        "only {batch_updates} batch-progress snapshots seen"
    );
    let items: Vec<u64> = snapshots
        .iter()
        .map(|op| op["progress"]["items_processed"].as_u64().unwrap())
        .collect();
    assert!(items.windows(2).all(|pair| pair[0] <= pair[1]), "{items:?}");
    let metrics = &done["result_summary"]["test_metrics"];
    let accuracy = metrics["test_accuracy"].as_f64().unwrap();
    // Three classes: the trend in the data is learnable, so the model beats a coin with three faces.
    assert!(accuracy > 0.36, "test accuracy {accuracy}");
}

/// Cancels `id` and returns how long it took until polling saw the final status.
fn cancel_and_time(backend: &Backend, id: &str) -> (Duration, serde_json::Value) {
    let started = Instant::now();
    let (status, body) = backend.delete(
        &format!("/operations/{id}"),
        Some(r#"{"reason":"lifecycle test"}"#),
    );
    assert_eq!(status, 200, "{body}");
    let done = backend
        .until_final(id, Duration::from_secs(10))
        .pop()
        .unwrap();
    (started.elapsed(), done)
}

#[test]
fn a_long_training_is_cancelled_mid_way_within_a_second() {
    let backend = Backend::start(&[]);
    let id = backend.train("mlp_long", "AAPL");
    backend.watch(&id, Duration::from_secs(60), |op| {
        op["progress"]["items_processed"].as_u64() > Some(0)
    });
    let (elapsed, done) = cancel_and_time(&backend, &id);
    assert!(elapsed < CANCEL_BOUND, "took {elapsed:?}");
    assert_eq!(
        (&done["status"], &done["error_message"]),
        (&json!("cancelled"), &json!("lifecycle test"))
    );
    let percentage = done["progress"]["percentage"].as_f64().unwrap();
    assert!(
        percentage > 0.0 && percentage < 100.0,
        "cancelled mid-way: {percentage}"
    );
    // The worker really stopped: progress no longer moves.
    let items = done["progress"]["items_processed"].clone();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(backend.operation(&id)["progress"]["items_processed"], items);
}

#[test]
fn a_full_load_is_cancelled_mid_way_within_a_second() {
    let backend = Backend::start(&[]);
    let before = std::fs::read(backend.data_file("AAPL_1h.csv")).unwrap();
    let id = backend.load(r#"{"symbol":"AAPL","timeframe":"1h","mode":"full"}"#);
    backend.watch(&id, Duration::from_secs(30), |op| {
        op["progress"]["items_processed"].as_u64() > Some(0)
    });
    let (elapsed, done) = cancel_and_time(&backend, &id);
    assert!(elapsed < CANCEL_BOUND, "took {elapsed:?}");
    assert_eq!(done["status"], "cancelled");
    let fetched = done["progress"]["context"]["segments_fetched"]
        .as_u64()
        .unwrap();
    let total = done["progress"]["context"]["segments_total"]
        .as_u64()
        .unwrap();
    assert!(fetched >= 1 && fetched < total, "{fetched}/{total}");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        std::fs::read(backend.data_file("AAPL_1h.csv")).unwrap(),
        before,
        "a cancelled load does not write the cache"
    );
    assert_eq!(
        backend.operation(&id)["result_summary"]["status"],
        "cancelled"
    );
}

#[test]
fn finished_operations_beyond_the_cap_are_forgotten_oldest_first() {
    let backend = Backend::start(&["--max-finished-operations", "3"]);
    let ids: Vec<String> = (0..5)
        .map(|_| backend.load(r#"{"symbol":"AAPL","timeframe":"1d"}"#))
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, list) = backend.get("/operations?limit=1000");
        if list["active_count"] == json!(0) {
            assert_eq!(list["total_count"], json!(3));
            break;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, list) = backend.get("/operations");
    let kept: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["operation_id"].as_str().unwrap())
        .collect();
    assert_eq!(kept.len(), 3);
    assert_eq!(backend.get(&format!("/operations/{}", ids[0])).0, 404);
}
