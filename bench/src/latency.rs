//! Per-call latency, one call at a time: the host next to the Python peer and the direct-HTTP
//! floor, interleaved.

use anyhow::Result;

use crate::cpu::CpuMeter;
use crate::floor::{Floor, KeepAlive};
use crate::load::{interleaved, Sample};
use crate::mcp_driver::Session;
use crate::probe::Probe;
use crate::route::{fetch_arguments, Route};
use crate::stats::Percentiles;

/// Interleaved rounds; each round runs one block per route.
const ROUNDS: usize = 20;
/// Sequential calls per block.
const BLOCK: usize = 100;
/// Calls per route before measuring (connections, caches, allocators warm).
const WARM_UP: usize = 200;

/// The latencies of one tool's calls by route.
pub struct LatencyRow {
    /// The tool (and so the backend request).
    pub tool: &'static str,
    /// Calls measured per route.
    pub calls: usize,
    /// Through `ktrdr-mcp`.
    pub host: Percentiles,
    /// The host's CPU time per call, µs.
    pub host_cpu: f64,
    /// Through the Python peer.
    pub peer: Percentiles,
    /// The peer's CPU time per call, µs.
    pub peer_cpu: f64,
    /// The host's CPU time per `ping`, µs.
    pub ping_cpu: f64,
    /// An MCP `ping` through `ktrdr-mcp`, interleaved with this tool's calls.
    pub ping: Percentiles,
    /// A call of a component function without I/O, through a host serving the probe component.
    pub no_io: Percentiles,
    /// That host's CPU time per such call, µs.
    pub no_io_cpu: f64,
    /// A call of a component function that makes the same backend request and reads the body
    /// without parsing it, through the host serving the probe component.
    pub fetch: Percentiles,
    /// That host's CPU time per such call, µs.
    pub fetch_cpu: f64,
    /// Direct, on a kept-alive connection, as the host sends it (the like-for-like floor).
    pub keep_alive: Percentiles,
    /// Direct, a fresh connection per request (for reference).
    pub fresh: Percentiles,
}

/// The servers the calls go through.
pub struct Hosts<'a> {
    /// `ktrdr-mcp` serving the KTRDR component.
    pub main: &'a Session,
    /// The Python peer.
    pub peer: &'a Session,
    /// `ktrdr-mcp` serving the probe component.
    pub probe: &'a Session,
    /// The backend's API URL, which the probe component's `fetch` is given.
    pub api_url: &'a str,
}

/// Measures every probe, one call in flight, over the main host, the Python peer, a `ping`, the
/// probe host (a call without I/O, and the probe's request made by the probe component) and
/// both floors.
pub async fn measure(
    meter: &CpuMeter,
    hosts: &Hosts<'_>,
    floor: &Floor,
    keep_alive: &KeepAlive,
    probes: &[Probe],
) -> Result<Vec<LatencyRow>> {
    let mut rows = Vec::with_capacity(probes.len());
    for probe in probes {
        // Built before the calls, so that the measured loop only sends them.
        let fetch_arguments = fetch_arguments(hosts.api_url, probe);
        let routes = [
            Route::Host(hosts.main),
            Route::Host(hosts.peer),
            Route::HostPing(hosts.main),
            Route::HostNoIo(hosts.probe),
            Route::HostFetch(hosts.probe, &fetch_arguments),
            Route::Direct(floor),
            Route::DirectKeepAlive(keep_alive),
        ];
        interleaved(meter, &routes, probe, 1, 1, WARM_UP).await?;
        let samples = interleaved(meter, &routes, probe, 1, ROUNDS, BLOCK).await?;
        let [host, peer, ping, no_io, fetch, fresh, keep_alive] = samples.as_slice() else {
            unreachable!("one sample per route")
        };
        let percentiles = |sample: &Sample| Percentiles::of(&sample.latencies);
        rows.push(LatencyRow {
            tool: probe.tool,
            calls: host.latencies.len(),
            host: percentiles(host),
            host_cpu: host.host_cpu_per_call(),
            peer: percentiles(peer),
            peer_cpu: peer.host_cpu_per_call(),
            ping_cpu: ping.host_cpu_per_call(),
            ping: percentiles(ping),
            no_io: percentiles(no_io),
            no_io_cpu: no_io.host_cpu_per_call(),
            fetch: percentiles(fetch),
            fetch_cpu: fetch.host_cpu_per_call(),
            keep_alive: percentiles(keep_alive),
            fresh: percentiles(fresh),
        });
    }
    Ok(rows)
}
