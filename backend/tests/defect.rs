//! `--defect training-result-500`: upstream's plan-era defect (contract 7.4). A completed
//! training answers status and results with the 500 `PydanticSerializationError` envelope and
//! the kept-alive connection is then dropped without `Connection: close`, as uvicorn does; the
//! list and `/trainings/{id}/performance` keep working, and nothing else changes.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{assert_keys, Backend, PERFORMANCE_KEYS};
use serde_json::{json, Value};

/// One HTTP/1.1 answer read off a raw connection.
struct Answer {
    status: u16,
    /// Header lines, lower-cased.
    headers: Vec<String>,
    body: Value,
}

/// A kept-alive HTTP/1.1 connection to the backend, spoken by hand.
struct RawConnection {
    stream: TcpStream,
    host: String,
}

impl RawConnection {
    fn open(backend: &Backend) -> Self {
        let host = backend.root.trim_start_matches("http://").to_string();
        let stream = TcpStream::connect(&host).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        Self { stream, host }
    }

    /// Sends `GET /api/v1<path>` and reads the whole answer (which has a Content-Length).
    fn get(&mut self, path: &str) -> Answer {
        let request = format!("GET /api/v1{path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.stream.write_all(request.as_bytes()).expect("send");
        let mut received = Vec::new();
        let head_end = loop {
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let mut chunk = [0u8; 4096];
            let read = self.stream.read(&mut chunk).expect("read head");
            assert!(read > 0, "connection closed before an answer");
            received.extend_from_slice(&chunk[..read]);
        };
        let head = String::from_utf8(received[..head_end].to_vec()).expect("head");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<String> = lines.map(str::to_ascii_lowercase).collect();
        let length: usize = headers
            .iter()
            .find_map(|line| line.strip_prefix("content-length:"))
            .expect("content-length")
            .trim()
            .parse()
            .unwrap();
        let mut body = received[head_end + 4..].to_vec();
        while body.len() < length {
            let mut chunk = vec![0u8; length - body.len()];
            let read = self.stream.read(&mut chunk).expect("read body");
            assert!(read > 0, "connection closed mid-body");
            body.extend_from_slice(&chunk[..read]);
        }
        Answer {
            status,
            headers,
            body: serde_json::from_slice(&body).expect("JSON body"),
        }
    }

    /// Whether the server has closed the connection (end of stream or reset), waiting up to
    /// the read timeout; false if it is still open and silent.
    fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => panic!("unexpected bytes after the answer"),
            Err(error) if error.kind() == ErrorKind::ConnectionReset => true,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                false
            }
            Err(error) => panic!("read failed: {error}"),
        }
    }
}

fn serialization_error() -> Value {
    json!({
        "success": false,
        "error": {
            "code": "INTERNAL_SERVER_ERROR",
            "message": "An unexpected error occurred",
            "details": {"type": "PydanticSerializationError"},
        },
    })
}

/// Polls the list (status answers 500 once the training is done) until the training completes.
fn until_completed_in_list(backend: &Backend, id: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let (status, list) = backend.get("/operations?operation_type=training");
        assert_eq!(status, 200, "{list}");
        let row = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["operation_id"] == json!(id))
            .cloned()
            .expect("the training is listed");
        if row["status"] != "running" && row["status"] != "pending" {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never finished: {row}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_completed_training_answers_500_and_the_connection_is_dropped() {
    let backend = Backend::start(&["--defect", "training-result-500"]);
    let id = backend.train("mlp_basic", "AAPL");
    // While it runs, status answers as usual.
    let running = backend.operation(&id);
    assert!(["pending", "running", "completed"].contains(&running["status"].as_str().unwrap()));
    let row = until_completed_in_list(&backend, &id);
    assert_eq!(
        (&row["status"], &row["progress_percentage"]),
        (&json!("completed"), &json!(100.0))
    );

    for path in [
        format!("/operations/{id}"),
        format!("/operations/{id}/results"),
    ] {
        let mut connection = RawConnection::open(&backend);
        let answer = connection.get(&path);
        assert_eq!(
            (answer.status, &answer.body),
            (500, &serialization_error()),
            "{path}"
        );
        assert!(
            !answer
                .headers
                .iter()
                .any(|line| line.starts_with("connection:")),
            "{path}: {:?}",
            answer.headers
        );
        assert!(
            connection.closed_by_server(),
            "{path}: connection kept open"
        );
    }

    // The list and the performance route keep working.
    let (status, performance) = backend.get(&format!("/trainings/{id}/performance"));
    assert_eq!(status, 200, "{performance}");
    assert_keys(&performance, &PERFORMANCE_KEYS);
    assert_eq!(
        (&performance["task_id"], &performance["status"]),
        (&json!(id), &json!("completed"))
    );
    assert_eq!(
        performance["training_metrics"]["epochs_completed"],
        json!(60)
    );
}

#[test]
fn other_operations_answer_normally_on_a_kept_alive_connection() {
    let backend = Backend::start(&["--defect", "training-result-500"]);
    let load = backend.load(r#"{"symbol":"AAPL","timeframe":"1h","mode":"local"}"#);
    let done = backend
        .until_final(&load, Duration::from_secs(30))
        .pop()
        .unwrap();
    assert_eq!(done["status"], "completed");
    let training = backend.train("mlp_long", "MSFT");
    backend.watch(&training, Duration::from_secs(30), |op| {
        op["status"] == "running"
    });
    let (status, _) = backend.delete(&format!("/operations/{training}"), None);
    assert_eq!(status, 200);

    let mut connection = RawConnection::open(&backend);
    for path in [
        format!("/operations/{load}"),
        format!("/operations/{load}/results"),
        format!("/operations/{training}"),
        "/operations/op_nope".to_string(),
    ] {
        let answer = connection.get(&path);
        assert!(
            answer.status == 200 || answer.status == 404,
            "{path}: {} {}",
            answer.status,
            answer.body
        );
    }
    let answer = connection.get(&format!("/operations/{training}"));
    assert_eq!(answer.body["data"]["status"], json!("cancelled"));
}
