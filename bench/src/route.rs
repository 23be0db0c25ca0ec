//! The routes a probe's request can take to the backend: through an MCP server (over stdio or
//! Streamable HTTP), or directly.

use anyhow::Result;
use rmcp::model::JsonObject;

use crate::floor::{Floor, KeepAlive};
use crate::mcp_driver::Session;
use crate::probe::Probe;
use crate::remote::HttpServer;

/// The probe component's tool that does no I/O.
const NO_IO_TOOL: &str = "calls_served";
/// The probe component's tool that GETs a URL and reads the body, without parsing it.
const FETCH_TOOL: &str = "fetch";

/// One way of making a probe's request.
#[derive(Clone, Copy)]
pub enum Route<'a> {
    /// A `tools/call` through an MCP server over stdio: `ktrdr-mcp`, or the Python peer.
    Host(&'a Session),
    /// An MCP `ping` through `ktrdr-mcp` instead of the call: the stdio round trip alone.
    HostPing(&'a Session),
    /// A `tools/call` of a component function that does no I/O instead of the call (the probe
    /// component's `calls-served`, in a host serving that component): the stdio round trip
    /// plus a component call, without HTTP or JSON parsing in the guest.
    HostNoIo(&'a Session),
    /// A `tools/call` of a component function that makes the probe's backend request and reads
    /// the body to its end (the probe component's `fetch`, with [`fetch_arguments`]): the call
    /// and the request through wasi-http, without the guest's JSON parsing and the tool result
    /// built from it.
    HostFetch(&'a Session, &'a JsonObject),
    /// A stateless (2026-07-28) `tools/call` POSTed to an MCP server serving Streamable HTTP,
    /// on a kept-alive connection: `ktrdr-mcp --http`, or the Python peer's.
    Http(&'a HttpServer),
    /// The HTTP request directly, on a fresh TCP connection.
    Direct(&'a Floor),
    /// The HTTP request directly, on a kept-alive connection (as the host sends it).
    DirectKeepAlive(&'a KeepAlive),
}

impl Route<'_> {
    /// The process id of the server this route goes through, if any.
    pub fn server_pid(self) -> Option<u32> {
        match self {
            Route::Host(session)
            | Route::HostPing(session)
            | Route::HostNoIo(session)
            | Route::HostFetch(session, _) => Some(session.pid()),
            Route::Http(server) => Some(server.pid()),
            Route::Direct(_) | Route::DirectKeepAlive(_) => None,
        }
    }

    /// Makes `probe`'s request once (or, for [`Route::HostPing`] and [`Route::HostNoIo`], a
    /// `ping` or a call without I/O; for [`Route::HostFetch`], the request without the tool),
    /// reading the whole answer.
    pub async fn call(self, probe: &Probe) -> Result<()> {
        match self {
            Route::Host(session) => session.call(probe.tool, &probe.arguments).await,
            Route::HostPing(session) => session.ping().await,
            Route::HostNoIo(session) => session.call(NO_IO_TOOL, &JsonObject::new()).await,
            Route::HostFetch(session, arguments) => session.call(FETCH_TOOL, arguments).await,
            Route::Http(server) => server.call(probe.tool, &probe.arguments).await,
            Route::Direct(floor) => floor.get_fresh(&probe.http_path).await.map(drop),
            Route::DirectKeepAlive(pool) => pool.get(&probe.http_path).await.map(drop),
        }
    }
}

/// The arguments of the probe component's `fetch` that make `probe`'s backend request, for a
/// backend at `api_url`.
pub fn fetch_arguments(api_url: &str, probe: &Probe) -> JsonObject {
    let mut arguments = JsonObject::new();
    let url = format!("{api_url}{}", probe.http_path);
    arguments.insert("url".into(), url.into());
    arguments
}
