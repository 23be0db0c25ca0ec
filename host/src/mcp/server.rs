//! The rmcp server handler: lists the component's functions as tools and calls them.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CustomRequest, CustomResult,
    Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
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
        let function = &self.interface.functions[index];
        let name = function.tool_name.as_str();
        let params = match self
            .interface
            .arguments(index, &arguments.unwrap_or_default())
        {
            Ok(params) => params,
            Err(error) => return results::invalid_argument(&error),
        };
        tracing::debug!(tool = name, "calling");
        let has_result = function.function.result.is_some();
        let value = match self
            .runtime
            .call(index, &params, has_result, &context.ct)
            .await
        {
            Ok(value) => value,
            Err(failure) => {
                return results::failure(name, failure, self.config.request_timeout);
            }
        };
        match self.interface.result_to_json(index, value.as_ref()) {
            Ok(json) => results::success(json, function.output_schema.is_some()),
            Err(error) => results::tool_error(error),
        }
    }
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
