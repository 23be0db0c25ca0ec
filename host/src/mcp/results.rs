//! Every answer a tool call can get, made here: the tool result of a call's value, the
//! `isError` result of each way a call can fail (an agent reads one line it can act on, then the
//! error's fields as JSON), and the JSON-RPC errors of requests that name no tool or method.

use std::time::Duration;

use rmcp::model::{CallToolResult, ContentBlock, ErrorCode};
use rmcp::ErrorData;
use serde_json::{json, Value};
use wit_mcp::ArgumentError;

use crate::wasm::CallFailure;

/// The result of a call that returned `value`: structured content when the tool has an output
/// schema (`structured`) and the value is an object, no content for no value, else its JSON
/// as text.
pub fn success(value: Value, structured: bool) -> CallToolResult {
    match value {
        Value::Object(_) if structured => CallToolResult::structured(value),
        Value::Null => CallToolResult::success(vec![]),
        value => CallToolResult::success(vec![ContentBlock::text(value.to_string())]),
    }
}

/// The result of a call of `tool` the host stopped, or that trapped; `request_timeout` is the
/// backend request timeout the call's deadline was derived from.
pub fn failure(tool: &str, failure: CallFailure, request_timeout: Duration) -> CallToolResult {
    let (code, message) = match failure {
        CallFailure::Deadline(budget) => (
            "timeout",
            format!(
                "`{tool}` exceeded its {} s deadline (API_TIMEOUT {} s plus a margin) and was stopped. Try again later or raise API_TIMEOUT.",
                budget.as_secs(),
                request_timeout.as_secs()
            ),
        ),
        CallFailure::MemoryCap(bytes) => (
            "memory_limit",
            format!(
                "`{tool}` ran out of its {} MiB memory cap and was stopped.",
                bytes >> 20
            ),
        ),
        CallFailure::Cancelled => ("cancelled", format!("`{tool}` was cancelled by the client.")),
        CallFailure::Trap(reason) => (
            "component_error",
            format!("`{tool}` failed inside the component: {reason}"),
        ),
    };
    tracing::warn!(tool, code, "{message}");
    tool_error(json!({ "status_code": 0, "code": code, "message": message, "details": {} }))
}

/// The result of a call with an argument that does not fit, with the fields of the
/// component's errors.
pub fn invalid_argument(error: &ArgumentError) -> CallToolResult {
    tool_error(json!({
        "status_code": 0,
        "code": "invalid_argument",
        "message": error.to_string(),
        "details": { "argument": error.path, "expected": error.expected },
    }))
}

/// An `isError` result: text with one line an agent can act on (`code (HTTP 404): message`),
/// then, when the error is an object, that object as compact JSON on a second line. It carries
/// no structured content: a tool's structured content must conform to its `outputSchema`, which
/// describes success, and clients validate it even on errors.
pub fn tool_error(error: Value) -> CallToolResult {
    let line = error_line(&error);
    let text = match &error {
        Value::Object(_) => format!("{line}\n{error}"),
        _ => line,
    };
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// One line summarizing an error value.
fn error_line(error: &Value) -> String {
    let text = match error {
        Value::Object(object) => {
            let message = object.get("message").and_then(Value::as_str);
            let code = object.get("code").and_then(Value::as_str);
            let status = object
                .get("status_code")
                .and_then(Value::as_u64)
                .filter(|s| *s != 0);
            match (code, status, message) {
                (Some(code), Some(status), Some(message)) => {
                    format!("{code} (HTTP {status}): {message}")
                }
                (Some(code), None, Some(message)) => format!("{code}: {message}"),
                (None, _, Some(message)) => message.to_string(),
                _ => error.to_string(),
            }
        }
        Value::String(text) => text.clone(),
        Value::Null => "the tool failed".to_string(),
        other => other.to_string(),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The JSON-RPC error (`-32602`) of a `tools/call` naming no tool of `available`.
pub fn unknown_tool(name: &str, available: &[&str]) -> ErrorData {
    ErrorData::invalid_params(
        format!(
            "Unknown tool `{name}`. Available tools: {}.",
            available.join(", ")
        ),
        Some(json!({ "tool": name, "available": available })),
    )
}

/// The JSON-RPC error (`-32601`) of a request whose method no MCP server has.
pub fn method_not_found(method: &str) -> ErrorData {
    ErrorData::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!("Method not found: {method}"),
        Some(json!({ "method": method })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_a_line_then_its_json_and_no_structured_content() {
        let error = json!({
            "status_code": 404, "code": "not_found",
            "message": "Operation op_x\n  not found.", "details": { "id": "op_x" },
        });
        let result = tool_error(error.clone());
        assert_eq!(result.is_error, Some(true));
        assert_eq!(result.structured_content, None);
        let text = &result.content[0].as_text().unwrap().text;
        let (line, json) = text.split_once('\n').unwrap();
        assert_eq!(line, "not_found (HTTP 404): Operation op_x not found.");
        assert_eq!(serde_json::from_str::<Value>(json).unwrap(), error);

        let plain = tool_error(json!("the file is missing"));
        assert_eq!(plain.structured_content, None);
        assert_eq!(
            plain.content[0].as_text().unwrap().text,
            "the file is missing"
        );
    }
}
