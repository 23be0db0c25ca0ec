//! The measured requests: each is one tool call through the host and the one backend request
//! that call makes, so that both routes do the same work at the backend.

use rmcp::model::JsonObject;
use serde_json::json;

/// One request, as an MCP tool call and as the HTTP request the component makes for it.
pub struct Probe {
    /// The MCP tool.
    pub tool: &'static str,
    /// The tool's arguments.
    pub arguments: JsonObject,
    /// The backend path (below the API prefix) the component requests for this call.
    pub http_path: String,
}

impl Probe {
    /// `list_operations {}` ↔ `GET /operations?limit=10&offset=0` (the component's defaults).
    pub fn list_operations() -> Self {
        Self {
            tool: "list_operations",
            arguments: JsonObject::new(),
            http_path: "/operations?limit=10&offset=0".into(),
        }
    }

    /// `get_operation_status {operation_id}` ↔ `GET /operations/{operation_id}`; the id must need
    /// no percent-encoding (backend ids are `[A-Za-z0-9_-]`).
    pub fn operation_status(operation_id: &str) -> Self {
        assert!(
            operation_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "operation id {operation_id:?} would need percent-encoding"
        );
        let mut arguments = JsonObject::new();
        arguments.insert("operation_id".into(), json!(operation_id));
        Self {
            tool: "get_operation_status",
            arguments,
            http_path: format!("/operations/{operation_id}"),
        }
    }
}
