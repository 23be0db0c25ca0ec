//! The one error type of the crate, and its mapping to the WIT `tool-error`.
//!
//! Every failure, from a bad argument to a backend error body, becomes an [`ApiError`] whose
//! `Display` is the one-line message an agent reads; [`ApiError::into_tool_error`] adds the
//! HTTP status, the WIT `error-code` and a JSON object of details.
//!
//! The backend answers errors in three shapes (contract §1.1), all read by
//! [`ApiError::from_status`]:
//! 1. `{"detail": "<text>"}` (FastAPI `HTTPException`);
//! 2. `{"detail": [{"loc": [...], "msg": "...", ...}, ...]}` (request validation, HTTP 422);
//! 3. `{"success": false, "error": {"code", "message", "details"}}` (the KTRDR envelope).

use crate::json;
use crate::tools::{ErrorCode, ToolError};
use serde_json::{Map, Value};

/// Longest piece of backend text quoted in a message, in characters.
const MAX_QUOTED_CHARS: usize = 300;
/// Longest message handed to the agent, in characters.
const MAX_MESSAGE_CHARS: usize = 700;
/// Longest non-JSON error body kept in `details`, in characters.
const MAX_RAW_BODY_CHARS: usize = 2000;
/// How many 422 field errors the message names; `details` has them all.
const MAX_FIELD_ERRORS_IN_MESSAGE: usize = 3;
/// Deepest nesting of backend JSON kept in `details`; deeper values are kept as text.
const MAX_DETAILS_DEPTH: usize = 16;
/// Longest backend JSON value kept in `details`, in characters of JSON text.
const MAX_DETAILS_CHARS: usize = 16 * 1024;
/// FastAPI's `detail` for a path that matches no route.
const NO_SUCH_ROUTE: &str = "Not Found";
/// FastAPI's `detail` for a path whose routes take other methods only.
const NO_SUCH_METHOD: &str = "Method Not Allowed";

/// Advice appended to a backend refusal, chosen by the request that was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorHints {
    /// What to do after HTTP 404 for this request.
    pub not_found: &'static str,
    /// What to do after HTTP 400 (and other refusals) for this request.
    pub rejected: &'static str,
}

impl ErrorHints {
    /// Hints for requests about one operation id.
    pub const OPERATION: ErrorHints = ErrorHints {
        not_found: "Use list_operations to find valid operation ids.",
        rejected: "Check the operation's status with get_operation_status.",
    };
    /// Hints for requests that are not about an existing operation.
    pub const GENERAL: ErrorHints = ErrorHints {
        not_found: "Check the names and ids you gave.",
        rejected: "Fix the arguments and call again.",
    };
}

/// Everything that can go wrong in a tool call. `Display` is the one-line agent message.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// An argument was rejected before any request was sent.
    #[error("Invalid `{parameter}`: {problem}")]
    InvalidArgument {
        /// The parameter's name as the tool spells it.
        parameter: &'static str,
        /// What is wrong and what is accepted.
        problem: String,
    },

    /// An environment variable holds an unusable value.
    #[error("Invalid configuration: {variable} {problem}")]
    Configuration {
        /// The environment variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What is wrong and what is accepted.
        problem: String,
    },

    /// The backend answered with an error status; `message` is already agent-ready.
    #[error("{message}")]
    Backend {
        /// The HTTP status.
        status: u16,
        /// The kind of failure, from the status.
        code: ErrorCode,
        /// One line: the backend's reason and what to do.
        message: String,
        /// The backend's error body as a JSON object.
        details: Value,
    },

    /// No answer from the backend: refused, unresolvable, dropped.
    #[error(
        "The KTRDR backend at {url} is unreachable ({cause}). Check that it runs and that \
         KTRDR_API_URL is right."
    )]
    Unavailable {
        /// The configured base URL.
        url: String,
        /// What the transport reported.
        cause: String,
    },

    /// The backend did not answer in time.
    #[error(
        "The KTRDR backend at {url} did not answer within {seconds} s (API_TIMEOUT). Retry \
         later, or raise API_TIMEOUT if the backend is busy."
    )]
    Timeout {
        /// The configured base URL.
        url: String,
        /// The timeout that expired, in seconds.
        seconds: u64,
    },

    /// The host's sandbox refused the destination.
    #[error(
        "The host refused the request to {origin} ({cause}): this component may only reach \
         the backend the host allows. Set KTRDR_API_URL to that backend."
    )]
    Blocked {
        /// The `scheme://host[:port]` the component tried to reach.
        origin: String,
        /// What the transport reported.
        cause: String,
    },

    /// The backend answered with a body this tool cannot read.
    #[error(
        "The backend's answer to {endpoint}{} is unusable: {problem}. Check that \
         KTRDR_API_URL points at a compatible KTRDR backend.",
        http_status(*.status)
    )]
    BadResponse {
        /// Method and path of the request.
        endpoint: String,
        /// The HTTP status of the answer.
        status: u16,
        /// What is wrong with the body.
        problem: String,
    },
}

impl ApiError {
    /// An `invalid-argument` error for `parameter`.
    pub fn invalid(parameter: &'static str, problem: impl Into<String>) -> Self {
        ApiError::InvalidArgument {
            parameter,
            problem: problem.into(),
        }
    }

    /// The error for a non-2xx answer: reads any of the three error-body shapes (or a body
    /// that is none of them) and picks the code from the status.
    pub fn from_status(endpoint: &str, status: u16, body: &[u8], hints: ErrorHints) -> Self {
        let ErrorBody { reason, details } = ErrorBody::read(body);
        let code = code_for_status(status);
        let quoted = one_line(&reason, MAX_QUOTED_CHARS);
        let message = match code {
            ErrorCode::NotFound if reason == NO_SUCH_ROUTE => format!(
                "The backend has no endpoint {endpoint} (HTTP {status} Not Found). Check that \
                 KTRDR_API_URL points at the KTRDR API including its /api/v1 prefix."
            ),
            ErrorCode::NotFound => format!("{quoted} (HTTP {status}). {}", hints.not_found),
            ErrorCode::Rejected => format!(
                "The backend refused {endpoint}: {quoted} (HTTP {status}). {}",
                hints.rejected
            ),
            ErrorCode::ValidationFailed => format!(
                "The backend rejected the request's fields (HTTP {status}): {quoted}. Fix them \
                 and call again; details lists each field."
            ),
            ErrorCode::Timeout => format!(
                "The backend timed out on {endpoint}: {quoted} (HTTP {status}). Retry later."
            ),
            ErrorCode::BackendError if status == 503 => format!(
                "The backend cannot take {endpoint} right now: {quoted} (HTTP {status}). Wait \
                 until its busy workers are free (list_operations with active_only shows the \
                 running work), then call again."
            ),
            ErrorCode::BackendError => format!(
                "The backend failed on {endpoint}: {quoted} (HTTP {status}). Retrying later may \
                 help."
            ),
            _ => format!(
                "Unexpected HTTP {status} from {endpoint}: {quoted}. Check that KTRDR_API_URL is \
                 the backend's own URL (redirects are not followed)."
            ),
        };
        ApiError::Backend {
            status,
            code,
            message,
            details,
        }
    }

    /// Whether the backend answered that it has no such route: 404 `{"detail": "Not Found"}`,
    /// or 405 `{"detail": "Method Not Allowed"}` when the path matches a route of another
    /// method (`POST /data/acquire/download` matches plan-era `GET /data/{symbol}/{timeframe}`).
    pub fn is_missing_route(&self) -> bool {
        let ApiError::Backend {
            status, details, ..
        } = self
        else {
            return false;
        };
        let detail = details.get("detail").and_then(Value::as_str);
        matches!(
            (status, detail),
            (404, Some(NO_SUCH_ROUTE)) | (405, Some(NO_SUCH_METHOD))
        )
    }

    /// Whether this is the backend's own error answer (an HTTP error status).
    pub fn is_backend_answer(&self) -> bool {
        matches!(self, ApiError::Backend { .. })
    }

    /// The WIT error code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            ApiError::Configuration { .. } => ErrorCode::Configuration,
            ApiError::Backend { code, .. } => *code,
            ApiError::Unavailable { .. } => ErrorCode::Unavailable,
            ApiError::Timeout { .. } => ErrorCode::Timeout,
            ApiError::Blocked { .. } => ErrorCode::Blocked,
            ApiError::BadResponse { .. } => ErrorCode::BadResponse,
        }
    }

    /// The HTTP status of the backend's answer, 0 when there was none.
    pub fn status_code(&self) -> u16 {
        match self {
            ApiError::Backend { status, .. } | ApiError::BadResponse { status, .. } => *status,
            _ => 0,
        }
    }

    /// The specifics of this error as a JSON object.
    pub fn details(&self) -> Value {
        match self {
            ApiError::InvalidArgument { parameter, problem } => json::object([
                ("parameter", Value::from(*parameter)),
                ("problem", Value::from(problem.as_str())),
            ]),
            ApiError::Configuration {
                variable,
                value,
                problem,
            } => json::object([
                ("variable", Value::from(*variable)),
                ("value", Value::from(value.as_str())),
                ("problem", Value::from(problem.as_str())),
            ]),
            ApiError::Backend { details, .. } => details.clone(),
            ApiError::Unavailable { url, cause } => json::object([
                ("url", Value::from(url.as_str())),
                ("cause", Value::from(cause.as_str())),
            ]),
            ApiError::Timeout { url, seconds } => json::object([
                ("url", Value::from(url.as_str())),
                ("timeout_seconds", Value::from(*seconds)),
            ]),
            ApiError::Blocked { origin, cause } => json::object([
                ("origin", Value::from(origin.as_str())),
                ("cause", Value::from(cause.as_str())),
            ]),
            ApiError::BadResponse {
                endpoint,
                status,
                problem,
            } => json::object([
                ("endpoint", Value::from(endpoint.as_str())),
                ("status", Value::from(*status)),
                ("problem", Value::from(problem.as_str())),
            ]),
        }
    }

    /// The WIT `tool-error`: status, code, one-line message, details as JSON object text.
    pub fn into_tool_error(self) -> ToolError {
        ToolError {
            status_code: self.status_code(),
            code: self.code(),
            message: one_line(&self.to_string(), MAX_MESSAGE_CHARS),
            details: object_text(self.details()),
        }
    }
}

impl From<ApiError> for ToolError {
    fn from(error: ApiError) -> Self {
        error.into_tool_error()
    }
}

/// ` (HTTP 502)` after an endpoint, or nothing when no HTTP answer came (status 0).
fn http_status(status: u16) -> String {
    if status == 0 {
        String::new()
    } else {
        format!(" (HTTP {status})")
    }
}

/// The WIT error code for an HTTP error status.
pub fn code_for_status(status: u16) -> ErrorCode {
    match status {
        404 | 405 | 410 => ErrorCode::NotFound,
        408 => ErrorCode::Timeout,
        422 => ErrorCode::ValidationFailed,
        429 | 500..=599 => ErrorCode::BackendError,
        400..=499 => ErrorCode::Rejected,
        _ => ErrorCode::BadResponse,
    }
}

/// `text` on one line: control characters and runs of whitespace become one space, and it is
/// cut to `max_chars` characters (marked with `…`).
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut line = String::with_capacity(text.len().min(max_chars * 4));
    let mut chars = 0usize;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        for c in (!line.is_empty())
            .then_some(' ')
            .into_iter()
            .chain(word.chars())
        {
            if chars == max_chars {
                line.push('…');
                return line;
            }
            line.push(c);
            chars += 1;
        }
    }
    line
}

/// `value` as JSON object text: an object as is, anything else wrapped as `{"value": …}`.
fn object_text(value: Value) -> String {
    let object = match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => {
            let mut map = Map::new();
            map.insert("value".to_owned(), other);
            map
        }
    };
    json::text(&Value::Object(object))
}

/// The reason and details read from an error body.
struct ErrorBody {
    /// The backend's reason, as text (may span lines; quoted via [`one_line`]).
    reason: String,
    /// The body's specifics as a JSON object.
    details: Value,
}

impl ErrorBody {
    /// Reads any of the three error shapes, or keeps the raw text of anything else.
    fn read(body: &[u8]) -> Self {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => Self::from_object(object),
            Ok(other) => ErrorBody {
                reason: "the error body is not a JSON object".to_owned(),
                details: json::object([("body", bounded(&other))]),
            },
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let reason = if text.is_empty() {
                    "empty error body".to_owned()
                } else {
                    text.to_owned()
                };
                let kept: String = text.chars().take(MAX_RAW_BODY_CHARS).collect();
                ErrorBody {
                    reason,
                    details: json::object([("body", Value::String(kept))]),
                }
            }
        }
    }

    fn from_object(object: Map<String, Value>) -> Self {
        if let Some(Value::Object(envelope)) = object.get("error") {
            let code = envelope.get("code").and_then(Value::as_str).unwrap_or("");
            let text = envelope
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            let reason = if code.is_empty() {
                text.to_owned()
            } else {
                format!("{text} [{code}]")
            };
            let mut details = Map::new();
            for key in ["code", "message", "details"] {
                if let Some(value) = envelope.get(key) {
                    details.insert(key.to_owned(), bounded(value));
                }
            }
            return ErrorBody {
                reason,
                details: Value::Object(details),
            };
        }
        // `get`, not `remove`: removing from the map would link in B-tree rebalancing.
        match object.get("detail") {
            Some(detail) => ErrorBody {
                reason: match detail {
                    Value::String(text) => text.clone(),
                    Value::Array(fields) => summarise_field_errors(fields),
                    Value::Object(reason) => {
                        error_with_hint(reason).unwrap_or_else(|| json::text(detail))
                    }
                    other => json::text(other),
                },
                details: json::object([("detail", bounded(detail))]),
            },
            None => ErrorBody {
                reason: "no error text in the body".to_owned(),
                details: json::object([("body", bounded(&Value::Object(object)))]),
            },
        }
    }
}

/// `{"error": …, "hint": …}` details (the 2026 backend's 503) as `error: hint`.
fn error_with_hint(detail: &Map<String, Value>) -> Option<String> {
    let error = detail.get("error").and_then(Value::as_str)?;
    Some(match detail.get("hint").and_then(Value::as_str) {
        Some(hint) => format!("{error}: {hint}"),
        None => error.to_owned(),
    })
}

/// `value` if it is small and shallow enough to pass on, else the start of its JSON text: so
/// `details` stays readable by any JSON parser (serde_json refuses nesting deeper than 128).
fn bounded(value: &Value) -> Value {
    fn depth(value: &Value, limit: usize) -> usize {
        if limit == 0 {
            return 1;
        }
        match value {
            Value::Array(items) => {
                1 + items
                    .iter()
                    .map(|item| depth(item, limit - 1))
                    .max()
                    .unwrap_or(0)
            }
            Value::Object(map) => {
                1 + map
                    .values()
                    .map(|item| depth(item, limit - 1))
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }
    if depth(value, MAX_DETAILS_DEPTH) < MAX_DETAILS_DEPTH {
        let text = json::text(value);
        if text.len() <= MAX_DETAILS_CHARS {
            return value.clone();
        }
        return Value::String(text.chars().take(MAX_RAW_BODY_CHARS).collect());
    }
    Value::String(json::text(value).chars().take(MAX_RAW_BODY_CHARS).collect())
}

/// `loc: msg` of the first few FastAPI field errors, e.g.
/// `body.symbols: Value error, At least one symbol must be specified`.
fn summarise_field_errors(fields: &[Value]) -> String {
    let mut parts: Vec<String> = fields
        .iter()
        .take(MAX_FIELD_ERRORS_IN_MESSAGE)
        .map(|field| {
            let location = field
                .get("loc")
                .and_then(Value::as_array)
                .map(|loc| {
                    loc.iter()
                        .map(|part| match part {
                            Value::String(name) => name.clone(),
                            other => json::text(other),
                        })
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .unwrap_or_default();
            let text = field
                .get("msg")
                .and_then(Value::as_str)
                .unwrap_or("invalid");
            if location.is_empty() {
                text.to_owned()
            } else {
                format!("{location}: {text}")
            }
        })
        .collect();
    if fields.len() > MAX_FIELD_ERRORS_IN_MESSAGE {
        parts.push(format!(
            "and {} more",
            fields.len() - MAX_FIELD_ERRORS_IN_MESSAGE
        ));
    }
    if parts.is_empty() {
        "the backend gave no field errors".to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn backend(status: u16, body: &str) -> ToolError {
        ApiError::from_status(
            "GET /operations/op_nope",
            status,
            body.as_bytes(),
            ErrorHints::OPERATION,
        )
        .into_tool_error()
    }

    fn details(error: &ToolError) -> Value {
        serde_json::from_str(&error.details).expect("details is JSON")
    }

    #[test]
    fn detail_string_404_is_not_found_with_a_next_step() {
        let error = backend(404, r#"{"detail":"Operation not found: op_nope"}"#);
        assert_eq!(error.status_code, 404);
        assert_eq!(error.code, ErrorCode::NotFound);
        assert_eq!(
            error.message,
            "Operation not found: op_nope (HTTP 404). Use list_operations to find valid operation ids."
        );
        assert_eq!(
            details(&error),
            json!({"detail": "Operation not found: op_nope"})
        );
    }

    #[test]
    fn unknown_route_404_points_at_the_api_prefix() {
        let error = backend(404, r#"{"detail":"Not Found"}"#);
        assert_eq!(error.code, ErrorCode::NotFound);
        assert!(
            error.message.contains("/api/v1 prefix"),
            "{}",
            error.message
        );
        assert!(error.message.contains("GET /operations/op_nope"));
    }

    #[test]
    fn detail_string_400_is_rejected_and_quotes_the_reason() {
        let error = backend(
            400,
            r#"{"detail":"Operation op_x cannot be cancelled (status: OperationStatus.COMPLETED)"}"#,
        );
        assert_eq!(error.code, ErrorCode::Rejected);
        assert_eq!(error.status_code, 400);
        assert!(error
            .message
            .contains("cannot be cancelled (status: OperationStatus.COMPLETED)"));
        assert!(error.message.contains("get_operation_status"));
    }

    #[test]
    fn validation_list_422_names_the_first_fields() {
        let error = backend(
            422,
            r#"{"detail":[{"type":"missing","loc":["body","timeframes"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","strategy_name"],"msg":"Field required","input":{}}]}"#,
        );
        assert_eq!(error.code, ErrorCode::ValidationFailed);
        assert!(
            error
                .message
                .contains("body.timeframes: Field required; body.strategy_name: Field required"),
            "{}",
            error.message
        );
        assert_eq!(details(&error)["detail"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn validation_list_summary_counts_the_rest() {
        let item = r#"{"loc":["query",1],"msg":"bad"}"#;
        let body = format!("{{\"detail\":[{item},{item},{item},{item},{item}]}}");
        let error = backend(422, &body);
        assert!(error
            .message
            .contains("query.1: bad; query.1: bad; query.1: bad; and 2 more"));
    }

    #[test]
    fn envelope_400_carries_code_message_and_details() {
        let error = backend(
            400,
            r#"{"success":false,"error":{"code":"DATA-InvalidDate","message":"Invalid start_date format. Use YYYY-MM-DD","details":{"start_date":"notadate"}}}"#,
        );
        assert_eq!(error.code, ErrorCode::Rejected);
        assert!(error
            .message
            .contains("Invalid start_date format. Use YYYY-MM-DD [DATA-InvalidDate]"));
        assert_eq!(
            details(&error),
            json!({"code": "DATA-InvalidDate", "message": "Invalid start_date format. Use YYYY-MM-DD", "details": {"start_date": "notadate"}})
        );
    }

    #[test]
    fn envelope_500_is_backend_error() {
        let error = backend(
            500,
            r#"{"success":false,"error":{"code":"INTERNAL_SERVER_ERROR","message":"An unexpected error occurred","details":{"type":"PydanticSerializationError"}}}"#,
        );
        assert_eq!(error.code, ErrorCode::BackendError);
        assert_eq!(error.status_code, 500);
        assert!(error
            .message
            .contains("An unexpected error occurred [INTERNAL_SERVER_ERROR]"));
        assert_eq!(
            details(&error)["details"]["type"],
            "PydanticSerializationError"
        );
    }

    #[test]
    fn non_json_and_empty_bodies_keep_their_text() {
        let error = backend(502, "<html>\nBad Gateway\n</html>");
        assert_eq!(error.code, ErrorCode::BackendError);
        assert!(error.message.contains("<html> Bad Gateway </html>"));
        assert_eq!(
            details(&error),
            json!({"body": "<html>\nBad Gateway\n</html>"})
        );
        let empty = backend(503, "");
        assert!(empty.message.contains("empty error body"));
    }

    #[test]
    fn odd_json_bodies_still_give_an_object_of_details() {
        for body in [
            "[1,2]",
            "\"text\"",
            "{}",
            r#"{"detail":{"a":1}}"#,
            r#"{"error":"x"}"#,
        ] {
            let error = backend(400, body);
            assert_eq!(error.code, ErrorCode::Rejected, "{body}");
            assert!(details(&error).is_object(), "{body}");
        }
    }

    #[test]
    fn status_codes_map_to_error_codes() {
        let cases = [
            (400, ErrorCode::Rejected),
            (401, ErrorCode::Rejected),
            (403, ErrorCode::Rejected),
            (404, ErrorCode::NotFound),
            (405, ErrorCode::NotFound),
            (408, ErrorCode::Timeout),
            (409, ErrorCode::Rejected),
            (422, ErrorCode::ValidationFailed),
            (429, ErrorCode::BackendError),
            (500, ErrorCode::BackendError),
            (503, ErrorCode::BackendError),
            (302, ErrorCode::BadResponse),
            (101, ErrorCode::BadResponse),
        ];
        for (status, code) in cases {
            assert_eq!(code_for_status(status), code, "HTTP {status}");
        }
    }

    #[test]
    fn messages_are_one_bounded_line() {
        let long = format!(
            "{{\"detail\":\"line one\\nline two {}\"}}",
            "x".repeat(5000)
        );
        let error = backend(400, &long);
        assert!(!error.message.contains('\n'));
        assert!(error.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert!(error.message.contains("line one line two"));
        assert!(error.message.ends_with("get_operation_status."));
    }

    #[test]
    fn deep_or_huge_error_bodies_are_kept_as_text() {
        let deep = format!("{{\"detail\":{}{}}}", "[".repeat(100), "]".repeat(100));
        let error = backend(400, &deep);
        let kept = details(&error);
        assert!(kept["detail"].as_str().unwrap().starts_with("[[[["));
        let huge = format!("{{\"detail\":\"{}\"}}", "y".repeat(100_000));
        let error = backend(400, &huge);
        assert_eq!(details(&error)["detail"].as_str().map(str::len), Some(2000));
        let shallow = backend(400, r#"{"detail":[{"loc":["a"],"msg":"b"}]}"#);
        assert_eq!(details(&shallow)["detail"][0]["msg"], "b");
    }

    #[test]
    fn one_line_collapses_whitespace_and_cuts() {
        assert_eq!(one_line("  a \r\n\t b  ", 10), "a b");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("", 3), "");
    }

    #[test]
    fn local_errors_have_status_zero_and_object_details() {
        let errors = [
            ApiError::invalid("limit", "must be 1 to 1000; got 0"),
            ApiError::Configuration {
                variable: "API_TIMEOUT",
                value: "x".into(),
                problem: "must be whole seconds".into(),
            },
            ApiError::Unavailable {
                url: "http://127.0.0.1:1/api/v1".into(),
                cause: "connection refused".into(),
            },
            ApiError::Timeout {
                url: "http://h/api/v1".into(),
                seconds: 30,
            },
            ApiError::Blocked {
                origin: "http://evil.example:80".into(),
                cause: "HttpRequestDenied".into(),
            },
        ];
        let codes = [
            ErrorCode::InvalidArgument,
            ErrorCode::Configuration,
            ErrorCode::Unavailable,
            ErrorCode::Timeout,
            ErrorCode::Blocked,
        ];
        for (error, code) in errors.into_iter().zip(codes) {
            let tool_error = error.into_tool_error();
            assert_eq!(tool_error.status_code, 0);
            assert_eq!(tool_error.code, code);
            assert!(details(&tool_error).is_object());
            assert!(!tool_error.message.is_empty());
        }
    }

    #[test]
    fn blocked_message_names_the_origin() {
        let error = ApiError::Blocked {
            origin: "http://169.254.169.254:80".into(),
            cause: "HttpRequestDenied".into(),
        }
        .into_tool_error();
        assert!(
            error.message.contains("169.254.169.254:80"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_missing_route_is_told_apart_from_a_missing_operation() {
        let route = ApiError::from_status(
            "POST /data/load",
            404,
            br#"{"detail":"Not Found"}"#,
            ErrorHints::GENERAL,
        );
        assert!(route.is_missing_route());
        assert!(route.is_backend_answer());
        let operation = ApiError::from_status(
            "GET /operations/op",
            404,
            br#"{"detail":"Operation not found: op"}"#,
            ErrorHints::OPERATION,
        );
        assert!(!operation.is_missing_route());
        let method = ApiError::from_status(
            "POST /data/acquire/download",
            405,
            br#"{"detail":"Method Not Allowed"}"#,
            ErrorHints::GENERAL,
        );
        assert!(method.is_missing_route());
        assert!(!ApiError::invalid("x", "y").is_backend_answer());
    }

    #[test]
    fn busy_workers_say_what_to_wait_for() {
        let body = br#"{"detail":{"error":"No training workers available","hint":"Start a worker","registered_workers":1,"worker_type":"training","backend_uptime_seconds":116.2}}"#;
        let error = ApiError::from_status("POST /trainings/start", 503, body, ErrorHints::GENERAL);
        assert_eq!(error.code(), ErrorCode::BackendError);
        let message = error.to_string();
        assert!(
            message.contains("No training workers available: Start a worker"),
            "{message}"
        );
        assert!(message.contains("then call again"), "{message}");
        assert_eq!(error.details()["detail"]["registered_workers"], json!(1));
    }
}
