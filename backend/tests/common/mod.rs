//! A real `ktrdr-backend` process on a free port, with seeded data in a temp dir, and a small
//! blocking JSON client for it.

#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backend_launcher::SeededBackend;
use serde_json::Value;
use ureq::Agent;

/// Statuses after which an operation never changes.
pub const FINAL: [&str; 3] = ["completed", "failed", "cancelled"];

/// The backend under test; killed on drop.
pub struct Backend {
    process: SeededBackend,
    agent: Agent,
    /// `http://127.0.0.1:<port>/api/v1`.
    pub api: String,
    /// `http://127.0.0.1:<port>`.
    pub root: String,
}

impl Backend {
    /// Starts the binary with `--port 0 --seed-data` and the given extra flags.
    pub fn start(extra: &[&str]) -> Self {
        let process = SeededBackend::start(Path::new(env!("CARGO_BIN_EXE_ktrdr-backend")), extra)
            .expect("start ktrdr-backend");
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        Self {
            root: format!("http://{}", process.addr()),
            api: process.api_url(),
            process,
            agent,
        }
    }

    /// Path of a file in the data directory.
    pub fn data_file(&self, name: &str) -> PathBuf {
        self.process.data_dir().join(name)
    }

    /// Path of the models directory.
    pub fn models_dir(&self) -> PathBuf {
        self.process.models_dir()
    }

    /// Path of the strategies directory.
    pub fn strategies_dir(&self) -> PathBuf {
        self.process.strategies_dir()
    }

    fn finish(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut response = response.expect("HTTP exchange");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().expect("body");
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text:?}"));
        (status, json)
    }

    /// GET `<api><path>`.
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.get_url(&format!("{}{path}", self.api))
    }

    /// GET an absolute URL.
    pub fn get_url(&self, url: &str) -> (u16, Value) {
        Self::finish(self.agent.get(url).call())
    }

    /// POST `body` (raw text, sent as JSON) to `<api><path>`.
    pub fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.api);
        Self::finish(
            self.agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body),
        )
    }

    /// DELETE `<api><path>`, with an optional JSON body.
    pub fn delete(&self, path: &str, body: Option<&str>) -> (u16, Value) {
        let url = format!("{}{path}", self.api);
        let request = self.agent.delete(&url);
        Self::finish(match body {
            Some(body) => request
                .header("content-type", "application/json")
                .force_send_body()
                .send(body),
            None => request.call(),
        })
    }

    /// PUT an empty body to `<api><path>`.
    pub fn put(&self, path: &str) -> (u16, Value) {
        Self::finish(self.agent.put(&format!("{}{path}", self.api)).send(""))
    }

    /// `data` of `GET /operations/{id}` (which must answer 200).
    pub fn operation(&self, id: &str) -> Value {
        let (status, body) = self.get(&format!("/operations/{id}"));
        assert_eq!(status, 200, "{body}");
        body["data"].clone()
    }

    /// Starts a data load and returns its operation id.
    pub fn load(&self, body: &str) -> String {
        let (status, response) = self.post("/data/load", body);
        assert_eq!(status, 200, "{response}");
        response["data"]["operation_id"]
            .as_str()
            .expect("data.operation_id")
            .to_string()
    }

    /// Starts a training and returns its operation id.
    pub fn train(&self, strategy: &str, symbol: &str) -> String {
        let body = format!(
            r#"{{"symbols":["{symbol}"],"timeframes":["1h"],"strategy_name":"{strategy}"}}"#
        );
        let (status, response) = self.post("/trainings/start", &body);
        assert_eq!(status, 200, "{response}");
        response["operation_id"]
            .as_str()
            .expect("operation_id")
            .to_string()
    }

    /// Polls an operation until `ready` holds, collecting every snapshot seen; panics after `within`.
    pub fn watch(&self, id: &str, within: Duration, ready: impl Fn(&Value) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let operation = self.operation(id);
            let done = ready(&operation);
            seen.push(operation);
            if done {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{id} not ready within {within:?}; last: {}",
                seen.last().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls until the operation is final; returns every snapshot seen.
    pub fn until_final(&self, id: &str, within: Duration) -> Vec<Value> {
        self.watch(id, within, is_final)
    }
}

/// Whether an operation snapshot has a final status.
pub fn is_final(operation: &Value) -> bool {
    FINAL.contains(&operation["status"].as_str().unwrap_or(""))
}

/// Asserts that progress percentages never decrease across snapshots.
pub fn assert_monotonic(snapshots: &[Value]) {
    let percentages: Vec<f64> = snapshots
        .iter()
        .map(|op| op["progress"]["percentage"].as_f64().expect("percentage"))
        .collect();
    assert!(
        percentages.windows(2).all(|pair| pair[0] <= pair[1]),
        "progress went backwards: {percentages:?}"
    );
}

/// Asserts the keys of a JSON object, in any order.
pub fn assert_keys(value: &Value, keys: &[&str]) {
    let mut actual: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = keys.to_vec();
    actual.sort_unstable();
    expected.sort_unstable();
    assert_eq!(actual, expected, "in {value}");
}

/// The keys of `GET /trainings/{id}/performance` (contract §4).
pub const PERFORMANCE_KEYS: [&str; 6] = [
    "success",
    "task_id",
    "status",
    "training_metrics",
    "test_metrics",
    "model_info",
];

/// Asserts the contract's datetime spelling `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`.
pub fn assert_pydantic_time(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    let body = text
        .strip_suffix('Z')
        .unwrap_or_else(|| panic!("no Z: {text}"));
    assert!(
        chrono::NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S%.f").is_ok(),
        "{text}"
    );
}
