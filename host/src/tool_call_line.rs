//! The line a session sends most, read directly: a plain `tools/call` request.
//!
//! rmcp reads a client message through untagged enums (four kinds of message, 22 kinds of
//! request), so serde buffers a `tools/call` line and tries it against the other request types
//! before it matches, building an error for each. In the host that was about a twelfth of the
//! CPU of a call that does one backend request. A line that is exactly a `tools/call` request,
//! `jsonrpc`, `id`, `method` and `params` holding a `name` and optional `arguments`, is read
//! here by a typed parser into the message rmcp would have built from it. Any other line (another
//! method, `_meta` or another member more, anything malformed) gets `None` and goes to rmcp's
//! parser, which stays the judge of what a valid message is and how a bad one is answered.

use rmcp::model::{
    CallToolRequest, CallToolRequestMethod, CallToolRequestParams, ClientJsonRpcMessage,
    ClientRequest, JsonObject, JsonRpcRequest, JsonRpcVersion2_0, RequestId,
};
use serde::Deserialize;

/// A `tools/call` request with nothing but a tool's name and arguments.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolCallLine {
    #[serde(rename = "jsonrpc")]
    _version: JsonRpcVersion2_0,
    id: RequestId,
    #[serde(rename = "method")]
    _method: CallToolRequestMethod,
    params: ToolCallParams,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolCallParams {
    name: String,
    #[serde(default)]
    arguments: Option<JsonObject>,
}

/// The message in `text` when it is a plain `tools/call` request; `None` for any other line.
pub fn parse(text: &[u8]) -> Option<ClientJsonRpcMessage> {
    let line = serde_json::from_slice::<ToolCallLine>(text).ok()?;
    let mut params = CallToolRequestParams::new(line.params.name);
    params.arguments = line.params.arguments;
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
    Some(ClientJsonRpcMessage::Request(JsonRpcRequest::new(
        line.id, request,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::prop_tests::json_scalar;
    use proptest::option;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// What rmcp's own parser makes of `text`, as its `Debug` text (the message types have no
    /// `PartialEq`).
    fn by_rmcp(text: &str) -> Option<String> {
        serde_json::from_str::<ClientJsonRpcMessage>(text)
            .ok()
            .map(|message| format!("{message:?}"))
    }

    fn fast(text: &str) -> Option<String> {
        parse(text.as_bytes()).map(|message| format!("{message:?}"))
    }

    #[test]
    fn plain_tool_calls_read_as_rmcp_reads_them() {
        for line in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_operations","arguments":{"limit":5}}}"#,
            r#"{"params":{"arguments":{"a":[1,{"b":null}]},"name":"x"},"method":"tools/call","id":"req-7","jsonrpc":"2.0"}"#,
            r#"{"jsonrpc":"2.0","id":-3,"method":"tools/call","params":{"name":"t\u00e9"}}"#,
            r#"{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{"name":"t","arguments":null}}"#,
            r#" {"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":""}} "#,
        ] {
            assert!(fast(line).is_some(), "{line}");
            assert_eq!(fast(line), by_rmcp(line), "{line}");
        }
    }

    #[test]
    fn every_other_line_is_left_to_rmcp() {
        for line in [
            // Members the fast path does not carry over.
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","_meta":{"progressToken":1}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","requestState":"s"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"},"extra":true}"#,
            // Other messages.
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
            // Malformed ones, which rmcp's parser and the transport answer.
            r#"{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"t"}}"#,
            r#"{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"t"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":[1]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"t"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}]"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t""#,
        ] {
            assert_eq!(fast(line), None, "{line}");
        }
    }

    /// `tools/call`-like lines: each member present, absent or of another type.
    fn call_like() -> impl Strategy<Value = String> {
        let scalar = json_scalar();
        let arguments = prop_oneof![
            Just(None),
            Just(Some(Value::Null)),
            scalar.clone().prop_map(Some),
            prop::collection::btree_map("[a-z_]{0,6}", scalar.clone(), 0..4)
                .prop_map(|map| Some(Value::Object(map.into_iter().collect()))),
        ];
        // Mostly valid members, so that many lines are plain calls.
        let valid_or = |valid: Value| prop_oneof![3 => Just(valid), 1 => scalar.clone()];
        (
            option::weighted(0.9, valid_or(json!("2.0"))),
            option::weighted(
                0.9,
                prop_oneof![any::<i64>().prop_map(Value::from), scalar.clone()],
            ),
            option::weighted(0.9, valid_or(json!("tools/call"))),
            option::weighted(0.9, valid_or(json!("t"))),
            arguments,
            option::weighted(0.2, scalar.clone()),
        )
            .prop_map(|(version, id, method, name, arguments, extra)| {
                let mut params = serde_json::Map::new();
                name.map(|name| params.insert("name".into(), name));
                arguments.map(|arguments| params.insert("arguments".into(), arguments));
                extra.map(|extra| params.insert("_meta".into(), extra));
                let mut line = serde_json::Map::new();
                version.map(|version| line.insert("jsonrpc".into(), version));
                id.map(|id| line.insert("id".into(), id));
                method.map(|method| line.insert("method".into(), method));
                line.insert("params".into(), Value::Object(params));
                Value::Object(line).to_string()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
        ))]

        /// A line read here reads the same with rmcp, and every call rmcp reads without `_meta`
        /// is read here.
        #[test]
        fn plain_calls_take_the_fast_path_and_read_as_with_rmcp(line in call_like()) {
            let rmcp = by_rmcp(&line);
            match fast(&line) {
                Some(message) => prop_assert_eq!(Some(message), rmcp),
                None => prop_assert!(
                    line.contains("_meta") || !rmcp.is_some_and(|m| m.contains("CallToolRequest(")),
                    "a plain call left to rmcp: {}", line
                ),
            }
        }
    }
}
