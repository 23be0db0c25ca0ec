//! The rmcp server handler: lists the component's functions as tools and calls them.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, CustomRequest,
    CustomResult, GetTaskParams, GetTaskResult, Implementation, JsonObject, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use wit_mcp::ComponentInterface;

use super::results;
use crate::config::Config;
use crate::wasm::Runtime;

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

    /// Calls function number `index` with `arguments`; every outcome is a tool result.
    async fn call(
        &self,
        index: usize,
        arguments: Option<JsonObject>,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let outcome = self
            .invoke(index, arguments.unwrap_or_default(), &context.ct)
            .await;
        self.tool_result(index, outcome)
    }

    /// Calls function number `index` with `arguments`.
    pub(super) async fn invoke(
        &self,
        index: usize,
        arguments: JsonObject,
        cancel: &CancellationToken,
    ) -> Outcome {
        let name = self.interface.functions[index].tool_name.as_str();
        let params = match self.interface.arguments(index, &arguments) {
            Ok(params) => params,
            Err(error) => return Outcome::Failed(results::invalid_argument(&error)),
        };
        tracing::debug!(tool = name, "calling");
        let has_result = self.interface.functions[index].function.result.is_some();
        match self.runtime.call(index, &params, has_result, cancel).await {
            Ok(value) => match self.interface.result_to_json(index, value.as_ref()) {
                Ok(json) => Outcome::Value(json),
                Err(error) => Outcome::Error(error),
            },
            Err(failure) => {
                Outcome::Failed(results::failure(name, failure, self.config.request_timeout))
            }
        }
    }

    /// The tool result of `outcome`, a call of function number `index`.
    pub(super) fn tool_result(&self, index: usize, outcome: Outcome) -> CallToolResult {
        match outcome {
            Outcome::Value(json) => results::success(
                json,
                self.interface.functions[index].output_schema.is_some(),
            ),
            Outcome::Error(error) => results::tool_error(error),
            Outcome::Failed(result) => result,
        }
    }

    /// The component's interface.
    pub(super) fn interface(&self) -> &ComponentInterface {
        &self.interface
    }
}

/// What a call of one function gave.
pub(super) enum Outcome {
    /// Its success value, as JSON.
    Value(Value),
    /// Its error value, as JSON.
    Error(Value),
    /// The call did not run to a value (a refused argument, a trap, a deadline): its result.
    Failed(CallToolResult),
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
        let capabilities = ServerCapabilities::builder().enable_tools();
        let capabilities = if self.interface.tasks.is_some() {
            capabilities.enable_tasks().build()
        } else {
            capabilities.build()
        };
        let mut info = ServerConfig::new(capabilities);
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
        Err(results::method_not_found(&request.method))
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
            let available: Vec<&str> = self.tools.iter().map(|t| t.name.as_ref()).collect();
            return Err(results::unknown_tool(&request.name, &available));
        };
        if self.starts_task(index, &context) {
            return Ok(self
                .start_task(index, request.arguments.unwrap_or_default(), &context.ct)
                .await);
        }
        Ok(self.call(index, request.arguments, &context).await.into())
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        self.read_task(&request.task_id, &context.ct).await
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.stop_task(&request.task_id, &context.ct).await
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
