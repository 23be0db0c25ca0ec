//! The properties the fuzz targets check, one function per target, each panicking on a broken
//! property. `cargo fuzz run <target>` drives them with libFuzzer; `cargo test` replays the
//! seeds, the regressions and a fixed number of seeded mutations of them (see `tests/`).
//!
//! - [`responses`]: any status and body, decoded by every response parser of the component,
//!   gives the parsed value (2xx only) or the error the status calls for, with a one-line
//!   bounded message and JSON-object details.
//! - [`config`]: any `KTRDR_API_URL`/`API_TIMEOUT` pair is refused or yields an http(s) origin
//!   without user info, query, fragment or dot segments.
//! - [`request_paths`]: any operation id, symbol or strategy path is refused or stays inside
//!   its one path segment (ids) or request body (symbols, strategy names).

use ktrdr_tools::data::{LoadArgs, LoadRoute, MarketDataQuery};
use ktrdr_tools::error::{code_for_status, ApiError};
use ktrdr_tools::http::{decode, ApiRequest, RawResponse};
use ktrdr_tools::json::ShapeError;
use ktrdr_tools::operations::{self, ListFilter};
use ktrdr_tools::tools::{ErrorCode, Timeframe};
use ktrdr_tools::{config::Config, training, validate};
use serde_json::Value;

/// Longest agent message, in characters (the component's cap plus its `…`).
const MAX_MESSAGE_CHARS: usize = 701;

/// Status (first two bytes, big-endian, modulo 600) and body (the rest).
fn status_and_body(data: &[u8]) -> Option<(u16, &[u8])> {
    let (head, body) = data.split_first_chunk::<2>()?;
    Some((u16::from_be_bytes(*head) % 600, body))
}

/// Decodes `response` for `request` with `parse` and checks the outcome against the status.
fn check_decoded<T>(
    request: &ApiRequest,
    response: &RawResponse,
    parse: impl FnOnce(&Value) -> Result<T, ShapeError>,
) {
    let success = (200..300).contains(&response.status);
    match decode(request, response, parse) {
        Ok(_) => assert!(success, "HTTP {} decoded as a success", response.status),
        Err(error) => check_error(error, response.status, success),
    }
}

fn check_error(error: ApiError, status: u16, success: bool) {
    let expected = if success {
        ErrorCode::BadResponse
    } else {
        code_for_status(status)
    };
    assert_eq!(error.code(), expected, "HTTP {status}: {error}");
    assert_eq!(error.status_code(), status);
    let tool = error.into_tool_error();
    assert!(!tool.message.is_empty());
    assert!(
        !tool.message.chars().any(char::is_control),
        "message not on one line: {:?}",
        tool.message
    );
    assert!(tool.message.chars().count() <= MAX_MESSAGE_CHARS);
    let details: Value = serde_json::from_str(&tool.details).expect("details are JSON text");
    assert!(details.is_object(), "details are not an object");
}

/// Every response parser of the component on one status and body.
pub fn responses(data: &[u8]) {
    let Some((status, body)) = status_and_body(data) else {
        return;
    };
    let response = RawResponse {
        status,
        body: body.to_vec(),
    };
    let filter = ListFilter::new(None, None, None, Some(5), Some(3)).expect("valid filter");
    check_decoded(&filter.request(), &response, |v| filter.parse(v));
    let status_request = operations::status_request("op_x").expect("valid id");
    check_decoded(&status_request, &response, operations::parse_status);
    let cancel = operations::cancel_request("op_x", Some("r")).expect("valid id");
    check_decoded(&cancel, &response, operations::parse_cancel);
    let results = operations::results_request("op_x").expect("valid id");
    check_decoded(&results, &response, operations::parse_results);
    let load = LoadArgs::new("AAPL", None, None, None, None).expect("valid load");
    for route in [LoadRoute::Load, LoadRoute::AcquireDownload] {
        check_decoded(&load.request(route), &response, |v| load.parse(v));
    }
    let query = MarketDataQuery::new("AAPL", Some(Timeframe::Hour1), None, None, None, Some(2))
        .expect("valid");
    check_decoded(&query.request(), &response, |v| query.parse(v));
    let start = training::TrainingArgs::new("mlp_basic", &["AAPL".into()], None, None, None, None)
        .expect("valid training");
    check_decoded(
        &start.request(),
        &response,
        training::parse_training_started,
    );
    let performance = training::performance_request("op_x").expect("valid id");
    check_decoded(&performance, &response, |v| {
        training::performance_results("op_x", v)
    });
}

/// `KTRDR_API_URL` (text before the first newline) and `API_TIMEOUT` (the rest).
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (url, timeout) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(config) = Config::parse(Some(url), Some(timeout)) else {
        return;
    };
    assert!(matches!(config.scheme(), "http" | "https"), "{config:?}");
    let authority = config.authority();
    assert!(!authority.is_empty(), "{config:?}");
    assert!(
        !authority.contains(['@', '/', '?', '#', '\\', '%']),
        "{config:?}"
    );
    assert!(!authority
        .chars()
        .any(|c| c.is_whitespace() || c.is_control()));
    assert_eq!(
        config.base_url(),
        format!("{}{}", config.origin(), config.base_path())
    );
    let path = config.base_path();
    assert!(path.is_empty() || path.starts_with('/'), "{config:?}");
    assert!(!path.contains(['?', '#', '\\']), "{config:?}");
    assert!(
        !path.split('/').any(|s| s == "." || s == ".."),
        "{config:?}"
    );
    assert!(!config.base_url().chars().any(char::is_whitespace));
    assert!((1..=300).contains(&config.timeout().as_secs()));
}

/// Decodes `%XX` escapes; `None` if the text has a bare `%` or a byte outside the unreserved set.
fn percent_decode(segment: &str) -> Option<Vec<u8>> {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => {
                let hex = segment.get(index + 1..index + 3)?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            }
            byte if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) => {
                decoded.push(byte);
                index += 1;
            }
            _ => return None,
        }
    }
    Some(decoded)
}

/// Checks that `request`'s target is `/{fixed[0]}/{id}/{fixed[1..]}` with `id` one segment.
fn check_path(request: &ApiRequest, id: &str, before: &str, after: &[&str]) {
    let target = request.path_and_query();
    assert!(!target.contains(['?', '#']), "{target}");
    let segments: Vec<&str> = target.split('/').collect();
    assert_eq!(segments.len(), 3 + after.len(), "{target}");
    assert_eq!((segments[0], segments[1]), ("", before), "{target}");
    assert_eq!(&segments[3..], after, "{target}");
    assert!(!matches!(segments[2], "." | ".."), "{target}");
    let decoded = percent_decode(segments[2]).expect("a fully encoded segment");
    assert_eq!(decoded, id.trim().as_bytes(), "{target}");
}

/// One input as an operation id, a symbol and a strategy path.
pub fn request_paths(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let refused = |error: ApiError| assert_eq!(error.code(), ErrorCode::InvalidArgument);
    match operations::status_request(&text) {
        Ok(request) => check_path(&request, &text, "operations", &[]),
        Err(error) => refused(error),
    }
    match operations::results_request(&text) {
        Ok(request) => check_path(&request, &text, "operations", &["results"]),
        Err(error) => refused(error),
    }
    match operations::cancel_request(&text, Some(&text)) {
        Ok(request) => check_path(&request, &text, "operations", &[]),
        Err(error) => refused(error),
    }
    match LoadArgs::new(&text, None, None, None, None) {
        Ok(load) => {
            let request = load.request(LoadRoute::AcquireDownload);
            assert_eq!(request.path_and_query(), "/data/acquire/download");
            let symbol = request.body().expect("a body")["symbol"].as_str().unwrap();
            assert!(symbol.bytes().all(|b| b.is_ascii_graphic()), "{symbol:?}");
        }
        Err(error) => refused(error),
    }
    match validate::strategy_name(&text) {
        Ok(name) => {
            let mut chars = name.chars();
            assert!(chars.next().is_some_and(|c| c.is_ascii_alphanumeric()));
            assert!(
                chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{name:?}"
            );
        }
        Err(error) => refused(error),
    }
}
