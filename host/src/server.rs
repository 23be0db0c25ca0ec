//! The MCP server: lists the component's functions as tools and calls them.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, CustomRequest,
    CustomResult, ErrorCode, Implementation, JsonObject, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{json, Value};
use wasmtime::component::Val;
use wit_mcp::{ArgumentError, ComponentInterface};

use crate::config::Config;
use crate::runtime::{CallFailure, Runtime};

/// Serves one component's functions as MCP tools.
#[derive(Clone)]
pub struct ToolServer {
    interface: Arc<ComponentInterface>,
    runtime: Arc<Runtime>,
    config: Arc<Config>,
    tools: Arc<Vec<Tool>>,
}

impl ToolServer {
    /// A server for `interface`, running calls in `runtime`.
    pub fn new(
        interface: Arc<ComponentInterface>,
        runtime: Arc<Runtime>,
        config: Arc<Config>,
    ) -> anyhow::Result<Self> {
        let tools = Arc::new(describe_tools(&interface)?);
        Ok(Self {
            interface,
            runtime,
            config,
            tools,
        })
    }

    async fn call(
        &self,
        index: usize,
        arguments: Option<JsonObject>,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let function = &self.interface.functions[index];
        let name = function.tool_name.as_str();
        let params = match self
            .interface
            .arguments(index, &arguments.unwrap_or_default())
        {
            Ok(params) => params,
            Err(error) => return invalid_argument(&error),
        };
        tracing::debug!(tool = name, "calling");
        let has_result = function.function.result.is_some();
        match self
            .runtime
            .call(index, &params, has_result, &context.ct)
            .await
        {
            Ok(value) => self.result_of(index, value),
            Err(failure) => self.failure(name, failure),
        }
    }

    /// Turns the return value of function `index` into a tool result.
    fn result_of(&self, index: usize, value: Option<Val>) -> CallToolResult {
        match self.interface.result_to_json(index, value.as_ref()) {
            Ok(json) => match (&self.interface.functions[index].output_schema, json) {
                (Some(_), json @ Value::Object(_)) => CallToolResult::structured(json),
                (_, Value::Null) => CallToolResult::success(vec![]),
                (_, json) => CallToolResult::success(vec![ContentBlock::text(json.to_string())]),
            },
            Err(error) => tool_error(error),
        }
    }

    fn failure(&self, tool: &str, failure: CallFailure) -> CallToolResult {
        let (code, message) = match failure {
            CallFailure::Deadline(budget) => (
                "timeout",
                format!(
                    "`{tool}` exceeded its {} s deadline (API_TIMEOUT {} s plus a margin) and was stopped. Try again later or raise API_TIMEOUT.",
                    budget.as_secs(),
                    self.config.request_timeout.as_secs()
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
}

/// An `isError` result for an argument that does not fit, with the fields of the component's
/// errors.
fn invalid_argument(error: &ArgumentError) -> CallToolResult {
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
fn tool_error(error: Value) -> CallToolResult {
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

/// The MCP description of every exported function.
fn describe_tools(interface: &ComponentInterface) -> anyhow::Result<Vec<Tool>> {
    interface
        .functions
        .iter()
        .map(|function| {
            serde_json::from_value(function.tool_descriptor()).map_err(|error| {
                anyhow::anyhow!(
                    "the tool `{}` is not an MCP tool: {error}",
                    function.tool_name
                )
            })
        })
        .collect()
}

impl ServerHandler for ToolServer {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new("ktrdr-mcp", env!("CARGO_PKG_VERSION"));
        if let Some(instructions) = &self.interface.instructions {
            info = info.with_instructions(instructions.clone());
        }
        info
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        Err(ErrorData::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: {}", request.method),
            Some(json!({ "method": request.method })),
        ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(index) = self.interface.function_index(&request.name) else {
            let known: Vec<&str> = self.tools.iter().map(|t| t.name.as_ref()).collect();
            return Err(ErrorData::invalid_params(
                format!(
                    "Unknown tool `{}`. Available tools: {}.",
                    request.name,
                    known.join(", ")
                ),
                Some(json!({ "tool": request.name, "available": known })),
            ));
        };
        Ok(self.call(index, request.arguments, &context).await.into())
    }
}

/// Lists the tools as JSON, for `--list-tools`.
pub fn tools_json(interface: &ComponentInterface) -> Value {
    Value::Array(
        interface
            .functions
            .iter()
            .map(|function| function.tool_descriptor())
            .collect(),
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
