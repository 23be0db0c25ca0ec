//! Shared set-up of the host's integration tests: the real `ktrdr-mcp` binary, the reference
//! backend on a free port, the probe test components, and MCP clients (rmcp, or raw lines).

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

pub mod test_ca;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use backend_launcher::{artifacts, SeededBackend};
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// How long any single exchange may take before a test gives up (a hang is a failure).
pub const PATIENCE: Duration = Duration::from_secs(120);

/// The host binary under test.
pub fn host_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ktrdr-mcp"))
}

/// The reference backend built with the same profile as the tests (see
/// [`artifacts::backend_bin`]).
pub fn backend_bin() -> PathBuf {
    artifacts::backend_bin().unwrap_or_else(|error| panic!("{error:#}"))
}

/// A compiled-component cache shared by the tests, so that only the first start compiles.
fn cache_dir() -> PathBuf {
    artifacts::target_dir().join("ktrdr-mcp-test-cache")
}

/// Builds the probe test components once per test binary and returns the path of `name`
/// (`probe` or `probe_plus`).
pub fn test_component(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--manifest-path",
            ])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("test-components/Cargo.toml"))
            .arg("--target-dir")
            .arg(artifacts::test_components_dir())
            .env_remove("RUSTFLAGS")
            .status()
            .expect("cannot run cargo to build the test components");
        assert!(status.success(), "building the test components failed");
    });
    artifacts::test_component(name)
}

/// A reference backend on a free port with seeded temporary directories; killed on drop.
pub struct Backend {
    /// Its base URL, `/api/v1` included.
    pub api_url: String,
    _process: SeededBackend,
}

impl Backend {
    /// Starts the backend (data-load segments slowed to 20 ms, so that loads can be watched and
    /// cancelled) and waits until it listens.
    pub fn start() -> Self {
        let process = SeededBackend::start(&backend_bin(), &["--segment-delay-ms", "20"])
            .expect("cannot start the backend");
        Self {
            api_url: process.api_url(),
            _process: process,
        }
    }
}

/// A URL on which nothing listens.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/api/v1")
}

/// The host command for `api_url`, with `extra` flags; only the variables it needs are set.
pub fn host_command(api_url: &str, extra: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(host_bin());
    command
        .args(extra)
        .env_clear()
        .env("KTRDR_API_URL", api_url)
        .env("KTRDR_MCP_CACHE_DIR", cache_dir())
        .env("RUST_LOG", "warn");
    command
}

/// An rmcp client connected (with `initialize`) to a host child process.
pub type Client = RunningService<RoleClient, ()>;

/// Starts the host with `extra` flags and connects an rmcp client with the `initialize`
/// handshake.
pub async fn connect(api_url: &str, extra: &[&str]) -> Client {
    connect_command(host_command(api_url, extra)).await
}

/// Starts the host `command` (see [`host_command`]) and connects an rmcp client with the
/// `initialize` handshake.
pub async fn connect_command(command: tokio::process::Command) -> Client {
    let (transport, _stderr) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start the host");
    tokio::time::timeout(PATIENCE, ().serve(transport))
        .await
        .expect("initialize timed out")
        .expect("initialize failed")
}

/// Calls `tool` with `arguments` (a JSON object) and checks the result as a client that
/// validates output does (see [`assert_fits_output_schema`]).
pub async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    let params =
        CallToolRequestParams::new(tool.to_string()).with_arguments(arguments as JsonObject);
    let result = tokio::time::timeout(PATIENCE, client.call_tool(params))
        .await
        .expect("tools/call timed out")
        .expect("tools/call failed at the protocol level");
    let tools = client.list_all_tools().await.expect("tools/list failed");
    let schema = tools
        .iter()
        .find(|t| t.name == tool)
        .and_then(|t| t.output_schema.as_ref())
        .map(|schema| Value::Object(schema.as_ref().clone()));
    assert_fits_output_schema(
        tool,
        schema.as_ref(),
        &serde_json::to_value(&result).unwrap(),
    );
    result
}

/// Checks a `tools/call` result (as JSON) the way clients that validate output do: an error
/// carries no `structuredContent`; any `structuredContent` conforms to the tool's
/// `outputSchema`; a success of a tool with an `outputSchema` carries `structuredContent`.
pub fn assert_fits_output_schema(tool: &str, schema: Option<&Value>, result: &Value) {
    let structured = result.get("structuredContent");
    if result["isError"] == true {
        assert_eq!(
            structured, None,
            "{tool}: an error with structured content: {result}"
        );
        return;
    }
    if let Some(schema) = schema {
        let structured = structured
            .unwrap_or_else(|| panic!("{tool} declares an outputSchema but returned {result}"));
        if let Err(error) = jsonschema::draft202012::validate(schema, structured) {
            panic!("{tool}: {structured:#} breaks its outputSchema: {error}");
        }
    }
}

/// The tools' `outputSchema`s as the host started with `extra` flags lists them
/// (`--list-tools`), by tool name.
pub fn output_schemas_listed(extra: &[String]) -> std::collections::HashMap<String, Value> {
    let output = Command::new(host_bin())
        .args(extra)
        .arg("--list-tools")
        .env_clear()
        .env("KTRDR_MCP_CACHE_DIR", cache_dir())
        .output()
        .expect("cannot run the host");
    assert!(output.status.success(), "--list-tools failed: {output:?}");
    let tools: Vec<Value> = serde_json::from_slice(&output.stdout).expect("--list-tools JSON");
    tools
        .into_iter()
        .filter_map(|tool| {
            let name = tool["name"].as_str()?.to_string();
            Some((name, tool.get("outputSchema")?.clone()))
        })
        .collect()
}

/// The text of a result's first content block.
pub fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

/// The error object of a failed call, `{status_code, code, message, details}`: its text is one
/// line (`code (HTTP n): message`) and then the object as JSON, and it has no structured content.
pub fn error_of(result: &CallToolResult) -> serde_json::Map<String, Value> {
    assert_eq!(
        result.is_error,
        Some(true),
        "expected an error, got {result:?}"
    );
    assert_eq!(result.structured_content, None, "{result:?}");
    let text = text_of(result);
    let (line, json) = text
        .split_once('\n')
        .unwrap_or_else(|| panic!("the error text has no JSON line: {text}"));
    let Ok(Value::Object(error)) = serde_json::from_str::<Value>(json) else {
        panic!("the error's second line is not a JSON object: {text}");
    };
    let mut keys: Vec<&str> = error.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["code", "details", "message", "status_code"],
        "{error:?}"
    );
    let code = error["code"].as_str().unwrap();
    assert!(
        line.starts_with(code) && line.contains(error["message"].as_str().unwrap().trim()),
        "the error's first line does not name its code and message: {text}"
    );
    error
}

/// The structured content of a successful call, checked to equal its text content.
pub fn success_of(result: &CallToolResult) -> Value {
    assert_ne!(
        result.is_error,
        Some(true),
        "the call failed: {}",
        text_of(result)
    );
    let structured = result
        .structured_content
        .clone()
        .expect("no structured content");
    let text: Value = serde_json::from_str(&text_of(result)).expect("the text is not JSON");
    assert_eq!(
        text, structured,
        "the text is not the same JSON as the structured content"
    );
    structured
}

/// Checks that `schema` is a valid JSON Schema (draft 2020-12).
pub fn assert_valid_schema(schema: &Value) {
    if let Err(error) = jsonschema::draft202012::meta::validate(schema) {
        panic!("invalid JSON Schema ({error}): {schema:#}");
    }
}

/// Checks that `value` conforms to `schema`.
pub fn assert_conforms(schema: &Value, value: &Value) {
    if let Err(error) = jsonschema::draft202012::validate(schema, value) {
        panic!("{value:#} breaks its schema: {error}");
    }
}

/// The host spoken to line by line, for what an SDK client would not send.
/// Every `tools/call` result it receives is checked against the tool's `outputSchema`.
pub struct RawSession {
    extra: Vec<String>,
    calls: std::collections::HashMap<String, String>,
    schemas: Option<std::collections::HashMap<String, Value>>,
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl RawSession {
    /// Starts the host with `extra` flags, nothing sent yet.
    pub fn start(api_url: &str, extra: &[&str]) -> Self {
        let mut child = host_command(api_url, extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("cannot start the host");
        let stdin = child.stdin.take();
        let stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut stderr_lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let collected = stderr.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stderr_lines.next_line().await {
                let mut text = collected.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Self {
            extra: extra.iter().map(|s| s.to_string()).collect(),
            calls: std::collections::HashMap::new(),
            schemas: None,
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    /// The CPU time the host process has used so far, all threads (Linux: from the scheduler's
    /// per-thread `schedstat`, as the benchmark's `cpu_time` reads it).
    pub fn cpu_time(&self) -> Duration {
        let pid = self.child.id().expect("the host has exited");
        let mut nanos = 0;
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
            let path = task.unwrap().path().join("schedstat");
            // A thread that has just exited has no schedstat any more; its time is gone with it.
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            nanos += text
                .split_whitespace()
                .next()
                .and_then(|field| field.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("{} is not a schedstat line: {text:?}", path.display()));
        }
        Duration::from_nanos(nanos)
    }

    /// What the host wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until the host's stderr contains `needle`; panics with `what` and the log after
    /// [`PATIENCE`]. Stderr is read by a task of its own, so a line may land after a response.
    pub async fn wait_for_stderr(&self, needle: &str, what: &str) {
        let deadline = std::time::Instant::now() + PATIENCE;
        while !self.stderr().contains(needle) {
            assert!(
                std::time::Instant::now() < deadline,
                "{what}; stderr: {}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends one line (and notes the tool of a `tools/call`, to check its result).
    pub async fn send(&mut self, line: &str) {
        if let Ok(message) = serde_json::from_str::<Value>(line) {
            if let (Some("tools/call"), Some(tool)) = (
                message["method"].as_str(),
                message["params"]["name"].as_str(),
            ) {
                self.calls
                    .insert(message["id"].to_string(), tool.to_string());
            }
        }
        let stdin = self.stdin.as_mut().expect("stdin is closed");
        stdin.write_all(line.as_bytes()).await.unwrap();
        stdin.write_all(b"\n").await.unwrap();
        stdin.flush().await.unwrap();
    }

    /// Receives the next message.
    pub async fn receive(&mut self) -> Value {
        let line = tokio::time::timeout(PATIENCE, self.stdout.next_line())
            .await
            .expect("no message in time")
            .unwrap()
            .expect("stdout closed");
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("stdout carried a non-JSON line: {line}"));
        if let (Some(tool), Some(result)) = (
            self.calls.get(&message["id"].to_string()),
            message.get("result"),
        ) {
            let schemas = self
                .schemas
                .get_or_insert_with(|| output_schemas_listed(&self.extra));
            assert_fits_output_schema(tool, schemas.get(tool), result);
        }
        message
    }

    /// Receives messages until the response to `id`, which it returns.
    pub async fn response(&mut self, id: u64) -> Value {
        loop {
            let message = self.receive().await;
            if message["id"] == id {
                return message;
            }
        }
    }

    /// Sends `initialize` (protocol 2025-11-25) and `notifications/initialized`.
    pub async fn initialize(&mut self) -> Value {
        self.send(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#).await;
        let response = self.response(0).await;
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
        response
    }

    /// Closes stdin and returns the exit code.
    pub async fn close(mut self) -> Option<i32> {
        drop(self.stdin.take());
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("the host did not exit after stdin closed")
            .unwrap();
        status.code()
    }
}
