//! Two hundred operations started at once all finish, and the list's counts stay exact.

mod common;

use std::time::{Duration, Instant};

use common::Backend;
use serde_json::json;

#[test]
fn two_hundred_concurrent_operations_all_finish_with_exact_counts() {
    let backend = Backend::start(&[]);
    const CLIENTS: usize = 20;
    const PER_CLIENT: usize = 10;
    let ids: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let backend = &backend;
                scope.spawn(move || {
                    (0..PER_CLIENT)
                        .map(|n| {
                            if (client + n) % 2 == 0 {
                                let symbol = if n % 4 == 0 { "AAPL" } else { "MSFT" };
                                backend
                                    .load(&format!(r#"{{"symbol":"{symbol}","timeframe":"1d"}}"#))
                            } else {
                                let (status, body) = backend.post("/dummy/start", "");
                                assert_eq!(status, 200);
                                body["data"]["operation_id"].as_str().unwrap().to_string()
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect()
    });
    let total = CLIENTS * PER_CLIENT;
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        total,
        "ids are unique"
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, list) = backend.get("/operations?limit=1000");
        assert_eq!(status, 200);
        assert_eq!(
            list["total_count"],
            json!(total),
            "every operation is listed at every moment"
        );
        let statuses: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|op| op["status"].as_str().unwrap())
            .collect();
        let active = statuses
            .iter()
            .filter(|s| matches!(**s, "pending" | "running"))
            .count();
        assert_eq!(
            list["active_count"],
            json!(active),
            "active_count matches the rows"
        );
        if active == 0 {
            assert!(statuses.iter().all(|s| *s == "completed"), "{statuses:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{active} operations still active"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for (operation_type, expected) in [("data_load", total / 2), ("dummy", total / 2)] {
        let (_, list) = backend.get(&format!(
            "/operations?operation_type={operation_type}&status=completed&limit=1"
        ));
        assert_eq!(
            (&list["total_count"], &list["active_count"]),
            (&json!(expected), &json!(0)),
            "{operation_type}"
        );
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
    }
}
