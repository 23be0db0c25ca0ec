//! Remote MCP: `ktrdr-mcp --http` next to the Python peer's `--http`, each serving Streamable HTTP
//! on loopback and driven over raw HTTP/1.1 kept-alive connections (hyper). Stateless
//! (2026-07-28) `tools/call`s one at a time on one connection, then with 16 and 64 clients each
//! on a connection of its own, the two servers interleaved; and, on fresh servers, the peak RSS
//! after one call and with idle 2025-11-25 sessions open.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Mutex;

use anyhow::{bail, ensure, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST};
use hyper::{HeaderMap, Request};
use hyper_util::rt::TokioIo;
use rmcp::model::JsonObject;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStderr, Command};

use crate::concurrency::Throughput;
use crate::cpu::CpuMeter;
use crate::footprint::peak_rss;
use crate::load::interleaved;
use crate::mcp_driver::{ComponentCache, HostLauncher, PeerLauncher, PATIENCE};
use crate::probe::Probe;
use crate::route::Route;
use crate::stats::Percentiles;

/// The protocol version of stateless requests.
const STATELESS_VERSION: &str = "2026-07-28";
/// The protocol version of sessions.
const SESSION_VERSION: &str = "2025-11-25";
/// The path both servers serve MCP at.
const MCP_PATH: &str = "/mcp";
/// What a server writes on stderr once it listens, before its URL.
const LISTENING: &str = "serving MCP on ";
/// `ktrdr-mcp --http`, in errors.
const HOST_NAME: &str = "ktrdr-mcp --http";
/// The Python peer's `--http`, in errors.
const PEER_NAME: &str = "the Python peer (--http)";

/// Interleaved rounds of calls one at a time; each round runs one block per server.
const LATENCY_ROUNDS: usize = 10;
/// Sequential calls per block.
const LATENCY_BLOCK: usize = 100;
/// Interleaved rounds per number of clients; each round runs one block per server.
const THROUGHPUT_ROUNDS: usize = 4;
/// Calls per block, all clients together.
const THROUGHPUT_BLOCK: usize = 500;
/// Calls per server before measuring each figure (connections opened, caches warm).
const WARM_UP: usize = 200;
/// The numbers of concurrent clients measured.
const CLIENTS: [usize; 2] = [16, 64];
/// The 2025-11-25 sessions opened for the memory figure.
pub const SESSIONS: usize = 256;

/// What the remote run measured, `ktrdr-mcp --http` and the Python peer's `--http` side by side.
pub struct Remote {
    /// Calls measured per server, one at a time.
    pub calls: usize,
    /// Through `ktrdr-mcp`, one call at a time on one connection.
    pub host: Percentiles,
    /// The host's CPU time per such call, µs.
    pub host_cpu: f64,
    /// Through the Python peer, likewise.
    pub peer: Percentiles,
    /// The peer's CPU time per such call, µs.
    pub peer_cpu: f64,
    /// Throughput by number of concurrent clients.
    pub clients: Vec<ClientsRow>,
    /// Peak memory of fresh servers.
    pub footprint: HttpFootprint,
}

/// One number of concurrent clients, each with a kept-alive connection of its own.
pub struct ClientsRow {
    /// Concurrent clients.
    pub clients: usize,
    /// Calls measured per server.
    pub calls: usize,
    /// Through `ktrdr-mcp`.
    pub host: Throughput,
    /// Through the Python peer.
    pub peer: Throughput,
}

/// Peak RSS of servers serving Streamable HTTP, in bytes.
pub struct HttpFootprint {
    /// `ktrdr-mcp --http` after one call.
    pub idle_peak_rss: u64,
    /// `ktrdr-mcp --http` once [`SESSIONS`] idle sessions are open too.
    pub sessions_peak_rss: u64,
    /// The Python peer after one call.
    pub peer_idle_peak_rss: u64,
    /// The Python peer once [`SESSIONS`] idle sessions are open too.
    pub peer_sessions_peak_rss: u64,
}

/// Measures `probe`'s calls through `ktrdr-mcp --http` (with `cache`) and the Python peer's
/// `--http`, and their memory on servers of their own.
pub async fn measure(
    meter: &CpuMeter,
    host: &HostLauncher,
    peer: &PeerLauncher,
    cache: ComponentCache<'_>,
    probe: &Probe,
) -> Result<Remote> {
    let footprint = footprint(host, peer, cache, probe).await?;
    let host = HttpServer::start(host.http_command(cache), HOST_NAME).await?;
    let peer = HttpServer::start(peer.http_command(), PEER_NAME).await?;
    let routes = [Route::Http(&host), Route::Http(&peer)];

    interleaved(meter, &routes, probe, 1, 1, WARM_UP).await?;
    let samples = interleaved(meter, &routes, probe, 1, LATENCY_ROUNDS, LATENCY_BLOCK).await?;
    let [host_one, peer_one] = samples.as_slice() else {
        unreachable!("one sample per route")
    };
    let mut clients = Vec::with_capacity(CLIENTS.len());
    for level in CLIENTS {
        interleaved(meter, &routes, probe, level, 1, WARM_UP).await?;
        let samples = interleaved(
            meter,
            &routes,
            probe,
            level,
            THROUGHPUT_ROUNDS,
            THROUGHPUT_BLOCK,
        )
        .await?;
        let [host_level, peer_level] = samples.as_slice() else {
            unreachable!("one sample per route")
        };
        clients.push(ClientsRow {
            clients: level,
            calls: host_level.latencies.len(),
            host: host_level.into(),
            peer: peer_level.into(),
        });
    }
    let remote = Remote {
        calls: host_one.latencies.len(),
        host: Percentiles::of(&host_one.latencies),
        host_cpu: host_one.host_cpu_per_call(),
        peer: Percentiles::of(&peer_one.latencies),
        peer_cpu: peer_one.host_cpu_per_call(),
        clients,
        footprint,
    };
    host.stop().await?;
    peer.stop().await?;
    Ok(remote)
}

/// The peak RSS of a fresh server of each kind after one call of `probe`, then with
/// [`SESSIONS`] sessions opened and left idle.
async fn footprint(
    host: &HostLauncher,
    peer: &PeerLauncher,
    cache: ComponentCache<'_>,
    probe: &Probe,
) -> Result<HttpFootprint> {
    let host = HttpServer::start(host.http_command(cache), HOST_NAME).await?;
    let (idle_peak_rss, sessions_peak_rss) = idle_and_sessions_peak_rss(host, probe).await?;
    let peer = HttpServer::start(peer.http_command(), PEER_NAME).await?;
    let (peer_idle_peak_rss, peer_sessions_peak_rss) =
        idle_and_sessions_peak_rss(peer, probe).await?;
    Ok(HttpFootprint {
        idle_peak_rss,
        sessions_peak_rss,
        peer_idle_peak_rss,
        peer_sessions_peak_rss,
    })
}

/// `server`'s peak RSS after one call of `probe`, and after [`SESSIONS`] sessions more; then
/// stops it.
async fn idle_and_sessions_peak_rss(server: HttpServer, probe: &Probe) -> Result<(u64, u64)> {
    server.call(probe.tool, &probe.arguments).await?;
    let idle = peak_rss(server.pid())?;
    let mut ids = HashSet::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        ids.insert(server.open_session().await?);
    }
    ensure!(
        ids.len() == SESSIONS,
        "{SESSIONS} initializes opened {} distinct sessions",
        ids.len()
    );
    let with_sessions = peak_rss(server.pid())?;
    server.stop().await?;
    Ok((idle, with_sessions))
}

/// An MCP server serving Streamable HTTP on loopback (killed if dropped), and the benchmark's
/// kept-alive HTTP/1.1 connections to it: a request takes an idle one (or opens one) and puts it
/// back once the answer is read, so there are as many connections as clients.
pub struct HttpServer {
    child: Child,
    pid: u32,
    addr: SocketAddr,
    authority: String,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

impl HttpServer {
    /// Spawns `command` (`what`, in errors) and waits until it says where it listens.
    pub async fn start(mut command: Command, what: &str) -> Result<Self> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        let pid = child
            .id()
            .with_context(|| format!("{what} exited at once"))?;
        let mut stderr = BufReader::new(child.stderr.take().context("no stderr pipe")?);
        let addr = tokio::time::timeout(PATIENCE, listening_address(&mut stderr))
            .await
            .with_context(|| format!("{what} did not listen in time"))?
            .with_context(|| format!("{what} did not listen"))?;
        // Keep reading, so that the server never blocks on a full pipe.
        tokio::spawn(async move { tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await });
        Ok(Self {
            child,
            pid,
            addr,
            authority: addr.to_string(),
            idle: Mutex::default(),
        })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends a stateless `tools/call` of `tool` with `arguments`; an HTTP, JSON-RPC or tool
    /// error is an error.
    pub async fn call(&self, tool: &str, arguments: &JsonObject) -> Result<()> {
        let request = json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {
                "name": tool, "arguments": arguments,
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": STATELESS_VERSION,
                    "io.modelcontextprotocol/clientCapabilities": {}
                }
            }
        });
        let headers = [
            ("mcp-protocol-version", STATELESS_VERSION),
            ("mcp-method", "tools/call"),
            ("mcp-name", tool),
        ];
        let message = self.post(&headers, &request).await?.message()?;
        let result = message
            .get("result")
            .with_context(|| format!("{tool}: no result in {message}"))?;
        ensure!(result["isError"] != true, "{tool} failed: {result}");
        Ok(())
    }

    /// Opens a 2025-11-25 session (`initialize`, then `notifications/initialized`, nothing
    /// else) and returns its id.
    pub async fn open_session(&self) -> Result<String> {
        let initialize = json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": SESSION_VERSION,
                "capabilities": {},
                "clientInfo": { "name": "ktrdr-bench", "version": env!("CARGO_PKG_VERSION") }
            }
        });
        let answer = self.post(&[], &initialize).await?;
        let message = answer.message()?;
        ensure!(
            message.get("result").is_some(),
            "initialize failed: {message}"
        );
        let id = answer
            .headers
            .get("mcp-session-id")
            .and_then(|id| id.to_str().ok())
            .context("initialize answered without an Mcp-Session-Id")?
            .to_owned();
        let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
        let headers = [
            ("mcp-session-id", id.as_str()),
            ("mcp-protocol-version", SESSION_VERSION),
        ];
        self.post(&headers, &initialized).await?;
        Ok(id)
    }

    /// Stops the server (SIGKILL) and waits for it to exit.
    pub async fn stop(mut self) -> Result<()> {
        self.child.kill().await.context("cannot stop a server")
    }

    /// POSTs `message` to `/mcp` with `headers` and reads the whole answer; a non-2xx status is
    /// an error.
    async fn post(&self, headers: &[(&str, &str)], message: &Value) -> Result<Answer> {
        let mut request = Request::post(MCP_PATH)
            .header(HOST, &self.authority)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::from(serde_json::to_vec(message)?)))?;
        let mut connection = self.connection().await?;
        let exchange = async {
            connection.ready().await?;
            let (head, body) = connection.send_request(request).await?.into_parts();
            anyhow::Ok((head, body.collect().await?.to_bytes()))
        };
        let (head, body) = tokio::time::timeout(PATIENCE, exchange)
            .await
            .context("no answer in time")??;
        self.idle.lock().expect("idle connections").push(connection);
        ensure!(
            head.status.is_success(),
            "HTTP {}: {}",
            head.status,
            String::from_utf8_lossy(&body)
        );
        Ok(Answer {
            headers: head.headers,
            body,
        })
    }

    /// An idle connection the server has not closed, or a new one.
    async fn connection(&self) -> Result<SendRequest<Full<Bytes>>> {
        let idle = {
            let mut idle = self.idle.lock().expect("idle connections");
            std::iter::from_fn(|| idle.pop()).find(|connection| !connection.is_closed())
        };
        if let Some(connection) = idle {
            return Ok(connection);
        }
        let stream = TcpStream::connect(self.addr)
            .await
            .with_context(|| format!("cannot connect to {}", self.addr))?;
        // Each request goes out at once, not held back for an acknowledgement (Nagle).
        stream.set_nodelay(true)?;
        let (connection, driver) = http1::handshake(TokioIo::new(stream)).await?;
        // Drives the connection until its sender is dropped, then closes it.
        tokio::spawn(driver);
        Ok(connection)
    }
}

/// A successful answer to a POST.
struct Answer {
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    /// Its JSON-RPC message (an error if it has none, as the answer to a notification).
    fn message(&self) -> Result<Value> {
        let content_type = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        answer_message(content_type, &self.body)
    }
}

/// Reads `stderr` up to the line that says where the server listens, and returns that address.
async fn listening_address(stderr: &mut BufReader<ChildStderr>) -> Result<SocketAddr> {
    let mut seen = String::new();
    loop {
        let start = seen.len();
        if stderr.read_line(&mut seen).await? == 0 {
            bail!("it exited first, saying:\n{seen}");
        }
        if let Some(addr) = served_address(&seen[start..]) {
            return Ok(addr);
        }
    }
}

/// The address of a `… serving MCP on http://HOST:PORT/mcp …` line.
fn served_address(line: &str) -> Option<SocketAddr> {
    let url = line.split(LISTENING).nth(1)?.split_whitespace().next()?;
    url.strip_prefix("http://")?
        .strip_suffix(MCP_PATH)?
        .parse()
        .ok()
}

/// The JSON-RPC message of an answer of `content_type`: the data of an event stream's last event
/// with any, or the body itself.
fn answer_message(content_type: &str, body: &[u8]) -> Result<Value> {
    let body = std::str::from_utf8(body).context("the answer is not UTF-8")?;
    if content_type.starts_with("text/event-stream") {
        let data = last_event_data(body).with_context(|| format!("no event data in {body:?}"))?;
        serde_json::from_str(&data).with_context(|| format!("not JSON: {data}"))
    } else {
        serde_json::from_str(body).with_context(|| format!("not JSON: {body:?}"))
    }
}

/// The data of the last event with any in an SSE stream: its `data:` lines' values joined by
/// newlines, as SSE joins them (a priming event's empty data counts as none).
fn last_event_data(stream: &str) -> Option<String> {
    let mut last = None;
    let mut data = Vec::new();
    // A blank line ends an event, and so does the stream's end.
    for line in stream.lines().chain([""]) {
        if line.is_empty() {
            let event = data.join("\n");
            if !event.is_empty() {
                last = Some(event);
            }
            data.clear();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_event_with_data_is_the_message_and_a_priming_event_is_skipped() {
        let host = "data: \nid: 0\nretry: 3000\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":1}\n\n";
        assert_eq!(
            last_event_data(host).as_deref(),
            Some(r#"{"jsonrpc":"2.0","id":1}"#)
        );
        let python = "event: message\r\ndata: {\"id\":2}\r\n\r\n";
        assert_eq!(last_event_data(python).as_deref(), Some(r#"{"id":2}"#));
        assert_eq!(last_event_data("data: \n\n: comment\n"), None);
    }

    #[test]
    fn an_event_s_data_lines_are_joined_and_the_stream_s_end_ends_it() {
        let stream = "data: {\"a\":\ndata:1}";
        assert_eq!(last_event_data(stream).as_deref(), Some("{\"a\":\n1}"));
    }

    #[test]
    fn an_answer_is_read_by_its_content_type() {
        let sse = answer_message("text/event-stream", b"data: {\"id\":1}\n\n").unwrap();
        assert_eq!(sse, json!({ "id": 1 }));
        let body = answer_message("application/json", br#"{"id":1}"#).unwrap();
        assert_eq!(body, json!({ "id": 1 }));
        assert!(answer_message("text/event-stream", b"data: \n\n").is_err());
        assert!(answer_message("application/json", b"").is_err());
    }

    #[test]
    fn the_address_is_read_from_the_host_s_log_line_and_the_peer_s() {
        let host = "2026-12-05T01:27:43.868184Z  INFO ktrdr_mcp::remote::listener: serving MCP \
                    on http://127.0.0.1:36193/mcp authenticated=false\n";
        assert_eq!(
            served_address(host),
            Some("127.0.0.1:36193".parse().unwrap())
        );
        let peer = "serving MCP on http://127.0.0.1:35113/mcp\n";
        assert_eq!(
            served_address(peer),
            Some("127.0.0.1:35113".parse().unwrap())
        );
        assert_eq!(
            served_address("StreamableHTTP session manager started"),
            None
        );
        assert_eq!(served_address("serving MCP on https://[::1]:1/mcp"), None);
    }
}
