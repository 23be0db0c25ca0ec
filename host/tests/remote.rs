//! Remote MCP: the real host serving Streamable HTTP (`--http`) on loopback, spoken to over raw
//! HTTP/1.1 connections, so that every status, header and byte the listener answers is seen:
//! tokens (none, wrong, reloaded), Origin, body and header limits, the per-token cap, readiness,
//! HTTPS, and the drain on SIGTERM.

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::test_ca::TestCa;
use common::{dead_url, host_command, Backend, PATIENCE};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Child;

const TOKEN: &str = "test-token-0123456789abcdef";
const OTHER_TOKEN: &str = "other-token-0123456789abcdef";

/// The host listening on a free loopback port; killed on drop.
struct RemoteHost {
    addr: SocketAddr,
    child: Child,
}

impl RemoteHost {
    /// Starts the host for `api_url` with `--http 127.0.0.1:0` and `extra` flags, and waits
    /// until it listens.
    async fn start(api_url: &str, extra: &[&str]) -> Self {
        let mut command = host_command(api_url, &[&["--http", "127.0.0.1:0"], extra].concat());
        command
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("cannot start the host");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.split("serving MCP on ").nth(1) {
                    return rest.split_whitespace().next().unwrap().to_owned();
                }
            }
            panic!("the host exited before it listened");
        })
        .await
        .expect("the host did not listen in time");
        // Keep reading, so that the host never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let authority = url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches("/mcp");
        Self {
            addr: authority.parse().unwrap(),
            child,
        }
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("the host runs").to_string();
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// A response, its body read whole.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap())
    }

    /// The JSON-RPC message of an MCP answer (an SSE `data:` line, or a JSON body).
    fn message(&self) -> Value {
        let json = self
            .body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(str::trim)
            .rfind(|data| !data.is_empty())
            .unwrap_or(&self.body);
        serde_json::from_str(json)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

/// Sends `request` on a new connection over `io` and returns the answer's head.
async fn head_of(
    io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    request: Request<Full<Bytes>>,
) -> Response<Incoming> {
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .unwrap();
    tokio::spawn(connection);
    tokio::time::timeout(PATIENCE, sender.send_request(request))
        .await
        .expect("no answer in time")
        .expect("the request failed")
}

/// Sends `request` on a new connection over `io` and reads the whole answer.
async fn exchange(
    io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    request: Request<Full<Bytes>>,
) -> Answer {
    let response = head_of(io, request).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn send(addr: SocketAddr, request: Request<Full<Bytes>>) -> Answer {
    exchange(TcpStream::connect(addr).await.unwrap(), request).await
}

async fn get(addr: SocketAddr, path: &str) -> Answer {
    let request = Request::get(path)
        .header("host", addr.to_string())
        .body(Full::default())
        .unwrap();
    send(addr, request).await
}

/// A stateless (2026-07-28) `tools/call` of `tool`, with `Authorization: Bearer token` if given.
fn tool_call(
    addr: SocketAddr,
    token: Option<&str>,
    tool: &str,
    arguments: Value,
) -> Request<Full<Bytes>> {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {
            "name": tool, "arguments": arguments,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}
            }
        }
    });
    mcp_post(addr, token, tool, body.to_string())
}

fn mcp_post(
    addr: SocketAddr,
    token: Option<&str>,
    name: &str,
    body: String,
) -> Request<Full<Bytes>> {
    let mut request = Request::post("/mcp")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", name);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Full::new(Bytes::from(body))).unwrap()
}

fn token_file(tokens: &[&str]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), tokens.join("\n")).unwrap();
    file
}

fn path_of(file: &tempfile::NamedTempFile) -> &str {
    file.path().to_str().unwrap()
}

fn assert_listed(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let result = &answer.message()["result"];
    assert_eq!(result["isError"], false, "{result}");
    assert!(
        result["structuredContent"]["operations"].is_array(),
        "{result}"
    );
}

#[tokio::test]
async fn an_mcp_request_needs_one_of_the_tokens_and_the_challenge_names_the_metadata() {
    let backend = Backend::start();
    let tokens = token_file(&["# operators", TOKEN]);
    let host = RemoteHost::start(&backend.api_url, &["--auth-token-file", path_of(&tokens)]).await;
    let addr = host.addr;

    let missing = send(addr, tool_call(addr, None, "list_operations", json!({}))).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.message()["error"]["code"], -32001);
    let metadata_url = format!("http://{addr}/.well-known/oauth-protected-resource/mcp");
    assert_eq!(
        missing.header("www-authenticate"),
        format!(r#"Bearer resource_metadata="{metadata_url}""#)
    );
    assert!(
        missing
            .body
            .contains("needs `Authorization: Bearer <token>`"),
        "{}",
        missing.body
    );

    let wrong = send(
        addr,
        tool_call(addr, Some(OTHER_TOKEN), "list_operations", json!({})),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong
        .header("www-authenticate")
        .ends_with(r#"error="invalid_token""#));
    let basic = Request::post("/mcp")
        .header("host", addr.to_string())
        .header("authorization", format!("Basic {TOKEN}"))
        .body(Full::default())
        .unwrap();
    assert_eq!(send(addr, basic).await.status, StatusCode::UNAUTHORIZED);

    let metadata = get(addr, "/.well-known/oauth-protected-resource/mcp").await;
    assert_eq!(metadata.status, StatusCode::OK);
    let document: Value = serde_json::from_str(&metadata.body).unwrap();
    assert_eq!(document["resource"], format!("http://{addr}/mcp"));
    assert_eq!(document["bearer_methods_supported"], json!(["header"]));

    assert_listed(
        &send(
            addr,
            tool_call(addr, Some(TOKEN), "list_operations", json!({})),
        )
        .await,
    );
    // Probes and unknown paths need no token.
    assert_eq!(get(addr, "/healthz").await.status, StatusCode::OK);
    let unknown = get(addr, "/tools").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("/mcp"));
}

#[tokio::test]
async fn sighup_rereads_the_token_file_and_a_bad_file_keeps_the_old_tokens() {
    let backend = Backend::start();
    let tokens = token_file(&[TOKEN]);
    let host = RemoteHost::start(&backend.api_url, &["--auth-token-file", path_of(&tokens)]).await;
    let addr = host.addr;
    std::fs::write(tokens.path(), OTHER_TOKEN).unwrap();
    host.signal("HUP");
    let deadline = Instant::now() + PATIENCE;
    while send(
        addr,
        tool_call(addr, Some(TOKEN), "list_operations", json!({})),
    )
    .await
    .status
        != StatusCode::UNAUTHORIZED
    {
        assert!(Instant::now() < deadline, "the old token still works");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_listed(
        &send(
            addr,
            tool_call(addr, Some(OTHER_TOKEN), "list_operations", json!({})),
        )
        .await,
    );
    std::fs::write(tokens.path(), "short").unwrap();
    host.signal("HUP");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_listed(
        &send(
            addr,
            tool_call(addr, Some(OTHER_TOKEN), "list_operations", json!({})),
        )
        .await,
    );
}

#[tokio::test]
async fn a_foreign_origin_gets_403_and_a_listed_or_absent_one_is_served() {
    let backend = Backend::start();
    let host = RemoteHost::start(
        &backend.api_url,
        &["--allowed-origin", "http://app.example:8080"],
    )
    .await;
    let addr = host.addr;
    let with_origin = |origin: &str| {
        let mut request = tool_call(addr, None, "list_operations", json!({}));
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        request
    };
    let foreign = send(addr, with_origin("http://evil.example")).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.body);
    assert_eq!(
        send(addr, with_origin("http://app.example:9999"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_listed(&send(addr, with_origin("http://app.example:8080")).await);
    assert_listed(&send(addr, tool_call(addr, None, "list_operations", json!({}))).await);
    // Without --allowed-origin, no browser page may call.
    let unlisted = RemoteHost::start(&backend.api_url, &[]).await;
    let mut request = tool_call(unlisted.addr, None, "list_operations", json!({}));
    request
        .headers_mut()
        .insert("origin", "http://localhost:3000".parse().unwrap());
    assert_eq!(
        send(unlisted.addr, request).await.status,
        StatusCode::FORBIDDEN
    );
    // A loopback listener takes only loopback names in `Host` (DNS rebinding).
    let mut rebound = tool_call(addr, None, "list_operations", json!({}));
    rebound
        .headers_mut()
        .insert("host", "attacker.example".parse().unwrap());
    assert_eq!(send(addr, rebound).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_http_errors_and_the_listener_goes_on() {
    let backend = Backend::start();
    let host = RemoteHost::start(&backend.api_url, &["--max-body-kib", "1"]).await;
    let addr = host.addr;
    let big = tool_call(
        addr,
        None,
        "list_operations",
        json!({ "padding": "x".repeat(4096) }),
    );
    assert_eq!(send(addr, big).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let garbage = send(addr, mcp_post(addr, None, "x", "{not json".into())).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST, "{}", garbage.body);
    assert!(
        garbage.body.to_lowercase().contains("parse"),
        "{}",
        garbage.body
    );
    let unknown = send(addr, tool_call(addr, None, "no_such_tool", json!({}))).await;
    let error = &unknown.message()["error"];
    assert!(
        error["message"].as_str().unwrap().contains("no_such_tool"),
        "{error}"
    );
    assert_listed(&send(addr, tool_call(addr, None, "list_operations", json!({}))).await);
}

#[tokio::test]
async fn a_client_that_sends_its_headers_byte_by_byte_is_cut_off() {
    let backend = Backend::start();
    let host = RemoteHost::start(&backend.api_url, &["--header-timeout", "1"]).await;
    let addr = host.addr;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Padding: {}\r\n\r\n",
        "x".repeat(40)
    );
    let mut cut_off = false;
    for byte in head.as_bytes() {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        cut_off,
        "the host read slow headers for {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    // Meanwhile, and after, others are served.
    assert_eq!(get(addr, "/healthz").await.status, StatusCode::OK);
}

/// A backend that accepts connections and never answers; each connection is announced on the
/// returned channel.
async fn silent_backend() -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let (announce, accepted) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
            let _ = announce.send(());
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn each_token_has_its_own_cap_on_requests_in_flight() {
    let (api_url, mut accepted) = silent_backend().await;
    let tokens = token_file(&[TOKEN, OTHER_TOKEN]);
    let host = RemoteHost::start(
        &api_url,
        &[
            "--auth-token-file",
            path_of(&tokens),
            "--max-requests-per-token",
            "1",
            "--timeout",
            "3",
        ],
    )
    .await;
    let addr = host.addr;
    let hanging = tokio::spawn(send(
        addr,
        tool_call(addr, Some(TOKEN), "list_operations", json!({})),
    ));
    // Its request has reached the backend: the call is in flight.
    accepted.recv().await.unwrap();
    let refused = send(
        addr,
        tool_call(addr, Some(TOKEN), "list_operations", json!({})),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.header("retry-after"), "1");
    assert!(
        refused.body.contains("1 MCP requests in flight"),
        "{}",
        refused.body
    );
    // Another token is not held back; its call ends when the silent backend times out.
    let other = send(
        addr,
        tool_call(addr, Some(OTHER_TOKEN), "list_operations", json!({})),
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(other.message()["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("timeout"));
    // Once the first call has ended, the token may call again.
    assert_eq!(hanging.await.unwrap().status, StatusCode::OK);
    let again = send(
        addr,
        tool_call(addr, Some(TOKEN), "list_operations", json!({})),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn readiness_follows_the_backend() {
    let backend = Backend::start();
    let ready = RemoteHost::start(&backend.api_url, &[]).await;
    let answer = get(ready.addr, "/readyz").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "ready\n")
    );

    let dead = dead_url();
    let unready = RemoteHost::start(&dead, &[]).await;
    let answer = get(unready.addr, "/readyz").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer.body.starts_with(&format!(
            "not ready: the backend at {dead}/health is unreachable"
        )),
        "{}",
        answer.body
    );
    assert_eq!(get(unready.addr, "/healthz").await.status, StatusCode::OK);
}

/// A front for `api_url`'s backend that waits `delay` before relaying each connection.
async fn slow_front(api_url: &str, delay: Duration) -> String {
    let backend: SocketAddr = api_url
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1")
        .parse()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let mut backend = TcpStream::connect(backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn sigterm_lets_calls_in_flight_finish_then_exits_0() {
    let backend = Backend::start();
    let api_url = slow_front(&backend.api_url, Duration::from_millis(1500)).await;
    let mut host = RemoteHost::start(&api_url, &["--drain-seconds", "10"]).await;
    let addr = host.addr;
    let in_flight = tokio::spawn(send(
        addr,
        tool_call(addr, None, "list_operations", json!({})),
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    host.signal("TERM");
    assert_listed(&in_flight.await.unwrap());
    let status = tokio::time::timeout(PATIENCE, host.child.wait())
        .await
        .expect("the host did not exit after the drain")
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(TcpStream::connect(addr).await.is_err(), "still listening");
}

#[tokio::test]
async fn https_serves_with_the_given_certificate_and_refuses_plain_http() {
    let ca = TestCa::new();
    let (cert_file, key_file) = ca.server_pem_files(&["localhost"]);
    let backend = Backend::start();
    let host = RemoteHost::start(
        &backend.api_url,
        &[
            "--tls-cert",
            path_of(&cert_file),
            "--tls-key",
            path_of(&key_file),
        ],
    )
    .await;
    let addr = host.addr;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.certificate.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tls = connector
        .connect(
            "localhost".try_into().unwrap(),
            TcpStream::connect(addr).await.unwrap(),
        )
        .await
        .expect("the TLS handshake failed");
    let mut request = tool_call(addr, None, "list_operations", json!({}));
    request.headers_mut().insert(
        "host",
        format!("localhost:{}", addr.port()).parse().unwrap(),
    );
    assert_listed(&exchange(tls, request).await);

    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(
        TcpStream::connect(addr).await.unwrap(),
    ))
    .await
    .unwrap();
    tokio::spawn(connection);
    let plain = sender
        .send_request(
            Request::get("/healthz")
                .body(Full::<Bytes>::default())
                .unwrap(),
        )
        .await;
    assert!(plain.is_err(), "plain HTTP was answered on the HTTPS port");
}

#[test]
fn a_public_address_without_tokens_or_tls_refuses_to_start() {
    let output = std::process::Command::new(common::host_bin())
        .args(["--http", "0.0.0.0:0", "--no-cache"])
        .env_clear()
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to serve 0.0.0.0:0 without authentication"),
        "{stderr}"
    );
}
