//! The MCP driver: `ktrdr-mcp` as a child process with an rmcp client on its stdio.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rmcp::model::{CallToolRequestParams, ClientRequest, JsonObject, PingRequest};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};

/// How long one exchange may take before the benchmark gives up (a hang is a failure).
const PATIENCE: Duration = Duration::from_secs(60);

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

    /// Spawns the host with its bundled component, or `component` when given, and `flags`, and
    /// completes the MCP `initialize` handshake.
    pub async fn start(
        &self,
        cache: ComponentCache<'_>,
        component: Option<&Path>,
        flags: &[&str],
    ) -> Result<Session> {
        let mut command = tokio::process::Command::new(&self.bin);
        command
            .env_clear()
            .env("RUST_LOG", "warn")
            .arg("--api-url")
            .arg(&self.api_url);
        match cache {
            ComponentCache::Dir(dir) => command.arg("--cache-dir").arg(dir),
            ComponentCache::Off => command.arg("--no-cache"),
        };
        if let Some(component) = component {
            command.arg("--component").arg(component);
        }
        command.args(flags);
        let (transport, _) = TokioChildProcess::builder(command)
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let pid = transport.id().context("the host exited at once")?;
        let client = tokio::time::timeout(PATIENCE, ().serve(transport))
            .await
            .context("initialize timed out")?
            .context("initialize failed")?;
        Ok(Session { client, pid })
    }
}

/// One MCP session with a running host.
pub struct Session {
    client: RunningService<RoleClient, ()>,
    pid: u32,
}

impl Session {
    /// The host's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends `tools/list` and returns how many tools the host serves.
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

    /// Ends the session: closes the host's stdin and waits for it to exit.
    pub async fn close(self) -> Result<()> {
        self.client.cancel().await?;
        Ok(())
    }
}
