//! `ktrdr-bench [REPORT.md]`: measures `ktrdr-mcp` next to the Python MCP server a user would
//! otherwise run and the direct-HTTP floor, in one run (latency, cold start, concurrency, memory,
//! sizes; over stdio, then over Streamable HTTP), and writes a markdown report to `REPORT.md`, or
//! stdout; progress goes to stderr.

mod binaries;
mod cold_start;
mod concurrency;
mod cpu;
mod floor;
mod footprint;
mod latency;
mod load;
mod machine;
mod mcp_driver;
mod probe;
mod remote;
mod report;
mod route;
mod stats;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::binaries::{file_size, Binaries};
use crate::cpu::CpuMeter;
use crate::floor::Floor;
use crate::footprint::{peak_rss, Footprint};
use crate::machine::Machine;
use crate::mcp_driver::{ComponentCache, HostLauncher, PeerLauncher};
use crate::probe::Probe;
use crate::report::Report;
use backend_launcher::SeededBackend;

/// Polls of the seeded operation before giving up on it finishing.
const SEED_POLLS: usize = 200;
/// The pause between those polls.
const SEED_POLL_INTERVAL: Duration = Duration::from_millis(25);

// One thread: the driver's own work stays small and off the cores the host and backend use.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let output = std::env::args_os().nth(1);
    let written = run().await.and_then(|report| {
        let markdown = report::render(&report);
        match &output {
            Some(path) => std::fs::write(path, markdown)
                .with_context(|| format!("cannot write {}", path.to_string_lossy())),
            None => {
                print!("{markdown}");
                Ok(())
            }
        }
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ktrdr-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<Report> {
    let machine = Machine::now()?;
    let binaries = Binaries::locate()?;
    let backend = SeededBackend::start(&binaries.backend, &[])?;
    let floor = Floor::new(backend.addr());
    let meter = CpuMeter::new(backend.pid());
    let operation_id = finished_data_load(&floor).await?;
    let launcher = HostLauncher::new(&binaries.host, backend.api_url());
    let peer_launcher = PeerLauncher::new(&binaries.python, &binaries.peer, backend.api_url());
    let cache_dir = tempfile::tempdir()?;

    progress("cold starts (host cached and uncached, Python peer)");
    let cold_starts = cold_start::measure(&launcher, &peer_launcher, cache_dir.path()).await?;

    let cache = ComponentCache::Dir(cache_dir.path());
    let session = launcher.start(cache, None).await?;
    let peer_session = peer_launcher.start().await?;
    let probe_session = launcher.start(cache, Some(&binaries.probe)).await?;
    session.list_tools().await?;
    peer_session.list_tools().await?;
    let idle_peak_rss = peak_rss(session.pid())?;
    let peer_idle_peak_rss = peak_rss(peer_session.pid())?;
    let keep_alive = floor.keep_alive();
    let probes = [
        Probe::list_operations(),
        Probe::operation_status(&operation_id),
    ];
    progress("per-call latency");
    let hosts = latency::Hosts {
        main: &session,
        peer: &peer_session,
        probe: &probe_session,
        api_url: &backend.api_url(),
    };
    let latency = latency::measure(&meter, &hosts, &floor, &keep_alive, &probes).await?;
    progress("concurrency");
    let concurrency = concurrency::measure(
        &meter,
        &session,
        &peer_session,
        &floor,
        &keep_alive,
        &probes[0],
    )
    .await?;
    let loaded_peak_rss = peak_rss(session.pid())?;
    let peer_loaded_peak_rss = peak_rss(peer_session.pid())?;
    session.close().await?;
    peer_session.close().await?;
    probe_session.close().await?;
    progress("remote MCP over Streamable HTTP");
    let remote = remote::measure(&meter, &launcher, &peer_launcher, cache, &probes[0]).await?;

    Ok(Report {
        machine,
        load_at_end: machine::load_average()?,
        latency,
        cold_starts,
        concurrency,
        remote,
        footprint: Footprint {
            idle_peak_rss,
            loaded_peak_rss,
            peer_idle_peak_rss,
            peer_loaded_peak_rss,
            component_bytes: file_size(&binaries.component)?,
            host_bytes: file_size(&binaries.host)?,
        },
    })
}

/// Starts a local data load on the backend, waits until it has finished (so that its status no
/// longer changes under the measurement) and returns its id.
async fn finished_data_load(floor: &Floor) -> Result<String> {
    let body = floor
        .post_json(
            "/data/load",
            &json!({ "symbol": "AAPL", "timeframe": "1h", "mode": "local" }),
        )
        .await?;
    let started: Value = serde_json::from_slice(&body)?;
    let id = started["data"]["operation_id"]
        .as_str()
        .context("no data.operation_id in the data-load answer")?
        .to_owned();
    for _ in 0..SEED_POLLS {
        let status: Value =
            serde_json::from_slice(&floor.get_fresh(&format!("/operations/{id}")).await?)?;
        if status["data"]["status"] != "pending" && status["data"]["status"] != "running" {
            return Ok(id);
        }
        tokio::time::sleep(SEED_POLL_INTERVAL).await;
    }
    bail!("the data load {id} did not finish")
}

fn progress(stage: &str) {
    eprintln!("ktrdr-bench: {stage} …");
}
