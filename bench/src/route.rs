//! The routes a probe's request can take to the backend: through the host, or directly.

use anyhow::Result;

use crate::floor::{Floor, KeepAlive};
use crate::mcp_driver::Session;
use crate::probe::Probe;

/// One way of making a probe's request.
#[derive(Clone, Copy)]
pub enum Route<'a> {
    /// A `tools/call` through `ktrdr-mcp` over stdio.
    Host(&'a Session),
    /// An MCP `ping` through `ktrdr-mcp` instead of the call: the stdio round trip alone.
    HostPing(&'a Session),
    /// The HTTP request directly, on a fresh TCP connection.
    Direct(&'a Floor),
    /// The HTTP request directly, on a kept-alive connection (as the host sends it).
    DirectKeepAlive(&'a KeepAlive),
}

impl<'a> Route<'a> {
    /// The host process this route goes through, if any.
    pub fn host(self) -> Option<&'a Session> {
        match self {
            Route::Host(session) | Route::HostPing(session) => Some(session),
            Route::Direct(_) | Route::DirectKeepAlive(_) => None,
        }
    }

    /// Makes `probe`'s request once (or, for [`Route::HostPing`], a `ping`), reading the whole
    /// answer.
    pub async fn call(self, probe: &Probe) -> Result<()> {
        match self {
            Route::Host(session) => session.call(probe.tool, &probe.arguments).await,
            Route::HostPing(session) => session.ping().await,
            Route::Direct(floor) => floor.get_fresh(&probe.http_path).await.map(drop),
            Route::DirectKeepAlive(pool) => pool.get(&probe.http_path).await.map(drop),
        }
    }
}
