//! The HTTP front of the MCP service: routes, bearer authentication, per-token limits and the body
//! cap before rmcp's Streamable HTTP service, which checks `Host` and `Origin` and serves both
//! eras (stateless requests in 2026-07-28, sessions for older clients).
//!
//! | route | answer |
//! |---|---|
//! | `/mcp` | MCP, once the request carries a valid token (if tokens are configured) |
//! | `GET /healthz` | 200 while the process serves |
//! | `GET /readyz` | 200 when the backend answers its health check, else 503 with the reason |
//! | `GET /.well-known/oauth-protected-resource[/…]` | RFC 9728 metadata (with tokens only) |

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::settings::RemoteSettings;
use super::tokens::{bearer_token, BearerTokens, TokenId};
use crate::mcp::ToolServer;
use crate::wasm::Runtime;

/// An HTTP response as rmcp builds them.
pub type HttpResponse = Response<BoxBody<Bytes, Infallible>>;

/// The path MCP is served at.
const MCP_PATH: &str = "/mcp";
/// The RFC 9728 metadata path (a resource's path may follow it).
const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// JSON-RPC's code for a body that is not JSON.
const PARSE_ERROR: i32 = -32700;
/// JSON-RPC's code for a request that is not acceptable.
const INVALID_REQUEST: i32 = -32600;
/// The code of a request without a valid token (a server-defined JSON-RPC error).
const UNAUTHORIZED: i32 = -32001;
/// The code of a request over the per-token cap (a server-defined JSON-RPC error).
const TOO_MANY_REQUESTS: i32 = -32002;

/// Routes and guards every request of the listener.
pub struct Gateway {
    mcp: StreamableHttpService<ToolServer, LocalSessionManager>,
    tokens: Option<Arc<BearerTokens>>,
    requests_per_token: Mutex<HashMap<TokenId, Arc<Semaphore>>>,
    max_requests_per_token: u32,
    max_body_bytes: usize,
    public_url: Option<url::Url>,
    scheme: &'static str,
    runtime: Arc<Runtime>,
    in_flight: TaskTracker,
}

impl Gateway {
    /// The gateway of `settings`, serving `server`; cancelling `shutdown` ends every session
    /// and open event stream.
    pub fn new(
        settings: &RemoteSettings,
        server: ToolServer,
        runtime: Arc<Runtime>,
        shutdown: CancellationToken,
    ) -> Self {
        let mut config = StreamableHttpServerConfig::default()
            .with_cancellation_token(shutdown)
            .with_max_request_body_bytes(settings.max_body_bytes);
        config = match &settings.allowed_hosts {
            Some(hosts) => config.with_allowed_hosts(hosts.clone()),
            None => config.disable_allowed_hosts(),
        };
        // A request with an `Origin` comes from a browser page: only listed ones are served.
        config = config
            .with_allowed_origins(settings.allowed_origins.clone())
            .enforce_origin_validation();
        let mcp = StreamableHttpService::new(
            move || Ok(server.clone()),
            Arc::new(LocalSessionManager::default()),
            config,
        );
        Self {
            mcp,
            tokens: settings.tokens.clone(),
            requests_per_token: Mutex::default(),
            max_requests_per_token: settings.max_requests_per_token,
            max_body_bytes: settings.max_body_bytes,
            public_url: settings.public_url.clone(),
            scheme: if settings.tls.is_some() {
                "https"
            } else {
                "http"
            },
            runtime,
            in_flight: TaskTracker::new(),
        }
    }

    /// The tokens, for reloading.
    pub fn tokens(&self) -> Option<&BearerTokens> {
        self.tokens.as_deref()
    }

    /// MCP requests being answered now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Waits until no MCP request is being answered; new ones are still tracked.
    pub async fn drained(&self) {
        self.in_flight.close();
        self.in_flight.wait().await;
    }

    /// Answers one request.
    pub async fn handle(&self, request: Request<Incoming>) -> HttpResponse {
        let path = request.uri().path();
        if path == MCP_PATH {
            return self.serve_mcp(request).await;
        }
        match (request.method(), path) {
            (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
            (&Method::GET, "/readyz") => match self.runtime.backend_health().await {
                Ok(()) => text(StatusCode::OK, "ready\n"),
                Err(reason) => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("not ready: {reason}\n"),
                ),
            },
            (&Method::GET, path) if self.tokens.is_some() && path.starts_with(METADATA_PATH) => {
                self.resource_metadata(&request)
            }
            _ => text(
                StatusCode::NOT_FOUND,
                "not found: MCP is served at /mcp (and /healthz, /readyz)\n",
            ),
        }
    }

    async fn serve_mcp(&self, request: Request<Incoming>) -> HttpResponse {
        // Only POSTs carry calls; a GET holds a session's event stream open for its life.
        let is_call = request.method() == Method::POST;
        let permit = match &self.tokens {
            None => None,
            Some(tokens) => {
                let presented = request
                    .headers()
                    .get(AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(bearer_token);
                let Some(token) = presented.and_then(|token| tokens.verify(token)) else {
                    return self.unauthorized(&request, presented.is_some());
                };
                match is_call.then(|| self.limit(token).try_acquire_owned()) {
                    None => None,
                    Some(Ok(permit)) => Some(permit),
                    Some(Err(_)) => return self.too_many_requests(),
                }
            }
        };
        let in_flight = is_call.then(|| self.in_flight.token());
        let response = if is_call {
            match self.read_message(request).await {
                Ok(request) => self.mcp.handle(request).await,
                Err(refusal) => return refusal,
            }
        } else {
            self.mcp.handle(request).await
        };
        // The call runs while the body streams: the permit and the in-flight mark go with it.
        response.map(|body| {
            body.map_frame(move |frame| {
                let _held = (&permit, &in_flight);
                frame
            })
            .boxed()
        })
    }

    /// The request with its body read whole: up to the body cap (else 413), and JSON (else a
    /// JSON-RPC parse error, as on stdio; rmcp would answer 415).
    async fn read_message(
        &self,
        request: Request<Incoming>,
    ) -> Result<Request<Full<Bytes>>, HttpResponse> {
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, self.max_body_bytes).collect().await {
            Ok(body) => body.to_bytes(),
            Err(error) if error.is::<LengthLimitError>() => {
                return Err(rpc_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    INVALID_REQUEST,
                    &format!(
                        "the request body exceeds {} KiB (--max-body-kib)",
                        self.max_body_bytes / 1024
                    ),
                ))
            }
            Err(error) => {
                return Err(rpc_error(
                    StatusCode::BAD_REQUEST,
                    INVALID_REQUEST,
                    &format!("cannot read the request body: {error}"),
                ))
            }
        };
        if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
            return Err(rpc_error(
                StatusCode::BAD_REQUEST,
                PARSE_ERROR,
                &format!("Parse error: {error}"),
            ));
        }
        Ok(Request::from_parts(parts, Full::new(body)))
    }

    fn limit(&self, token: TokenId) -> Arc<Semaphore> {
        let mut limits = self
            .requests_per_token
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        limits
            .entry(token)
            .or_insert_with(|| Arc::new(Semaphore::new(self.max_requests_per_token as usize)))
            .clone()
    }

    /// 401 with the RFC 6750 challenge naming the RFC 9728 metadata.
    fn unauthorized(&self, request: &Request<Incoming>, presented: bool) -> HttpResponse {
        let metadata = format!(
            "{}{METADATA_PATH}{}",
            self.origin(request),
            self.resource_path()
        );
        let (challenge, message) = if presented {
            (
                format!(r#"Bearer resource_metadata="{metadata}", error="invalid_token""#),
                "Unauthorized (HTTP 401): the bearer token is not valid; use a token from the \
                 server's token file",
            )
        } else {
            (
                format!(r#"Bearer resource_metadata="{metadata}""#),
                "Unauthorized (HTTP 401): this MCP server needs `Authorization: Bearer <token>`",
            )
        };
        let mut response = rpc_error(StatusCode::UNAUTHORIZED, UNAUTHORIZED, message);
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }

    fn too_many_requests(&self) -> HttpResponse {
        let message = format!(
            "Too many requests (HTTP 429): this token already has {} MCP requests in flight; \
             retry when one has finished",
            self.max_requests_per_token
        );
        let mut response = rpc_error(StatusCode::TOO_MANY_REQUESTS, TOO_MANY_REQUESTS, &message);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        response
    }

    fn resource_metadata(&self, request: &Request<Incoming>) -> HttpResponse {
        let resource = match &self.public_url {
            Some(url) => url.to_string(),
            None => format!("{}{MCP_PATH}", self.origin(request)),
        };
        json_response(
            StatusCode::OK,
            &json!({
                "resource": resource,
                "bearer_methods_supported": ["header"],
                "resource_name": "KTRDR MCP tools",
            }),
        )
    }

    /// `scheme://authority` of this server as the client reached it: `--public-url`'s, else
    /// the listener's scheme and the request's `Host`.
    fn origin(&self, request: &Request<Incoming>) -> String {
        if let Some(url) = &self.public_url {
            return url.origin().ascii_serialization();
        }
        let host = request
            .headers()
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .filter(|host| host.parse::<http::uri::Authority>().is_ok())
            .unwrap_or("localhost");
        format!("{}://{host}", self.scheme)
    }

    /// The path of the MCP resource, as RFC 9728 appends it to the metadata path.
    fn resource_path(&self) -> &str {
        self.public_url
            .as_ref()
            .map_or(MCP_PATH, |url| url.path().trim_end_matches('/'))
    }
}

fn text(status: StatusCode, body: &str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A refusal as a JSON-RPC error without an id (the request's body was not read, or not valid),
/// which MCP clients surface to the caller rather than only the HTTP status.
fn rpc_error(status: StatusCode, code: i32, message: &str) -> HttpResponse {
    json_response(
        status,
        &json!({ "jsonrpc": "2.0", "id": null, "error": { "code": code, "message": message } }),
    )
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
