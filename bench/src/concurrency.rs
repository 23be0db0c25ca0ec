//! Concurrency: N calls in flight over one MCP session, next to N calls in flight over one
//! session of the Python peer, N MCP `ping`s in flight over the host's session (the stdio
//! transport's own ceiling, no component and no HTTP) and the direct-HTTP floor with N
//! concurrent requests (on kept-alive connections, as the host sends them, and on a fresh
//! connection each), interleaved.

use anyhow::Result;

use crate::cpu::CpuMeter;
use crate::floor::{Floor, KeepAlive};
use crate::load::{interleaved, Sample};
use crate::mcp_driver::Session;
use crate::probe::Probe;
use crate::route::Route;
use crate::stats::Percentiles;

/// The numbers of calls in flight measured.
pub const IN_FLIGHT: [usize; 4] = [1, 4, 16, 64];
/// Interleaved rounds per level; each round runs one block per route.
const ROUNDS: usize = 4;
/// Calls per block.
const BLOCK: usize = 500;
/// Calls per route before measuring each level.
const WARM_UP: usize = 200;

/// Throughput and tail latency of one route at one level.
pub struct Throughput {
    /// Calls per second.
    pub calls_per_second: f64,
    /// 99th-percentile latency, µs.
    pub p99: f64,
}

impl From<&Sample> for Throughput {
    fn from(sample: &Sample) -> Self {
        Self {
            calls_per_second: sample.throughput(),
            p99: Percentiles::of(&sample.latencies).p99,
        }
    }
}

/// One level of concurrency.
pub struct ConcurrencyRow {
    /// Calls in flight.
    pub in_flight: usize,
    /// Calls measured per route.
    pub calls: usize,
    /// Through `ktrdr-mcp`, one session.
    pub host: Throughput,
    /// The host's CPU time per call, µs.
    pub host_cpu: f64,
    /// The driver's (MCP client's) and backend's CPU time together per host call, µs.
    pub driver_and_backend_cpu: f64,
    /// Through the Python peer, one session.
    pub peer: Throughput,
    /// The peer's CPU time per call, µs.
    pub peer_cpu: f64,
    /// MCP `ping`s through `ktrdr-mcp`: the stdio round trip alone.
    pub ping: Throughput,
    /// The host's CPU time per `ping`, µs.
    pub ping_cpu: f64,
    /// Direct, on kept-alive connections (the like-for-like floor).
    pub keep_alive: Throughput,
    /// The driver's (HTTP client's) and backend's CPU time together per request on that
    /// floor, µs.
    pub keep_alive_cpu: f64,
    /// Direct, a fresh connection per request (for reference).
    pub fresh: Throughput,
}

/// Measures `probe` at every level of [`IN_FLIGHT`] through the host's `session` and the peer's.
pub async fn measure(
    meter: &CpuMeter,
    session: &Session,
    peer: &Session,
    floor: &Floor,
    keep_alive: &KeepAlive,
    probe: &Probe,
) -> Result<Vec<ConcurrencyRow>> {
    let routes = [
        Route::Host(session),
        Route::Host(peer),
        Route::HostPing(session),
        Route::DirectKeepAlive(keep_alive),
        Route::Direct(floor),
    ];
    let mut rows = Vec::with_capacity(IN_FLIGHT.len());
    for in_flight in IN_FLIGHT {
        interleaved(meter, &routes, probe, in_flight, 1, WARM_UP).await?;
        let samples = interleaved(meter, &routes, probe, in_flight, ROUNDS, BLOCK).await?;
        let [host, peer, ping, keep_alive, fresh] = samples.as_slice() else {
            unreachable!("one sample per route")
        };
        rows.push(ConcurrencyRow {
            in_flight,
            calls: host.latencies.len(),
            host: host.into(),
            host_cpu: host.host_cpu_per_call(),
            driver_and_backend_cpu: host.driver_and_backend_cpu_per_call(),
            peer: peer.into(),
            peer_cpu: peer.host_cpu_per_call(),
            ping: ping.into(),
            ping_cpu: ping.host_cpu_per_call(),
            keep_alive: keep_alive.into(),
            keep_alive_cpu: keep_alive.driver_and_backend_cpu_per_call(),
            fresh: fresh.into(),
        });
    }
    Ok(rows)
}
