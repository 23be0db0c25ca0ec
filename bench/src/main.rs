//! `ktrdr-bench`: measures `ktrdr-mcp` next to the direct-HTTP floor in one run (latency, cold
//! start, concurrency, memory, sizes) and prints a markdown report on stdout; progress on stderr.

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
use crate::mcp_driver::{ComponentCache, HostLauncher};
use crate::probe::Probe;
use crate::report::Report;
use backend_launcher::SeededBackend;

/// Polls of the seeded operation before giving up on it finishing.
const SEED_POLLS: usize = 200;
/// The pause between those polls.
const SEED_POLL_INTERVAL: Duration = Duration::from_millis(25);
/// The host's flags that turn busy-polling off: it sleeps as soon as it waits.
const BUSY_POLL_OFF: &[&str] = &["--busy-poll-us", "0"];

// One thread: the driver's own work stays small and off the cores the host and backend use.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(report) => {
            print!("{}", report::render(&report));
            ExitCode::SUCCESS
        }
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
    let cache_dir = tempfile::tempdir()?;

    progress("cold starts (cached and uncached)");
    let cold_starts = cold_start::measure(&launcher, cache_dir.path()).await?;

    let session = launcher
        .start(ComponentCache::Dir(cache_dir.path()), None, &[])
        .await?;
    let sleeping_session = launcher
        .start(ComponentCache::Dir(cache_dir.path()), None, BUSY_POLL_OFF)
        .await?;
    let probe_session = launcher
        .start(
            ComponentCache::Dir(cache_dir.path()),
            Some(&binaries.probe),
            &[],
        )
        .await?;
    session.list_tools().await?;
    let idle_peak_rss = peak_rss(session.pid())?;
    let keep_alive = floor.keep_alive();
    let probes = [
        Probe::list_operations(),
        Probe::operation_status(&operation_id),
    ];
    progress("per-call latency");
    let hosts = latency::Hosts {
        main: &session,
        sleeping: &sleeping_session,
        probe: &probe_session,
        api_url: &backend.api_url(),
    };
    let latency = latency::measure(&meter, &hosts, &floor, &keep_alive, &probes).await?;
    progress("concurrency");
    let concurrency =
        concurrency::measure(&meter, &session, &floor, &keep_alive, &probes[0]).await?;
    let loaded_peak_rss = peak_rss(session.pid())?;
    session.close().await?;
    sleeping_session.close().await?;
    probe_session.close().await?;

    Ok(Report {
        machine,
        load_at_end: machine::load_average()?,
        latency,
        cold_starts,
        concurrency,
        footprint: Footprint {
            idle_peak_rss,
            loaded_peak_rss,
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
