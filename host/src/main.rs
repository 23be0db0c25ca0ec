//! `ktrdr-mcp`: serves a KTRDR tools WebAssembly component as an MCP server, on stdio or over
//! Streamable HTTP.
//!
//! This file, [`cli`] and [`config`] are the process: flags, configuration, logging and the
//! async runtime. [`wasm`] compiles the component and runs each call in a sandboxed, limited
//! instance; [`mcp`] is the rmcp server that offers the component's functions as tools, on
//! stdio; [`remote`] serves it over the network.

mod cli;
mod config;
mod mcp;
mod remote;
mod wasm;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use rmcp::service::ServerInitializeError;
use rmcp::ServiceExt;
use tracing_subscriber::EnvFilter;
use wit_mcp::ComponentInterface;

use crate::cli::Cli;
use crate::config::Config;
use crate::mcp::ToolServer;
use crate::remote::RemoteSettings;
use crate::wasm::Runtime;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    // One thread runs the protocol, the calls and their HTTP I/O: a call is mostly waiting, and
    // a CPU-bound guest yields every epoch tick, so hops between threads would only add latency.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ktrdr-mcp: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(serve(cli));
    // A blocking stdin read (a terminal, a file) may still be pending; it must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ktrdr-mcp: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Serves the configured component on stdio until the client closes stdin, or over Streamable
/// HTTP (`--http`) until SIGTERM.
async fn serve(cli: Cli) -> Result<()> {
    let config = Arc::new(Config::from_cli(&cli)?);
    let remote = RemoteSettings::from_args(&cli.remote)?;
    let bytes = config.component.bytes()?;
    let interface = Arc::new(ComponentInterface::decode(&bytes)?);
    if cli.list_tools {
        let listing = format!("{:#}\n", mcp::tools_json(&interface));
        // A reader that stops early (`| head`) is not an error.
        return match std::io::stdout().write_all(listing.as_bytes()) {
            Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
            _ => Ok(()),
        };
    }
    let started = std::time::Instant::now();
    let runtime = Arc::new(Runtime::new(&bytes, &interface, config.clone())?);
    tracing::info!(
        tools = interface.functions.len(),
        backend = %config.api_url,
        ready_ms = started.elapsed().as_millis() as u64,
        "component ready"
    );
    let server = ToolServer::new(interface, runtime.clone(), config)?;
    if let Some(remote) = remote {
        return remote::serve(remote, server, runtime).await;
    }
    match server.serve(mcp::stdio()).await {
        Ok(service) => {
            service.waiting().await.context("the MCP service failed")?;
        }
        Err(ServerInitializeError::ConnectionClosed(_)) => {}
        Err(error) => return Err(error).context("the MCP session could not start"),
    }
    Ok(())
}
