//! The base HTTP client: a pure description of a backend request ([`ApiRequest`]), the pure
//! decoding of an answer ([`decode`]), the mapping of wasi-http failures
//! ([`transport_error`]), and the transport ([`HttpClient`], wasm only) that connects them.
//!
//! Every path segment is percent-encoded as one segment when the request is described, so an
//! id such as `../health` or `a/b?x=1` can never change the path that is requested.

use crate::config::Config;
use crate::error::{one_line, ApiError, ErrorHints};
use crate::json::{parse_body, ShapeError};
use serde_json::Value;
#[cfg(target_arch = "wasm32")]
use std::time::Instant;
use wasi::http::types::ErrorCode;

/// The most bytes of a response body that are read; a longer body is a `bad-response`.
pub const RESPONSE_SIZE_CAP: usize = 4 * 1024 * 1024;
/// How many bytes one read of the response body asks for.
#[cfg(target_arch = "wasm32")]
const READ_CHUNK_BYTES: u64 = 64 * 1024;

/// The HTTP methods the backend's API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One backend request: method, path below the base URL, query, optional JSON body, and the
/// advice given if the backend refuses it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    hints: ErrorHints,
}

impl ApiRequest {
    /// A request for the path made of `segments`, each percent-encoded as one segment.
    pub fn new(method: Method, segments: &[&str]) -> Self {
        let path = segments
            .iter()
            .map(|segment| format!("/{}", encode_component(segment)))
            .collect();
        ApiRequest {
            method,
            path,
            query: Vec::new(),
            body: None,
            hints: ErrorHints::GENERAL,
        }
    }

    /// Adds a query parameter (encoded when the URL is built).
    pub fn with_query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn with_json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sets the advice given when the backend refuses this request.
    pub fn with_hints(mut self, hints: ErrorHints) -> Self {
        self.hints = hints;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The JSON body, if any.
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref()
    }

    /// The advice given when the backend refuses this request.
    pub fn hints(&self) -> ErrorHints {
        self.hints
    }

    /// The encoded path and query below the base URL, e.g. `/operations?limit=10&offset=0`.
    pub fn path_and_query(&self) -> String {
        let mut target = self.path.clone();
        for (index, (key, value)) in self.query.iter().enumerate() {
            target.push(if index == 0 { '?' } else { '&' });
            target.push_str(&encode_component(key));
            target.push('=');
            target.push_str(&encode_component(value));
        }
        target
    }

    /// The full URL below `base_url` (which has no trailing `/`).
    pub fn url(&self, base_url: &str) -> String {
        format!("{base_url}{}", self.path_and_query())
    }

    /// `METHOD /path`, for messages.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method.as_str(), self.path)
    }
}

/// Percent-encodes `text` so that it is exactly one path segment or query component: every
/// byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) is encoded, and a segment of
/// dots only (`.`, `..`) has its dots encoded too, since servers may normalise dot-segments.
pub fn encode_component(text: &str) -> String {
    let only_dots = !text.is_empty() && text.bytes().all(|byte| byte == b'.');
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        if unreserved && !only_dots {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A backend answer: status and the body bytes (at most [`RESPONSE_SIZE_CAP`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Turns an answer into the parsed result: a 2xx body is parsed as JSON and handed to `parse`
/// (a wrong shape is a `bad-response`); any other status is read as an error body.
pub fn decode<T>(
    request: &ApiRequest,
    response: &RawResponse,
    parse: impl FnOnce(&Value) -> Result<T, ShapeError>,
) -> Result<T, ApiError> {
    if !(200..300).contains(&response.status) {
        return Err(ApiError::from_status(
            &request.endpoint(),
            response.status,
            &response.body,
            request.hints,
        ));
    }
    parse_body(&response.body)
        .and_then(|value| parse(&value))
        .map_err(|ShapeError(problem)| ApiError::BadResponse {
            endpoint: request.endpoint(),
            status: response.status,
            problem,
        })
}

/// How a wasi-http `error-code` is reported: timeouts as `timeout`, the sandbox's refusals as
/// `blocked`, an answer that came but cannot be parsed as `bad-response`, and everything that
/// left the request without an answer (refused, unresolvable, the connection closed or reset
/// before an answer: `connection-terminated`, a failed TLS handshake) as `unavailable`.
pub fn transport_error(config: &Config, code: &ErrorCode) -> ApiError {
    use ErrorCode as E;
    let cause = one_line(&describe(code), 300);
    match code {
        E::DnsTimeout
        | E::ConnectionTimeout
        | E::ConnectionReadTimeout
        | E::ConnectionWriteTimeout
        | E::HttpResponseTimeout => ApiError::Timeout {
            url: config.base_url().to_owned(),
            seconds: config.timeout().as_secs(),
        },
        E::HttpRequestDenied | E::DestinationIpProhibited => ApiError::Blocked {
            origin: config.origin(),
            cause,
        },
        E::HttpResponseIncomplete
        | E::HttpResponseHeaderSectionSize(_)
        | E::HttpResponseHeaderSize(_)
        | E::HttpResponseBodySize(_)
        | E::HttpResponseTrailerSectionSize(_)
        | E::HttpResponseTrailerSize(_)
        | E::HttpResponseTransferCoding(_)
        | E::HttpResponseContentCoding(_)
        | E::HttpProtocolError
        | E::HttpUpgradeFailed => ApiError::BadResponse {
            endpoint: config.base_url().to_owned(),
            status: 0,
            problem: format!("the HTTP answer was malformed ({cause})"),
        },
        _ => ApiError::Unavailable {
            url: config.base_url().to_owned(),
            cause,
        },
    }
}

/// A wasi-http `error-code` in words, with what its payload tells (e.g. `connection refused`,
/// `internal error: <the host's text>`).
fn describe(code: &ErrorCode) -> String {
    use ErrorCode as E;
    let with = |what: &str, detail: Option<String>| match detail {
        Some(detail) => format!("{what}: {detail}"),
        None => what.to_owned(),
    };
    let size = |what: &str, limit: Option<u64>| with(what, limit.map(|n| format!("limit {n}")));
    let field = |what: &str, payload: Option<&wasi::http::types::FieldSizePayload>| {
        with(what, payload.and_then(|p| p.field_name.clone()))
    };
    match code {
        E::DnsTimeout => "DNS timeout".into(),
        E::DnsError(payload) => with("DNS error", payload.rcode.clone()),
        E::DestinationNotFound => "destination not found".into(),
        E::DestinationUnavailable => "destination unavailable".into(),
        E::DestinationIpProhibited => "destination IP prohibited".into(),
        E::DestinationIpUnroutable => "destination IP unroutable".into(),
        E::ConnectionRefused => "connection refused".into(),
        E::ConnectionTerminated => "the connection was closed without an answer".into(),
        E::ConnectionTimeout => "connection timeout".into(),
        E::ConnectionReadTimeout => "connection read timeout".into(),
        E::ConnectionWriteTimeout => "connection write timeout".into(),
        E::ConnectionLimitReached => "connection limit reached".into(),
        E::TlsProtocolError => {
            "TLS protocol error: no TLS handshake with it; check that it serves HTTPS on that \
             port, or use http:// in KTRDR_API_URL"
                .into()
        }
        E::TlsCertificateError => "TLS certificate error: the host refused its certificate".into(),
        // The host words the failure in `alert-message` (what failed, what to do).
        E::TlsAlertReceived(payload) => with(
            "TLS handshake failed",
            payload
                .alert_message
                .clone()
                .or_else(|| payload.alert_id.map(|id| format!("alert {id}"))),
        ),
        E::HttpRequestDenied => "request denied by the host".into(),
        E::HttpRequestLengthRequired => "request length required".into(),
        E::HttpRequestBodySize(limit) => size("request body too large", *limit),
        E::HttpRequestMethodInvalid => "request method invalid".into(),
        E::HttpRequestUriInvalid => "request URI invalid".into(),
        E::HttpRequestUriTooLong => "request URI too long".into(),
        E::HttpRequestHeaderSectionSize(limit) => {
            size("request header section too large", limit.map(u64::from))
        }
        E::HttpRequestHeaderSize(payload) => field("request header too large", payload.as_ref()),
        E::HttpRequestTrailerSectionSize(limit) => {
            size("request trailer section too large", limit.map(u64::from))
        }
        E::HttpRequestTrailerSize(payload) => field("request trailer too large", Some(payload)),
        E::HttpResponseIncomplete => "incomplete response".into(),
        E::HttpResponseHeaderSectionSize(limit) => {
            size("response header section too large", limit.map(u64::from))
        }
        E::HttpResponseHeaderSize(payload) => field("response header too large", Some(payload)),
        E::HttpResponseBodySize(limit) => size("response body too large", *limit),
        E::HttpResponseTrailerSectionSize(limit) => {
            size("response trailer section too large", limit.map(u64::from))
        }
        E::HttpResponseTrailerSize(payload) => field("response trailer too large", Some(payload)),
        E::HttpResponseTransferCoding(coding) => {
            with("unsupported transfer coding", coding.clone())
        }
        E::HttpResponseContentCoding(coding) => with("unsupported content coding", coding.clone()),
        E::HttpResponseTimeout => "response timeout".into(),
        E::HttpUpgradeFailed => "HTTP upgrade failed".into(),
        E::HttpProtocolError => "HTTP protocol error".into(),
        E::LoopDetected => "loop detected".into(),
        E::ConfigurationError => "configuration error".into(),
        E::InternalError(text) => with("internal error", text.clone()),
    }
}

/// The wasi-http transport: sends [`ApiRequest`]s to the configured backend.
///
/// Built on the `wasi` crate's `wasi:http/outgoing-handler` bindings: it sets all three
/// request timeouts (connect, first byte, between bytes) from `API_TIMEOUT`, reads the body in
/// chunks up to [`RESPONSE_SIZE_CAP`], and reports every wasi-http `error-code` by its kind.
#[cfg(target_arch = "wasm32")]
#[derive(Debug, Clone)]
pub struct HttpClient {
    config: Config,
}

#[cfg(target_arch = "wasm32")]
impl HttpClient {
    /// A client for the backend in `config`.
    pub fn new(config: Config) -> Self {
        HttpClient { config }
    }

    /// Sends `request` and decodes the answer with `parse` (see [`decode`]).
    pub fn execute<T>(
        &self,
        request: &ApiRequest,
        parse: impl FnOnce(&Value) -> Result<T, ShapeError>,
    ) -> Result<T, ApiError> {
        let response = self.send(request)?;
        decode(request, &response, parse)
    }

    /// A failure of the host's HTTP machinery that has no `error-code`.
    fn host_failure(&self, what: &str) -> ApiError {
        ApiError::Unavailable {
            url: self.config.base_url().to_owned(),
            cause: format!("the host's HTTP client could not {what}"),
        }
    }

    /// Sends `request` and reads the answer: at most [`RESPONSE_SIZE_CAP`] bytes, and no longer
    /// than `API_TIMEOUT` in all.
    pub fn send(&self, request: &ApiRequest) -> Result<RawResponse, ApiError> {
        use wasi::http::outgoing_handler;
        use wasi::http::types::{Fields, Method as WasiMethod, OutgoingBody, OutgoingRequest};
        use wasi::http::types::{RequestOptions, Scheme};

        let started = Instant::now();
        let body = request
            .body()
            .map(|body| crate::json::text(body).into_bytes());
        let mut headers = vec![("accept".to_owned(), b"application/json".to_vec())];
        if let Some(body) = &body {
            headers.push(("content-type".to_owned(), b"application/json".to_vec()));
            headers.push((
                "content-length".to_owned(),
                body.len().to_string().into_bytes(),
            ));
        }
        let headers = Fields::from_list(&headers).map_err(|_| self.host_failure("set headers"))?;
        let outgoing = OutgoingRequest::new(headers);
        let method = match request.method() {
            Method::Get => WasiMethod::Get,
            Method::Post => WasiMethod::Post,
            Method::Delete => WasiMethod::Delete,
        };
        let scheme = match self.config.scheme() {
            "https" => Scheme::Https,
            _ => Scheme::Http,
        };
        let target = format!("{}{}", self.config.base_path(), request.path_and_query());
        outgoing
            .set_method(&method)
            .and_then(|()| outgoing.set_scheme(Some(&scheme)))
            .and_then(|()| outgoing.set_authority(Some(self.config.authority())))
            .and_then(|()| outgoing.set_path_with_query(Some(&target)))
            .map_err(|()| self.host_failure("accept the request's URL"))?;

        let timeout_nanos = u64::try_from(self.config.timeout().as_nanos()).unwrap_or(u64::MAX);
        let options = RequestOptions::new();
        // A host may not support an option; the others, and its own deadline, still apply.
        let _ = options.set_connect_timeout(Some(timeout_nanos));
        let _ = options.set_first_byte_timeout(Some(timeout_nanos));
        let _ = options.set_between_bytes_timeout(Some(timeout_nanos));

        let outgoing_body = outgoing
            .body()
            .map_err(|()| self.host_failure("open the request body"))?;
        let pending = outgoing_handler::handle(outgoing, Some(options))
            .map_err(|code| transport_error(&self.config, &code))?;
        if let Some(body) = &body {
            let stream = outgoing_body
                .write()
                .map_err(|()| self.host_failure("write the request body"))?;
            for chunk in body.chunks(4096) {
                stream
                    .blocking_write_and_flush(chunk)
                    .map_err(|_| self.host_failure("write the request body"))?;
            }
        }
        OutgoingBody::finish(outgoing_body, None)
            .map_err(|code| transport_error(&self.config, &code))?;

        let incoming = loop {
            match pending.get() {
                Some(Ok(Ok(response))) => break response,
                Some(Ok(Err(code))) => return Err(transport_error(&self.config, &code)),
                Some(Err(())) => return Err(self.host_failure("deliver the response")),
                None => pending.subscribe().block(),
            }
        };
        let status = incoming.status();
        let incoming_body = incoming
            .consume()
            .map_err(|()| self.host_failure("open the response body"))?;
        let stream = incoming_body
            .stream()
            .map_err(|()| self.host_failure("open the response body"))?;
        let unreadable = |problem: String| ApiError::BadResponse {
            endpoint: request.endpoint(),
            status,
            problem,
        };
        let mut bytes = Vec::new();
        loop {
            if started.elapsed() > self.config.timeout() {
                return Err(ApiError::Timeout {
                    url: self.config.base_url().to_owned(),
                    seconds: self.config.timeout().as_secs(),
                });
            }
            let chunk = match stream.blocking_read(READ_CHUNK_BYTES) {
                Ok(chunk) => chunk,
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(wasi::io::streams::StreamError::LastOperationFailed(error)) => {
                    return Err(match wasi::http::types::http_error_code(&error) {
                        Some(code) => transport_error(&self.config, &code),
                        None => unreadable(format!(
                            "the body could not be read to its end ({})",
                            one_line(&error.to_debug_string(), 200)
                        )),
                    })
                }
            };
            if bytes.len().saturating_add(chunk.len()) > RESPONSE_SIZE_CAP {
                return Err(unreadable(format!(
                    "the body is larger than the {} MiB cap",
                    RESPONSE_SIZE_CAP / (1024 * 1024)
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(RawResponse {
            status,
            body: bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ErrorCode as Code;
    use serde_json::json;

    #[test]
    fn ids_are_encoded_as_one_segment() {
        let cases = [
            (
                "op_training_20251004_143530_b5c6d7e8",
                "/operations/op_training_20251004_143530_b5c6d7e8",
            ),
            ("../health", "/operations/..%2Fhealth"),
            ("..", "/operations/%2E%2E"),
            (".", "/operations/%2E"),
            ("a/b?x=1", "/operations/a%2Fb%3Fx%3D1"),
            ("a#b%c d", "/operations/a%23b%25c%20d"),
            ("v1.2~x", "/operations/v1.2~x"),
            ("é", "/operations/%C3%A9"),
        ];
        for (id, path) in cases {
            let request = ApiRequest::new(Method::Get, &["operations", id]);
            assert_eq!(request.path_and_query(), path, "{id}");
        }
    }

    #[test]
    fn query_values_are_encoded() {
        let request = ApiRequest::new(Method::Get, &["data", "AAPL", "1h"])
            .with_query("start_date", "2024-01-01T10:00:00+01:00")
            .with_query("x", "a&b=c d");
        assert_eq!(
            request.url("http://h:1/api/v1"),
            "http://h:1/api/v1/data/AAPL/1h?start_date=2024-01-01T10%3A00%3A00%2B01%3A00&x=a%26b%3Dc%20d"
        );
        assert_eq!(request.endpoint(), "GET /data/AAPL/1h");
    }

    #[test]
    fn decode_parses_2xx_and_reports_bad_bodies() {
        let request = ApiRequest::new(Method::Get, &["health"]);
        let ok = RawResponse {
            status: 200,
            body: br#"{"status":"ok"}"#.to_vec(),
        };
        let status = decode(&request, &ok, |value| {
            Ok(value["status"].as_str().unwrap_or_default().to_owned())
        });
        assert_eq!(status.unwrap(), "ok");

        let truncated = RawResponse {
            status: 200,
            body: br#"{"status":"o"#.to_vec(),
        };
        let error = decode(&request, &truncated, |_| Ok(())).unwrap_err();
        assert_eq!(error.code(), Code::BadResponse);
        assert_eq!(error.status_code(), 200);
        assert!(error.to_string().contains("GET /health"));
        assert!(error.to_string().contains("invalid JSON"));

        let shape = decode(&request, &ok, |_| -> Result<(), ShapeError> {
            Err(ShapeError("data: missing".into()))
        });
        assert!(shape.unwrap_err().to_string().contains("data: missing"));
    }

    #[test]
    fn decode_reads_error_statuses_with_the_request_hints() {
        let request = ApiRequest::new(Method::Delete, &["operations", "op_nope"])
            .with_hints(ErrorHints::OPERATION);
        let response = RawResponse {
            status: 404,
            body: br#"{"detail":"Operation not found: op_nope"}"#.to_vec(),
        };
        let error = decode(&request, &response, |_| Ok(())).unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        assert!(error.to_string().contains("list_operations"));
    }

    #[test]
    fn json_bodies_are_kept() {
        let request =
            ApiRequest::new(Method::Post, &["data", "load"]).with_json(json!({"symbol": "AAPL"}));
        assert_eq!(request.body(), Some(&json!({"symbol": "AAPL"})));
        assert_eq!(request.method(), Method::Post);
    }

    #[test]
    fn transport_errors_map_to_codes() {
        use ErrorCode as E;
        let config = Config::parse(Some("http://10.0.0.9:8000/api/v1"), Some("7")).unwrap();
        let cases: [(E, crate::tools::ErrorCode); 10] = [
            (E::ConnectionRefused, Code::Unavailable),
            (E::ConnectionTerminated, Code::Unavailable),
            (E::DestinationNotFound, Code::Unavailable),
            (E::InternalError(Some("boom".into())), Code::Unavailable),
            (E::ConnectionTimeout, Code::Timeout),
            (E::HttpResponseTimeout, Code::Timeout),
            (E::ConnectionReadTimeout, Code::Timeout),
            (E::HttpRequestDenied, Code::Blocked),
            (E::HttpResponseIncomplete, Code::BadResponse),
            (E::HttpProtocolError, Code::BadResponse),
        ];
        for (wasi_code, code) in cases {
            let error = transport_error(&config, &wasi_code);
            assert_eq!(error.code(), code, "{wasi_code:?}");
            assert_eq!(error.status_code(), 0);
        }
        let blocked = transport_error(&config, &E::HttpRequestDenied).to_string();
        assert!(blocked.contains("http://10.0.0.9:8000 "), "{blocked}");
        let timeout = transport_error(&config, &E::ConnectionTimeout).to_string();
        assert!(timeout.contains("7 s"), "{timeout}");
        let internal = transport_error(&config, &E::InternalError(Some("boom".into()))).to_string();
        assert!(internal.contains("(internal error: boom)"), "{internal}");
        assert!(
            internal.contains("http://10.0.0.9:8000/api/v1"),
            "{internal}"
        );
        let refused = transport_error(&config, &E::ConnectionRefused).to_string();
        assert!(refused.contains("(connection refused)"), "{refused}");
        assert!(!refused.contains("ErrorCode"), "{refused}");
        let dropped = transport_error(&config, &E::ConnectionTerminated).to_string();
        assert!(
            dropped.contains("is unreachable (the connection was closed without an answer)"),
            "{dropped}"
        );
        let malformed = transport_error(&config, &E::HttpProtocolError).to_string();
        assert!(
            malformed.contains(
                "/api/v1 is unusable: the HTTP answer was malformed (HTTP protocol error)."
            ),
            "{malformed}"
        );
    }

    #[test]
    fn tls_failures_say_what_failed() {
        use wasi::http::types::TlsAlertReceivedPayload;
        let config = Config::parse(Some("https://10.0.0.9/api/v1"), None).unwrap();
        let refused = ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
            alert_id: Some(48),
            alert_message: Some("the host refused the backend's certificate: unknown".into()),
        });
        let error = transport_error(&config, &refused);
        assert_eq!(error.code(), Code::Unavailable);
        assert!(
            error.to_string().contains(
                "https://10.0.0.9/api/v1 is unreachable (TLS handshake failed: the host refused \
                 the backend's certificate: unknown)"
            ),
            "{error}"
        );
        let bare = ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
            alert_id: Some(40),
            alert_message: None,
        });
        let bare = transport_error(&config, &bare).to_string();
        assert!(bare.contains("(TLS handshake failed: alert 40)"), "{bare}");
        let not_tls = transport_error(&config, &ErrorCode::TlsProtocolError).to_string();
        assert!(not_tls.contains("check that it serves HTTPS"), "{not_tls}");
    }
}
