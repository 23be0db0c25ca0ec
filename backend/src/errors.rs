//! The three error-body shapes of the contract (section 1.1) as one response type.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::validation::FieldError;

/// An error answered to a client, in one of the contract's three shapes.
#[derive(Debug)]
pub enum ApiError {
    /// FastAPI `HTTPException`: `{"detail": "<message>"}` (a few upstream routes put an object
    /// there instead of a string).
    Detail {
        /// HTTP status.
        status: StatusCode,
        /// The `detail` value.
        detail: Value,
    },
    /// FastAPI request validation: 422 `{"detail": [{type, loc, msg, input, ctx?}, ...]}`.
    Validation(Vec<FieldError>),
    /// KTRDR envelope: `{"success": false, "error": {code, message, details}}`.
    Envelope {
        /// HTTP status.
        status: StatusCode,
        /// Machine-readable code, e.g. `DATA-InvalidSymbol`.
        code: String,
        /// Human-readable message.
        message: String,
        /// Structured details.
        details: Value,
    },
}

impl ApiError {
    /// 404 `{"detail": ...}`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::detail(StatusCode::NOT_FOUND, detail)
    }

    /// 400 `{"detail": ...}`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::detail(StatusCode::BAD_REQUEST, detail)
    }

    /// `{"detail": "<message>"}` with any status.
    pub fn detail(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Detail {
            status,
            detail: Value::String(detail.into()),
        }
    }

    /// Upstream's answer to an unhandled exception of class `exception_type`: 500
    /// `{"success": false, "error": {"code": "INTERNAL_SERVER_ERROR", ...}}`.
    pub fn unhandled(exception_type: &str) -> Self {
        Self::Envelope {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "INTERNAL_SERVER_ERROR".into(),
            message: "An unexpected error occurred".into(),
            details: json!({ "type": exception_type }),
        }
    }

    /// 400 KTRDR envelope (what a `DataError` becomes).
    pub fn data_error(code: &str, message: impl Into<String>, details: Value) -> Self {
        Self::Envelope {
            status: StatusCode::BAD_REQUEST,
            code: code.to_string(),
            message: message.into(),
            details,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Detail { status, detail } => {
                (status, Json(json!({ "detail": detail }))).into_response()
            }
            Self::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "detail": errors })),
            )
                .into_response(),
            Self::Envelope {
                status,
                code,
                message,
                details,
            } => (
                status,
                Json(json!({
                    "success": false,
                    "error": { "code": code, "message": message, "details": details },
                })),
            )
                .into_response(),
        }
    }
}
