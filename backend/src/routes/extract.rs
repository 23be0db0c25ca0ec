//! Request extractors whose rejections use the contract's error shapes, never plain text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::errors::ApiError;
use crate::validation::parse_json_body;

/// A JSON request body; `None` when the body is empty. Malformed JSON → 422 `json_invalid`.
pub struct JsonBody(pub Option<Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::detail(rejection.status(), rejection.body_text()))?;
        parse_json_body(&bytes).map(|value| JsonBody(value.filter(|value| !value.is_null())))
    }
}

/// Path parameters; a path that cannot be decoded is answered like an unknown route.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathParams(value))
            .map_err(|_| ApiError::not_found("Not Found"))
    }
}
