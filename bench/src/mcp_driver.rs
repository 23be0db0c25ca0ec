//! The MCP driver: a server under measurement (`ktrdr-mcp`, or the Python peer) as a child
//! process with an rmcp client on its stdio; and the commands that serve Streamable HTTP
//! instead, for the remote measurements.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rmcp::model::{CallToolRequestParams, ClientRequest, JsonObject, PingRequest};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};

/// How long one exchange may take before the benchmark gives up (a hang is a failure).
pub const PATIENCE: Duration = Duration::from_secs(60);
/// Where a server serving Streamable HTTP listens: a free loopback port.
const HTTP_ADDRESS: &str = "127.0.0.1:0";

/// Where the host gets its compiled component from.
#[derive(Clone, Copy)]
pub enum ComponentCache<'a> {
    /// The on-disk cache in this directory (`--cache-dir`).
    Dir(&'a Path),
    /// Compile at every start (`--no-cache`).
    Off,
}

/// Starts `ktrdr-mcp` processes against one backend.
pub struct HostLauncher {
    bin: PathBuf,
    api_url: String,
}

impl HostLauncher {
    /// A launcher of `bin` serving the backend at `api_url`.
    pub fn new(bin: &Path, api_url: String) -> Self {
        Self {
            bin: bin.to_owned(),
            api_url,
        }
    }

    /// Spawns the host with its bundled component, or `component` when given, and completes the
    /// MCP `initialize` handshake.
    pub async fn start(
        &self,
        cache: ComponentCache<'_>,
        component: Option<&Path>,
    ) -> Result<Session> {
        let mut command = self.command(cache);
        command.env("RUST_LOG", "warn");
        if let Some(component) = component {
            command.arg("--component").arg(component);
        }
        Session::spawn(command, &self.bin).await
    }

    /// The command of a host with its bundled component that serves MCP Streamable HTTP on a
    /// free loopback port instead of stdio, without tokens. It logs warnings, as on stdio, and
    /// its own start-up lines, among them `serving MCP on http://…/mcp` on stderr once it
    /// listens.
    pub fn http_command(&self, cache: ComponentCache<'_>) -> tokio::process::Command {
        let mut command = self.command(cache);
        command
            .env("RUST_LOG", "warn,ktrdr_mcp=info")
            .env("NO_COLOR", "1")
            .arg("--http")
            .arg(HTTP_ADDRESS);
        command
    }

    fn command(&self, cache: ComponentCache<'_>) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.bin);
        command.env_clear().arg("--api-url").arg(&self.api_url);
        match cache {
            ComponentCache::Dir(dir) => command.arg("--cache-dir").arg(dir),
            ComponentCache::Off => command.arg("--no-cache"),
        };
        command
    }
}

/// Starts the Python peer (`bench/peer/ktrdr_peer.py`) against one backend.
pub struct PeerLauncher {
    python: PathBuf,
    script: PathBuf,
    api_url: String,
}

impl PeerLauncher {
    /// A launcher of `script` run by `python`, serving the backend at `api_url`.
    pub fn new(python: &Path, script: &Path, api_url: String) -> Self {
        Self {
            python: python.to_owned(),
            script: script.to_owned(),
            api_url,
        }
    }

    /// Spawns the peer and completes the MCP `initialize` handshake.
    pub async fn start(&self) -> Result<Session> {
        Session::spawn(self.command(), &self.script).await
    }

    /// The command of a peer that serves MCP Streamable HTTP on a free loopback port instead of
    /// stdio (`--http`); it prints `serving MCP on http://…/mcp` on stderr once it listens.
    pub fn http_command(&self) -> tokio::process::Command {
        let mut command = self.command();
        command.arg("--http").arg(HTTP_ADDRESS);
        command
    }

    fn command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.python);
        command
            .env_clear()
            .env("KTRDR_API_URL", &self.api_url)
            .arg(&self.script);
        command
    }
}

/// One way of starting a server, for the cold-start measurement.
#[derive(Clone, Copy)]
pub enum Start<'a> {
    /// `ktrdr-mcp` with its bundled component, compiled or from a cache.
    Host(&'a HostLauncher, ComponentCache<'a>),
    /// The Python peer.
    Peer(&'a PeerLauncher),
}

impl Start<'_> {
    /// Spawns the server and completes the MCP `initialize` handshake.
    pub async fn start(self) -> Result<Session> {
        match self {
            Start::Host(launcher, cache) => launcher.start(cache, None).await,
            Start::Peer(launcher) => launcher.start().await,
        }
    }
}

/// One MCP session with a running server.
pub struct Session {
    client: RunningService<RoleClient, ()>,
    pid: u32,
}

impl Session {
    /// Spawns `command` (a server of the program at `what`, named in errors) with its stdio
    /// piped to an rmcp client, and completes the MCP `initialize` handshake.
    async fn spawn(command: tokio::process::Command, what: &Path) -> Result<Self> {
        let (transport, _) = TokioChildProcess::builder(command)
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", what.display()))?;
        let pid = transport
            .id()
            .with_context(|| format!("{} exited at once", what.display()))?;
        let client = tokio::time::timeout(PATIENCE, ().serve(transport))
            .await
            .context("initialize timed out")?
            .with_context(|| format!("initialize of {} failed", what.display()))?;
        Ok(Self { client, pid })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends `tools/list` and returns how many tools the server serves.
    pub async fn list_tools(&self) -> Result<usize> {
        let listed = tokio::time::timeout(PATIENCE, self.client.list_tools(None))
            .await
            .context("tools/list timed out")??;
        Ok(listed.tools.len())
    }

    /// Sends an MCP `ping`: the stdio and JSON-RPC round trip alone, no component involved.
    pub async fn ping(&self) -> Result<()> {
        let ping = ClientRequest::PingRequest(PingRequest::default());
        tokio::time::timeout(PATIENCE, self.client.send_request(ping))
            .await
            .context("ping timed out")??;
        Ok(())
    }

    /// Calls `tool` with `arguments`; a tool error is an error.
    pub async fn call(&self, tool: &'static str, arguments: &JsonObject) -> Result<()> {
        let params = CallToolRequestParams::new(tool).with_arguments(arguments.clone());
        let result = tokio::time::timeout(PATIENCE, self.client.call_tool(params))
            .await
            .with_context(|| format!("{tool} timed out"))??;
        if result.is_error == Some(true) {
            bail!("{tool} failed: {:?}", result.structured_content);
        }
        Ok(())
    }

    /// Ends the session: closes the server's stdin and waits for it to exit.
    pub async fn close(self) -> Result<()> {
        self.client.cancel().await?;
        Ok(())
    }
}
