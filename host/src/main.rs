//! `ktrdr-mcp`: serves a KTRDR tools WebAssembly component as an MCP server on stdio.

mod busy_poll;
mod cache;
mod cli;
mod config;
mod connections;
mod locking;
mod runtime;
mod sandbox;
mod server;
mod stdio;
mod transport;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use rmcp::service::ServerInitializeError;
use rmcp::ServiceExt;
use tracing_subscriber::EnvFilter;
use wit_mcp::ComponentInterface;

use crate::busy_poll::BusyPoll;
use crate::cli::Cli;
use crate::config::Config;
use crate::runtime::Runtime;
use crate::server::ToolServer;
use crate::transport::StdioTransport;

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
    let busy_poll = Arc::new(BusyPoll::on_this_machine(Duration::from_micros(
        cli.busy_poll_micros,
    )));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park({
            let busy_poll = busy_poll.clone();
            move || busy_poll.before_park()
        })
        .on_thread_unpark({
            let busy_poll = busy_poll.clone();
            move || busy_poll.after_unpark()
        })
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ktrdr-mcp: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli, busy_poll));
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

async fn run(cli: Cli, busy_poll: Arc<BusyPoll>) -> Result<()> {
    let config = Arc::new(Config::from_cli(&cli)?);
    let bytes = runtime::component_bytes(&config.component)?;
    let interface = Arc::new(ComponentInterface::decode(&bytes)?);
    if cli.list_tools {
        println!("{:#}", server::tools_json(&interface));
        return Ok(());
    }
    let started = std::time::Instant::now();
    let runtime = Arc::new(Runtime::new(&bytes, &interface, config.clone())?);
    tracing::info!(
        tools = interface.functions.len(),
        backend = %config.api_url,
        ready_ms = started.elapsed().as_millis() as u64,
        "serving MCP on stdio"
    );
    let server = ToolServer::new(interface, runtime, config)?;
    let (transport, writer) = StdioTransport::start(stdio::stdin(&busy_poll), stdio::stdout());
    match server.serve(transport).await {
        Ok(running) => {
            running.waiting().await.context("the MCP service failed")?;
        }
        Err(ServerInitializeError::ConnectionClosed(_)) => {}
        Err(error) => return Err(error).context("the MCP session could not start"),
    }
    writer.await.context("the stdout writer failed")?;
    Ok(())
}
